"""The streaming build: work on every core, per-lecture spills, N-Quads bulk-loaded in batches."""

from __future__ import annotations

import os
from pathlib import Path

import pyoxigraph as ox
import pytest

from ingest.knowledge import KnowledgeMatcher
from ingest.manifest import read_manifest
from ingest.segmenter import Segmenter
from kg import analysis, pipeline
from kg import workers as workers_module
from kg.pipeline import BuildInput, BuildReport, build
from kg.settings import Settings
from kg.store import StoreDirectory, bulk_load

ROOT = Path(__file__).resolve().parents[2]
EX = "http://example.org/"


def _quads(count: int) -> list[ox.Quad]:
    graph = ox.NamedNode(EX + "g")
    return [ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.Literal(f"值 \"{i}\"\n", language="zh"), graph)
            for i in range(count)]


def test_bulk_load_in_small_batches_gives_the_same_store_as_one_load():
    quads = _quads(500)
    chunks = [ox.serialize(quads[i:i + 7], format=ox.RdfFormat.N_QUADS) for i in range(0, len(quads), 7)]
    batched, whole = ox.Store(), ox.Store()
    bulk_load(batched, chunks, batch=100)  # many batches
    whole.bulk_extend(quads)
    assert set(batched) == set(whole) and len(batched) == 500


def test_bulk_load_of_nothing_leaves_the_store_empty():
    store = ox.Store()
    bulk_load(store, [])
    assert len(store) == 0


def _square(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


@pytest.mark.parametrize("workers", [1, 2])
def test_work_on_every_core_keeps_the_order_of_the_items(workers):
    results = list(workers_module.on_every_core(_square, range(20), workers))
    assert [square for square, _ in results] == [n * n for n in range(20)]
    processes = {pid for _, pid in results}
    assert (processes == {os.getpid()}) if workers == 1 else (os.getpid() not in processes)


def test_spilled_analyses_read_back_as_the_ones_kept_in_memory(tmp_path):
    lectures, _ = read_manifest(ROOT / "data", "nlc")
    lectures = sorted(lectures, key=lambda lecture: lecture.id)[:3]
    segmenter = Segmenter()
    matcher = KnowledgeMatcher([], segmenter)
    report = BuildReport(store=tmp_path)
    kept = analysis.analyse_all(lectures, segmenter, matcher, 1, report, lambda *a: None)
    spill = workers_module.Spill(tmp_path / "spill")
    spilled = analysis.analyse_all(lectures, segmenter, matcher, 2, report, lambda *a: None, spill)
    assert len(list(spill.folder.iterdir())) == 2 * len(lectures)
    for memory, disk in zip(kept, spilled):
        assert disk.counts is None and disk.transcript.cues == ()  # the parent holds no cues, no counts
        assert disk.full_transcript() == memory.transcript and disk.cues == len(memory.transcript.cues)
        assert disk.term_counts().cues == memory.counts.cues and disk.terms == tuple(memory.counts.cues)
    ranked = analysis.rank_all(spilled, {}, 5, workers=2)
    assert [a.keywords for a in ranked] == [a.keywords for a in analysis.rank_all(kept, {}, 5)]


def test_a_finished_build_keeps_no_spill_and_a_failed_load_keeps_the_previous_store(tmp_path, monkeypatch):
    store = StoreDirectory(tmp_path / "store")
    build(BuildInput(ROOT / "data"), Settings(store=store.root, workers=2))
    current = store.current.resolve()
    assert not (current / "spill").exists() and (current / "build.json").is_file()
    before = {str(q) for q in store.open_read_only()}

    def broken(store, chunks, batch=0):
        next(iter(chunks))
        raise OSError("disk full")

    monkeypatch.setattr(pipeline, "bulk_load", broken)
    with pytest.raises(OSError, match="disk full"):
        build(BuildInput(ROOT / "data"), Settings(store=store.root, workers=2))
    assert store.current.resolve() == current
    assert {str(q) for q in store.open_read_only()} == before
    assert [p for p in (store.root / "builds").iterdir()] == [current]  # the failed build and its spill are gone


def test_the_load_describes_holdings_in_bounded_slices_and_forgets_the_corpus_after():
    """However large the catalogue, no load task's N-Quads grow with it; every record is described once."""
    from ingest.records import Holding
    from kg.describe import Describer
    from kg.uris import Minter

    holdings = [Holding(id=f"h{i:05d}", title=f"书名 {i}", format="marc21", source=f"x.mrc#record {i}",
                        creators=(f"作者 {i}",), library="nlc" if i % 2 else "")
                for i in range(2 * analysis.HOLDINGS_PER_TASK + 17)]
    minter = Minter(EX)
    describer = Describer(minter, minter.activity("f"), holdings_library="nlc")
    chunks = list(analysis.nquads(lambda: iter(()), holdings, "nlc", [], [], describer, workers=2))
    assert len(chunks) == 1 + 3  # the shared quads, then three slices of holdings
    per_record = max(len(chunk) for chunk in chunks[1:]) / analysis.HOLDINGS_PER_TASK
    assert per_record < 2_000  # bytes of N-Quads per record: each slice is bounded by HOLDINGS_PER_TASK
    store = ox.Store()
    bulk_load(store, chunks)
    titles = {q.subject.value: q.object.value for q in store.quads_for_pattern(None, ox.NamedNode("http://schema.org/name"), None)}
    assert titles == {minter.holding("nlc", h.id): h.title for h in holdings}
    assert analysis._WORKER == {}  # the stage's table does not keep the holdings alive after it
