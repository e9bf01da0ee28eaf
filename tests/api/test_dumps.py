"""``/dumps/`` and ``/.well-known/void`` on a real server over the demo build, before and after ``kg dump``."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import json
import shutil
import socket
import subprocess
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from kg.distribution import Manifest
from kg.dump import run_dump
from kg.settings import Settings
from kg.store import StoreDirectory
from tests.api.conftest import LiveServer, start_server

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's own Dataset internals
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")


@dataclass
class Served:
    server: LiveServer
    release: Path
    manifest: Manifest
    store: ox.Store
    before: dict[str, httpx.Response]  # answers while nothing had been dumped yet

    def get(self, path: str, **headers: str) -> httpx.Response:
        return httpx.get(self.server.url(path), headers=headers, timeout=30)


@pytest.fixture(scope="module")
def served(demo_store, tmp_path_factory) -> Served:
    """A server with an empty dump directory; what it says then; then ``kg dump`` into it (no restart)."""
    dumps = tmp_path_factory.mktemp("dumps")
    server = start_server(demo_store, _free_port(), tmp_path_factory.mktemp("log") / "serve.log", KG_DUMPS=str(dumps))
    try:
        url = server.url
        before = {"html": httpx.get(url("/dumps/"), headers={"Accept": "text/html"}),
                  "json": httpx.get(url("/dumps/index.json")),
                  "file": httpx.get(url("/dumps/opencourse-kg.nq.gz")),
                  "void": httpx.get(url("/.well-known/void"))}
        report = run_dump(demo_store, dumps, Settings(license="https://creativecommons.org/licenses/by/4.0/"))
        yield Served(server, report.release, report.manifest, StoreDirectory(demo_store).open_read_only(), before)
    finally:
        server.process.terminate()
        server.process.wait(10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_before_any_dump_the_page_says_how_to_make_one_and_void_still_describes_the_store(served):
    html, listing, file = served.before["html"], served.before["json"], served.before["file"]
    assert html.status_code == 200 and "kg dump --store DIR --out DIR" in html.text and "No dump" in html.text
    assert listing.status_code == 200 and listing.json()["files"] == [] and "kg dump" in listing.json()["message"]
    assert file.status_code == 404
    before = served.before["void"]
    assert before.status_code == 200 and before.headers["content-type"].startswith("text/turtle")
    description = rdflib.Graph().parse(data=before.text, format="turtle")
    dataset = rdflib.URIRef(served.manifest.stamp.base_uri + "dataset")
    assert int(description.value(dataset, VOID.triples)) == len(served.store)
    assert not list(description.triples((None, DCAT.distribution, None)))


def test_the_listing_is_html_with_a_json_twin_and_negotiated(served):
    page = served.get("/dumps/", Accept="text/html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'rel="alternate"; type="application/json"' in page.headers["link"] and "Accept" in page.headers["vary"]
    twin = served.get("/dumps/index.json").json()
    negotiated = served.get("/dumps/", Accept="application/json")
    assert negotiated.headers["content-type"] == "application/json" and negotiated.json() == twin
    assert twin["build"] == served.manifest.stamp.build and twin["stale"] is False
    listed = {f["name"]: f for f in twin["files"]}
    assert set(listed) == {f.name for f in served.manifest.files} | {"manifest.json"}
    for entry in served.manifest.files:
        assert f'href="/dumps/{entry.name}"' in page.text
        assert (listed[entry.name]["bytes"], listed[entry.name]["sha256"]) == (entry.bytes, entry.sha256)
    moved = httpx.get(served.server.url("/dumps"), follow_redirects=True)
    assert moved.status_code == 200 and moved.history[0].status_code == 308 and moved.url.path == "/dumps/"


def test_files_come_with_their_media_type_length_etag_and_dates(served):
    for entry in served.manifest.files:
        answer = served.get(f"/dumps/{entry.name}")
        assert answer.status_code == 200, entry.name
        assert answer.headers["content-length"] == str(entry.bytes) == str(len(answer.content))
        assert hashlib.sha256(answer.content).hexdigest() == entry.sha256
        assert answer.headers["etag"] == f'"{entry.sha256}"' and answer.headers["accept-ranges"] == "bytes"
        assert answer.headers["last-modified"].endswith(" GMT")
        assert "content-encoding" not in answer.headers  # the bytes on the wire are the file
        if entry.compress_format:
            assert answer.headers["content-type"] == "application/gzip"
            assert answer.headers["content-disposition"] == f'attachment; filename="{entry.name}"'
        else:
            assert answer.headers["content-type"] == "text/turtle; charset=utf-8"
    manifest = served.get("/dumps/manifest.json")
    assert manifest.headers["content-type"] == "application/json" and Manifest.from_json(manifest.text) == served.manifest


def test_head_answers_the_same_headers_without_a_body(served):
    for path in ("/dumps/opencourse-kg.nq.gz", "/dumps/", "/dumps/index.json", "/.well-known/void"):
        head, get = httpx.head(served.server.url(path)), served.get(path)
        assert head.status_code == 200 and head.content == b"", path
        for name in ("content-type", "content-length", "etag"):
            assert head.headers.get(name) == get.headers.get(name), (path, name)


def test_conditional_requests_answer_304(served):
    entry = served.manifest.file("graph.meta.ttl.gz")
    path = f"/dumps/{entry.name}"
    assert served.get(path, **{"If-None-Match": f'"{entry.sha256}"'}).status_code == 304
    assert served.get(path, **{"If-None-Match": '"something-else"'}).status_code == 200
    later = formatdate((served.release / entry.name).stat().st_mtime + 60, usegmt=True)
    assert served.get(path, **{"If-Modified-Since": later}).status_code == 304
    void = served.get("/.well-known/void")
    again = served.get("/.well-known/void", **{"If-None-Match": void.headers["etag"]})
    assert again.status_code == 304 and again.headers["vary"].startswith("Accept")


def test_ranges_resume_a_download_and_unsatisfiable_ones_are_416(served):
    entry = served.manifest.file("opencourse-kg.nq.gz")
    path, whole = f"/dumps/{entry.name}", (served.release / entry.name).read_bytes()
    head = served.get(path, Range="bytes=0-999")
    assert head.status_code == 206 and head.headers["content-range"] == f"bytes 0-999/{entry.bytes}"
    rest = served.get(path, Range="bytes=1000-", **{"If-Range": f'"{entry.sha256}"'})
    assert rest.status_code == 206 and hashlib.sha256(head.content + rest.content).hexdigest() == entry.sha256
    assert served.get(path, Range="bytes=-10").content == whole[-10:]
    stale = served.get(path, Range="bytes=0-9", **{"If-Range": '"an-older-file"'})
    assert stale.status_code == 200 and len(stale.content) == entry.bytes
    refused = served.get(path, Range=f"bytes={entry.bytes}-")
    assert refused.status_code == 416 and refused.headers["content-range"] == f"bytes */{entry.bytes}"
    for unreadable in ("items=0-5", "bytes=9-3", "bytes=abc", "bytes="):  # RFC 9110 §14.2: ignored, not 400
        ignored = served.get(path, Range=unreadable)
        assert ignored.status_code == 200 and len(ignored.content) == entry.bytes, unreadable
    two = served.get(path, Range="bytes=0-1,10-11")
    assert two.status_code == 206 and two.headers["content-type"].startswith("multipart/byteranges")


def test_dumps_of_an_older_build_are_listed_as_such_and_left_out_of_void(served):
    older = json.loads((served.release / "manifest.json").read_text())
    older["build"] = "20200101T000000Z-00000000"
    (served.release / "manifest.json").write_text(json.dumps(older))
    try:
        listing = served.get("/dumps/index.json").json()
        assert listing["stale"] is True and listing["current_build"] == served.manifest.stamp.build
        assert "earlier build" in served.get("/dumps/", Accept="text/html").text
        description = rdflib.Graph().parse(data=served.get("/.well-known/void").text, format="turtle")
        assert not list(description.triples((None, DCAT.distribution, None)))
        assert int(description.value(rdflib.URIRef(served.manifest.stamp.base_uri + "dataset"), VOID.triples)) == len(served.store)
    finally:
        (served.release / "manifest.json").write_text(served.manifest.to_json())


def test_no_path_leaves_the_dump_directory(served, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    (served.release / "unlisted.nq.gz").symlink_to(secret)
    (served.release / "listed.nq.gz").symlink_to(secret)
    listed = json.loads((served.release / "manifest.json").read_text())
    listed["files"].append({**listed["files"][0], "name": "listed.nq.gz"})
    (served.release / "manifest.json").write_text(json.dumps(listed))
    attempts = ["/dumps/../../etc/passwd", "/dumps/%2e%2e/%2e%2e/etc/passwd", "/dumps/..%2f..%2fetc%2fpasswd",
                "/dumps/%2E%2E%2Fmanifest.json", "/dumps//etc/passwd", "/dumps/%2Fetc%2Fpasswd", "/dumps/..",
                "/dumps/.%2e/current/manifest.json", "/dumps/..%5c..%5cetc%5cpasswd", "/dumps/%00", "/dumps/.lock",
                "/dumps/current", "/dumps/releases", f"/dumps/releases/{served.release.name}/manifest.json",
                "/dumps/unlisted.nq.gz", "/dumps/listed.nq.gz", f"/dumps/{secret}"]
    try:
        for path in attempts:
            status, body = _raw_get(served.server, path)  # http.client sends the path as written
            assert status in (400, 404), (path, status)
            assert b"TOP-SECRET" not in body and b"root:" not in body, path
    finally:
        (served.release / "manifest.json").write_text(served.manifest.to_json())
        (served.release / "unlisted.nq.gz").unlink()
        (served.release / "listed.nq.gz").unlink()


def _raw_get(server: LiveServer, path: str) -> tuple[int, bytes]:
    host, port = server.base.split("//")[1].rstrip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def test_void_is_negotiated_and_describes_the_files(served):
    answers = {media: served.get("/.well-known/void", Accept=media)
               for media in ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml")}
    graphs = {}
    for media, answer in answers.items():
        assert answer.status_code == 200 and answer.headers["content-type"].split(";")[0] == media
        assert "Accept" in answer.headers["vary"]
        syntax = {"text/turtle": "turtle", "application/n-triples": "nt", "application/ld+json": "json-ld",
                  "application/rdf+xml": "xml"}[media]
        graphs[media] = rdflib.Graph().parse(data=answer.content, format=syntax)
    turtle = graphs["text/turtle"]
    assert all(isomorphic(turtle, other) for other in graphs.values())
    assert served.get("/.well-known/void").headers["content-type"].startswith("text/turtle")
    assert served.get("/.well-known/void?format=nt", Accept="text/turtle").headers["content-type"].startswith("application/n-triples")
    refused = served.get("/.well-known/void", Accept="image/png")
    assert refused.status_code == 406 and "text/turtle" in refused.text
    assert served.get("/.well-known/void?format=xml").status_code == 400
    assert isomorphic(turtle, rdflib.Graph().parse(served.release / "void.ttl", format="turtle"))
    for entry in (f for f in served.manifest.files if f.part):
        node = next(turtle.subjects(DCAT.downloadURL, rdflib.URIRef(served.manifest.stamp.base_uri + "dumps/" + entry.name)))
        assert int(turtle.value(node, DCAT.byteSize)) == entry.bytes


def test_curl_and_rdflib_can_use_a_served_dump(served, tmp_path):
    entry = served.manifest.file("graph.vocabularies.ttl.gz")
    target = tmp_path / entry.name
    if shutil.which("curl"):
        subprocess.run(["curl", "-sSf", "-o", str(target), served.server.url(f"/dumps/{entry.name}")], check=True)
    else:
        target.write_bytes(served.get(f"/dumps/{entry.name}").content)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == entry.sha256
    graph = rdflib.Graph()
    with gzip.open(target, "rb") as data:
        graph.parse(data, format="turtle")
    assert len(graph) == entry.triples


def test_every_demo_dump_holds_exactly_the_store(served):
    """Each served file, read back (pyoxigraph here; rdflib reads every format in tests/kg/test_dump.py)."""
    formats = {"application/n-quads": ox.RdfFormat.N_QUADS, "application/ld+json": ox.RdfFormat.JSON_LD,
               "text/turtle": ox.RdfFormat.TURTLE}
    held = {g.value: set(served.store.quads_for_pattern(None, None, None, g)) for g in served.store.named_graphs()}
    for entry in (f for f in served.manifest.files if f.part):
        data = gzip.decompress(served.get(f"/dumps/{entry.name}").content)
        back = set(ox.parse(io.BytesIO(data), formats[entry.media_type]))
        if entry.media_type == "text/turtle":  # a Turtle file's triples belong to the graph it was dumped from
            back = {ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(entry.graphs[0])) for q in back}
        expected = set().union(*(held[g] for g in entry.graphs))
        assert not any(isinstance(t, ox.BlankNode) for q in back for t in (q.subject, q.object))
        assert back == expected, entry.name  # no blank nodes: set equality is isomorphism
        assert len(back) == entry.triples


@pytest.mark.slow
def test_every_demo_dump_reads_back_with_rdflib(served):
    """rdflib reads every demo file as the store's quads (about 15 s: rdflib parses slowly)."""
    formats = {"application/n-quads": "nquads", "application/ld+json": "json-ld", "text/turtle": "turtle"}
    for entry in (f for f in served.manifest.files if f.part):
        dataset = rdflib.Dataset()
        with gzip.open(served.release / entry.name, "rb") as data:
            dataset.parse(data, format=formats[entry.media_type])
        graph_of = (lambda g: entry.graphs[0]) if entry.media_type == "text/turtle" else str
        back = {(_key(s), _key(p), _key(o), graph_of(g)) for s, p, o, g in dataset.quads()}
        expected = {(_key(q.subject), _key(q.predicate), _key(q.object), graph) for graph in entry.graphs
                    for q in served.store.quads_for_pattern(None, None, None, ox.NamedNode(graph))}
        assert back == expected, entry.name


def _key(term: rdflib.term.Node | ox.NamedNode | ox.Literal) -> tuple[str, ...]:
    """An rdflib or pyoxigraph term as plain strings; blank nodes are refused (the data has none)."""
    assert not isinstance(term, (rdflib.BNode, ox.BlankNode)), term
    if isinstance(term, rdflib.Literal):
        kind = str(term.datatype or (rdflib.RDF.langString if term.language else rdflib.XSD.string))
        return (str(term), kind, (term.language or "").lower())
    if isinstance(term, ox.Literal):  # through rdflib's Literal, which normalises lexical forms the same way
        plain = term.language or term.datatype.value == str(rdflib.XSD.string)
        return _key(rdflib.Literal(term.value, lang=term.language, datatype=None if plain else term.datatype.value))
    return (str(term) if isinstance(term, rdflib.URIRef) else term.value,)
