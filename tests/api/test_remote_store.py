"""The remote store backend: cards, pages and the SPARQL door over a real ``oxigraph serve-read-only``.

The demo build's database is served by the Oxigraph server (started here, on a
free port); ``kg serve --store http://…/query`` then reads it over HTTP and must
answer exactly what the local server answers, with the SPARQL door's limits
still enforced on our side.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kg.dataset import RemoteDataset
from kg.remote import RemoteStore, RemoteUnavailable, bind
from kg.settings import Settings
from tests.api.conftest import BASE, _free_port, start_server

ROOT = Path(__file__).resolve().parents[2]
OXIGRAPH = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
LECTURES = [json.loads(line) for line in (ROOT / "data" / "lectures.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
JSON = {"Accept": "application/sparql-results+json"}
needs_oxigraph = pytest.mark.skipif(not Path(OXIGRAPH).exists(),
                                    reason="the oxigraph CLI is not installed (pip install -e '.[bench]')")


def start_oxigraph(database: Path, port: int, log: Path, *options: str) -> subprocess.Popen:
    """``oxigraph serve-read-only`` on ``database``, waited for until it answers."""
    with log.open("w") as out:
        process = subprocess.Popen([OXIGRAPH, "serve-read-only", "--location", str(database),
                                    "--bind", f"127.0.0.1:{port}", *options], stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/query", params={"query": "ASK {}"}, headers=JSON,
                         timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"oxigraph exited: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("oxigraph did not start")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="module")
def endpoint(demo_store, tmp_path_factory) -> str:
    """The demo build's database behind ``oxigraph serve-read-only`` (which stops a query after 3 s itself)."""
    if not Path(OXIGRAPH).exists():
        pytest.skip("the oxigraph CLI is not installed (pip install -e '.[bench]')")
    port = _free_port()
    process = start_oxigraph(demo_store / "current" / "oxigraph", port,
                             tmp_path_factory.mktemp("oxigraph") / "oxigraph.log", "--timeout-s", "3")
    yield f"http://127.0.0.1:{port}/query"
    stop(process)


@pytest.fixture(scope="module")
def base(demo_store) -> str:
    return BASE.format(port=int((demo_store / "port").read_text()))


@pytest.fixture(scope="module")
def local_store(demo_store) -> ox.Store:
    return ox.Store.read_only(str(demo_store / "current" / "oxigraph"))


@pytest.fixture(scope="module")
def replica(demo_store, endpoint, base, tmp_path_factory):
    """``kg serve --store ENDPOINT --workers 2`` with no local copy of the build: a stateless replica."""
    port = _free_port()
    empty = tmp_path_factory.mktemp("no-build")
    server = start_server(endpoint, port, tmp_path_factory.mktemp("log") / "replica.log", KG_BASE_URI=base,
                          KG_STORE=str(empty), KG_SERVER_WORKERS="2", KG_QUERY_WORKERS="1", KG_QUERY_TIMEOUT="2",
                          KG_RESULT_LIMIT="50", KG_DUMPS=str(empty / "dumps"))
    with httpx.Client(base_url=server.base.rstrip("/"), timeout=30) as http:
        yield http
    server.process.terminate()
    server.process.wait(10)


@pytest.fixture(scope="module")
def local(live_server):
    with httpx.Client(base_url=live_server.base.rstrip("/"), timeout=30) as http:
        yield http


# --- binding values: a VALUES block in the WHERE group -------------------------------------------------


def test_bind_puts_values_at_the_start_of_the_where_group():
    text = bind("SELECT ?s ?o WHERE { ?s <http://ex/p> ?o }", {ox.Variable("s"): ox.NamedNode("http://ex/a")})
    assert text == "SELECT ?s ?o WHERE { VALUES (?s) { (<http://ex/a>) }  ?s <http://ex/p> ?o }"


def test_bind_skips_a_construct_template_and_braces_in_strings_iris_and_comments():
    query = ('# a { comment\nCONSTRUCT { ?s <http://ex/p> "}" } WHERE { ?s <http://ex/q> "{" }')
    text = bind(query, {ox.Variable("s"): ox.Literal("x", language="zh")})
    assert text.endswith('WHERE { VALUES (?s) { ("x"@zh) }  ?s <http://ex/q> "{" }')
    assert text.startswith('# a { comment\nCONSTRUCT { ?s <http://ex/p> "}" }')


def test_bind_to_a_blank_node_matches_nothing_and_a_query_without_group_is_refused():
    assert "VALUES (?s) { }" in bind("ASK { ?s ?p ?o }", {ox.Variable("s"): ox.BlankNode()})
    with pytest.raises(ValueError):
        bind("DESCRIBE ?s", {ox.Variable("s"): ox.NamedNode("http://ex/a")})


# --- RemoteStore against the Oxigraph server -----------------------------------------------------------


def test_remote_answers_like_the_local_store(endpoint, local_store, base):
    remote = RemoteStore(endpoint)
    lecture = ox.NamedNode(base + "lecture/nlc/mingdai-01")
    select = "SELECT ?lecture ?p ?o WHERE { ?lecture ?p ?o } ORDER BY ?p ?o"
    for kwargs in ({"use_default_graph_as_union": True}, {"default_graph": [ox.NamedNode(base + "graph/nlc")]}):
        args = dict(kwargs, substitutions={ox.Variable("lecture"): lecture})
        rows = [(r["p"], r["o"]) for r in remote.query(select, **args)]
        assert rows and rows == [(r["p"], r["o"]) for r in local_store.query(select, **args)]
    assert not list(remote.query(select, substitutions={ox.Variable("lecture"): lecture}))  # the default graph is empty
    assert bool(remote.query("ASK { ?s a <vocab/Nothing> }", base_iri=base)) is False
    construct = "CONSTRUCT { ?lecture ?p ?o } WHERE { ?lecture ?p ?o }"
    triples = set(remote.query(construct, use_default_graph_as_union=True, substitutions={ox.Variable("lecture"): lecture}))
    assert triples and triples == set(local_store.query(construct, use_default_graph_as_union=True,
                                                         substitutions={ox.Variable("lecture"): lecture}))


def test_remote_errors_say_what_went_wrong(endpoint):
    with pytest.raises(SyntaxError, match="refused the query"):
        RemoteStore(endpoint).query("SELEKT nothing")
    with pytest.raises(RemoteUnavailable, match="did not answer"):
        RemoteStore(f"http://127.0.0.1:{_free_port()}/query", timeout=2).query("ASK {}")


# --- the server over the remote store ------------------------------------------------------------------


def test_every_card_and_page_of_a_replica_is_the_local_servers(replica, local):
    for lecture in LECTURES:
        path = f"/api/lectures/{lecture['library']}/{lecture['id']}"
        for suffix in ("/card", "/related"):
            remote, here = replica.get(path + suffix), local.get(path + suffix)
            assert remote.status_code == 200, remote.text
            assert remote.json() == here.json()
    for path in ("/lecture/nlc/mingdai-01.ttl", "/api/concepts/thesaurus/silk-road/card", "/thesaurus/silk-road.nt"):
        there = replica.get(path)
        assert there.status_code == 200 and there.content == local.get(path).content
    document = "/lecture/nlc/mingdai-01.jsonld"  # the same graph (its JSON-LD node order may vary between processes)
    assert _graph(replica.get(document).content) == _graph(local.get(document).content)


def _graph(jsonld: bytes) -> set[ox.Quad]:
    quads = set(ox.parse(jsonld, ox.RdfFormat.JSON_LD))
    assert quads
    return quads


def test_the_replicas_sparql_door_forwards_queries_and_keeps_its_limits(replica, local):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    answer = replica.get("/sparql", params={"query": count}, headers=JSON)
    assert answer.status_code == 200 and answer.json() == local.get("/sparql", params={"query": count}, headers=JSON).json()
    assert answer.headers["X-Result-Limit"] == "50"
    graph = replica.get("/sparql", params={"query": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 7", "format": "nt"})
    assert graph.status_code == 200 and len(graph.text.strip().splitlines()) == 7
    too_many = replica.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 51"}, headers=JSON)
    assert too_many.status_code == 413 and "KG_RESULT_LIMIT" in too_many.text
    service = replica.get("/sparql", params={"query": "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"})
    assert service.status_code == 400
    update = replica.post("/sparql", data={"update": "DROP ALL"})
    assert update.status_code in (400, 403)
    started = time.monotonic()
    slow = replica.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"},
                       headers=JSON)
    assert slow.status_code == 504 and time.monotonic() - started < 10
    assert replica.get("/sparql", params={"query": "ASK {}"}, headers=JSON).json()["boolean"] is True  # still answering


def test_a_replica_without_a_copy_of_the_build_says_why_search_is_unavailable(replica, local):
    answer = replica.get("/api/search", params={"q": "明代"})
    assert answer.status_code == 503
    assert "search.sqlite" in answer.json()["error"]["detail"] and "KG_STORE" in answer.json()["error"]["detail"]
    here = local.get("/index.json").json()
    assert replica.get("/index.json").json()["built"] == here["built"]  # freshness read from the endpoint's graph/meta
    void = replica.get("/.well-known/void", params={"format": "nt"})
    assert void.status_code == 200 and "http://rdfs.org/ns/void#triples" in void.text
    etag = replica.get("/api/lectures/nlc/mingdai-01/card").headers["ETag"]
    assert replica.get("/api/lectures/nlc/mingdai-01/card", headers={"If-None-Match": etag}).status_code == 304


def test_with_a_copy_of_the_build_a_replica_searches_it(demo_store, endpoint, base, local):
    settings = Settings(store=demo_store, store_endpoint=endpoint, base_uri=base, query_workers=1)
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/search", params={"q": "明代"}).json() == local.get("/api/search", params={"q": "明代"}).json()
        assert client.get("/index.json").json() == local.get("/index.json").json()


def test_an_unreachable_endpoint_is_a_503_not_a_crash(tmp_path, base):
    settings = Settings(store=tmp_path, store_endpoint=f"http://127.0.0.1:{_free_port()}/query", base_uri=base,
                        query_workers=1, query_timeout=2)
    with TestClient(create_app(settings)) as client:
        card = client.get("/api/lectures/nlc/mingdai-01/card")
        assert card.status_code == 503 and card.json()["error"]["status"] == 503
        assert client.get("/sparql", params={"query": "ASK {}"}, headers=JSON).status_code == 503


@needs_oxigraph
def test_a_new_build_behind_the_endpoint_is_noticed(tmp_path):
    """Rebuild-and-swap: the endpoint restarted on another database is seen at the next recheck."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/query"
    dataset = RemoteDataset(url, "http://ex.org/", tmp_path, recheck_seconds=0)
    for fingerprint in ("aaaa", "bbbb"):
        database = tmp_path / fingerprint
        store = ox.Store(str(database))
        _add_build(store, fingerprint)
        del store
        process = start_oxigraph(database, port, tmp_path / f"{fingerprint}.log")
        try:
            assert dataset.summary()["fingerprint"] == fingerprint
            assert dataset.build_path().name == fingerprint and dataset.local_build() is None
        finally:
            stop(process)


def _add_build(store: ox.Store, fingerprint: str) -> None:
    prov, graph = "http://www.w3.org/ns/prov#", ox.NamedNode("http://ex.org/graph/meta")
    activity = ox.NamedNode(f"http://ex.org/activity/{fingerprint}")
    stamp = ox.Literal("2026-01-01T00:00:00Z", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime"))
    store.extend([ox.Quad(ox.NamedNode("http://ex.org/dataset"), ox.NamedNode(prov + "wasGeneratedBy"), activity, graph),
                  ox.Quad(activity, ox.NamedNode(prov + "startedAtTime"), stamp, graph),
                  ox.Quad(activity, ox.NamedNode(prov + "endedAtTime"), stamp, graph)])
    store.flush()
