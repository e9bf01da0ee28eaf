"""``kg dump`` over a small store shaped like a real build: two libraries, shared graphs, Chinese text."""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import tracemalloc
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from kg import void
from kg.distribution import BuildStamp, DumpDirectory, DumpError, Manifest, NotPublished
from kg.dump import run_dump, write_file
from kg.settings import Settings
from kg.store import StoreDirectory, StoreError
from kg.uris import Minter

BASE = "http://data.example.org/"
M = Minter(BASE)
SCHEMA, XSD, SKOS = "http://schema.org/", "http://www.w3.org/2001/XMLSchema#", "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
FINISHED = "2026-01-02T03:04:05Z"
VOID, DCAT, SPDX = (rdflib.Namespace(n) for n in ("http://rdfs.org/ns/void#", "http://www.w3.org/ns/dcat#",
                                                  "http://spdx.org/rdf/terms#"))
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's own Dataset internals
FORMATS = {"application/n-quads": "nquads", "text/turtle": "turtle", "application/ld+json": "json-ld"}


def sample_quads(libraries: dict[str, int]) -> list[ox.Quad]:
    """Lectures, derived links and shared concepts, with the literals that trip serialisers up."""
    quads = []
    vocabularies, meta = ox.NamedNode(M.graph("vocabularies")), ox.NamedNode(M.graph("meta"))
    keyword = ox.NamedNode(M.keyword("丝绸之路"))
    quads += [ox.Quad(keyword, RDF_TYPE, ox.NamedNode(SKOS + "Concept"), vocabularies),
              ox.Quad(keyword, ox.NamedNode(SKOS + "prefLabel"), ox.Literal("丝绸之路", language="zh-Hans"), vocabularies),
              ox.Quad(keyword, ox.NamedNode(SKOS + "prefLabel"), ox.Literal("Silk Road", language="en"), vocabularies),
              ox.Quad(ox.NamedNode(BASE + "dataset"), RDF_TYPE, ox.NamedNode(str(VOID.Dataset)), meta),
              ox.Quad(ox.NamedNode(BASE + "dataset"), RDF_TYPE, ox.NamedNode(str(VOID.Dataset)), ox.DefaultGraph())]
    for library, lectures in libraries.items():
        own, derived = ox.NamedNode(M.graph(library)), ox.NamedNode(M.graph(library, "derived"))
        quads.append(ox.Quad(ox.NamedNode(M.library(library)), RDF_TYPE, ox.NamedNode(SCHEMA + "Library"), own))
        for n in range(lectures):
            lecture = ox.NamedNode(M.lecture(library, f"讲座-{n:03d}"))
            quads += [
                ox.Quad(lecture, RDF_TYPE, ox.NamedNode(SCHEMA + "VideoObject"), own),
                ox.Quad(lecture, ox.NamedNode(SCHEMA + "name"), ox.Literal(f"第{n}讲：“丝路” \"引号\"\n换行 \\ 😀", language="zh"), own),
                ox.Quad(lecture, ox.NamedNode(SCHEMA + "duration"), ox.Literal(f"PT{n + 1}M", datatype=ox.NamedNode(XSD + "duration")), own),
                ox.Quad(lecture, ox.NamedNode(SCHEMA + "position"), ox.Literal("1.50", datatype=ox.NamedNode(XSD + "decimal")), own),
                ox.Quad(lecture, ox.NamedNode(SCHEMA + "uploadDate"),
                        ox.Literal("2024-05-01T19:30:00Z", datatype=ox.NamedNode(XSD + "dateTime")), own),
                ox.Quad(lecture, ox.NamedNode(SCHEMA + "about"), keyword, derived),
                ox.Quad(ox.NamedNode(M.mention(library, f"讲座-{n:03d}", keyword.value, 12.5)),
                        ox.NamedNode("http://www.w3.org/ns/oa#hasTarget"), ox.NamedNode(f"{lecture.value}#t=12.5,20"), derived),
            ]
    return quads


def make_store(root: Path, libraries: dict[str, int]) -> Path:
    """A finished build of ``sample_quads`` in a store directory, as ``kg build`` leaves it."""
    directory = StoreDirectory(root)
    with directory.new_build("20260102T030405Z-0badcafe") as build:
        store = ox.Store(str(directory.database(build)))
        store.bulk_extend(sample_quads(libraries))
        store.flush()
        del store
        directory.finish(build, {"fingerprint": "feedfacecafebeef", "finished": FINISHED, "base_uri": BASE})
    return root


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> Path:
    return make_store(tmp_path_factory.mktemp("store"), {"nlc": 5, "shlib": 3})


@pytest.fixture(scope="module")
def dumped(store_dir, tmp_path_factory) -> tuple[ox.Store, Path, Manifest]:
    """(the store read-only, the dump's release directory, its manifest)."""
    report = run_dump(store_dir, tmp_path_factory.mktemp("dumps"), Settings(license=LICENSE))
    return StoreDirectory(store_dir).open_read_only(), report.release, report.manifest


def key(term) -> tuple:
    """A term as comparable plain data (rdflib or pyoxigraph alike); blank nodes are refused."""
    if isinstance(term, (rdflib.BNode, ox.BlankNode)):
        raise AssertionError(f"unexpected blank node {term}")
    if isinstance(term, rdflib.Literal):
        datatype = str(term.datatype) if term.datatype else (str(rdflib.RDF.langString) if term.language else XSD + "string")
        return ("literal", str(term), datatype, (term.language or "").lower())
    if isinstance(term, ox.Literal):  # through rdflib's Literal, which normalises lexical forms the same way
        plain = term.language or term.datatype.value == XSD + "string"
        return key(rdflib.Literal(term.value, lang=term.language, datatype=None if plain else term.datatype.value))
    return ("iri", str(term) if isinstance(term, rdflib.URIRef) else term.value)


def store_quads(store: ox.Store, graphs: list[str]) -> set[tuple]:
    found = set()
    for name in graphs:
        graph = ox.NamedNode(name) if name else ox.DefaultGraph()
        found |= {(key(q.subject), key(q.predicate), key(q.object), name) for q in store.quads_for_pattern(None, None, None, graph)}
    return found


def parsed_quads(path: Path, media_type: str, graph: str | None) -> set[tuple]:
    """The file read back by rdflib; ``graph`` names the graph a triple format stands for."""
    dataset = rdflib.Dataset()
    with gzip.open(path, "rb") as data:
        dataset.parse(data, format=FORMATS[media_type])
    default = str(rdflib.graph.DATASET_DEFAULT_GRAPH_ID)
    return {(key(s), key(p), key(o), graph if graph is not None else ("" if str(g) == default else str(g)))
            for s, p, o, g in dataset.quads()}


def test_dump_writes_every_file_with_the_size_and_sha256_its_manifest_says(dumped):
    store, release, manifest = dumped
    names = {f.name for f in manifest.files}
    assert names == {"opencourse-kg.nq.gz", "opencourse-kg.jsonld.gz", "void.ttl", "library.nlc.nq.gz", "default-graph.ttl.gz",
                     "library.shlib.nq.gz", "graph.meta.ttl.gz", "graph.vocabularies.ttl.gz", "graph.nlc.ttl.gz",
                     "graph.nlc.derived.ttl.gz", "graph.shlib.ttl.gz", "graph.shlib.derived.ttl.gz"}
    assert sorted(p.name for p in release.iterdir()) == sorted(names | {"manifest.json"})
    for entry in manifest.files:
        data = (release / entry.name).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry.bytes, entry.sha256)
    on_disk = Manifest.from_json((release / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk == manifest
    assert manifest.stamp == BuildStamp("20260102T030405Z-0badcafe", "feedfacecafebeef", FINISHED, BASE)
    assert manifest.file("opencourse-kg.nq.gz").triples == len(store)
    assert DumpDirectory(release.parents[1]).release() == release


def test_every_dump_reads_back_with_rdflib_as_exactly_what_the_store_holds(dumped):
    store, release, manifest = dumped
    for entry in manifest.files:
        if entry.name == "void.ttl":
            continue
        graph = entry.graphs[0] if entry.media_type == "text/turtle" else None
        back = parsed_quads(release / entry.name, entry.media_type, graph)
        expected = store_quads(store, list(entry.graphs))
        assert back == expected, entry.name  # no blank nodes (key() refuses them): set equality is isomorphism
        assert len(back) == entry.triples
    whole = manifest.file("opencourse-kg.nq.gz")
    assert whole.graphs == ("", *sorted(g.value for g in store.named_graphs()))


def test_turtle_dumps_are_isomorphic_graphs_by_rdflib_compare_too(dumped):
    store, release, manifest = dumped
    from rdflib.compare import isomorphic

    for entry in (f for f in manifest.files if f.media_type == "text/turtle" and f.compress_format):
        back = rdflib.Graph()
        with gzip.open(release / entry.name, "rb") as data:
            back.parse(data, format="turtle")
        graph = ox.NamedNode(entry.graphs[0]) if entry.graphs[0] else ox.DefaultGraph()
        expected = rdflib.Graph().parse(data=ox.serialize(
            (q.triple for q in store.quads_for_pattern(None, None, None, graph)), format=ox.RdfFormat.N_TRIPLES), format="nt")
        assert isomorphic(back, expected), entry.name


def test_a_library_dump_holds_its_two_graphs_and_nothing_else(dumped):
    store, release, manifest = dumped
    nlc, shlib = manifest.file("library.nlc.nq.gz"), manifest.file("library.shlib.nq.gz")
    assert nlc.graphs == (M.graph("nlc"), M.graph("nlc", "derived"))
    assert shlib.graphs == (M.graph("shlib"), M.graph("shlib", "derived"))
    back = parsed_quads(release / nlc.name, nlc.media_type, None)
    assert {q[3] for q in back} == {M.graph("nlc"), M.graph("nlc", "derived")}
    assert not any("shlib" in q[0][1] for q in back)
    assert back == store_quads(store, [M.graph("nlc"), M.graph("nlc", "derived")])


def test_void_states_the_triple_counts_sizes_and_checksums(dumped):
    store, release, manifest = dumped
    description = rdflib.Graph().parse(release / "void.ttl", format="turtle")
    dataset = rdflib.URIRef(BASE + "dataset")
    value = lambda s, p: description.value(s, p)  # noqa: E731
    assert int(value(dataset, VOID.triples)) == len(store)
    assert value(dataset, VOID.sparqlEndpoint) == rdflib.URIRef(BASE + "sparql")
    assert str(value(dataset, VOID.uriSpace)) == BASE
    assert value(dataset, DCT.license) == rdflib.URIRef(LICENSE)
    assert value(dataset, DCT.modified) == rdflib.Literal(FINISHED, datatype=rdflib.XSD.dateTime)
    examples = set(description.objects(dataset, VOID.exampleResource))
    assert 0 < len(examples) <= 3
    lectures = {q.subject.value for q in store.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(SCHEMA + "VideoObject"))}
    assert {str(e) for e in examples} <= lectures
    counts = void.graph_triples(store)
    assert counts[ox.DefaultGraph()] == 1
    for graph, triples in counts.items():
        subset = rdflib.URIRef(getattr(graph, "value", BASE + "dataset#default-graph"))
        assert int(value(subset, VOID.triples)) == triples
        assert (dataset, VOID.subset, subset) in description
    library = rdflib.URIRef(BASE + "dataset#library-nlc")
    assert int(value(library, VOID.triples)) == counts[ox.NamedNode(M.graph("nlc"))] + counts[ox.NamedNode(M.graph("nlc", "derived"))]
    for entry in (f for f in manifest.files if f.part):
        node = rdflib.URIRef(f"{BASE}dumps/#{entry.name}")
        download = rdflib.URIRef(f"{BASE}dumps/{entry.name}")
        assert (rdflib.URIRef(entry.part), VOID.dataDump, download) in description
        assert (rdflib.URIRef(entry.part), DCAT.distribution, node) in description
        assert value(node, DCAT.downloadURL) == download
        size = value(node, DCAT.byteSize)
        assert size.datatype == rdflib.XSD.nonNegativeInteger and int(size) == entry.bytes
        assert value(node, DCAT.mediaType) == rdflib.URIRef(void.IANA + entry.media_type)
        assert value(node, DCAT.compressFormat) == rdflib.URIRef(void.IANA + "application/gzip")
        checksum = value(node, SPDX.checksum)
        assert value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(value(checksum, SPDX.checksumValue)) == entry.sha256


def test_without_dumps_the_description_comes_from_the_store_alone(dumped):
    store, _, _ = dumped
    stamp = BuildStamp("b", "feedfacecafebeef", FINISHED, BASE)
    description = rdflib.Graph().parse(data=void.serialize(void.describe(store, stamp, LICENSE)), format="turtle")
    assert int(description.value(rdflib.URIRef(BASE + "dataset"), VOID.triples)) == len(store)
    assert not list(description.triples((None, DCAT.distribution, None)))
    assert not list(description.triples((None, VOID.dataDump, None)))


def test_dumping_the_same_build_again_gives_the_same_bytes(store_dir, dumped, tmp_path):
    _, _, manifest = dumped
    again = run_dump(store_dir, tmp_path / "again", Settings(license=LICENSE)).manifest
    assert {f.name: f.sha256 for f in again.files if f.part} == {f.name: f.sha256 for f in manifest.files if f.part}


def test_a_failed_dump_leaves_the_previous_one_current(tmp_path, monkeypatch):
    store_dir = make_store(tmp_path / "store", {"nlc": 2})
    out = tmp_path / "dumps"
    first = run_dump(store_dir, out, Settings())

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(void, "describe", broken)
    with pytest.raises(OSError):
        run_dump(store_dir, out, Settings())
    directory = DumpDirectory(out)
    assert directory.release() == first.release and directory.manifest() == first.manifest
    assert not list(out.glob(".tmp-*")) and sorted(p.name for p in (out / "releases").iterdir()) == [first.release.name]


def test_only_one_dump_runs_at_a_time(tmp_path):
    store_dir = make_store(tmp_path / "store", {"nlc": 1})
    out = tmp_path / "dumps"
    out.mkdir()
    with (out / ".lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(DumpError, match="another dump"):
            run_dump(store_dir, out, Settings())


def test_a_store_without_a_build_cannot_be_dumped(tmp_path):
    with pytest.raises(StoreError, match="kg build"):
        run_dump(tmp_path / "nothing", tmp_path / "dumps", Settings())
    assert not (tmp_path / "dumps" / "current").exists()


def test_only_published_regular_files_are_looked_up(dumped, tmp_path):
    _, release, manifest = dumped
    directory = DumpDirectory(release.parents[1])
    assert directory.lookup("manifest.json") == (release / "manifest.json", None)
    assert directory.lookup("void.ttl") == (release / "void.ttl", manifest.file("void.ttl"))
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    (release / "evil.nq.gz").symlink_to(outside)
    try:
        listed = json.loads((release / "manifest.json").read_text())
        listed["files"].append({**listed["files"][0], "name": "evil.nq.gz"})
        (release / "manifest.json").write_text(json.dumps(listed))
        for name in ("evil.nq.gz", "../../store/current/build.json", "..", ".", "/etc/passwd", ".lock", "current",
                     "releases", "manifest.json/..", "", "graph.nlc.ttl", "a\x00b"):
            with pytest.raises(NotPublished):
                directory.lookup(name)
    finally:
        (release / "manifest.json").write_text(manifest.to_json())
        (release / "evil.nq.gz").unlink()


def test_writing_a_file_keeps_python_memory_flat_as_the_store_grows(tmp_path):
    """Peak Python allocations while streaming 4k vs 40k quads (full figures: ``python -m bench.dump``)."""
    peaks = []
    for size in (2_000, 20_000):
        store = ox.Store(str(tmp_path / f"s{size}"))
        graph = ox.NamedNode(M.graph("nlc"))
        store.bulk_extend(ox.Quad(ox.NamedNode(M.lecture("nlc", str(i))), ox.NamedNode(SCHEMA + "name"),
                                  ox.Literal(f"讲座 {i}", language="zh"), graph) for i in range(size))
        tracemalloc.start()
        write_file(store, (graph,), ox.RdfFormat.N_QUADS, tmp_path / f"s{size}.nq.gz", "x")
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < peaks[0] * 1.5 + 64 * 1024, peaks
