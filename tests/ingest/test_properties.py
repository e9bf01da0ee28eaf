"""Property-based tests: the subtitle and manifest parsers give records or the documented error.

Documented error: an ``InputError`` subclass (``EncodingError``, ``SubtitleError``,
``ManifestError``) naming the file and, where the problem has a place, the
position. No other exception may escape, whatever the input. Each property
stays under ~10 s (``max_examples`` below, measured on a shared 2-core machine).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.errors import EncodingError, InputError, ManifestError, SubtitleError
from ingest.manifest import FIELDS, read_manifest
from ingest.records import Lecture, Transcript
from ingest.subtitles import parse_subtitles, read_subtitles

FIXTURE = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def check_transcript(transcript: Transcript) -> None:
    assert transcript.cues and transcript.format in ("srt", "vtt", "txt")
    for cue in transcript.cues:
        assert 0 <= cue.start <= cue.end and math.isfinite(cue.end)
        assert cue.text.strip()
    assert [c.start for c in transcript.cues] == sorted(c.start for c in transcript.cues)


def check_error(error: InputError, path: Path) -> None:
    assert error.path == path
    text = error.describe()
    assert text.startswith(str(path)) and "\n" not in text and len(text) < 1000


# --- subtitles: SRT / WebVTT shapes with random timecodes -----------------------------------

sixty = st.integers(0, 59).map(lambda n: f"{n:02d}")
valid_stamp = st.builds(lambda h, m, s, sep, ms: f"{h:02d}:{m}:{s}{sep}{ms:03d}",
                        st.integers(0, 2), sixty, sixty, st.sampled_from([",", "."]), st.integers(0, 999))
odd_stamp = st.one_of(
    st.builds(lambda h, m, s, ms: f"{h}:{m:02d}:{s:02d},{ms}", st.integers(0, 10**8), st.integers(0, 99),
              st.integers(0, 99), st.integers(0, 9999)),
    st.builds(lambda m, s, ms: f"{m}:{s}.{ms:03d}", sixty, sixty, st.integers(0, 999)),
    st.text(alphabet="0123456789:,.", max_size=14),
)
stamp = st.one_of(valid_stamp, valid_stamp, valid_stamp, odd_stamp)
arrow = st.one_of(st.just(" --> "), st.just(" --> "), st.sampled_from(["-->", " -> ", " —> ", "\t-->\t", " --> --> "]))
timing = st.builds(lambda a, arr, b, rest: a + arr + b + rest, stamp, arrow, stamp,
                   st.sampled_from(["", " align:start position:10%", " X1:100 X2:200", "  "]))
payload = st.one_of(
    st.sampled_from(["你好。", "讲的是", "量子力学！", "<i>字幕</i>", "{\\an8}上方", "[音乐]", "♪", "&amp;",
                     "<v 甲>对话", "NOTE 注释", "WEBVTT", "1", "42", "", " ", "\ufeff", "\x00", "-->"]),
    st.text(max_size=12),
)
block = st.builds(lambda number, t, lines: "\n".join([*number, t, *lines]),
                  st.lists(st.integers(0, 999).map(str), max_size=1), timing, st.lists(payload, max_size=3))
document = st.builds(
    lambda header, blocks, newline, blank: header + (blank + newline).join(b.replace("\n", newline) for b in blocks),
    st.sampled_from(["", "WEBVTT\n\n", "WEBVTT - 标题\nKind: captions\n\n", "\ufeff"]),
    st.lists(block, max_size=12),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.sampled_from(["\n", "", "\n\n"]),
)



def _stamp(millis: int, separator: str) -> str:
    return f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d}{separator}{millis % 1000:03d}"


def _ordered(cues: list[tuple[int, int, list[str]]], vtt: bool) -> str:
    """A well-formed file: cues in time order with random payload."""
    lines, now = ["WEBVTT", ""] if vtt else [], 0
    for number, (gap, length, text) in enumerate(cues, start=1):
        now += gap
        lines += [str(number), f"{_stamp(now, '.' if vtt else ',')} --> {_stamp(now + length, '.' if vtt else ',')}",
                  *text, ""]
    return "\n".join(lines)


ordered_document = st.builds(
    _ordered, st.lists(st.tuples(st.integers(0, 9000), st.integers(0, 9000), st.lists(payload, max_size=3)),
                       max_size=10),
    st.booleans())


@settings(max_examples=500, deadline=None)
@given(st.one_of(document, ordered_document), st.sampled_from(["talk.srt", "talk.vtt", "talk.txt", "talk"]))
def test_srt_and_vtt_shaped_text_gives_cues_or_a_subtitle_error(text, name):
    path = Path(name)
    try:
        transcript = parse_subtitles(text, path)
    except SubtitleError as error:
        check_error(error, path)
        return
    check_transcript(transcript)


@settings(FIXTURE, max_examples=300)
@given(document, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "gb18030", "big5"]),
       st.binary(max_size=8), st.floats(0, 1))
def test_encoded_documents_with_stray_bytes_read_or_raise_an_input_error(tmp_path, text, codec, stray, where):
    data = text.encode(codec, errors="replace")
    cut = int(where * len(data))
    data = data[:cut] + stray + data[cut:]  # a stray byte sequence anywhere: truncation, mixing, binary
    path = tmp_path / "any.srt"
    path.write_bytes(data)
    try:
        transcript = read_subtitles(path)
    except (EncodingError, SubtitleError) as error:
        check_error(error, path)
        return
    check_transcript(transcript)


@settings(FIXTURE, max_examples=300)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_read_or_raise_an_input_error(tmp_path, data):
    path = tmp_path / "any.vtt"
    path.write_bytes(data)
    try:
        transcript = read_subtitles(path)
    except (EncodingError, SubtitleError) as error:
        check_error(error, path)
        return
    check_transcript(transcript)


# --- manifests: arbitrary JSON values per field, arbitrary CSV text --------------------------

json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20),
              st.sampled_from(["subs/a.srt", "../a.srt", "/etc/passwd", "subs", "subs/a\x00.srt", "2024-05-01",
                               "PT1H", "P", "https://x.org/v", "[\"甲\"]", "[broken", "gbk", "nlc", "zh-Hant"])),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.text(max_size=5), children, max_size=3)),
    max_leaves=6,
)
row = st.dictionaries(st.sampled_from([*FIELDS, "extra"]), json_value, max_size=len(FIELDS))


def source(folder: Path) -> Path:
    (folder / "subs").mkdir(exist_ok=True)
    (folder / "subs" / "a.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\n你好\n", encoding="utf-8")
    for name in ("lectures.jsonl", "lectures.csv"):
        (folder / name).unlink(missing_ok=True)
    return folder


def check_manifest(folder: Path) -> tuple[list[Lecture], list[ManifestError]]:
    try:
        lectures, problems = read_manifest(folder, "nlc")
    except ManifestError as error:  # only for a folder without manifest
        raise AssertionError(error.describe()) from None
    for problem in problems:
        assert isinstance(problem, ManifestError) and problem.position and problem.position.startswith("line ")
        assert problem.expected and "\n" not in problem.describe()
    for lecture in lectures:
        assert lecture.id and lecture.title and lecture.subtitles.is_file()
        assert lecture.duration is None or (math.isfinite(lecture.duration) and lecture.duration >= 0)
        assert lecture.subtitles.is_relative_to(folder.resolve())
    assert len({(lecture.library, lecture.id) for lecture in lectures}) == len(lectures)
    return lectures, problems


@settings(FIXTURE, max_examples=300)
@given(st.lists(st.one_of(row, st.just({"id": "x", "title": "t", "subtitles": "subs/a.srt"}), json_value),
                min_size=1, max_size=5))
def test_any_json_values_give_lectures_or_manifest_errors(tmp_path, rows):
    folder = source(tmp_path)
    text = "\n".join(json.dumps(r, ensure_ascii=False, allow_nan=True) for r in rows) + "\n"
    (folder / "lectures.jsonl").write_text(text, encoding="utf-8")
    lectures, problems = check_manifest(folder)
    assert len(lectures) + len(problems) == len(rows)  # one outcome per row


@settings(FIXTURE, max_examples=300)
@given(st.lists(st.lists(st.one_of(st.text(max_size=12), st.sampled_from(["subs/a.srt", "x", "", "\"", "a,b", "甲|乙"])),
                         min_size=1, max_size=5), max_size=6),
       st.permutations(["id", "title", "subtitles", "speakers", "duration"]))
def test_any_csv_cells_give_lectures_or_manifest_errors(tmp_path, cells, header):
    folder = source(tmp_path)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(cells)
    (folder / "lectures.csv").write_text(buffer.getvalue(), encoding="utf-8")
    check_manifest(folder)


@settings(FIXTURE, max_examples=300)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)),
       st.sampled_from(["lectures.jsonl", "lectures.csv"]))
def test_any_manifest_bytes_give_lectures_or_manifest_errors(tmp_path, data, name):
    folder = source(tmp_path)
    (folder / name).write_bytes(b"id,title,subtitles\n" + data if name.endswith(".csv") else data)
    check_manifest(folder)
