import http.server
import json
import socket
import threading

import pyoxigraph as ox
import pytest

from sparql.errors import (NotAcceptable, QueryFailed, QuerySyntaxError, ResultTooLarge, ServiceRefused)
from sparql.worker import Job, Runner
from tests.sparql.stores import EX

JSON, XML, CSV, TSV = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                       "text/tab-separated-values")


@pytest.fixture(scope="module")
def runner():
    return Runner()


def job(store, query, **options) -> Job:
    defaults = dict(build=str((store / "current").resolve()), results_format=JSON, graph_format="text/turtle",
                    result_limit=1000)
    return Job(query=query, **{**defaults, **options})


def values(answer) -> list[str]:
    return [row["o"]["value"] for row in json.loads(answer.body)["results"]["bindings"]]


def test_default_graph_is_the_union_unless_the_query_or_protocol_names_one(runner, tiny_store):
    everything = "SELECT ?o WHERE { ?s ?p ?o }"
    assert len(values(runner.run(job(tiny_store, everything)))) == 6
    from_derived = f"SELECT ?o FROM <{EX}graph/nlc/derived> WHERE {{ ?s ?p ?o }}"
    assert len(values(runner.run(job(tiny_store, from_derived, union_default_graph=False)))) == 2
    protocol = job(tiny_store, from_derived, protocol_dataset=True, default_graphs=(f"{EX}graph/nlc",),
                   union_default_graph=False)
    assert len(values(runner.run(protocol))) == 4  # the protocol's dataset replaces FROM
    named_only = job(tiny_store, "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }", protocol_dataset=True,
                     named_graphs=(f"{EX}graph/nlc/derived",))
    assert len(values(runner.run(named_only))) == 2


@pytest.mark.parametrize("fmt,check", [
    (JSON, lambda body: json.loads(body)["head"]["vars"] == ["s", "name"]),
    (XML, lambda body: body.startswith(b"<?xml") and b"<variable name=\"name\"/>" in body),
    (CSV, lambda body: body.splitlines()[0] == b"s,name" and "明代".encode() in body),
    (TSV, lambda body: body.splitlines()[0] == b"?s\t?name" and len(body.splitlines()) == 3),
])
def test_select_in_every_results_format(runner, tiny_store, fmt, check):
    answer = runner.run(job(tiny_store, "SELECT ?s ?name WHERE { ?s <http://schema.org/name> ?name } ORDER BY ?s",
                            results_format=fmt))
    assert answer.kind == "solutions" and answer.count == 2 and answer.media_type.startswith(fmt)
    assert check(answer.body)


@pytest.mark.parametrize("fmt", ["text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json"])
def test_construct_in_every_rdf_format_parses_back(runner, tiny_store, fmt):
    answer = runner.run(job(tiny_store, "CONSTRUCT WHERE { ?s <http://schema.org/name> ?o }", graph_format=fmt))
    assert answer.kind == "graph" and answer.count == 2
    parsed = list(ox.parse(answer.body, format=ox.RdfFormat.from_media_type(fmt)))
    assert {str(t.object) for t in parsed} == {'"明代的海禁与朝贡"@zh', '"丝绸之路"'}


def test_ask_and_describe(runner, tiny_store):
    yes = runner.run(job(tiny_store, f"ASK {{ <{EX}lecture/1> ?p ?o }}"))
    assert yes.kind == "boolean" and json.loads(yes.body)["boolean"] is True
    described = runner.run(job(tiny_store, f"DESCRIBE <{EX}lecture/1>", graph_format="application/n-triples"))
    assert described.kind == "graph" and described.count == 3


def test_results_are_refused_whole_never_truncated(runner, tiny_store):
    assert runner.run(job(tiny_store, "SELECT * WHERE { ?s ?p ?o }", result_limit=6)).count == 6
    with pytest.raises(ResultTooLarge, match="more than 5 rows.*KG_RESULT_LIMIT.*never truncated"):
        runner.run(job(tiny_store, "SELECT * WHERE { ?s ?p ?o }", result_limit=5))
    with pytest.raises(ResultTooLarge, match="more than 5 triples"):
        runner.run(job(tiny_store, "CONSTRUCT WHERE { ?s ?p ?o }", result_limit=5))
    # a literal with a newline is still one TSV row
    lines = runner.run(job(tiny_store, 'SELECT ?x WHERE { VALUES ?x { "a\\nb" "c\\nd" } }', result_limit=2))
    assert lines.count == 2


def test_wrong_kind_of_format_is_not_acceptable(runner, tiny_store):
    with pytest.raises(NotAcceptable, match="SELECT answers are SPARQL results"):
        runner.run(job(tiny_store, "SELECT * {}", results_format=None))
    with pytest.raises(NotAcceptable, match="CONSTRUCT and DESCRIBE answer RDF"):
        runner.run(job(tiny_store, "CONSTRUCT WHERE { ?s ?p ?o }", graph_format=None))


def test_syntax_and_evaluation_errors(runner, tiny_store):
    with pytest.raises(QuerySyntaxError, match="does not parse"):
        runner.run(job(tiny_store, "SELECT * WHERE {"))
    with pytest.raises(QuerySyntaxError):
        runner.run(job(tiny_store, "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }"))
    with pytest.raises(QuerySyntaxError):
        runner.run(job(tiny_store, "SELECT ?x WHERE { BIND(<relative> AS ?x) }"))


def test_an_allowed_service_that_fails_is_the_query_s_failure(runner, tiny_store):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/sparql"
    with pytest.raises(QueryFailed, match="could not be evaluated"):
        runner.run(job(tiny_store, f"SELECT * WHERE {{ SERVICE <{closed}> {{ ?s ?p ?o }} }}",
                       service_allowlist=(closed,)))


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        self.hits.append(self.path)
        self.send_response(500)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args) -> None:
        pass


def test_nothing_makes_the_worker_fetch_a_url(runner, tiny_store):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        runner.run(job(tiny_store, f"SELECT * FROM <{url}/from> FROM NAMED <{url}/named> WHERE {{ ?s ?p ?o }}",
                       union_default_graph=False))
        runner.run(job(tiny_store, f"DESCRIBE <{url}/describe>"))
        with pytest.raises(ServiceRefused, match="KG_SERVICE_ALLOWLIST"):
            runner.run(job(tiny_store, f"SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}"))
        assert _Recorder.hits == []
    finally:
        server.shutdown()
