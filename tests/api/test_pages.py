"""Resource pages over hostile data: everything escaped, only http(s) IRIs become links (in-process app)."""

from __future__ import annotations

import json
import re

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.namer import Namer
from kg.namespaces import RDF, SCHEMA
from kg.settings import Settings
from kg.store import StoreDirectory, build_id

BASE = "http://data.test/"
THING = ox.NamedNode(BASE + "thing/x")


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> TestClient:
    root = tmp_path_factory.mktemp("hostile")
    directory = StoreDirectory(root)
    graph = ox.NamedNode(BASE + "graph/test")
    with directory.new_build(build_id(0)) as build:
        store = ox.Store(str(directory.database(build)))
        for p, o in [(RDF.type, SCHEMA.Thing), (SCHEMA.name, ox.Literal("<script>alert(1)</script>", language="zh")),
                     (SCHEMA.url, ox.NamedNode("javascript:alert(1)")), (SCHEMA.sameAs, ox.NamedNode("https://example.org/ok")),
                     (SCHEMA.description, ox.Literal('"></a><img src=x onerror=alert(2)>'))]:
            store.add(ox.Quad(THING, p, o, graph))
        store.flush()
        del store
        directory.finish(build, {"finished": "2026-01-01T00:00:00Z", "fingerprint": "test", "source": "hand-made"})
    with TestClient(create_app(Settings(store=root, base_uri=BASE))) as test_client:
        yield test_client


def test_literals_are_escaped_and_only_http_iris_become_links(client):
    page = client.get("/thing/x.html")
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<img src=x" not in page.text
    assert 'href="javascript:' not in page.text and "javascript:alert(1)" in page.text  # shown, not linked
    assert 'href="https://example.org/ok"' in page.text


def test_embedded_json_ld_cannot_close_its_script_element(client):
    page = client.get("/thing/x.html").text
    embedded = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    assert "<" not in embedded
    assert json.loads(embedded)["name"] == {"@value": "<script>alert(1)</script>", "@language": "zh"}


def test_paths_outside_utf8_are_refused_and_unknown_graphs_are_404(client):
    assert client.get("/thing/%FF", headers={"Accept": "text/turtle"}).status_code == 400
    assert client.get("/graph/nothing", headers={"Accept": "text/turtle"}).status_code == 404
    assert client.get("/graph/test", headers={"Accept": "text/turtle"}, follow_redirects=False).status_code == 303


def test_the_namer_links_only_http_and_https():
    namer = Namer(BASE, {})
    assert namer.href("https://example.org/a") and namer.href(BASE + "thing/x")
    for iri in ("javascript:alert(1)", "data:text/html,<b>", "mailto:x@example.org", "urn:isbn:123", "file:///etc/passwd"):
        assert namer.href(iri) is None
    assert namer.short(BASE + "keyword/%E4%B8%9D") == "keyword/丝"


def test_inverse_paging_parameters_are_checked(client):
    assert client.get("/thing/x.html", params={"inverse": "not an iri"}).status_code == 400
    assert client.get("/thing/x.html", params={"inverse_page": "-2"}).status_code == 400
    none = client.get("/thing/x.html", params={"inverse": "http://example.org/none"})
    assert none.status_code == 200 and "0 / 0" in none.text
