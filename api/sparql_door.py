"""``/sparql``: the SPARQL 1.1 Protocol endpoint (read-only), its service description and query page.

- ``GET /sparql?query=…``, ``POST`` form-encoded or ``application/sparql-query``
  (``sparql.protocol``); ``default-graph-uri`` / ``named-graph-uri`` name the
  dataset, otherwise the default graph is the union of all graphs;
- answers negotiated by ``Accept`` (q-values) or ``format=`` (``sparql.media``);
  ``Vary: Accept`` always; the limits in ``X-Query-Timeout`` / ``X-Result-Limit``
  on every response;
- queries run in worker processes under a hard timeout (``sparql.executor``);
  over a remote store (``KG_STORE_ENDPOINT``) the workers forward them to the
  endpoint, and every limit above is still enforced here;
- ``GET /sparql`` without a query: the service description (RDF, with VoID
  counts) or, for browsers, the query page (YASGUI when its npm assets are
  installed, a plain form otherwise).

The SPARQL errors of ``sparql.errors`` become HTTP statuses here, in ``STATUS``.

``QueryDoor`` (pure ASGI, installed by ``api.app`` inside the other
middlewares) answers the requests that carry a query without FastAPI's
routing and request objects; the route below answers the same way (and is
what the OpenAPI documentation describes, and what serves requests without a
query: the service description and the query page).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Callable

import pyoxigraph as ox
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import ApiError, error_response
from api.templating import templates
from kg.namespaces import PREFIXES
from kg.settings import Settings
from kg.store import StoreError
from sparql import catalogue, description, errors, media, protocol
from sparql.executor import QueryPool, worker_malloc
from sparql.limits import Limits, check_query
from sparql.worker import Answer, Job

STATUS: dict[type[errors.SparqlError], int] = {
    errors.MalformedRequest: 400, errors.QuerySyntaxError: 400, errors.ServiceRefused: 400,
    errors.QueryTooComplex: 400, errors.QueryFailed: 400, errors.UpdateRefused: 403,
    errors.NotAcceptable: 406, errors.QueryTooLarge: 413, errors.ResultTooLarge: 413,
    errors.UnsupportedMediaType: 415, errors.WorkerFailed: 500, errors.Busy: 503, errors.QueryTimeout: 504,
}
YASGUI = Path(__file__).parent / "static" / "node_modules" / "@zazuko" / "yasgui" / "build"
JSON_RESULTS = "application/sparql-results+json"
SOURCE_SECONDS = 0.25  # how long the door reuses the build it last asked the dataset for (off the event loop)
_pools = threading.Lock()
log = logging.getLogger("kg.server")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the query workers with the server (each opening the current build) and stop them after."""
    pool = query_pool(app)
    try:
        build: str | None = await run_in_threadpool(app.state.dataset.source)
    except StoreError:
        build = None
    await run_in_threadpool(pool.start, build)
    yield
    pool.close()


router = APIRouter(tags=["sparql"], lifespan=lifespan)


def query_pool(app: FastAPI) -> QueryPool:
    """The app's pool of query workers, made on first use."""
    with _pools:
        if getattr(app.state, "sparql_pool", None) is None:
            settings: Settings = app.state.settings
            app.state.sparql_pool = QueryPool(settings.query_workers, settings.query_timeout,
                                              malloc=worker_malloc(settings.query_malloc))
        return app.state.sparql_pool


def limits_of(settings: Settings) -> Limits:
    return Limits(timeout=settings.query_timeout, result_limit=settings.result_limit,
                  query_size=settings.query_size_limit, service_allowlist=settings.service_allowlist)


@router.api_route(
    "/sparql", methods=["GET", "HEAD", "POST"], response_class=Response,
    summary="SPARQL 1.1 Protocol endpoint (read-only); service description and query page without a query",
    description="Send `query` by GET, form-encoded POST or `application/sparql-query` POST; optional "
                "`default-graph-uri`, `named-graph-uri` (repeatable) and `format` (json, xml, csv, tsv, ttl, nt, "
                "rdf, jsonld or a media type; it beats `Accept`). Without a query: the SPARQL 1.1 Service "
                "Description (RDF) or, for browsers, the query page.",
)
async def sparql(request: Request) -> Response:
    limits = limits_of(request.app.state.settings)
    headers = {"Vary": "Accept", **limits.headers()}
    try:
        body = await _read_body(request.headers.get("content-length", ""), request.stream(), limits) \
            if request.method == "POST" else b""
        asked = protocol.read_request(request.method, request.headers.get("content-type"),
                                      request.scope.get("query_string", b""), body)
        if asked.query is None:
            return await _describe(request, asked, limits, headers)
        answer = await _answer(request.app, asked, request.headers.get("accept"))
        return Response(answer.body, headers={**headers, "Content-Type": media.content_type(answer.media_type),
                                              "X-Result-Count": str(answer.count)})
    except errors.SparqlError as error:
        extra = {"Retry-After": "5"} if isinstance(error, errors.Busy) else {}
        raise ApiError(STATUS[type(error)], str(error), {**headers, **extra}) from None


class QueryDoor:
    """Pure ASGI: answers ``/sparql`` requests that carry a query exactly as the route does, minus its overhead.

    Everything else (other paths, ``/sparql`` without a query: the service
    description and the query page) goes on to ``app``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        if scope["type"] != "http" or scope["path"] != "/sparql" or method not in ("GET", "HEAD", "POST") \
                or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        app = scope["app"]
        door = _door(app)
        fields = {name: value for name, value in reversed(scope["headers"])}  # the first of repeated fields wins
        try:
            if method == "POST":
                body = await _read_body(fields.get(b"content-length", b"").decode("latin-1"), _chunks(receive),
                                        door.limits)
            else:
                body = b""
            content_type = fields.get(b"content-type")
            asked = protocol.read_request(method, content_type.decode("latin-1") if content_type else None,
                                          scope.get("query_string", b""), body)
            if asked.query is None:  # GET or HEAD (a POST without a query is refused): the route answers
                await self.app(scope, receive, send)
                return
            accept = fields.get(b"accept")
            answer = await _answer(app, asked, accept.decode("latin-1") if accept else None)
        except errors.SparqlError as error:
            extra = {"Retry-After": "5"} if isinstance(error, errors.Busy) else {}
            await _fail(scope, receive, send, STATUS[type(error)], str(error), {**door.headers, **extra})
            return
        except StoreError as error:
            log.error("store unavailable: %s", error)
            await _fail(scope, receive, send, 503, "the dataset is not available yet (no finished build)",
                        {"Retry-After": "30"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": [
            *door.fields, (b"content-type", media.content_type(answer.media_type).encode("latin-1")),
            (b"x-result-count", b"%d" % answer.count), (b"content-length", b"%d" % len(answer.body))]})
        await send({"type": "http.response.body", "body": answer.body})


class _Door:
    """What every query request of one app shares: its limits and the headers that declare them."""

    def __init__(self, settings: Settings) -> None:
        self.settings, self.limits = settings, limits_of(settings)
        self.headers = {"Vary": "Accept", **self.limits.headers()}
        self.fields = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in self.headers.items()]
        self.prefixes = tuple(_prefixes(settings).items())
        self.source: tuple[str, float] | None = None  # (build, when it was asked for)


def _door(app: FastAPI) -> _Door:
    door = getattr(app.state, "sparql_door", None)
    if door is None:
        door = app.state.sparql_door = _Door(app.state.settings)
    return door


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise errors.MalformedRequest("the client went away before sending the whole request")
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


async def _fail(scope: Scope, receive: Receive, send: Send, status: int, detail: str, headers: dict[str, str]) -> None:
    await error_response(Request(scope), status, detail, headers)(scope, receive, send)


async def _read_body(declared: str, chunks: AsyncIterator[bytes], limits: Limits) -> bytes:
    """The request body, refused once it is larger than any query within the limit could be."""
    cap = 3 * limits.query_size + 16_384  # percent-encoding triples a query's size at most
    if declared.isdigit() and int(declared) > cap:
        raise errors.QueryTooLarge(_too_large(int(declared), limits))
    parts, size = [], 0
    async for chunk in chunks:
        size += len(chunk)
        if size > cap:
            raise errors.QueryTooLarge(_too_large(size, limits))
        parts.append(chunk)
    return b"".join(parts)


def _too_large(size: int, limits: Limits) -> str:
    return (f"the request body is {size} bytes or more; queries of at most {limits.query_size} bytes are "
            f"accepted (limit set by KG_QUERY_SIZE_LIMIT)")


async def _answer(app: FastAPI, asked: protocol.ProtocolRequest, accept: str | None) -> Answer:
    """Check the query, pick the answer's format and run it on a worker. Raises SparqlError, StoreError."""
    door = _door(app)
    query = asked.query or ""
    seen = check_query(query, door.limits)
    choice = media.choose(accept, asked.format)
    _refuse_early(seen.form, choice)
    job = Job(
        query=query, build=await _source(app, door),
        results_format=media.essence(choice.results) if choice.results else None,
        graph_format=media.essence(choice.graph) if choice.graph else None,
        result_limit=door.limits.result_limit,
        default_graphs=asked.default_graphs, named_graphs=asked.named_graphs, protocol_dataset=asked.has_dataset,
        union_default_graph=not seen.has_dataset_clause,
        service_allowlist=door.limits.service_allowlist,
        prefixes=() if seen.form in ("SELECT", "ASK") else door.prefixes,  # only graphs are written with prefixes
        base_iri=door.settings.base_uri,
    )
    return await query_pool(app).run(job)


async def _source(app: FastAPI, door: _Door) -> str:
    """What the workers open (the current build, or the endpoint); asked for in a thread every SOURCE_SECONDS."""
    now = time.monotonic()
    if door.source is None or now - door.source[1] > SOURCE_SECONDS:
        source: Callable[[], str] = app.state.dataset.source
        door.source = (await run_in_threadpool(source), now)  # may reopen a swapped-in build
    return door.source[0]


def _refuse_early(form: str | None, choice: media.Choice) -> None:
    """A 406 before running, when the query's form is plain to see and no format fits it."""
    if form in ("SELECT", "ASK") and choice.results is None:
        raise errors.NotAcceptable(f"{form} answers are SPARQL results: {', '.join(media.offered('results'))}")
    if form in ("CONSTRUCT", "DESCRIBE") and choice.graph is None:
        raise errors.NotAcceptable(f"{form} answers are RDF: {', '.join(media.offered('graph'))}")


def _prefixes(settings: Settings) -> dict[str, str]:
    return {**PREFIXES, "kg": settings.base_uri + "vocab/"}


# --- without a query: the service description or the query page -------------------------------------------


async def _describe(request: Request, asked: protocol.ProtocolRequest, limits: Limits,
                    headers: dict[str, str]) -> Response:
    fmt = media.choose_description(request.headers.get("accept"), asked.format)
    if fmt == media.HTML:
        return _page(request, limits, headers)
    settings: Settings = request.app.state.settings
    endpoint = settings.base_uri + "sparql"
    statistics = await _statistics(request, limits)
    triples = description.describe(
        endpoint, statistics, federated=bool(limits.service_allowlist), title=settings.library_name,
        dataset=settings.base_uri + "dataset",
        comment=(f"Read-only. Queries stop after {limits.timeout:g} s; answers hold at most {limits.result_limit} "
                 f"rows or triples (never truncated); queries are at most {limits.query_size} bytes."))
    assert isinstance(fmt, ox.RdfFormat)
    body = ox.serialize(triples, format=fmt, prefixes=description.PREFIXES)
    return Response(body, headers={**headers, "Content-Type": media.content_type(fmt.media_type)})


async def _statistics(request: Request, limits: Limits) -> description.Statistics:
    """Triple counts of the current build (computed once per build, by the named queries)."""
    dataset = request.app.state.dataset
    build = await run_in_threadpool(dataset.source)
    key = f"{build}|{(await run_in_threadpool(dataset.summary)).get('fingerprint')}"  # an endpoint's build changes behind it
    cache: dict[str, description.Statistics] | None = getattr(request.app.state, "sparql_statistics", None)
    if cache is None:
        cache = request.app.state.sparql_statistics = {}
    if key not in cache:
        pool = query_pool(request.app)
        try:
            graphs = await _rows(pool, build, "service_description_counts", limits, union=False)
            total = await _rows(pool, build, "service_description_total", limits, union=True)
            statistics = description.Statistics(
                total=int(total[0]["triples"]["value"]),
                graphs={row["graph"]["value"]: int(row["triples"]["value"]) for row in graphs})
        except (errors.QueryTimeout, errors.ResultTooLarge):
            statistics = description.Statistics(total=None, graphs={})  # too big to count within the limits
        cache.clear()
        cache[key] = statistics
    return cache[key]


async def _rows(pool: QueryPool, build: str, name: str, limits: Limits, union: bool) -> list[dict]:
    job = Job(query=catalogue.load(name), build=build, results_format=JSON_RESULTS, graph_format=None,
              result_limit=limits.result_limit, union_default_graph=union)
    answer = await pool.run(job)
    return json.loads(answer.body)["results"]["bindings"]


def _page(request: Request, limits: Limits, headers: dict[str, str]) -> Response:
    settings: Settings = request.app.state.settings
    examples = catalogue.examples(settings.base_uri)
    response = templates.TemplateResponse(request, "sparql.html", {
        "examples": examples,
        "examples_json": [{"name": e.title, "query": e.text} for e in examples],
        "yasgui": (YASGUI / "yasgui.min.js").is_file() and (YASGUI / "yasgui.min.css").is_file(),
        "limits": limits,
        "endpoint": "/sparql",
        "base": settings.base_uri,
        "formats": [(media.essence(f), f.name) for f in (*media.RESULT_FORMATS, *media.GRAPH_FORMATS)],
        "freshness": request.app.state.dataset.summary(),
    })
    response.headers.update(headers)
    response.headers["Link"] = '</sparql?format=ttl>; rel="alternate service-desc"; type="text/turtle"'
    return response
