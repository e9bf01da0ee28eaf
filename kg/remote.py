"""A store behind a SPARQL 1.1 endpoint, queried like a local ``pyoxigraph.Store``.

``RemoteStore(endpoint).query(text, ...)`` accepts the keyword arguments the
code passes to ``Store.query`` and returns the same objects
(``QuerySolutions``, ``QueryBoolean``, or an iterable of ``Triple`` for
CONSTRUCT/DESCRIBE), so cards, pages, VoID and the SPARQL door's workers run
unchanged over a shared read-only store (``oxigraph serve-read-only``, QLever,
Virtuoso, Fuseki, …). It is a storage driver: a small HTTP *client* on the
standard library, one keep-alive connection per thread.

How the arguments travel (SPARQL 1.1 Protocol, form-encoded POST):

- ``base_iri=`` becomes a leading ``BASE <…>`` line;
- ``substitutions=`` becomes a ``VALUES`` block at the start of the query's
  WHERE group (the values are terms, serialised by pyoxigraph, never text the
  caller wrote). A blank node cannot be named across the protocol: a query
  bound to one answers nothing;
- ``use_default_graph_as_union=True`` sends Oxigraph's ``union-default-graph``
  parameter; an endpoint without it must make its default graph the union of
  its named graphs itself (Virtuoso's and QLever's default, Fuseki's
  ``tdb2:unionDefaultGraph``);
- ``default_graph=`` / ``named_graphs=`` become ``default-graph-uri`` /
  ``named-graph-uri``.

What the endpoint must answer: SPARQL JSON (or XML/TSV) results and
N-Triples (or Turtle, N-Quads, RDF/XML) graphs, chosen by ``Accept``.

Errors: ``RemoteUnavailable`` (a ``StoreError``) when the endpoint cannot be
reached, times out, or answers with anything but 200 or 400; ``SyntaxError``
when it refuses the query (400), as pyoxigraph does for a query it cannot parse.
"""

from __future__ import annotations

import http.client
import re
import threading
from typing import Iterable, Iterator, Mapping, Sequence
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox

from kg.store import StoreError

ACCEPT = ("application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.8, "
          "application/sparql-results+xml;q=0.7, application/rdf+xml;q=0.6")
Term = ox.NamedNode | ox.BlankNode | ox.Literal
_SCAN = re.compile(r"""(?P<skip>\#[^\n\r]*|<[^<>"{}|^`\\\x00-\x20]*>|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
                       |(?P<open>\{)|(?P<close>\})|(?P<word>[A-Za-z]+)""", re.VERBOSE | re.DOTALL)


class RemoteUnavailable(StoreError):
    """The SPARQL endpoint did not answer (unreachable, timed out, or an error status)."""


class RemoteTriples:
    """The triples of a CONSTRUCT or DESCRIBE answer (iterable once, like ``QueryTriples``)."""

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        self._triples = iter(triples)

    def __iter__(self) -> Iterator[ox.Triple]:
        return self._triples


class RemoteStore:
    """A read-only store reached over the SPARQL 1.1 Protocol at ``endpoint`` (``http(s)://host:port/query``).

    ``timeout`` (seconds, None = none) bounds connecting and each wait for data.
    """

    def __init__(self, endpoint: str, timeout: float | None = 30.0) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise StoreError(f"{endpoint!r} is not an http(s) SPARQL endpoint URL")
        self.endpoint, self.timeout = endpoint, timeout
        self._secure, self._host, self._port = parts.scheme == "https", parts.hostname, parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._local = threading.local()

    def query(self, query: str, *, base_iri: str | None = None, use_default_graph_as_union: bool = False,
              default_graph: Sequence[ox.NamedNode | ox.DefaultGraph] | ox.NamedNode | None = None,
              named_graphs: Sequence[ox.NamedNode] | None = None,
              substitutions: Mapping[ox.Variable, Term] | None = None,
              ) -> ox.QuerySolutions | ox.QueryBoolean | RemoteTriples:
        """Evaluate ``query`` at the endpoint; see the module docstring. Raises RemoteUnavailable, SyntaxError."""
        text = bind(query, substitutions) if substitutions else query
        if base_iri:
            text = f"BASE {ox.NamedNode(base_iri)}\n{text}"
        form: list[tuple[str, str]] = [("query", text)]
        graphs = [default_graph] if isinstance(default_graph, (ox.NamedNode, ox.DefaultGraph)) else default_graph
        if graphs is not None:
            form += [("default-graph-uri", g.value) for g in graphs if isinstance(g, ox.NamedNode)]
        elif use_default_graph_as_union:
            form.append(("union-default-graph", ""))
        form += [("named-graph-uri", g.value) for g in named_graphs or ()]
        media_type, body = self._post(urlencode(form).encode("utf-8"))
        return _parse(media_type, body)

    def _post(self, body: bytes) -> tuple[str, bytes]:
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": ACCEPT}
        for attempt in (1, 2):  # a kept-alive connection the server closed meanwhile is retried once
            connection = self._connection(fresh=attempt == 2)
            try:
                connection.request("POST", self._path, body, headers)
                response = connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                connection.close()
                if attempt == 2:
                    raise self._unavailable(f"closed the connection ({error})") from None
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                raise self._unavailable(f"did not answer ({error or type(error).__name__})") from None
        if response.status == 400:
            raise SyntaxError(f"the endpoint refused the query: {_excerpt(data)}")
        if response.status != 200:
            raise self._unavailable(f"answered {response.status} {response.reason}: {_excerpt(data)}")
        return response.getheader("Content-Type", ""), data

    def _connection(self, fresh: bool) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None or fresh:
            kind = http.client.HTTPSConnection if self._secure else http.client.HTTPConnection
            connection = self._local.connection = kind(self._host, self._port, timeout=self.timeout)
        return connection

    def _unavailable(self, what: str) -> RemoteUnavailable:
        return RemoteUnavailable(f"the SPARQL endpoint {self.endpoint} {what}")


def bind(query: str, substitutions: Mapping[ox.Variable, Term]) -> str:
    """``query`` with a ``VALUES`` block binding ``substitutions`` at the start of its WHERE group.

    Raises ValueError when the query has no WHERE group or a value is not an IRI, literal or blank node.
    """
    names = " ".join(str(variable) for variable in substitutions)
    if any(isinstance(term, ox.BlankNode) for term in substitutions.values()):
        block = f" VALUES ({names}) {{ }} "  # no solutions: a blank node of the store cannot be named remotely
    else:
        block = f" VALUES ({names}) {{ ({' '.join(_term(t) for t in substitutions.values())}) }} "
    at = _where_group(query)
    return query[:at] + block + query[at:]


def _term(term: Term) -> str:
    if not isinstance(term, (ox.NamedNode, ox.Literal)):
        raise ValueError(f"cannot send {term!r} to a SPARQL endpoint: only IRIs and literals can be bound")
    return str(term)  # N-Triples syntax, also valid SPARQL


def _where_group(query: str) -> int:
    """The offset just inside the opening brace of the query's WHERE group (after a CONSTRUCT template)."""
    depth, template, form = 0, False, None
    for match in _SCAN.finditer(query):
        if match["word"] and form is None and match["word"].upper() in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            form = match["word"].upper()
        elif match["word"] and form == "CONSTRUCT" and depth == 0 and match["word"].upper() == "WHERE":
            template = True  # CONSTRUCT WHERE { … }: no template to skip
        elif match["open"]:
            if depth == 0 and (form != "CONSTRUCT" or template):
                return match.end()
            depth += 1
        elif match["close"]:
            depth -= 1
            template = template or (depth == 0 and form == "CONSTRUCT")
    raise ValueError("the query has no WHERE group to bind values in")


def _parse(media_type: str, body: bytes) -> ox.QuerySolutions | ox.QueryBoolean | RemoteTriples:
    essence = media_type.split(";")[0].strip().lower()
    results = ox.QueryResultsFormat.from_media_type(essence) if essence else None
    if results is not None:
        return ox.parse_query_results(body, results)
    graph = ox.RdfFormat.from_media_type(essence) if essence else None
    if graph is None:
        raise RemoteUnavailable(f"the SPARQL endpoint answered {media_type or 'no Content-Type'}, "
                                f"neither SPARQL results nor RDF")
    return RemoteTriples(ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(body, graph))


def _excerpt(data: bytes) -> str:
    return data[:300].decode("utf-8", "replace").strip() or "(no message)"
