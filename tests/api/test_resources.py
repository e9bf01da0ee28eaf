"""Every URI dereferences: 303 + content negotiation, documents, pages, caching (against ``kg serve``)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib import Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF

ROOT = Path(__file__).resolve().parents[2]
CHECKER = ROOT.parent / "shared" / "tools" / "ld_conneg_check.py"
SCHEMA = rdflib.Namespace("http://schema.org/")
RDFLIB_FORMATS = {"ttl": "turtle", "jsonld": "json-ld", "nt": "nt", "rdf": "xml"}
MEDIA = {"html": "text/html", "ttl": "text/turtle", "jsonld": "application/ld+json", "nt": "application/n-triples",
         "rdf": "application/rdf+xml"}
SILK_ROAD = "keyword/" + quote("丝绸之路")  # keyword/%E4%B8%9D%E7%BB%B8%E4%B9%8B%E8%B7%AF


@pytest.fixture(scope="module")
def site(live_server, demo_store):
    """The server, a client that does not follow redirects, and the served build's store (read-only)."""
    store = ox.Store.read_only(str(demo_store / "current" / "oxigraph"))
    with httpx.Client(follow_redirects=False, timeout=30) as client:
        yield live_server, client, store


def iri(server, path: str) -> str:
    return server.base + path


def parse(response: httpx.Response, extension: str) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(data=response.content, format=RDFLIB_FORMATS[extension], publicID=str(response.url))
    return graph


@pytest.mark.parametrize("accept, extension", [
    ("text/turtle", "ttl"), ("application/ld+json", "jsonld"), ("application/n-triples", "nt"),
    ("application/rdf+xml", "rdf"), ("text/html,application/xhtml+xml,*/*;q=0.8", "html"), (None, "html"),
    ("application/ld+json;q=0.5, text/turtle;q=0.9", "ttl"), ("application/json", "jsonld"),
])
def test_a_resource_answers_303_to_the_document_chosen_by_accept(site, accept, extension):
    server, client, _ = site
    lecture = iri(server, "lecture/nlc/mingdai-01")
    answer = client.get(lecture, headers={"Accept": accept} if accept else {})
    assert answer.status_code == 303 and answer.headers["location"] == f"{lecture}.{extension}"
    assert "Accept" in answer.headers["vary"]
    for ext, media in MEDIA.items():
        assert f'<{lecture}.{ext}>; rel="alternate"; type="{media}"' in answer.headers["link"]


@pytest.mark.parametrize("extension", ["ttl", "jsonld", "nt", "rdf"])
def test_documents_parse_and_hold_the_description(site, extension):
    server, client, _ = site
    lecture = URIRef(iri(server, "lecture/nlc/mingdai-01"))
    answer = client.get(f"{lecture}.{extension}")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(MEDIA[extension])
    assert "Accept" in answer.headers["vary"] and f'type="{MEDIA["html"]}"' in answer.headers["link"]
    assert f"{lecture}.{extension}>" not in answer.headers["link"]  # alternates are the *other* formats
    graph = parse(answer, extension)
    assert (lecture, RDF.type, SCHEMA.VideoObject) in graph
    assert (lecture, SCHEMA.name, Literal("明代的海禁与郑和下西洋", lang="zh")) in graph
    assignment = URIRef(f"{lecture}#KeywordAssignment-1")
    assert (assignment, URIRef("http://www.w3.org/ns/oa#hasTarget"), lecture) in graph  # a hash part
    keyword = graph.value(assignment, URIRef("http://www.w3.org/ns/oa#hasBody"))
    assert graph.value(keyword, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")) is not None  # its label


def test_every_syntax_says_the_same_and_json_ld_carries_our_context(site):
    server, client, _ = site
    doc = iri(server, SILK_ROAD)
    graphs = {ext: parse(client.get(f"{doc}.{ext}"), ext) for ext in RDFLIB_FORMATS}
    assert all(isomorphic(graphs["nt"], graph) for graph in graphs.values())
    context = client.get(f"{doc}.jsonld").json()["@context"]
    assert {"kg", "schema", "skos", "dcterms", "oa", "prov"} <= set(context)


def test_a_mention_document_describes_its_hash_parts(site):
    server, client, store = site
    mention = next(q.subject.value for q in store.quads_for_pattern(None, None, None)
                   if q.subject.value.startswith(iri(server, "mention/")) and "#" not in q.subject.value)
    graph = parse(client.get(f"{mention}.ttl"), "ttl")
    target = graph.value(URIRef(mention), URIRef("http://www.w3.org/ns/oa#hasTarget"))
    selector = graph.value(target, URIRef("http://www.w3.org/ns/oa#hasSelector"))
    assert str(target) == mention + "#target" and str(graph.value(selector, RDF.value)).startswith("t=")


def test_format_parameter_wins_over_accept(site):
    server, client, _ = site
    lecture = iri(server, "lecture/nlc/mingdai-01")
    for value, accept in (("ttl", "text/html"), ("text/turtle", "text/html"), ("ttl", "image/png")):
        answer = client.get(lecture, params={"format": value}, headers={"Accept": accept})
        assert answer.status_code == 303 and answer.headers["location"] == f"{lecture}.ttl"
    answer = client.get(f"{lecture}.html", params={"format": "nt"})
    assert answer.status_code == 303 and answer.headers["location"] == f"{lecture}.nt"


def test_406_names_what_is_offered(site):
    server, client, _ = site
    lecture = iri(server, "lecture/nlc/mingdai-01")
    for answer in (client.get(lecture, headers={"Accept": "image/png"}), client.get(lecture, params={"format": "png"})):
        assert answer.status_code == 406 and "Accept" in answer.headers["vary"]
        assert all(media in answer.text for media in MEDIA.values())


@pytest.mark.parametrize("path", ["lecture/nlc/no-such-lecture", "lecture/nlc/no-such-lecture.ttl",
                                  "keyword/" + quote("没有这个词"), "vocab/noSuchTerm.html"])
def test_unknown_ids_are_404(site, path):
    server, client, _ = site
    answer = client.get(iri(server, path), headers={"Accept": "text/turtle"})
    assert answer.status_code == 404 and "Accept" in answer.headers["vary"]


def test_head_answers_like_get(site):
    server, client, _ = site
    for url in (iri(server, "holding/nlc/00291258"), iri(server, "holding/nlc/00291258.ttl"),
                iri(server, "holding/nlc/00291258.html")):
        got, head = client.get(url, headers={"Accept": "text/turtle"}), client.head(url, headers={"Accept": "text/turtle"})
        assert head.status_code == got.status_code and head.content == b""
        for name in ("content-type", "content-length", "location", "vary", "link", "etag", "last-modified"):
            assert head.headers.get(name) == got.headers.get(name), name


def test_etag_and_last_modified_answer_304(site):
    server, client, _ = site
    url = iri(server, "lecture/nlc/mingdai-01.jsonld")
    first = client.get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"') and client.get(url).headers["etag"] == etag
    assert client.get(iri(server, "lecture/nlc/mingdai-01.ttl")).headers["etag"] != etag
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    earlier = format_datetime(parsedate_to_datetime(modified).replace(year=2000), usegmt=True)
    assert client.get(url, headers={"If-Modified-Since": earlier}).status_code == 200


def test_a_chinese_keyword_is_percent_encoded_in_location_however_it_is_asked(site):
    server, client, _ = site
    expected = iri(server, "keyword/%E4%B8%9D%E7%BB%B8%E4%B9%8B%E8%B7%AF.ttl")
    for path in ("keyword/丝绸之路", SILK_ROAD, SILK_ROAD.lower()):
        answer = client.get(iri(server, path), headers={"Accept": "text/turtle"})
        assert answer.status_code == 303 and answer.headers["location"] == expected
        assert answer.headers["location"].isascii() and answer.headers["link"].isascii()
    graph = parse(client.get(expected), "ttl")
    assert (URIRef(iri(server, SILK_ROAD)), None, None) in graph


def test_the_lecture_page_shows_labels_panels_inverse_counts_freshness_and_json_ld(site, demo_store):
    server, client, store = site
    lecture = iri(server, "lecture/nlc/mingdai-01")
    page = client.get(f"{lecture}.html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f'<{lecture}.ttl>; rel="alternate"; type="text/turtle"' in page.headers["link"]
    text = page.text
    assert "<h1 lang=\"zh\">明代的海禁与郑和下西洋</h1>" in text and "关键词 Keywords" in text
    assert re.search(r'href="https://[^"]+mingdai-01\.mp4#t=[\d.]+,[\d.]+"', text)  # keyword times link the video
    assert "推荐馆藏 Suggested holdings" in text and "相关讲座 Related lectures" in text
    parts = len(list(store.quads_for_pattern(None, ox.NamedNode("http://purl.org/dc/terms/isPartOf"), ox.NamedNode(lecture))))
    assert parts > 50 and f"1–50 / {parts}" in text
    next_page = re.search(r'<a rel="next" href="([^"]+)"', text).group(1).replace("&amp;", "&")
    second = client.get(f"{lecture}.html{next_page}")
    assert f"51–{min(100, parts)} / {parts}" in second.text and 'rel="prev"' in second.text
    build = json.loads((demo_store / "current" / "build.json").read_text())
    assert build["finished"] in text and build["fingerprint"] in text  # the freshness line
    embedded = re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S).group(1)
    graph = rdflib.Graph().parse(data=embedded, format="json-ld")
    assert (URIRef(lecture), SCHEMA.name, Literal("明代的海禁与郑和下西洋", lang="zh")) in graph
    assert client.get(f"{lecture}.html", params={"inverse_page": "0"}).status_code == 400


def test_keyword_and_holding_pages_show_their_lectures(site):
    server, client, _ = site
    keyword = client.get(iri(server, f"{SILK_ROAD}.html")).text
    assert "讲到它的讲座 Lectures that mention it" in keyword and "silkroad-01" in keyword and "#t=" in keyword
    holding = client.get(iri(server, "holding/nlc/00291258.html")).text
    assert "推荐它的讲座 Lectures that lead here" in holding and "明代的海禁与郑和下西洋" in holding


def test_the_vocabulary_page_documents_every_term_and_each_term_dereferences(site):
    server, client, _ = site
    namespace = iri(server, "vocab/")
    ontology = rdflib.Graph().parse(ROOT / "vocab" / "ontology.ttl", format="turtle", publicID=namespace)
    terms = {s for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty) for s in ontology.subjects(RDF.type, kind)}
    assert len(terms) > 30
    first = client.get(namespace, headers={"Accept": "text/html"})
    assert first.status_code == 303 and first.headers["location"] == namespace + "index.html"
    page = client.get(first.headers["location"]).text
    for term in terms:
        local = str(term)[len(namespace):]
        assert f'id="{local}"' in page and f'href="{term}"' in page
        answer = client.get(str(term), headers={"Accept": "text/html"})
        assert answer.status_code == 303 and client.get(answer.headers["location"]).status_code == 200
    assert "关键词标引" in page and "keyword assignment" in page  # zh and en labels
    whole = parse(client.get(namespace + "index.ttl"), "ttl")
    assert terms <= set(whole.subjects())


def test_named_graphs_dereference_with_their_size(site):
    server, client, store = site
    graph_iri = iri(server, "graph/meta")
    graph = parse(client.get(graph_iri + ".ttl"), "ttl")
    size = graph.value(URIRef(graph_iri), URIRef("http://rdfs.org/ns/void#triples"))
    assert int(size) == len(list(store.quads_for_pattern(None, None, None, ox.NamedNode(graph_iri))))


@pytest.mark.skipif(not CHECKER.is_file(), reason="../shared/tools/ld_conneg_check.py is not here")
def test_the_independent_conneg_checker_passes(site):
    server, _, _ = site
    urls = [iri(server, p) for p in ("lecture/nlc/mingdai-01", SILK_ROAD, "holding/nlc/00291258", "vocab/score")]
    run = subprocess.run([sys.executable, str(CHECKER), *urls], capture_output=True, text=True, timeout=120)
    last = run.stdout.strip().splitlines()[-1]
    assert run.returncode == 0 and re.fullmatch(r"\d+ passed, 0 failed, \d+ skipped", last), run.stdout[-3000:]


def test_paths_that_decode_to_no_valid_iri_are_404_not_500(live_server):
    for path in ("/%1A%0F7", "/lecture/nlc/%00", "/keyword/a%20b%0A", "/%7F.ttl"):  # found by schemathesis
        for method in ("GET", "HEAD"):
            answer = httpx.request(method, live_server.url(path), headers={"Accept": "text/html"})
            assert answer.status_code == 404, (method, path, answer.status_code)
