"""Branch stations: each contributing library's page, VoID, and its authenticated API.

- ``GET /libraries/`` every library (registered with ``kg library add``, or
  described by the current build) with its lecture and holding counts; HTML,
  or JSON by ``Accept`` (``Vary: Accept``); the JSON twin is ``/libraries/index.json``.
- ``GET /libraries/{lib}/`` one library: name, homepage (from the registry;
  for the default library ``KG_LIBRARY_NAME``), its lectures, series and
  most-linked books, its graphs, dump file, VoID, feed, and how to query its
  graphs only over SPARQL (``default-graph-uri`` twice); JSON twin
  ``/libraries/{lib}/index.json``. 404 for a library that is neither.
- ``GET /libraries/{lib}/void``: the VoID + DCAT description of the library's
  subset (``{base}dataset#library-{lib}``): Turtle unless ``Accept`` or
  ``?format=`` asks for N-Triples, JSON-LD or RDF/XML.
- the change feeds ``/feed`` and ``/libraries/{lib}/feed`` are in ``api.feed``.
- ``GET /api/libraries/{lib}/whoami``: the library a token belongs to
  (``api.auth.require_library``): 401 / 403 otherwise.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import quote, urlencode

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from api.auth import registry, require_library
from api.dumps import _chosen_syntax, _description  # the dataset's VoID (the dump's, else the store's), negotiation
from api.errors import ApiError
from api.templating import templates
from kg import void
from kg.distribution import DumpDirectory, DumpError
from kg.feed import Feed, FeedError
from kg.libraries import Holdings, InvalidLibrary, Library, LibraryError, Profile, in_store, profile, validate_id
from kg.namespaces import DCAT, DCTERMS, FOAF, RDF, RDFS, VOID, XSD
from kg.openurl import opac_link
from kg.partition import dataset_iri
from kg.resource import query
from sparql.media import parse_accept, quality

router = APIRouter(tags=["libraries"])

SPARQL_PROTOCOL = "https://www.w3.org/TR/sparql11-protocol/"
EXAMPLE_QUERY = """PREFIX schema: <http://schema.org/>
SELECT ?lecture ?title WHERE { ?lecture a schema:VideoObject ; schema:name ?title } ORDER BY ?lecture LIMIT 20"""
_cache: dict[tuple[str, str], Any] = {}  # (build directory, what) → computed from that build's store
_cache_lock = threading.Lock()


# --- the list -------------------------------------------------------------------------------


@router.api_route("/libraries", methods=["GET", "HEAD"], include_in_schema=False)
def libraries_without_slash() -> RedirectResponse:
    return RedirectResponse("/libraries/", status_code=308)


@router.api_route("/libraries/", methods=["GET", "HEAD"], summary="Contributing libraries (HTML, or JSON by Accept)")
def libraries_page(request: Request) -> Response:
    data = _listing(request)
    if _prefers_json(request):
        return JSONResponse(data, headers={"Vary": "Accept", "Link": '</libraries/>; rel="alternate"; type="text/html"'})
    response = templates.TemplateResponse(request, "libraries.html", {"listing": data, "freshness": _freshness(request)})
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = '</libraries/index.json>; rel="alternate"; type="application/json"'
    return response


@router.api_route("/libraries/index.json", methods=["GET", "HEAD"], summary="Contributing libraries (JSON)")
def libraries_json(request: Request) -> JSONResponse:
    return JSONResponse(_listing(request), headers={"Link": '</libraries/>; rel="alternate"; type="text/html"'})


def _listing(request: Request) -> dict[str, Any]:
    held, registered = _held(request), _registered(request)
    items = [_summary(request, lib, registered.get(lib), held.get(lib)) for lib in sorted(set(held) | set(registered))]
    return {"total": len(items), "feed": "/feed", "items": items}


def _summary(request: Request, lib: str, library: Library | None, holdings: Holdings | None) -> dict[str, Any]:
    return {"id": lib, "name": _name(request, lib, library, holdings), "uri": request.app.state.minter.library(lib),
            "page": f"/libraries/{lib}/", "homepage": library.homepage if library else "",
            "registered": library is not None, "lectures": holdings.lectures if holdings else 0,
            "holdings": holdings.holdings if holdings else 0}


# --- one library ------------------------------------------------------------------------------


@router.api_route("/libraries/{lib}", methods=["GET", "HEAD"], include_in_schema=False)
def library_without_slash(lib: str, request: Request) -> RedirectResponse:
    known(request, lib)
    return RedirectResponse(f"/libraries/{lib}/", status_code=308)


@router.api_route("/libraries/{lib}/", methods=["GET", "HEAD"], summary="One library's page (HTML, or JSON by Accept)")
def library_page(lib: str, request: Request) -> Response:
    data = _library(request, lib)
    if _prefers_json(request):
        return JSONResponse(data, headers={"Vary": "Accept", "Link": f'</libraries/{lib}/>; rel="alternate"; type="text/html"'})
    response = templates.TemplateResponse(request, "library.html", {"library": data, "freshness": _freshness(request)})
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = (f'</libraries/{lib}/index.json>; rel="alternate"; type="application/json", '
                                f'</libraries/{lib}/void>; rel="describedby"; type="text/turtle"')
    return response


@router.api_route("/libraries/{lib}/index.json", methods=["GET", "HEAD"], summary="One library (JSON)")
def library_json(lib: str, request: Request) -> JSONResponse:
    return JSONResponse(_library(request, lib), headers={"Link": f'</libraries/{lib}/>; rel="alternate"; type="text/html"'})


def _library(request: Request, lib: str) -> dict[str, Any]:
    """Everything the page of ``lib`` shows. Raises ApiError 404 for an unknown library."""
    library, holdings = known(request, lib)
    settings, minter = request.app.state.settings, request.app.state.minter
    found: Profile = _computed(request, f"profile {lib}", lambda store: profile(store, minter.base, lib))
    graphs = [minter.graph(lib), minter.graph(lib, "derived")]
    sparql = "/sparql?" + urlencode([("query", EXAMPLE_QUERY)] + [("default-graph-uri", g) for g in graphs], quote_via=quote)
    opac = library.opac_pattern if library else (settings.opac_pattern if lib == settings.library else "")
    feed = Feed(settings.store)
    return {
        **_summary(request, lib, library, holdings),
        "opac_pattern": opac,
        "lectures": _entries(found.lectures),
        "series": _entries(found.series),
        "books": {**_entries(found.books), "items": [
            {**item, "opac": opac_link(opac, _last_segment(request, item["uri"]), None)} for item in _entries(found.books)["items"]]},
        "graphs": [{"uri": g, "triples": _triples(request, g)} for g in graphs],
        "sparql": {"endpoint": "/sparql", "default_graph_uri": graphs, "example_query": EXAMPLE_QUERY, "example": sparql},
        "dump": _dump(request, lib),
        "void": f"/libraries/{lib}/void",
        "feed": f"/libraries/{lib}/feed",
        "feed_position": _feed_position(feed, request.app.state.dataset.build_path().name),
        "built": _freshness(request).get("finished") if _freshness(request) else None,
    }


def _entries(listing) -> dict[str, Any]:
    return {"total": listing.total, "items": [
        {k: v for k, v in (("uri", e.uri), ("label", e.label), ("lectures", e.count), ("date", e.date)) if v is not None}
        for e in listing.items]}


def _dump(request: Request, lib: str) -> dict[str, Any] | None:
    """The library's file in the current dump (``library.{lib}.nq.gz``), or None."""
    try:
        manifest = DumpDirectory(request.app.state.settings.dumps).manifest()
    except DumpError:
        return None
    entry = manifest.file(f"library.{lib}.nq.gz") if manifest else None
    if entry is None:
        return None
    return {"name": entry.name, "url": f"/dumps/{entry.name}", "bytes": entry.bytes, "sha256": entry.sha256,
            "triples": entry.triples, "build": manifest.stamp.build}


def _triples(request: Request, graph: str) -> int:
    def count(store: ox.Store) -> int:
        rows = list(query(store, "resource_graph_size", request.app.state.minter.base, resource=ox.NamedNode(graph)))
        return int(rows[0]["triples"].value) if rows else 0
    return _computed(request, f"triples {graph}", count)


# --- VoID ----------------------------------------------------------------------------------------


@router.api_route("/libraries/{lib}/void", methods=["GET", "HEAD"],
                  summary="VoID + DCAT of one library's subset (Turtle; N-Triples, JSON-LD, RDF/XML by Accept or ?format=)")
def library_void(lib: str, request: Request, format: str | None = None) -> Response:
    known(request, lib)
    syntax = _chosen_syntax(request, format)
    data = void.serialize(_void(request, lib), syntax)
    media = syntax.media_type + ("; charset=utf-8" if syntax is not ox.RdfFormat.RDF_XML else "")
    return Response(data, media_type=media, headers={"Vary": "Accept", "Link": f'</libraries/{lib}/>; rel="related"'})


def _void(request: Request, lib: str) -> list[ox.Triple]:
    """The library's part of the dataset's description, its graphs and files, plus how to query it."""
    minter = request.app.state.minter
    base, whole = minter.base, ox.NamedNode(dataset_iri(minter))
    part = ox.NamedNode(f"{dataset_iri(minter)}#library-{lib}")
    document = ox.NamedNode(f"{base}libraries/{lib}/void")
    described = _description(request)
    by_subject: dict[Any, list[ox.Triple]] = {}
    for triple in described:
        by_subject.setdefault(triple.subject, []).append(triple)
    out = [ox.Triple(document, RDF.type, VOID.DatasetDescription), ox.Triple(document, FOAF.primaryTopic, part),
           ox.Triple(document, DCTERMS.title, ox.Literal(f"VoID and DCAT description of library {lib}'s subset", language="en")),
           ox.Triple(whole, RDF.type, VOID.Dataset), ox.Triple(whole, VOID.subset, part)]
    if part not in by_subject:  # registered, nothing built yet
        out += [ox.Triple(part, RDF.type, VOID.Dataset), ox.Triple(part, VOID.triples, ox.Literal("0", datatype=XSD.integer))]
    graphs = [ox.NamedNode(minter.graph(lib)), ox.NamedNode(minter.graph(lib, "derived"))]
    out += [ox.Triple(part, VOID.subset, g) for g in graphs if g in by_subject]
    out += _reachable([part, *graphs], by_subject, stop={whole})
    out += _sparql_access(request, lib, part, graphs)
    out.append(ox.Triple(part, RDFS.seeAlso, ox.NamedNode(f"{base}libraries/{lib}/feed")))
    return out


def _reachable(start: list[Any], by_subject: dict[Any, list[ox.Triple]], stop: set) -> list[ox.Triple]:
    """The triples of ``start`` and of every node they lead to that the description describes."""
    seen, frontier, out = set(stop), list(start), []
    while frontier:
        node = frontier.pop()
        if node in seen:
            continue
        seen.add(node)
        for triple in by_subject.get(node, ()):
            out.append(triple)
            if triple.object in by_subject and triple.predicate != VOID.exampleResource:
                frontier.append(triple.object)
    return out


def _sparql_access(request: Request, lib: str, part: ox.NamedNode, graphs: list[ox.NamedNode]) -> list[ox.Triple]:
    base = request.app.state.minter.base
    endpoint = ox.NamedNode(base + "sparql")
    access = ox.NamedNode(base + "sparql?" + "&".join(f"default-graph-uri={quote(g.value, safe='')}" for g in graphs))
    distribution, service = ox.NamedNode(f"{base}libraries/{lib}/void#sparql"), ox.NamedNode(f"{base}libraries/{lib}/void#sparql-service")
    note = ("Query this library's graphs only: send default-graph-uri=" + " and default-graph-uri=".join(g.value for g in graphs)
            + " with the query (SPARQL 1.1 Protocol); without them the default graph is the union of every graph.")
    return [
        ox.Triple(part, VOID.sparqlEndpoint, endpoint),
        ox.Triple(part, DCAT.distribution, distribution),
        ox.Triple(distribution, RDF.type, DCAT.Distribution),
        ox.Triple(distribution, DCTERMS.title, ox.Literal(f"SPARQL over library {lib}'s graphs", language="en")),
        ox.Triple(distribution, DCAT.accessURL, access),
        ox.Triple(distribution, DCAT.accessService, service),
        ox.Triple(service, RDF.type, DCAT.DataService),
        ox.Triple(service, DCAT.endpointURL, endpoint),
        ox.Triple(service, DCAT.endpointDescription, endpoint),
        ox.Triple(service, DCTERMS.conformsTo, ox.NamedNode(SPARQL_PROTOCOL)),
        ox.Triple(service, DCAT.servesDataset, part),
        ox.Triple(service, RDFS.comment, ox.Literal(note, language="en")),
    ]


# --- who am I (authenticated) ------------------------------------------------------------------


@router.get("/api/libraries/{lib}/whoami", summary="The library an API token belongs to (Authorization: Bearer)")
def whoami(lib: str, request: Request, library: Library = Depends(require_library)) -> JSONResponse:
    return JSONResponse({"id": library.id, "name": library.name, "uri": request.app.state.minter.library(library.id),
                         "homepage": library.homepage, "page": f"/libraries/{library.id}/"},
                        headers={"Cache-Control": "no-store"})


# --- small pieces ------------------------------------------------------------------------------------


def known(request: Request, lib: str) -> tuple[Library | None, Holdings | None]:
    """The library's registry entry and store counts; ApiError 404 when it has neither."""
    try:
        validate_id(lib)
    except InvalidLibrary:
        raise ApiError(404, f"{lib!r} is not a library id; the libraries are listed at /libraries/") from None
    library, holdings = _registered(request).get(lib), _held(request).get(lib)
    if library is None and holdings is None:
        raise ApiError(404, f"no library {lib!r} here; the libraries are listed at /libraries/")
    return library, holdings


def _name(request: Request, lib: str, library: Library | None, holdings: Holdings | None) -> str:
    """The registry's name, else ``KG_LIBRARY_NAME`` for the default library, else the store's, else the id."""
    settings = request.app.state.settings
    if library is not None:
        return library.name
    if lib == settings.library:
        return settings.library_name
    return (holdings.name if holdings else None) or lib


def _registered(request: Request) -> dict[str, Library]:
    try:
        return {library.id: library for library in registry(request).all()}
    except LibraryError as error:
        raise ApiError(503, "the library registry cannot be read right now", {"Retry-After": "30"}) from error


def _held(request: Request) -> dict[str, Holdings]:
    return _computed(request, "libraries", lambda store: in_store(store, request.app.state.minter.base))


def _computed(request: Request, what: str, compute):
    """``compute(store)`` once per build served (a build never changes)."""
    dataset = request.app.state.dataset
    store, build = dataset.store(), str(dataset.build_path())
    key = (build, what)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    value = compute(store)  # outside the lock: two threads may both compute it once
    with _cache_lock:
        if any(k[0] != build for k in _cache):
            _cache.clear()
        _cache[key] = value
    return value


def _feed_position(feed: Feed, build: str) -> int | None:
    """The last activity recorded for the build being served; None when the log cannot say."""
    try:
        return feed.position(build)
    except FeedError:
        return None


def _last_segment(request: Request, uri: str) -> str:
    segments = request.app.state.minter.split(uri)
    return segments[-1] if segments else uri


def _freshness(request: Request) -> dict[str, Any]:
    return request.app.state.dataset.summary()


def _prefers_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    ranges = parse_accept(accept) if accept.strip() else []
    return quality("application/json", ranges) > quality("text/html", ranges)
