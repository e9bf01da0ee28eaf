"""Write the bad-input fixtures of ``subtitles/`` and ``manifests/`` that are derived from other fixtures.

Run: ``.venv/bin/python tests/data/make_bad_inputs.py``; the output is deterministic.
``tests/ingest/test_bad_input_corpus.py`` walks them (and others) and says what each one gets.

Subtitles, made by joining the real-encoding fixtures ``utf8_bom.srt``, ``gb18030.srt``
and ``utf16le_bom.srt`` the way careless tools join files:

- ``mixed_utf8_gb18030.srt``     cues 1-2 in UTF-8, cues 3-4 in GB 18030 (a GBK snippet pasted into a UTF-8 file)
- ``joined_gb18030_utf8bom.srt`` the whole GB 18030 file, then the whole UTF-8 file with its BOM (a BOM in the middle)
- ``joined_utf8_utf16.srt``      the UTF-8 file (no BOM), then the UTF-16 LE file with its BOM
- ``bom_only.srt``               nothing but a UTF-8 BOM
- ``whitespace_only.srt``        nothing but spaces, tabs and line ends

Manifests (``manifests/``; every row names ``subs/lecture.srt``, a copy of ``subtitles/overlap.srt``):

- ``duplicate_ids.jsonl``  ``a1`` twice, ``a2`` once
- ``missing_fields.jsonl`` a row without id, one without title, one without subtitles, one good
- ``wrong_types.jsonl``    speakers 5, date "yesterday", duration "abc", title a list, one good
- ``escaping_paths.jsonl`` ``../../etc/passwd``, ``/etc/passwd``, a NUL byte, one good
- ``broken_json.jsonl``    a good row, a cut-off row, a JSON list, a good row
- ``not_utf8.jsonl``       a good row, a row with a GB 18030 title, a good row
- ``empty.jsonl``          0 bytes
- ``utf16.csv``            a CSV saved as "Unicode text" (UTF-16 with BOM)
- ``bad_rows.csv``         good, duplicate id, no title, duration -5, good
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

HERE = Path(__file__).parent
SUBTITLES = HERE / "subtitles"
MANIFESTS = HERE / "manifests"


def _cues(data: str, first: int, last: int) -> str:
    """Cues ``first``..``last`` (1-based) of an SRT text, blank-line separated."""
    blocks = data.replace("\r\n", "\n").strip().split("\n\n")
    return "\n\n".join(blocks[first - 1:last]) + "\n\n"


def write_subtitles() -> None:
    utf8 = (SUBTITLES / "utf8_bom.srt").read_bytes().removeprefix(codecs.BOM_UTF8)
    gb = (SUBTITLES / "gb18030.srt").read_bytes()
    utf16 = (SUBTITLES / "utf16le_bom.srt").read_bytes()
    mixed = _cues(utf8.decode("utf-8"), 1, 2).encode("utf-8") + _cues(gb.decode("gb18030"), 3, 4).encode("gb18030")
    (SUBTITLES / "mixed_utf8_gb18030.srt").write_bytes(mixed)
    (SUBTITLES / "joined_gb18030_utf8bom.srt").write_bytes(gb + (SUBTITLES / "utf8_bom.srt").read_bytes())
    (SUBTITLES / "joined_utf8_utf16.srt").write_bytes(utf8 + utf16)
    (SUBTITLES / "bom_only.srt").write_bytes(codecs.BOM_UTF8)
    (SUBTITLES / "whitespace_only.srt").write_bytes(b" \r\n\t\n  \n")


def _jsonl(name: str, rows: list) -> None:
    lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
    (MANIFESTS / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_manifests() -> None:
    (MANIFESTS / "subs").mkdir(parents=True, exist_ok=True)
    (MANIFESTS / "subs" / "lecture.srt").write_bytes((SUBTITLES / "overlap.srt").read_bytes())
    good = {"id": "a1", "title": "图书馆的历史", "subtitles": "subs/lecture.srt"}
    _jsonl("duplicate_ids.jsonl", [good, dict(good, title="另一讲"), dict(good, id="a2")])
    _jsonl("missing_fields.jsonl", [{"title": "无编号", "subtitles": "subs/lecture.srt"},
                                    {"id": "a2", "subtitles": "subs/lecture.srt"},
                                    {"id": "a3", "title": "无字幕"}, good])
    _jsonl("wrong_types.jsonl", [dict(good, id="a2", speakers=5), dict(good, id="a3", date="yesterday"),
                                 dict(good, id="a4", duration="abc"), dict(good, id="a5", title=["讲座"]), good])
    _jsonl("escaping_paths.jsonl", [dict(good, id="a2", subtitles="../../etc/passwd"),
                                    dict(good, id="a3", subtitles="/etc/passwd"),
                                    dict(good, id="a4", subtitles="subs/lecture.srt\x00.txt"), good])
    _jsonl("broken_json.jsonl", [good, '{"id": "a2", "title": "讲座", "subtitles": "subs/lec', '["a3"]',
                                 dict(good, id="a4")])
    row = json.dumps(dict(good, id="a2", title="国标码标题"), ensure_ascii=False).encode("gb18030")
    (MANIFESTS / "not_utf8.jsonl").write_bytes(
        json.dumps(good, ensure_ascii=False).encode() + b"\n" + row + b"\n"
        + json.dumps(dict(good, id="a3"), ensure_ascii=False).encode() + b"\n")
    (MANIFESTS / "empty.jsonl").write_bytes(b"")
    (MANIFESTS / "utf16.csv").write_bytes("id,title,subtitles\r\na1,讲座,subs/lecture.srt\r\n".encode("utf-16"))
    (MANIFESTS / "bad_rows.csv").write_text(
        "id,title,subtitles,duration\n"
        "c1,讲座一,subs/lecture.srt,90\n"
        "c1,讲座一重复,subs/lecture.srt,\n"
        "c2,,subs/lecture.srt,\n"
        "c3,讲座三,subs/lecture.srt,-5\n"
        "c4,\"讲座四，\n两行标题\",subs/lecture.srt,PT1H\n", encoding="utf-8")


if __name__ == "__main__":
    write_subtitles()
    write_manifests()
