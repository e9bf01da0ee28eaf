"""/sparql over HTTP against the demo: the protocol, negotiation, refusals, limits, description and page."""

import json
from urllib.parse import quote

import httpx
import pytest
import rdflib
from rdflib.compare import isomorphic

LECTURES = "SELECT (COUNT(?l) AS ?n) WHERE { ?l a <http://schema.org/VideoObject> }"
CONSTRUCT = ("CONSTRUCT { ?l <http://schema.org/name> ?name } WHERE { ?l a <http://schema.org/VideoObject> ; "
             "<http://schema.org/name> ?name }")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def get(server, query: str, **params) -> httpx.Response:
    headers = params.pop("headers", {})
    return httpx.get(server.url("/sparql"), params={"query": query, **params}, headers=headers, timeout=30)


def number(response: httpx.Response) -> int:
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_three_ways_to_ask_give_the_same_answer_with_limits_declared(live_server):
    by_get = get(live_server, LECTURES)
    by_form = httpx.post(live_server.url("/sparql"), data={"query": LECTURES})
    by_body = httpx.post(live_server.url("/sparql"), content=LECTURES.encode(),
                         headers={"Content-Type": "application/sparql-query"})
    for response in (by_get, by_form, by_body):
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/sparql-results+json"
        assert number(response) == 18
        assert "Accept" in response.headers["vary"]
        assert response.headers["x-query-timeout"] == "5" and response.headers["x-result-limit"] == "100000"


def test_chinese_text_in_a_form_post(live_server):
    query = 'SELECT ?l WHERE { ?l a <http://schema.org/VideoObject> ; <http://schema.org/name> ?t FILTER(CONTAINS(?t, "红楼梦")) }'
    response = httpx.post(live_server.url("/sparql"), data={"query": query})
    assert [b["l"]["value"] for b in response.json()["results"]["bindings"]] == [live_server.base + "lecture/nlc/hongloumeng-01"]


@pytest.mark.parametrize("accept,media_type", [
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"), ("text/tab-separated-values", "text/tab-separated-values"),
    ("application/json", "application/sparql-results+json"),
    ("text/csv;q=0.4, application/sparql-results+xml;q=0.8", "application/sparql-results+xml"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/sparql-results+xml"),
])
def test_select_is_negotiated(live_server, accept, media_type):
    response = get(live_server, LECTURES, headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"].split(";")[0] == media_type
    assert b"18" in response.content


def test_format_parameter_beats_accept(live_server):
    response = get(live_server, LECTURES, format="csv", headers={"Accept": "application/sparql-results+xml"})
    assert response.headers["content-type"].startswith("text/csv") and response.text.splitlines() == ["n", "18"]
    assert get(live_server, LECTURES, format="yaml").status_code == 400


def test_construct_answers_rdf_in_four_syntaxes_that_say_the_same(live_server):
    graphs = {}
    for accept, syntax in (("text/turtle", "turtle"), ("application/n-triples", "nt"),
                           ("application/rdf+xml", "xml"), ("application/ld+json", "json-ld")):
        response = get(live_server, CONSTRUCT, headers={"Accept": accept})
        assert response.status_code == 200 and response.headers["content-type"].startswith(accept)
        graphs[syntax] = rdflib.Graph().parse(data=response.content, format=syntax)
    assert len(graphs["turtle"]) == 18
    assert all(isomorphic(graphs["turtle"], g) for g in graphs.values())


def test_construct_never_comes_back_as_sparql_results(live_server):
    response = get(live_server, CONSTRUCT, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 406
    assert "text/turtle" in response.text and "RDF" in response.text
    assert get(live_server, LECTURES, headers={"Accept": "text/turtle"}).status_code == 406
    nothing = get(live_server, LECTURES, headers={"Accept": "image/png"})
    assert nothing.status_code == 406 and "application/sparql-results+json" in nothing.text
    assert "Accept" in nothing.headers["vary"]


def test_default_and_named_graphs_from_the_protocol(live_server):
    meta = live_server.base + "graph/meta"
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    union = number(get(live_server, count))
    only_meta = number(get(live_server, count, **{"default-graph-uri": meta}))
    assert 0 < only_meta < union
    named = get(live_server, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", **{"named-graph-uri": meta})
    assert [b["g"]["value"] for b in named.json()["results"]["bindings"]] == [meta]
    query_from = f"SELECT (COUNT(*) AS ?n) FROM <{meta}> WHERE {{ ?s ?p ?o }}"
    assert number(get(live_server, query_from)) == only_meta


def test_head_answers_like_get(live_server):
    url = live_server.url("/sparql") + "?query=" + quote(LECTURES)
    got, head = httpx.get(url), httpx.head(url)
    assert head.status_code == 200 and head.content == b""
    for name in ("content-type", "vary", "x-result-limit", "content-length"):
        assert head.headers[name] == got.headers[name]
    description = httpx.head(live_server.url("/sparql"), headers={"Accept": "text/turtle"})
    assert description.status_code == 200 and description.headers["content-type"].startswith("text/turtle")


@pytest.mark.parametrize("how", ["get", "form", "update-body", "in-query", "load"])
def test_updates_are_refused(live_server, how):
    url = live_server.url("/sparql")
    insert = "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }"
    response = {
        "get": lambda: httpx.get(url, params={"update": insert}),
        "form": lambda: httpx.post(url, data={"update": insert}),
        "update-body": lambda: httpx.post(url, content=insert, headers={"Content-Type": "application/sparql-update"}),
        "in-query": lambda: httpx.post(url, data={"query": insert}),
        "load": lambda: httpx.post(url, data={"query": "LOAD <http://127.0.0.1:9/data.ttl>"}),
    }[how]()
    assert response.status_code == 403 and "read-only" in response.text
    assert number(get(live_server, LECTURES)) == 18


def test_service_is_refused_with_a_message(live_server):
    response = get(live_server, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    assert response.status_code == 400 and "SERVICE <http://127.0.0.1:9/sparql> is refused" in response.text


def test_protocol_mistakes_are_4xx_with_a_reason(live_server):
    url = live_server.url("/sparql")
    cases = [
        httpx.post(url, content=b"query=ASK%20%7B%7D&query=ASK%20%7B%7D", headers=FORM),
        httpx.post(url, content=b"ASK {}"),
        httpx.post(url, content=b"ASK {}", headers={"Content-Type": "text/plain"}),
        httpx.post(url, content="ASK {}".encode("utf-16"), headers={"Content-Type": "application/sparql-query"}),
        httpx.post(url, content="ASK {}".encode("utf-16"),
                   headers={"Content-Type": "application/sparql-query; charset=UTF-16"}),
        get(live_server, "SELECT * WHERE {"),
        httpx.put(url, content=b"ASK {}"),
    ]
    for response in cases:
        assert 400 <= response.status_code < 500, (response.status_code, response.text)
        assert "Traceback" not in response.text and len(response.text) > 20


def test_results_over_the_limit_are_refused_not_truncated(live_server):
    rows = get(live_server, "SELECT ?s WHERE { ?s ?p ?o VALUES ?copy { 1 2 } }")
    assert rows.status_code == 413 and "more than 100000 rows" in rows.text and "KG_RESULT_LIMIT" in rows.text
    triples = get(live_server, "CONSTRUCT { ?s ?p ?o . ?s <http://e/copy> ?o } WHERE { ?s ?p ?o }")
    assert triples.status_code == 413 and "more than 100000 triples" in triples.text
    assert number(get(live_server, LECTURES)) == 18


def test_huge_and_deeply_nested_queries_are_refused_cleanly(live_server):
    huge = "SELECT * WHERE { ?s ?p ?o } # " + "x" * 70_000
    response = httpx.post(live_server.url("/sparql"), data={"query": huge})
    assert response.status_code == 413 and "KG_QUERY_SIZE_LIMIT" in response.text
    body = httpx.post(live_server.url("/sparql"), content=b"x" * 1_000_000, headers={"Content-Type": "application/sparql-query"})
    assert body.status_code == 413
    deep = "SELECT (" + "(" * 5000 + "1" + ")" * 5000 + " AS ?x) {}"
    response = httpx.post(live_server.url("/sparql"), data={"query": deep})
    assert response.status_code == 400 and "nests brackets" in response.text
    assert number(get(live_server, LECTURES)) == 18


def test_service_description_is_rdf_with_void_counts(live_server):
    response = httpx.get(live_server.url("/sparql"), headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and "Accept" in response.headers["vary"]
    g = rdflib.Graph().parse(data=response.content, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    service = g.value(predicate=sd.endpoint, object=rdflib.URIRef(live_server.url("/sparql")))
    assert service is not None
    dataset = g.value(service, sd.defaultDataset)
    counts = {str(g.value(n, sd.name)): int(g.value(g.value(n, sd.graph), void.triples))
              for n in g.objects(dataset, sd.namedGraph)}
    total = int(g.value(dataset, void.triples))
    assert set(counts) == {live_server.base + f"graph/{name}" for name in ("nlc", "nlc/derived", "vocabularies", "meta")}
    assert sum(counts.values()) == total == json.loads(httpx.get(live_server.url("/index.json")).text)["counts"]["triples"]
    as_jsonld = httpx.get(live_server.url("/sparql"), headers={"Accept": "application/ld+json"})
    assert len(rdflib.Graph().parse(data=as_jsonld.content, format="json-ld")) == len(g)


def test_the_query_page_for_browsers(live_server):
    page = httpx.get(live_server.url("/sparql"), headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Accept" in page.headers["vary"] and 'rel="alternate service-desc"' in page.headers["link"]
    assert '<form method="get" action="/sparql">' in page.text  # works without JavaScript and without npm
    for title in ("关键词", "推荐馆藏", "相关讲座", "中图法", "命名图"):
        assert title in page.text
    assert "cdn" not in page.text.lower() and "https://" not in page.text.split("<main>")[1].split("</main>")[0]
