"""Published sources: uploads checked before a build, kept inside each build, carried by every later build."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import analysis, publications
from kg.pipeline import BuildInput, build
from kg.publications import DeleteLecture, PublishError, stage_holdings, stage_lecture
from kg.settings import Settings
from kg.store import StoreDirectory

ROOT = Path(__file__).resolve().parents[2]
SRT = "1\n00:00:01,000 --> 00:00:04,000\n敦煌莫高窟的壁画是佛教艺术的宝库。\n\n2\n00:00:05,000 --> 00:00:09,000\n壁画里的飞天形象广为人知。\n"
LIMIT = 1_000_000


def _stage(root: Path, record: object = None, subtitles: bytes = SRT.encode("gb18030"), name: str = "a.srt",
           lecture: str = "dh-01"):
    data = json.dumps({"title": "敦煌壁画"} if record is None else record, ensure_ascii=False).encode()
    return stage_lecture(root, "sh-lib", lecture, data, subtitles, name, LIMIT)


@pytest.mark.parametrize("record, subtitles, name, where, says", [
    ({"title": "x", "date": "去年"}, SRT.encode(), "a.srt", "record:line 1", "field 'date'"),
    ({"title": "x", "id": "other"}, SRT.encode(), "a.srt", "record", "differs from the URL"),
    ({"title": "x", "library": "gz-lib"}, SRT.encode(), "a.srt", "record", "differs from the URL"),
    ([1, 2], SRT.encode(), "a.srt", "record", "not a JSON object"),
    ({"speakers": ["某"]}, SRT.encode(), "a.srt", "record:line 1", "field 'title'"),
    ({"title": "x"}, SRT.encode(), "a.docx", "subtitles", "*.srt"),
    ({"title": "x"}, b"\x00\x01binary\xff" * 40, "upload.srt", "upload.srt", ""),
    ({"title": "x"}, b"x" * (LIMIT + 1), "a.srt", "subtitles", "too large"),
])
def test_bad_uploads_name_the_part_and_field_and_leave_nothing_staged(tmp_path, record, subtitles, name, where, says):
    with pytest.raises(PublishError) as caught:
        _stage(tmp_path, record, subtitles, name)
    described = caught.value.describe()
    assert described.startswith(where) and says in described, described
    assert str(tmp_path) not in described  # no server paths
    assert not any((tmp_path / publications.INCOMING).glob("*/*"))


def test_a_good_upload_is_staged_with_who_and_when(tmp_path):
    change = _stage(tmp_path)
    assert change.cues == 2 and change.library == "sh-lib"
    document = json.loads((change.staged / "record.json").read_text(encoding="utf-8"))
    assert document["record"]["id"] == "dh-01" and document["record"]["library"] == "sh-lib"
    assert document["published"]["by"] == "sh-lib" and len(document["published"]["sha256"]) == 64


def test_holdings_uploads_must_read_whole(tmp_path):
    good = stage_holdings(tmp_path, "sh-lib", (ROOT / "tests/data/holdings/marc21.mrc").read_bytes(), "books.mrc", LIMIT)
    assert good.records >= 1
    for fixture, where in (("generic.csv", "books.csv:line 3"), ("broken_leader.mrc", "books.mrc")):
        with pytest.raises(PublishError) as caught:  # one bad record refuses the upload: it lands whole or not at all
            stage_holdings(tmp_path, "sh-lib", (ROOT / "tests/data/holdings" / fixture).read_bytes(),
                           "books" + Path(fixture).suffix, LIMIT)
        assert caught.value.describe().startswith(where) and str(tmp_path) not in caught.value.describe()


def _titles(store: StoreDirectory) -> dict[str, str]:
    rows = store.open_read_only().query(
        "SELECT ?s ?t WHERE { ?s a <http://schema.org/VideoObject> ; <http://schema.org/name> ?t }",
        use_default_graph_as_union=True)
    return {row["s"].value.rsplit("/", 1)[1]: row["t"].value for row in rows}


def test_published_lectures_are_carried_by_every_build_until_deleted(tmp_path):
    settings = Settings(store=tmp_path / "store", workers=1)
    store = StoreDirectory(settings.store)
    build(BuildInput(ROOT / "data", changes=(_stage(settings.store),)), settings)
    first = store.current.resolve()
    assert _titles(store)["dh-01"] == "敦煌壁画"
    stamp = list(store.open_read_only().quads_for_pattern(
        None, ox.NamedNode("http://www.w3.org/ns/prov#wasAttributedTo"), ox.NamedNode(settings.base_uri + "library/sh-lib")))
    assert len(stamp) == 1

    build(BuildInput(ROOT / "data"), settings)  # a batch build of the main station: the publication stays
    second = store.current.resolve()
    assert second != first and _titles(store)["dh-01"] == "敦煌壁画"
    kept = sorted((second / "published/sh-lib/lectures").iterdir())
    assert [os.stat(p).st_ino for p in kept] == [os.stat(first / p.relative_to(second)).st_ino for p in kept]  # links

    build(BuildInput(ROOT / "data", changes=(DeleteLecture("sh-lib", "dh-01"),)), settings)
    assert "dh-01" not in _titles(store) and len(_titles(store)) == 18


def test_a_rebuild_reads_only_the_lectures_that_changed(tmp_path, monkeypatch):
    settings = Settings(store=tmp_path / "store", workers=1)
    build(BuildInput(ROOT / "data"), settings)
    read = []
    original = analysis.read_subtitles
    monkeypatch.setattr(analysis, "read_subtitles", lambda path, **kw: read.append(path.name) or original(path, **kw))
    build(BuildInput(ROOT / "data"), settings)
    assert read == []  # every analysis from the cache
    change = _stage(settings.store)
    build(BuildInput(ROOT / "data", changes=(change,)), settings)
    assert read == [publications.key("dh-01") + ".srt"]  # only the new lecture
    entries = list((settings.store / "cache" / "analyses").iterdir())
    assert len(entries) == 19  # one per lecture of the current build, nothing else kept
