"""Branch stations over HTTP: the library list and pages, their VoID, and the authenticated ``whoami``."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from api.cli import main
from kg.dump import run_dump
from kg.settings import Settings
from tests.api.conftest import BASE, LiveServer, start_server

VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"


@pytest.fixture(scope="module")
def branch(demo_store, tmp_path_factory) -> LiveServer:
    """The demo store dumped, then served on its own port under the demo store's base URI."""
    dumps = tmp_path_factory.mktemp("dumps")
    run_dump(demo_store, dumps, Settings())
    base = BASE.format(port=int((demo_store / "port").read_text()))
    server = start_server(demo_store, _free_port(), tmp_path_factory.mktemp("log") / "serve.log",
                          KG_DUMPS=str(dumps), KG_BASE_URI=base)
    server.base_uri = base
    yield server
    server.process.terminate()
    server.process.wait(10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(server: LiveServer, path: str, **headers: str) -> httpx.Response:
    return httpx.get(server.url(path), headers=headers, timeout=30)


def add_library(store: Path, capsys, library: str, *options: str) -> str:
    assert main(["library", "add", library, *options, "--store", str(store)]) == 0
    return capsys.readouterr()[0].strip()


def test_the_list_names_each_library_with_its_counts_in_html_and_json(branch):
    page = get(branch, "/libraries/", Accept="text/html")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"] and "Accept" in page.headers["vary"]
    assert '</libraries/index.json>; rel="alternate"' in page.headers["link"] and 'href="/libraries/nlc/"' in page.text
    twin = get(branch, "/libraries/index.json").json()
    negotiated = get(branch, "/libraries/", Accept="application/json").json()
    assert twin == negotiated
    nlc = next(item for item in twin["items"] if item["id"] == "nlc")
    assert (nlc["lectures"], nlc["holdings"], nlc["page"]) == (18, 1200, "/libraries/nlc/")
    assert nlc["uri"] == branch.base_uri + "library/nlc"
    moved = get(branch, "/libraries", Accept="text/html")
    assert moved.status_code == 308 and moved.headers["location"] == "/libraries/"


def test_home_links_the_libraries(branch):
    assert 'href="/libraries/"' in get(branch, "/", Accept="text/html").text
    assert get(branch, "/index.json").json()["libraries"] == "/libraries/"


def test_the_default_library_unregistered_is_named_by_kg_library_name(branch, demo_store):
    from kg.libraries import Registry

    if Registry(demo_store).get("nlc") is not None:
        pytest.skip("nlc was registered by an earlier test of this session")
    data = get(branch, "/libraries/nlc/index.json").json()
    assert data["name"] == Settings().library_name and data["registered"] is False


def test_a_library_page_shows_lectures_series_books_graphs_and_how_to_query_it(branch):
    page = get(branch, "/libraries/nlc/", Accept="text/html")
    assert page.status_code == 200 and 'rel="describedby"' in page.headers["link"]
    for part in ("/libraries/nlc/void", "/libraries/nlc/feed", "library.nlc.nq.gz", "default-graph-uri", "明代的海禁与郑和下西洋"):
        assert part in page.text
    data = get(branch, "/libraries/nlc/index.json").json()
    assert get(branch, "/libraries/nlc/", Accept="application/json").json() == data
    assert data["lectures"]["total"] == 18 and len(data["lectures"]["items"]) == 18
    dates = [item["date"] for item in data["lectures"]["items"]]
    assert dates == sorted(dates, reverse=True)
    assert data["series"]["total"] == 7 and sum(s["lectures"] for s in data["series"]["items"]) <= 18
    counts = [book["lectures"] for book in data["books"]["items"]]
    assert counts and counts == sorted(counts, reverse=True) and counts[0] >= 2 and data["books"]["total"] >= len(counts)
    assert [g["uri"] for g in data["graphs"]] == [branch.base_uri + "graph/nlc", branch.base_uri + "graph/nlc/derived"]
    assert all(g["triples"] > 1000 for g in data["graphs"])
    assert data["dump"]["url"] == "/dumps/library.nlc.nq.gz" and data["dump"]["triples"] == sum(g["triples"] for g in data["graphs"])
    assert get(branch, data["dump"]["url"]).status_code == 200


def test_the_documented_sparql_dataset_holds_the_library_graphs_only(branch):
    data = get(branch, "/libraries/nlc/index.json").json()
    answer = get(branch, data["sparql"]["example"], Accept="application/sparql-results+json")
    assert answer.status_code == 200 and len(answer.json()["results"]["bindings"]) == 18
    other = httpx.get(branch.url("/sparql"), params={"query": data["sparql"]["example_query"],
                                                    "default-graph-uri": branch.base_uri + "graph/vocabularies"},
                      headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert other.status_code == 200 and other.json()["results"]["bindings"] == []


def test_unknown_libraries_are_404_in_every_shape(branch):
    for path in ("/libraries/nope/", "/libraries/nope/index.json", "/libraries/nope/void", "/libraries/nope/feed",
                 "/libraries/meta/", "/libraries/NLC/"):
        answer = get(branch, path, Accept="application/json")
        assert answer.status_code == 404 and answer.json()["error"]["status"] == 404, path
    page = get(branch, "/libraries/nope/", Accept="text/html")
    assert page.status_code == 404 and "<h1>404" in page.text


def test_library_void_describes_its_subset_graphs_dump_and_sparql_access(branch):
    answer = get(branch, "/libraries/nlc/void")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/turtle") and "Accept" in answer.headers["vary"]
    triples = set(ox.parse(answer.content, ox.RdfFormat.TURTLE))
    base = branch.base_uri
    part, whole = ox.NamedNode(base + "dataset#library-nlc"), ox.NamedNode(base + "dataset")

    def objects(subject, predicate):
        return {t.object for t in triples if t.subject == subject and t.predicate == ox.NamedNode(predicate)}

    assert part in objects(whole, VOID + "subset")
    assert objects(part, VOID + "subset") == {ox.NamedNode(base + "graph/nlc"), ox.NamedNode(base + "graph/nlc/derived")}
    data = get(branch, "/libraries/nlc/index.json").json()
    assert {int(t.value) for t in objects(part, VOID + "triples")} == {sum(g["triples"] for g in data["graphs"])}
    assert ox.NamedNode(base + "dumps/library.nlc.nq.gz") in objects(part, VOID + "dataDump")
    assert objects(part, VOID + "sparqlEndpoint") == {ox.NamedNode(base + "sparql")}
    access = {o.value for d in objects(part, DCAT + "distribution") for o in objects(d, DCAT + "accessURL")}
    assert any("default-graph-uri=" in url and url.count("default-graph-uri") == 2 for url in access)
    assert not any(t.subject == ox.NamedNode(base + "dataset#library-other") for t in triples)
    jsonld = get(branch, "/libraries/nlc/void", Accept="application/ld+json")
    assert jsonld.headers["content-type"].startswith("application/ld+json")
    assert set(ox.parse(jsonld.content, ox.RdfFormat.JSON_LD)) == triples
    assert get(branch, "/libraries/nlc/void?format=nt").headers["content-type"].startswith("application/n-triples")
    assert get(branch, "/libraries/nlc/void", Accept="image/png").status_code == 406


def test_whoami_needs_the_library_own_token(branch, demo_store, capsys):
    token = add_library(demo_store, capsys, "branch-a", "--name", "分站甲", "--homepage", "https://a.example.org/")
    other = add_library(demo_store, capsys, "branch-b", "--name", "分站乙")
    url = "/api/libraries/branch-a/whoami"

    missing = get(branch, url)
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    assert missing.json()["error"]["status"] == 401
    for header in ("Basic " + token, "Bearer", "Bearer kgl_not-a-token", token):
        refused = get(branch, url, Authorization=header)
        assert refused.status_code == 401 and "Bearer" in refused.headers["www-authenticate"], header
    assert 'error="invalid_token"' in get(branch, url, Authorization="Bearer kgl_nope").headers["www-authenticate"]
    forbidden = get(branch, url, Authorization=f"Bearer {other}")
    assert forbidden.status_code == 403 and forbidden.json()["error"]["title"] == "Forbidden"
    granted = get(branch, url, Authorization=f"Bearer {token}")
    assert granted.status_code == 200 and granted.headers["cache-control"] == "no-store"
    assert granted.json() == {"id": "branch-a", "name": "分站甲", "uri": branch.base_uri + "library/branch-a",
                              "homepage": "https://a.example.org/", "page": "/libraries/branch-a/"}
    assert get(branch, url, Authorization=f"bearer {token}").status_code == 200  # the scheme is case-insensitive

    assert main(["library", "revoke-token", "branch-a", "--store", str(demo_store)]) == 0
    assert get(branch, url, Authorization=f"Bearer {token}").status_code == 401
    assert main(["library", "new-token", "branch-a", "--store", str(demo_store)]) == 0
    fresh = capsys.readouterr()[0].strip()
    assert get(branch, url, Authorization=f"Bearer {token}").status_code == 401
    assert get(branch, url, Authorization=f"Bearer {fresh}").status_code == 200

    log = branch.log.read_text()
    assert "auth: 401 for library branch-a" in log and "auth: 403 for library branch-a" in log and "granted" in log
    for secret in (token, other, fresh, token[4:20]):
        assert secret not in log


def test_a_registered_library_without_data_yet_has_its_page_feed_and_void(branch, demo_store, capsys):
    add_library(demo_store, capsys, "branch-c", "--name", "分站丙", "--homepage", "https://c.example.org/")
    listing = get(branch, "/libraries/index.json").json()
    entry = next(item for item in listing["items"] if item["id"] == "branch-c")
    assert entry["registered"] is True and entry["name"] == "分站丙" and entry["lectures"] == 0
    page = get(branch, "/libraries/branch-c/", Accept="text/html")
    assert page.status_code == 200 and "分站丙" in page.text and 'href="https://c.example.org/"' in page.text
    data = get(branch, "/libraries/branch-c/index.json").json()
    assert data["lectures"]["total"] == 0 and data["dump"] is None
    assert get(branch, "/libraries/branch-c/feed").json()["totalItems"] == 0
    void = {q.triple for q in ox.parse(get(branch, "/libraries/branch-c/void").content, ox.RdfFormat.TURTLE)}
    assert ox.Triple(ox.NamedNode(branch.base_uri + "dataset"), ox.NamedNode(VOID + "subset"),
                     ox.NamedNode(branch.base_uri + "dataset#library-branch-c")) in void


def test_the_registered_name_homepage_and_opac_pattern_are_used_on_the_library_page(branch, demo_store, capsys):
    add_library(demo_store, capsys, "nlc", "--name", "国家图书馆（分站）", "--homepage", "https://www.nlc.cn/",
                "--opac-pattern", "https://opac.example.org/record/{id}")
    data = get(branch, "/libraries/nlc/index.json").json()
    assert data["name"] == "国家图书馆（分站）" and data["homepage"] == "https://www.nlc.cn/" and data["registered"]
    book = data["books"]["items"][0]
    assert book["opac"] == "https://opac.example.org/record/" + book["uri"].rsplit("/", 1)[1]
    page = get(branch, "/libraries/nlc/", Accept="text/html").text
    assert "国家图书馆（分站）" in page and 'href="https://opac.example.org/record/' in page
