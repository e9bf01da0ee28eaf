"""The lecture manifest: ``lectures.jsonl`` and/or ``lectures.csv`` in a source folder.

Fields (the README documents them for users):

=============  ========  =====================================================
field          required  accepted
=============  ========  =====================================================
id             yes       the source's stable id: 1–200 characters, no control
                         characters, no ``/``
title          yes       text
subtitles      yes       path relative to the manifest, inside the source folder
speakers                 JSON list of names; in CSV ``|``-separated
series                   text
date                     ISO 8601 date or date-time (``2024-05-01``)
duration                 seconds (number) or ISO 8601 duration (``PT1H2M30S``)
video                    http(s) URL
library                  library id ``[a-z0-9][a-z0-9_-]*`` (not ``vocabularies`` or
                         ``meta``: shared graphs); default from settings
description              text
language                 BCP 47 tag, default ``zh``
encoding                 codec name overriding detection (``gb18030``, ``big5``…)
=============  ========  =====================================================

A bad row does not stop the others: ``read_manifest`` returns the lectures it
could read and one ``ManifestError`` per row it skipped, each naming file and
line (a CSV row by its first line). Manifests are UTF-8 (BOM allowed); a line
with other bytes is an error of that row only (naming the byte offset), a
UTF-16 file one error for the file. Rows end at ``\n`` (or ``\r\n``) only:
U+2028 and other Unicode line separators are text. A manifest without any row
is an error too, so an empty export does not pass unnoticed.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import math
import re
from pathlib import Path
from typing import Any, Iterator

from ingest.errors import ManifestError
from ingest.records import Lecture

MANIFEST_NAMES = ("lectures.jsonl", "lectures.csv")
FIELDS = (
    "id", "title", "speakers", "series", "date", "duration", "video", "subtitles",
    "library", "description", "language", "encoding",
)
_LIBRARY = re.compile(r"(?!(?:vocabularies|meta)$)[a-z0-9][a-z0-9_-]{0,63}")  # graph names taken by shared graphs
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
_DURATION = re.compile(
    r"P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
Row = dict[str, Any] | ManifestError


def find_manifests(source: Path) -> list[Path]:
    """The manifest files of a source folder (or the file itself).

    Raises ManifestError when there is none.
    """
    if source.is_file():
        return [source]
    found = [source / name for name in MANIFEST_NAMES if (source / name).is_file()]
    if not found:
        raise ManifestError(source, "no lecture manifest found", expected=" or ".join(MANIFEST_NAMES))
    return found


def read_manifest(source: Path, default_library: str) -> tuple[list[Lecture], list[ManifestError]]:
    """Read every manifest of ``source``; duplicate ids are errors on their later rows."""
    lectures: list[Lecture] = []
    problems: list[ManifestError] = []
    seen: dict[tuple[str, str], str] = {}
    for path in find_manifests(source):
        for line, row in _rows(path):
            try:
                lecture = lecture_from_row(row, path, line, default_library)
            except ManifestError as error:
                problems.append(error)
                continue
            key = (lecture.library, lecture.id)
            if key in seen:
                problems.append(ManifestError(path, f"duplicate id {lecture.id!r} (first at {seen[key]})",
                                              position=f"line {line}", expected="ids unique per library"))
                continue
            seen[key] = lecture.source
            lectures.append(lecture)
    return lectures, problems


def _rows(path: Path) -> Iterator[tuple[int, Row]]:
    """(line, row or the ManifestError of that line) for each row; a file without rows is one error."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ManifestError(path, f"cannot read: {error.strerror}") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        yield 1, ManifestError(path, "the file is UTF-16 (it starts with a UTF-16 byte-order mark)",
                               position="line 1, byte 0", expected="a UTF-8 manifest (save it as UTF-8)")
        return
    lines = _decoded_lines(data.removeprefix(codecs.BOM_UTF8), path)
    rows = _csv_rows(path, lines) if path.suffix == ".csv" else _json_rows(path, lines)
    empty = True
    for number, row in rows:
        empty = False
        yield number, row
    if empty:
        yield 1, ManifestError(path, "the manifest has no rows", position="line 1",
                               expected="one JSON object per line" if path.suffix != ".csv"
                               else "a header row and one row per lecture")


def _decoded_lines(data: bytes, path: Path) -> list[tuple[str, ManifestError | None]]:
    """Each line of ``data`` as text, with the error naming its first non-UTF-8 byte if it has one."""
    lines: list[tuple[str, ManifestError | None]] = []
    offset = 0
    for number, raw in enumerate(data.split(b"\n"), start=1):
        raw = raw.removesuffix(b"\r")
        try:
            lines.append((raw.decode("utf-8"), None))
        except UnicodeDecodeError as error:
            lines.append((raw.decode("utf-8", "replace"), ManifestError(
                path, f"not UTF-8: byte 0x{raw[error.start]:02x}", position=f"line {number}, byte {offset + error.start}",
                expected="a UTF-8 manifest")))
        offset += len(raw) + 1
    if lines and lines[-1] == ("", None):
        lines.pop()
    return lines


def _json_rows(path: Path, lines: list[tuple[str, ManifestError | None]]) -> Iterator[tuple[int, Row]]:
    expected = "one JSON object per line"
    for number, (line, problem) in enumerate(lines, start=1):
        if problem is not None:
            yield number, problem
            continue
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            yield number, ManifestError(path, f"invalid JSON: {error.msg} (column {error.colno})",
                                        position=f"line {number}", expected=expected)
            continue
        except (ValueError, RecursionError) as error:  # a number of over 4300 digits, nesting too deep
            yield number, ManifestError(path, f"invalid JSON: {str(error)[:80]}", position=f"line {number}",
                                        expected=expected)
            continue
        if not isinstance(row, dict):
            yield number, ManifestError(path, f"{_kind(row)}, not an object", position=f"line {number}",
                                        expected=expected)
            continue
        yield number, row


def _csv_rows(path: Path, lines: list[tuple[str, ManifestError | None]]) -> Iterator[tuple[int, Row]]:
    """Rows of a CSV manifest, numbered by their first line; a row with undecodable bytes or broken
    quoting is an error and the rows after it are still read."""
    reader = csv.DictReader(line + "\n" for line, _ in lines)
    last = 1  # the line the previous row (or the header) ended on
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            last = reader.line_num + 1  # the line being read when it failed, not yet counted
            yield last, ManifestError(path, f"CSV cannot be read: {error}", position=f"line {last}",
                                      expected="comma-separated cells, quoted when they hold commas or newlines")
            continue
        first, last = last + 1, reader.line_num
        while first < last and not lines[first - 1][0].strip():  # blank lines before the row
            first += 1
        problem = next((lines[n - 1][1] for n in range(first, last + 1) if lines[n - 1][1] is not None), None)
        yield first, problem or {k.strip(): v for k, v in row.items() if isinstance(k, str) and isinstance(v, str) and v}


def _kind(value: Any) -> str:
    """``value``'s JSON type, for messages: "a number", "a list", "true/false"…"""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"a number ({value!r:.40})"
    return {dict: "an object", list: "a list", str: "a string", type(None): "null"}.get(type(value), type(value).__name__)


def lecture_from_row(row: dict[str, Any] | ManifestError, path: Path, line: int, default_library: str) -> Lecture:
    """Validate one manifest row. Raises ManifestError naming the field."""
    if isinstance(row, ManifestError):
        raise row
    field = _FieldReader(row, path, line)
    lecture_id = field.text("id", required=True)
    if "/" in lecture_id or _CONTROL.search(lecture_id) or len(lecture_id) > 200:
        raise field.error("id", f"{lecture_id!r:.80} is not a usable id", "1–200 characters without '/' or control characters")
    return Lecture(
        id=lecture_id,
        title=field.text("title", required=True),
        subtitles=_subtitle_path(field, path),
        library=field.pattern("library", _LIBRARY, "a library id like 'nlc' or 'sh-lib' (not 'vocabularies' or 'meta')")
        or default_library,
        speakers=field.names("speakers"),
        series=field.text("series"),
        date=field.date("date"),
        duration=field.duration("duration"),
        video=field.url("video"),
        description=field.text("description"),
        language=field.pattern("language", _LANGUAGE, "a BCP 47 tag like 'zh' or 'zh-Hant'") or "zh",
        encoding=field.codec("encoding"),
        source=f"{path.name}:{line}",
    )


def _subtitle_path(field: "_FieldReader", manifest: Path) -> Path:
    relative = field.text("subtitles", required=True)
    root = manifest.parent.resolve()
    try:
        target = (root / relative).resolve()
        is_file = target.is_file()
    except (OSError, ValueError, RuntimeError) as error:  # NUL byte, name too long, symlink loop
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)[:80]
        raise field.error("subtitles", f"{relative!r:.80} cannot be used as a path ({reason})",
                          "a path relative to the manifest") from None
    if Path(relative).is_absolute() or not target.is_relative_to(root):
        raise field.error("subtitles", f"{relative!r:.80} points outside the source folder", "a path relative to the manifest")
    if not is_file:
        raise field.error("subtitles", f"file {relative!r:.80} does not exist", "an existing subtitle file")
    return target


class _FieldReader:
    """Typed access to one row's fields; every failure names file, line and field."""

    def __init__(self, row: dict[str, Any], path: Path, line: int) -> None:
        self.row, self.path, self.line = row, path, line

    def error(self, name: str, message: str, expected: str) -> ManifestError:
        return ManifestError(self.path, f"field {name!r}: {message}", position=f"line {self.line}", expected=expected)

    def text(self, name: str, required: bool = False) -> Any:
        value = self.row.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and name == "id":
            value = str(value)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.error(name, "missing", "a non-empty string")
            return None
        if not isinstance(value, str):
            raise self.error(name, _kind(value), "a string")
        return value.strip()

    def pattern(self, name: str, pattern: re.Pattern[str], expected: str) -> str | None:
        value = self.text(name)
        if value is not None and not pattern.fullmatch(value):
            raise self.error(name, f"{value!r:.80} is not accepted", expected)
        return value

    def names(self, name: str) -> tuple[str, ...]:
        value = self.row.get(name)
        if value is None or value == "":
            return ()
        expected = "a list of names (CSV: names separated by '|')"
        if isinstance(value, str) and value.startswith("["):
            try:
                value = json.loads(value)
            except (ValueError, RecursionError):
                raise self.error(name, f"{value[:80]!r} is not a JSON list", expected) from None
        elif isinstance(value, str):
            value = value.split("|")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(name, _kind(value) if not isinstance(value, list) else "a list with non-text items", expected)
        return tuple(v.strip() for v in value if v.strip())

    def date(self, name: str) -> str | None:
        value = self.text(name)
        if value is None:
            return None
        for parse in (dt.date.fromisoformat, dt.datetime.fromisoformat):
            try:
                parse(value)
                return value
            except ValueError:
                pass
        raise self.error(name, f"{value!r:.80} is not a date", "ISO 8601, e.g. 2024-05-01 or 2024-05-01T19:30:00+08:00")

    def duration(self, name: str) -> float | None:
        value = self.row.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value.strip()):
            value = float(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            seconds = float(value) if value < 1e15 else math.inf  # 30 million years; keeps float() from overflowing
            if math.isfinite(seconds):
                return seconds
        match = _DURATION.fullmatch(value) if isinstance(value, str) else None
        parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()} if match else {}
        seconds = parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"] if parts else math.inf
        if value in ("P", "PT") or not math.isfinite(seconds):
            shown = f"{value!r:.80}" if isinstance(value, str) else _kind(value)
            raise self.error(name, f"{shown} is not a duration", "seconds (e.g. 754) or ISO 8601 (e.g. PT12M34S)")
        return seconds

    def url(self, name: str) -> str | None:
        value = self.text(name)
        if value is not None and not re.fullmatch(r"https?://[^\s<>\"]+", value):
            raise self.error(name, f"{value!r:.80} is not a URL", "an http(s) URL")
        return value

    def codec(self, name: str) -> str | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            return codecs.lookup(value).name
        except (LookupError, ValueError):
            raise self.error(name, f"unknown encoding {value!r:.80}", "utf-8, utf-16, gb18030, gbk, big5") from None
