"""The change feed: two real builds of a small source, then what ``record_build`` makes of them."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pyoxigraph as ox
import pytest

from kg.feed import FEED, Feed, FeedError, digests, iterate, record_build
from kg.pipeline import BuildInput, build
from kg.settings import Settings
from tests.kg.test_pipeline import ROOT, small_source

BASE = "http://127.0.0.1:8000/"
LECTURE = BASE + "lecture/{}/{}"


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory) -> dict:
    """Build 1: lunyu, daodejing, kunqu (nlc) and three holdings; build 2: kunqu retitled, daodejing gone,
    a lecture of another library (sh-lib) added, lunyu and the holdings unchanged."""
    folder = tmp_path_factory.mktemp("feed")
    store = folder / "store"
    source = small_source(folder)
    settings = Settings(store=store, workers=1, keep_builds=5)
    first = build(BuildInput(source), settings).build
    rows = [json.loads(line) for line in (source / "lectures.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r["id"] != "daodejing"]
    for row in rows:
        if row["id"] == "kunqu":
            row["title"] = "昆曲六百年（修订）"
    shutil.copy(ROOT / "data" / "subtitles" / "tangshi-01.vtt", source / "subs" / "tangshi.vtt")
    rows.append({"id": "tangshi", "title": "唐诗的盛世气象", "subtitles": "subs/tangshi.vtt", "library": "sh-lib"})
    (source / "lectures.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    second = build(BuildInput(source), settings).build
    return {"store": store, "first": first, "second": second}


def test_digests_cover_lectures_and_holdings_of_library_graphs_only(two_builds):
    found = digests(ox.Store.read_only(str(two_builds["first"] / "oxigraph")), BASE)
    lectures = {iri for iri, r in found.items() if r.kind == "lecture"}
    assert lectures == {LECTURE.format("nlc", i) for i in ("lunyu", "daodejing", "kunqu")}
    holdings = {iri for iri, r in found.items() if r.kind == "holding"}
    assert len(holdings) == 3 and all(iri.startswith(BASE + "holding/nlc/") for iri in holdings)
    assert all(len(r.digest) == 64 and r.library == "nlc" for r in found.values())


def test_digest_is_the_sha256_of_the_sorted_nquads_of_the_resource_in_its_library_graph(two_builds):
    import hashlib

    store = ox.Store.read_only(str(two_builds["first"] / "oxigraph"))
    lecture = LECTURE.format("nlc", "lunyu")
    graph = ox.NamedNode(BASE + "graph/nlc")
    lines = sorted(f"{q} ." for q in store.quads_for_pattern(None, None, None, graph)
                   if isinstance(q.subject, ox.NamedNode) and q.subject.value.split("#")[0] == lecture)
    assert digests(store, BASE)[lecture].digest == hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def test_first_build_creates_everything_and_recording_twice_changes_nothing(two_builds, tmp_path):
    root = tmp_path / "root"
    first = record_build(root, None, two_builds["first"], BASE, "2026-01-01T00:00:00Z")
    assert (first.created, first.updated, first.deleted) == (6, 0, 0)
    assert (first.first, first.last, first.position) == (1, 6, 6)
    again = record_build(root, None, two_builds["first"], BASE, "2026-01-01T00:00:00Z")
    assert again == first
    feed = Feed(root)
    assert feed.total() == 6 and feed.position(two_builds["first"].name) == 6
    activities = list(iterate(feed))
    assert [a.id for a in activities] == list(range(1, 7))
    assert {a.type for a in activities} == {"Create"} and {a.build for a in activities} == {two_builds["first"].name}
    assert {a.published for a in activities} == {"2026-01-01T00:00:00Z"}


def test_second_build_updates_deletes_and_creates_only_what_changed(two_builds, tmp_path):
    root = tmp_path / "root"
    record_build(root, None, two_builds["first"], BASE, "2026-01-01T00:00:00Z")
    second = record_build(root, two_builds["first"], two_builds["second"], BASE, "2026-02-01T00:00:00Z")
    assert (second.created, second.updated, second.deleted) == (1, 1, 1)
    assert (second.first, second.last, second.position) == (7, 9, 9)
    changes = {(a.type, a.object, a.library) for a in Feed(root).page(1) if a.build == two_builds["second"].name}
    assert changes == {("Update", LECTURE.format("nlc", "kunqu"), "nlc"),
                       ("Delete", LECTURE.format("nlc", "daodejing"), "nlc"),
                       ("Create", LECTURE.format("sh-lib", "tangshi"), "sh-lib")}
    deleted = next(a for a in Feed(root).page(1) if a.type == "Delete")
    assert deleted.digest is None and deleted.published == "2026-02-01T00:00:00Z"
    assert record_build(root, two_builds["first"], two_builds["second"], BASE, "2026-02-01T00:00:00Z") == second
    assert Feed(root).total() == 9


def test_each_library_has_its_own_positions_and_stable_pages(two_builds, tmp_path):
    root = tmp_path / "root"
    record_build(root, None, two_builds["first"], BASE, "2026-01-01T00:00:00Z")
    record_build(root, two_builds["first"], two_builds["second"], BASE, "2026-02-01T00:00:00Z")
    feed = Feed(root, page_size=4)
    assert (feed.total("nlc"), feed.total("sh-lib"), feed.total("other")) == (8, 1, 0)
    assert feed.pages() == 3 and feed.pages("nlc") == 2 and feed.pages("other") == 0
    assert [a.id for a in feed.page(3)] == [9] and feed.page(4) == []
    assert [a.library_position for a in feed.page(2, "nlc")] == [5, 6, 7, 8]
    only = feed.page(1, "sh-lib")
    assert len(only) == 1 and only[0].library_position == 1 and only[0].type == "Create"


def test_a_feed_started_late_first_records_the_previous_build_as_created(two_builds, tmp_path):
    root = tmp_path / "late"
    recorded = record_build(root, two_builds["first"], two_builds["second"], BASE, "2026-02-01T00:00:00Z")
    assert (recorded.created, recorded.updated, recorded.deleted) == (1, 1, 1)
    feed = Feed(root)
    assert feed.position(two_builds["first"].name) == 6 and feed.position(two_builds["second"].name) == 9
    alive: set[str] = set()
    for activity in iterate(feed):  # replaying the feed gives the resources of the current build
        (alive.discard if activity.type == "Delete" else alive.add)(activity.object)
    assert alive == set(digests(ox.Store.read_only(str(two_builds["second"] / "oxigraph")), BASE))


def test_a_failed_recording_leaves_the_feed_as_it_was(two_builds, tmp_path):
    root = tmp_path / "root"
    with pytest.raises(OSError):
        record_build(root, two_builds["first"], tmp_path / "no-such-build", BASE, "2026-02-01T00:00:00Z")
    assert Feed(root).total() == 0 and Feed(root).position(two_builds["first"].name) is None
    record_build(root, None, two_builds["first"], BASE, "2026-01-01T00:00:00Z")
    assert Feed(root).total() == 6


def test_an_unreadable_log_is_a_feed_error(tmp_path):
    (tmp_path / FEED).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(FeedError):
        Feed(tmp_path).total()
    assert Feed(tmp_path / "absent").total() == 0 and Feed(tmp_path / "absent").page(1) == []


def test_the_log_survives_as_plain_sqlite(two_builds, tmp_path):
    root = tmp_path / "root"
    record_build(root, None, two_builds["first"], BASE, "2026-01-01T00:00:00Z")
    with sqlite3.connect(root / FEED) as db:
        assert db.execute("SELECT COUNT(*) FROM resources").fetchone()[0] == 6
        assert db.execute("SELECT build, position FROM builds").fetchall() == [(two_builds["first"].name, 6)]


def test_kg_build_records_its_changes_in_the_stores_own_feed(two_builds):
    activities = list(iterate(Feed(two_builds["store"])))
    first = [(a.type, a.object) for a in activities if a.build == two_builds["first"].name]
    second = {(a.type, a.object) for a in activities if a.build == two_builds["second"].name}
    assert len(first) == 6 and {t for t, _ in first} == {"Create"}
    assert second == {("Update", LECTURE.format("nlc", "kunqu")), ("Delete", LECTURE.format("nlc", "daodejing")),
                      ("Create", LECTURE.format("sh-lib", "tangshi"))}
    assert Feed(two_builds["store"]).position(two_builds["second"].name) == len(activities) == 9


def test_a_resource_with_hash_parts_is_digested_whole_whatever_the_order_of_its_subjects():
    """Subjects are read one group at a time; a lecture met again under a hash part is digested from all of them."""
    import hashlib

    store, graph = ox.Store(), ox.NamedNode(BASE + "graph/nlc")
    lecture, name = LECTURE.format("nlc", "lunyu"), ox.NamedNode("http://schema.org/name")
    subjects = [lecture + "#b", lecture, lecture + "#a"] + [BASE + f"holding/nlc/{n}" for n in range(20)]
    store.extend(ox.Quad(ox.NamedNode(s), name, ox.Literal(f"{s} {n}"), graph) for s in subjects for n in range(3))
    store.add(ox.Quad(ox.NamedNode(lecture), name, ox.Literal("elsewhere"), ox.NamedNode(BASE + "graph/sh-lib")))
    found = digests(store, BASE)
    lines = sorted(f"{q} ." for s in subjects[:3] for q in store.quads_for_pattern(ox.NamedNode(s), None, None, graph))
    assert len(lines) == 9 and found[lecture].digest == hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
    assert len(found) == 21 and found[lecture].library == "nlc"
