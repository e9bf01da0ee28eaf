"""The bad-input tour: every kind of broken input, what it gets, and that the rest is still read.

Each case names a file (a fixture in tests/data, a file of ../shared/datasets/marc_edge_cases,
or one made in tmp_path from them: a 10 MB line, a symlink, a corrupted real MARC file), the
reader, the good records expected from it, and the messages expected: error class, position
and a fragment of the message. A message must be one line naming the file (and the position
where the problem has one) and what is accepted; no other exception may escape.

``pytest -s tests/ingest/test_bad_input_corpus.py -k tour`` prints the tour: each bad input
and the message it got.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingest.errors import EncodingError, HoldingsError, InputError, ManifestError, SubtitleError
from ingest.holdings import read_holdings
from ingest.manifest import read_manifest
from ingest.subtitles import read_subtitles

DATA = Path(__file__).parents[1] / "data"
SUBTITLES, MANIFESTS, HOLDINGS = DATA / "subtitles", DATA / "manifests", DATA / "holdings"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "datasets"
EDGE = SHARED / "marc_edge_cases"


@dataclass(frozen=True)
class Case:
    what: str                                 # the kind of bad input, as the issue lists it
    file: Callable[[Path], Path]              # tmp_path → the file to read
    reader: str                               # "subtitles", "manifest" or "holdings"
    messages: tuple[tuple[type[InputError], str | None, str], ...]  # (class, position, message fragment)
    good: int = 0                             # records still read from the same file
    shared: bool = False                      # needs ../shared/datasets


def fixture(folder: Path, name: str) -> Callable[[Path], Path]:
    return lambda tmp_path: folder / name


def ten_megabyte_line(tmp_path: Path) -> Path:
    path = tmp_path / "one_line.srt"  # no line break, no timing line: read as a plain transcript
    path.write_text("我们今天讲一讲图书馆的历史和未来，" * 200_000, encoding="utf-8")
    return path


def ten_megabyte_cue(tmp_path: Path) -> Path:
    path = tmp_path / "huge_cue.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:02,000\n" + "图书馆" * 1_200_000 + "\n\n"
                    "2\n00:00:03,000 --> 00:00:02,000\n倒着的时间\n", encoding="utf-8")
    return path


def ten_megabyte_manifest_line(tmp_path: Path) -> Path:
    source = copy_manifest(tmp_path, "duplicate_ids.jsonl")
    with source.open("a", encoding="utf-8") as handle:
        handle.write('{"id": "big", "title": "' + "长" * 3_500_000 + "\n")  # ~10 MB, never closed
    return source


def copy_manifest(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / "source"
    shutil.copytree(MANIFESTS / "subs", folder / "subs", dirs_exist_ok=True)
    shutil.copy(MANIFESTS / name, folder / "lectures.jsonl")
    return folder / "lectures.jsonl"


def symlink_outside(tmp_path: Path) -> Path:
    manifest = copy_manifest(tmp_path, "duplicate_ids.jsonl")
    outside = tmp_path / "outside.srt"
    outside.write_bytes((SUBTITLES / "overlap.srt").read_bytes())
    os.symlink(outside, manifest.parent / "subs" / "link.srt")
    with manifest.open("a", encoding="utf-8") as handle:
        handle.write('{"id": "linked", "title": "链接", "subtitles": "subs/link.srt"}\n')
    return manifest


def corrupted_marc(tmp_path: Path) -> Path:
    """pymarc's test.dat (10 records): record 2's length and record 5's directory broken, record 10 cut off."""
    data = bytearray((EDGE / "test.dat").read_bytes())
    starts, offset = [], 0
    while offset < len(data):
        starts.append(offset)
        offset += int(data[offset:offset + 5])
    data[starts[1]:starts[1] + 5] = b"0x2z1"
    data[starts[4] + 24:starts[4] + 27] = b"2$5"  # the first directory entry's tag
    path = tmp_path / "test_corrupted.dat"
    path.write_bytes(bytes(data[:starts[9] + 100]))
    return path


CASES = {
    # --- subtitles --------------------------------------------------------------------------------
    "truncated subtitle (cut in a cue)": Case("truncated", fixture(SUBTITLES, "truncated.srt"), "subtitles", (), 2),
    "truncated subtitle (cut in a timing line)": Case(
        "truncated", fixture(SUBTITLES, "bad_timestamp.srt"), "subtitles",
        ((SubtitleError, "line 6", "not a valid timing line"),)),
    "binary file named .srt": Case(
        "binary", fixture(SUBTITLES, "binary.srt"), "subtitles", ((EncodingError, "byte 6", "binary data"),)),
    "invalid UTF-8 byte": Case(
        "wrong encoding", fixture(SUBTITLES, "invalid_utf8.srt"), "subtitles",
        ((EncodingError, "byte 150", "not valid utf-8"),)),
    "Shift-JIS (not an accepted encoding)": Case(
        "wrong encoding", fixture(SUBTITLES, "shift_jis.srt"), "subtitles", ((EncodingError, "byte 36", "nonsense"),)),
    "GB18030 cues pasted into a UTF-8 file": Case(
        "mixed encodings", fixture(SUBTITLES, "mixed_utf8_gb18030.srt"), "subtitles",
        ((EncodingError, "byte 217", "another encoding (GBK?) mixed in"),)),
    "UTF-16 file joined to a UTF-8 file": Case(
        "mixed encodings", fixture(SUBTITLES, "joined_utf8_utf16.srt"), "subtitles",
        ((EncodingError, "byte 387", "turns into UTF-16 at byte 387 (line 16)"),)),
    "BOM in the middle (UTF-8 text)": Case("BOM in the middle", fixture(SUBTITLES, "bom_in_middle.srt"), "subtitles", (), 5),
    "BOM in the middle (UTF-8 file joined to a GB18030 file)": Case(
        "BOM in the middle", fixture(SUBTITLES, "joined_gb18030_utf8bom.srt"), "subtitles",
        ((EncodingError, "byte 305", "UTF-8 byte-order mark in the middle"),)),
    "overlapping cues": Case("overlapping cue times", fixture(SUBTITLES, "overlap.srt"), "subtitles", (), 3),
    "cue ending before it starts": Case(
        "backwards cue times", fixture(SUBTITLES, "end_before_start.srt"), "subtitles",
        ((SubtitleError, "line 6", "ends before it starts"),)),
    "time going backwards": Case(
        "backwards cue times", fixture(SUBTITLES, "backwards_time.srt"), "subtitles",
        ((SubtitleError, "line 10", "time goes backwards"),)),
    "10 MB single line": Case("10 MB single line", ten_megabyte_line, "subtitles", (), 28_572),
    "10 MB cue, then a backwards cue": Case(
        "10 MB single line", ten_megabyte_cue, "subtitles", ((SubtitleError, "line 6", "ends before it starts"),)),
    "empty file (0 bytes)": Case("empty", fixture(SUBTITLES, "empty.srt"), "subtitles",
                                 ((SubtitleError, None, "the file is empty"),)),
    "empty file (only a BOM)": Case("empty", fixture(SUBTITLES, "bom_only.srt"), "subtitles",
                                    ((SubtitleError, None, "the file is empty"),)),
    "empty file (only whitespace)": Case("empty", fixture(SUBTITLES, "whitespace_only.srt"), "subtitles",
                                         ((SubtitleError, None, "the file is empty"),)),
    # --- manifests --------------------------------------------------------------------------------
    "manifest: duplicate ids": Case(
        "duplicate ids", fixture(MANIFESTS, "duplicate_ids.jsonl"), "manifest",
        ((ManifestError, "line 2", "duplicate id 'a1' (first at duplicate_ids.jsonl:1)"),), 2),
    "manifest: missing fields": Case(
        "missing fields", fixture(MANIFESTS, "missing_fields.jsonl"), "manifest",
        ((ManifestError, "line 1", "'id': missing"), (ManifestError, "line 2", "'title': missing"),
         (ManifestError, "line 3", "'subtitles': missing")), 1),
    "manifest: wrong types": Case(
        "wrong types", fixture(MANIFESTS, "wrong_types.jsonl"), "manifest",
        ((ManifestError, "line 1", "'speakers': a number (5)"), (ManifestError, "line 2", "'yesterday' is not a date"),
         (ManifestError, "line 3", "'abc' is not a duration"), (ManifestError, "line 4", "'title': a list")), 1),
    "manifest: paths escaping the source folder": Case(
        "paths escaping the source folder", fixture(MANIFESTS, "escaping_paths.jsonl"), "manifest",
        ((ManifestError, "line 1", "'../../etc/passwd' points outside"), (ManifestError, "line 2", "'/etc/passwd' points outside"),
         (ManifestError, "line 3", "cannot be used as a path (embedded null byte)")), 1),
    "manifest: symlink pointing outside": Case(
        "paths escaping the source folder", symlink_outside, "manifest",
        ((ManifestError, "line 2", "duplicate id"), (ManifestError, "line 4", "'subs/link.srt' points outside")), 2),
    "manifest: broken JSON lines": Case(
        "wrong types", fixture(MANIFESTS, "broken_json.jsonl"), "manifest",
        ((ManifestError, "line 2", "invalid JSON: Unterminated string"), (ManifestError, "line 3", "a list, not an object")), 2),
    "manifest: a row not in UTF-8": Case(
        "wrong encodings", fixture(MANIFESTS, "not_utf8.jsonl"), "manifest",
        ((ManifestError, "line 2, byte 100", "not UTF-8"),), 2),
    "manifest: UTF-16 CSV": Case(
        "wrong encodings", fixture(MANIFESTS, "utf16.csv"), "manifest",
        ((ManifestError, "line 1, byte 0", "the file is UTF-16"),)),
    "manifest: empty file": Case(
        "empty", fixture(MANIFESTS, "empty.jsonl"), "manifest", ((ManifestError, "line 1", "the manifest has no rows"),)),
    "manifest: CSV with bad rows": Case(
        "duplicate ids", fixture(MANIFESTS, "bad_rows.csv"), "manifest",
        ((ManifestError, "line 3", "duplicate id 'c1'"), (ManifestError, "line 4", "'title': missing"),
         (ManifestError, "line 5", "'-5' is not a duration")), 2),
    "manifest: 10 MB line": Case(
        "10 MB single line", ten_megabyte_manifest_line, "manifest",
        ((ManifestError, "line 2", "duplicate id"), (ManifestError, "line 4", "invalid JSON: Unterminated string")), 2),
    # --- holdings ---------------------------------------------------------------------------------
    "MARC: broken leader": Case(
        "broken leaders", fixture(HOLDINGS, "broken_leader.mrc"), "holdings",
        ((HoldingsError, "record 1 at byte 0", "record length (leader/0-4) is b'01a3x'"),)),
    "MARC: broken directory": Case(
        "broken directories", fixture(HOLDINGS, "broken_directory.mrc"), "holdings",
        ((HoldingsError, "record 1 at byte 0", "directory entry 7 (field 245) points outside its field"),)),
    "MARC: bad record between good ones": Case(
        "broken leaders", fixture(HOLDINGS, "bad_between_good.mrc"), "holdings",
        ((HoldingsError, "record 2 at byte 1132", "leader says 525 bytes"),), 2),
    "MARC: not MARC at all": Case(
        "broken leaders", fixture(HOLDINGS, "not_marc.mrc"), "holdings", ((HoldingsError, None, "not MARC"),)),
    "MARC: pymarc 1251.dat (cp1251, not MARC-8)": Case(
        "broken encodings", lambda tmp_path: EDGE / "1251.dat", "holdings",
        tuple((HoldingsError, f"record {n} at byte {b}", "neither UTF-8 nor MARC-8")
              for n, b in [(1, 0), (2, 875), (3, 1697), (4, 2685), (5, 3488), (6, 4366)]), 0, True),
    "MARC: pymarc bad_eacc_encoding.dat (cut-off MARC-8 CJK)": Case(
        "broken encodings", lambda tmp_path: EDGE / "bad_eacc_encoding.dat", "holdings", (), 1, True),
    "MARC: pymarc batch.json (MARC-in-JSON)": Case(
        "broken leaders", lambda tmp_path: EDGE / "batch.json", "holdings",
        ((HoldingsError, None, "unknown extension '.json'"),), 0, True),
    "MARC: pymarc test.dat with a broken leader, directory and end": Case(
        "broken directories", corrupted_marc, "holdings",
        ((HoldingsError, "record 2 at byte", "record length (leader/0-4) is b'0x2z1'"),
         (HoldingsError, "record 5 at byte", "directory entry 1 is b'2$5"),
         (HoldingsError, "record 10 at byte", "without an end-of-record byte")), 7, True),
}


def outcome(case: Case, path: Path) -> tuple[int, list[InputError], tuple[str, ...]]:
    """(good records, errors, notes) from reading ``path``; only InputError may come out."""
    if case.reader == "subtitles":
        try:
            transcript = read_subtitles(path)
        except InputError as error:
            return 0, [error], ()
        return len(transcript.cues), [], transcript.notes
    if case.reader == "manifest":
        lectures, problems = read_manifest(path, "nlc")
        return len(lectures), list(problems), ()
    try:
        items = list(read_holdings(path))
    except HoldingsError as error:
        return 0, [error], ()
    errors = [item for item in items if isinstance(item, HoldingsError)]
    return len(items) - len(errors), errors, ()


def run(name: str, tmp_path: Path) -> list[str]:
    """Check one case; its messages (or what was read, when nothing is wrong enough to report)."""
    case = CASES[name]
    if case.shared and not EDGE.is_dir():
        pytest.skip(f"real datasets not found at {SHARED}")
    path = case.file(tmp_path)
    good, errors, notes = outcome(case, path)
    assert good == case.good, (name, good, [e.describe() for e in errors])
    assert len(errors) == len(case.messages), [e.describe() for e in errors]
    for error, (kind, position, fragment) in zip(errors, case.messages):
        text = error.describe()
        assert type(error) is kind and error.path == path and text.startswith(f"{path}:" if position else f"{path}: ")
        assert error.position == position or (position and error.position.startswith(position)), text
        assert fragment in error.message and error.expected, text
        assert "\n" not in text and len(text) < 600 and "Traceback" not in text
    if not errors:
        return [f"{path.name}: no error, {good} records read", *(f"  note: {note}" for note in notes)]
    return [error.describe().replace(str(path.parent) + os.sep, "") for error in errors]


@pytest.mark.parametrize("name", CASES)
def test_each_bad_input_gets_one_clear_message_and_the_rest_is_read(name, tmp_path, capfd):
    run(name, tmp_path)
    assert capfd.readouterr().err == ""  # nothing else said (pymarc's stderr reports, warnings, tracebacks)


def test_tour(tmp_path):
    """Walk every case and print what each bad input got (``pytest -s … -k tour``)."""
    lines = []
    for number, name in enumerate(CASES):
        case = CASES[name]
        if case.shared and not EDGE.is_dir():
            lines.append(f"- {name}: skipped (../shared/datasets absent)")
            continue
        folder = tmp_path / str(number)
        folder.mkdir()
        lines.append(f"- {name} [{case.what}]")
        lines += [f"    {message}" for message in run(name, folder)]
    print("\n" + "\n".join(lines))  # shown with pytest -s
    assert len(lines) > len(CASES)
