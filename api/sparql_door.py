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
"""

from __future__ import annotations

import json
import threading
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

import pyoxigraph as ox
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.errors import ApiError
from api.templating import templates
from kg.namespaces import PREFIXES
from kg.settings import Settings
from kg.store import StoreError
from sparql import catalogue, description, errors, lexer, media, protocol
from sparql.executor import QueryPool
from sparql.limits import Limits, check_query
from sparql.worker import Job

STATUS: dict[type[errors.SparqlError], int] = {
    errors.MalformedRequest: 400, errors.QuerySyntaxError: 400, errors.ServiceRefused: 400,
    errors.QueryTooComplex: 400, errors.QueryFailed: 400, errors.UpdateRefused: 403,
    errors.NotAcceptable: 406, errors.QueryTooLarge: 413, errors.ResultTooLarge: 413,
    errors.UnsupportedMediaType: 415, errors.WorkerFailed: 500, errors.Busy: 503, errors.QueryTimeout: 504,
}
YASGUI = Path(__file__).parent / "static" / "node_modules" / "@zazuko" / "yasgui" / "build"
JSON_RESULTS = "application/sparql-results+json"
_pools = threading.Lock()


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
            app.state.sparql_pool = QueryPool(settings.query_workers, settings.query_timeout)
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
    settings: Settings = request.app.state.settings
    limits = limits_of(settings)
    headers = {"Vary": "Accept", **limits.headers()}
    try:
        body = await _read_body(request, limits) if request.method == "POST" else b""
        asked = protocol.read_request(request.method, request.headers.get("content-type"),
                                      request.scope.get("query_string", b""), body)
        if asked.query is None:
            return await _describe(request, asked, limits, headers)
        return await _answer(request, asked, limits, headers)
    except errors.SparqlError as error:
        extra = {"Retry-After": "5"} if isinstance(error, errors.Busy) else {}
        raise ApiError(STATUS[type(error)], str(error), {**headers, **extra}) from None


async def _read_body(request: Request, limits: Limits) -> bytes:
    """The request body, refused once it is larger than any query within the limit could be."""
    cap = 3 * limits.query_size + 16_384  # percent-encoding triples a query's size at most
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise errors.QueryTooLarge(_too_large(int(declared), limits))
    parts, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise errors.QueryTooLarge(_too_large(size, limits))
        parts.append(chunk)
    return b"".join(parts)


def _too_large(size: int, limits: Limits) -> str:
    return (f"the request body is {size} bytes or more; queries of at most {limits.query_size} bytes are "
            f"accepted (limit set by KG_QUERY_SIZE_LIMIT)")


async def _answer(request: Request, asked: protocol.ProtocolRequest, limits: Limits,
                  headers: dict[str, str]) -> Response:
    query = asked.query or ""
    check_query(query, limits)
    choice = media.choose(request.headers.get("accept"), asked.format)
    _refuse_early(lexer.form(query), choice)
    settings: Settings = request.app.state.settings
    build = await run_in_threadpool(request.app.state.dataset.source)  # may reopen a swapped-in build
    job = Job(
        query=query, build=build,
        results_format=media.essence(choice.results) if choice.results else None,
        graph_format=media.essence(choice.graph) if choice.graph else None,
        result_limit=limits.result_limit,
        default_graphs=asked.default_graphs, named_graphs=asked.named_graphs, protocol_dataset=asked.has_dataset,
        union_default_graph=not lexer.has_dataset_clause(query),
        service_allowlist=limits.service_allowlist, prefixes=tuple(_prefixes(settings).items()),
        base_iri=settings.base_uri,
    )
    answer = await query_pool(request.app).run(job)
    return Response(answer.body, headers={**headers, "Content-Type": media.content_type(answer.media_type),
                                          "X-Result-Count": str(answer.count)})


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
