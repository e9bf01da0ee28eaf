"""Every URI under the base dereferences: ``303 See Other`` to a negotiated document.

URL scheme, for a resource ``{base}lecture/nlc/mingdai-01``:

- ``{iri}`` → ``303`` to ``{iri}.{ext}``, the format chosen by ``?format=``
  (an extension or a media type) or else by ``Accept`` (``api.negotiation``);
- ``{iri}.html`` ``.ttl`` ``.jsonld`` ``.nt`` ``.rdf`` → ``200``, the documents;
  an IRI ending in ``/`` (``vocab/``, ``thesaurus/``) has ``{iri}index.html`` ….
  A document URL with a different ``?format=`` answers ``303`` to that format.
- HTML pages take ``?inverse={property IRI}&inverse_page={n}`` to page
  through the links pointing at the resource.

Every answer carries ``Vary: Accept`` and ``Link: <doc>; rel="alternate";
type="…"`` for each format. Documents carry ``ETag`` (a hash of the build and
the document URL with its query) and ``Last-Modified`` (when the build
finished) and answer ``304`` to ``If-None-Match`` / ``If-Modified-Since``.
``HEAD`` answers like ``GET``, without a body. Non-ASCII characters in paths
are accepted raw or percent-encoded and always sent back percent-encoded UTF-8
(``Location`` and ``Link`` are ASCII). What a document contains is
``kg.resource``'s business.

Errors (``ApiError``): ``404`` when nothing is said about the IRI (or the
path lies outside the base URI), ``406`` when no offered format is acceptable
(the message lists them), ``400`` for a path that is not UTF-8 or a bad page
parameter.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import quote, unquote, urlsplit

import pyoxigraph as ox
from fastapi import APIRouter, Request
from starlette.responses import Response

from api import pages
from api.errors import ApiError
from api.negotiation import FORMATS, Format, NotAcceptable, by_extension, from_parameter, negotiate
from kg import resource, syntax
from kg.uris import segment

router = APIRouter(tags=["resources"])
VARY = {"Vary": "Accept"}


@router.api_route("/{path:path}", methods=["GET", "HEAD"], summary="Dereference a URI of the dataset",
                  response_class=Response, responses={303: {"description": "See Other: the negotiated document"}})
def dereference(request: Request, path: str) -> Response:
    """A resource IRI answers 303; a document URL answers the document (see the module docstring)."""
    base = request.app.state.minter.base
    store = request.app.state.dataset.store()
    iri, fmt = _resolve(store, base, _request_path(request, base))
    wanted = _wanted(request, iri)
    if fmt is None or (wanted is not None and wanted != fmt):
        return _see_other(iri, wanted or _accepted(request, iri))
    return _document(request, store, iri, fmt)


def document_url(iri: str, fmt: Format) -> str:
    """The URL of ``iri``'s document in ``fmt``: ``{iri}.{ext}``, or ``{iri}index.{ext}`` for ``…/``."""
    return f"{iri}{'index' if iri.endswith('/') else ''}.{fmt.extension}"


def to_uri(iri: str) -> str:
    """An IRI as an ASCII URI (RFC 3987 §3.1): non-ASCII and spaces percent-encoded as UTF-8."""
    return quote(iri, safe="/:?#[]@!$&'()*+,;=%~")


def _request_path(request: Request, base: str) -> str:
    """The request path relative to the base URI's path, canonically percent-encoded."""
    raw = request.scope.get("raw_path") or request.scope["path"].encode("utf-8")
    try:
        text = raw.decode("utf-8").split("?", 1)[0]
        parts = [segment(unquote(part, errors="strict")) for part in text.split("/")]
    except UnicodeDecodeError:
        raise ApiError(400, "the path is not percent-encoded UTF-8", VARY) from None
    path, prefix = "/".join(parts), urlsplit(base).path or "/"
    if not path.startswith(prefix):
        raise ApiError(404, f"{path} lies outside the dataset's URI space {base}", VARY)
    return path[len(prefix):]


def _resolve(store: ox.Store, base: str, path: str) -> tuple[str, Format | None]:
    """(IRI, None) for a resource, (IRI, format) for one of its documents. Raises ApiError 404."""
    for candidate in dict.fromkeys((path, unquote(path))):
        if candidate and resource.exists(store, base, base + candidate):
            return base + candidate, None
    stem, _, extension = path.rpartition(".")
    fmt = by_extension(extension) if stem else None
    if fmt is not None:
        stems = (stem, stem[:-len("index")]) if stem.endswith("/index") or stem == "index" else (stem,)
        for candidate in dict.fromkeys(c for s in stems for c in (s, unquote(s))):
            if resource.exists(store, base, base + candidate):
                return base + candidate, fmt
    raise ApiError(404, f"nothing is said about <{to_uri(base + path)}> in this dataset", VARY)


def _wanted(request: Request, iri: str) -> Format | None:
    """The format ``?format=`` asks for, or None. Raises ApiError 406 for an unknown one."""
    value = request.query_params.get("format")
    try:
        return from_parameter(value) if value else None
    except NotAcceptable as error:
        raise ApiError(406, str(error), {**VARY, "Link": _links(iri)}) from None


def _accepted(request: Request, iri: str) -> Format:
    try:
        return negotiate(request.headers.get("accept"))
    except NotAcceptable as error:
        raise ApiError(406, str(error), {**VARY, "Link": _links(iri)}) from None


def _links(iri: str, current: Format | None = None) -> str:
    """``Link`` header value: every other format of ``iri``'s document as rel=alternate."""
    return ", ".join(f'<{to_uri(document_url(iri, f))}>; rel="alternate"; type="{f.media_type}"'
                     for f in FORMATS if f != current)


def _see_other(iri: str, fmt: Format) -> Response:
    location = to_uri(document_url(iri, fmt))
    headers = {**VARY, "Location": location, "Link": _links(iri)}
    return Response(f"303 See Other: {location}\n", 303, headers=headers, media_type="text/plain")


def _document(request: Request, store: ox.Store, iri: str, fmt: Format) -> Response:
    """The document, or 304 when the client's copy is current. Raises ApiError 404/400."""
    modified = _build_time(request)
    headers = {**VARY, "Link": _links(iri, fmt), "ETag": _etag(request)}
    if modified is not None:
        headers["Last-Modified"] = format_datetime(modified, usegmt=True)
    if _not_modified(request, headers["ETag"], modified):
        return Response(status_code=304, headers=headers)
    try:
        body = _render(request, store, iri, fmt)
    except resource.UnknownResource as missing:
        raise ApiError(404, str(missing), VARY) from None
    return Response(body, 200, headers=headers, media_type=fmt.content_type)


def _render(request: Request, store: ox.Store, iri: str, fmt: Format) -> bytes:
    base = request.app.state.minter.base
    if fmt.extension == "html":
        return pages.render(request, store, iri, {f: to_uri(document_url(iri, f)) for f in FORMATS})
    return syntax.write(resource.document(store, base, iri), syntax.SYNTAXES[fmt.extension], base)


def _etag(request: Request) -> str:
    """A strong validator: the build being served and the document URL with its query."""
    dataset = request.app.state.dataset
    query = "&".join(sorted(f"{k}={v}" for k, v in request.query_params.multi_items()))
    seed = "|".join((dataset.build_path().name, str(dataset.summary().get("fingerprint")), request.url.path, query))
    return '"' + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32] + '"'


def _build_time(request: Request) -> datetime | None:
    """When the served build finished (``build.json``), to the second, or None if unknown."""
    finished = request.app.state.dataset.summary().get("finished")
    try:
        moment = datetime.fromisoformat(str(finished).replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).replace(microsecond=0)


def _not_modified(request: Request, etag: str, modified: datetime | None) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present, else If-Modified-Since."""
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in match.split(",")}
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    if since is None or modified is None:
        return False
    try:
        return modified <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
