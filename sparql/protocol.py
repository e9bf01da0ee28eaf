"""SPARQL 1.1 Protocol requests: the three ways to send a query, read and checked.

- ``GET /sparql?query=…``
- ``POST`` with ``Content-Type: application/x-www-form-urlencoded`` and ``query=…`` in the body
- ``POST`` with ``Content-Type: application/sparql-query`` and the query as the body (UTF-8)

``default-graph-uri`` and ``named-graph-uri`` (repeatable) may come in the
URL with any of them, and in the body of a form POST. Everything that is
not exactly one of these is refused with a message saying what is accepted;
updates are refused because the endpoint is read-only.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import parse_qsl

import pyoxigraph as ox

from sparql.errors import MalformedRequest, UnsupportedMediaType, UpdateRefused

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
_UPDATE_PARAMETERS = ("update", "using-graph-uri", "using-named-graph-uri")
_READ_ONLY = "this endpoint is read-only: SPARQL Update is not accepted (send queries: SELECT, ASK, CONSTRUCT, DESCRIBE)"


@dataclass(frozen=True)
class ProtocolRequest:
    """What a request asks for; ``query`` is None when it asks for the service description."""
    query: str | None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    format: str | None = None

    @property
    def has_dataset(self) -> bool:
        """True when the protocol names the dataset (it then replaces the query's FROM clauses)."""
        return bool(self.default_graphs or self.named_graphs)


def read_request(method: str, content_type: str | None, query_string: bytes, body: bytes) -> ProtocolRequest:
    """Read a protocol request from its method, ``Content-Type``, raw query string and body.

    Raises UpdateRefused for updates, UnsupportedMediaType for a POST body
    that is neither form-encoded nor ``application/sparql-query`` in UTF-8,
    and MalformedRequest for everything else that is wrong (two queries, an
    empty query, text that is not UTF-8).
    """
    if method in ("GET", "HEAD"):
        return _read_get(query_string) if len(query_string) <= _REMEMBERED_SIZE else _request(
            _parse_form(query_string, "the URL's query string"))
    params = _parse_form(query_string, "the URL's query string")
    media_type, charset = _media_type(content_type)
    if media_type == FORM:
        _check_charset(charset, media_type)
        body_params = _parse_form(body, "the form body")
        _refuse_updates(body_params)
        if "query" in params and "query" in body_params:
            raise MalformedRequest("the query is given both in the URL and in the form body; send exactly one")
        return _request(_Params(params + body_params), post=True)
    if media_type == QUERY:
        _check_charset(charset, media_type)
        _refuse_updates(params)
        if "query" in params:
            raise MalformedRequest(f"a POST with Content-Type {QUERY} carries the query as its body; "
                                   f"remove the query parameter from the URL")
        return _request(_Params(params + [("query", _decode(body, "the request body"))]), post=True)
    if media_type == UPDATE:
        raise UpdateRefused(_READ_ONLY)
    raise UnsupportedMediaType(
        (f"a POST with Content-Type {media_type}" if media_type else "a POST without Content-Type")
        + f" is not a SPARQL query; send {FORM} (query=…) or {QUERY} (the query as the body), in UTF-8")


_REMEMBERED_SIZE = 8192  # GET query strings up to this length are remembered (at most 256 of them)


@functools.lru_cache(maxsize=256)
def _read_get(query_string: bytes) -> ProtocolRequest:
    """A GET's request, from its query string alone (so the same query asked again is read once)."""
    return _request(_parse_form(query_string, "the URL's query string"))


def _graph_names(params: _Params, name: str) -> tuple[str, ...]:
    values = tuple(params.all(name))
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError:
            raise MalformedRequest(f"{name}={value!r} is not an absolute IRI") from None
    return values


class _Params(list):
    """Decoded ``(name, value)`` pairs in request order."""

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self)

    def all(self, name: str) -> list[str]:
        return [value for key, value in self if key == name]


def _parse_form(raw: bytes, where: str) -> _Params:
    try:
        return _Params(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict"))
    except UnicodeDecodeError:
        raise MalformedRequest(f"{where} is not percent-encoded UTF-8") from None


def _decode(body: bytes, where: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedRequest(f"{where} is not UTF-8; the SPARQL protocol accepts UTF-8 only") from None


def _media_type(header: str | None) -> tuple[str, str | None]:
    kind, *params = [part.strip() for part in (header or "").split(";")]
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return kind.lower(), charset


def _check_charset(charset: str | None, media_type: str) -> None:
    if charset not in (None, "utf-8", "utf8"):
        raise UnsupportedMediaType(f"{media_type} with charset={charset} is not accepted; send UTF-8")


def _refuse_updates(params: _Params) -> None:
    if any(name in params for name in _UPDATE_PARAMETERS):
        raise UpdateRefused(_READ_ONLY)


def _request(params: _Params, post: bool = False) -> ProtocolRequest:
    _refuse_updates(params)
    queries = params.all("query")
    if len(queries) > 1:
        raise MalformedRequest(f"{len(queries)} query parameters were sent; send exactly one")
    formats = params.all("format")
    if len(formats) > 1:
        raise MalformedRequest("more than one format parameter was sent; send at most one")
    if queries and not queries[0].strip():
        raise MalformedRequest("the query is empty")
    if post and not queries:
        raise MalformedRequest("the POST carries no query; send query=… (form) or the query as the body")
    return ProtocolRequest(
        query=queries[0] if queries else None,
        default_graphs=_graph_names(params, "default-graph-uri"),
        named_graphs=_graph_names(params, "named-graph-uri"),
        format=formats[0] if formats else None,
    )
