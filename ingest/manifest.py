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
line.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
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


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | ManifestError]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        yield 0, ManifestError(path, f"not UTF-8 (byte {error.start})", expected="a UTF-8 manifest")
        return
    except OSError as error:
        raise ManifestError(path, f"cannot read: {error.strerror}") from None
    if path.suffix == ".csv":
        reader = csv.DictReader(text.splitlines())
        for row in reader:
            yield reader.line_num, {k.strip(): v for k, v in row.items() if k is not None and v not in (None, "")}
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            yield number, ManifestError(path, f"invalid JSON: {error.msg} at column {error.colno}",
                                        position=f"line {number}", expected="one JSON object per line")
            continue
        if not isinstance(row, dict):
            yield number, ManifestError(path, f"a JSON {type(row).__name__}, not an object",
                                        position=f"line {number}", expected="one JSON object per line")
            continue
        yield number, row


def lecture_from_row(row: dict[str, Any] | ManifestError, path: Path, line: int, default_library: str) -> Lecture:
    """Validate one manifest row. Raises ManifestError naming the field."""
    if isinstance(row, ManifestError):
        raise row
    field = _FieldReader(row, path, line)
    lecture_id = field.text("id", required=True)
    if "/" in lecture_id or _CONTROL.search(lecture_id) or len(lecture_id) > 200:
        raise field.error("id", f"{lecture_id!r} is not a usable id", "1–200 characters without '/' or control characters")
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
    target = (root / relative).resolve()
    if Path(relative).is_absolute() or not target.is_relative_to(root):
        raise field.error("subtitles", f"{relative!r} points outside the source folder", "a path relative to the manifest")
    if not target.is_file():
        raise field.error("subtitles", f"file {relative!r} does not exist", "an existing subtitle file")
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
            raise self.error(name, f"a {type(value).__name__}", "a string")
        return value.strip()

    def pattern(self, name: str, pattern: re.Pattern[str], expected: str) -> str | None:
        value = self.text(name)
        if value is not None and not pattern.fullmatch(value):
            raise self.error(name, f"{value!r} is not accepted", expected)
        return value

    def names(self, name: str) -> tuple[str, ...]:
        value = self.row.get(name)
        if value is None or value == "":
            return ()
        if isinstance(value, str):
            value = json.loads(value) if value.startswith("[") else value.split("|")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(name, f"a {type(value).__name__}", "a list of names (CSV: names separated by '|')")
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
        raise self.error(name, f"{value!r} is not a date", "ISO 8601, e.g. 2024-05-01 or 2024-05-01T19:30:00+08:00")

    def duration(self, name: str) -> float | None:
        value = self.row.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value.strip()):
            value = float(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return float(value)
        match = _DURATION.fullmatch(value) if isinstance(value, str) else None
        if not match or value in ("P", "PT"):
            raise self.error(name, f"{value!r} is not a duration", "seconds (e.g. 754) or ISO 8601 (e.g. PT12M34S)")
        parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
        return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]

    def url(self, name: str) -> str | None:
        value = self.text(name)
        if value is not None and not re.fullmatch(r"https?://[^\s<>\"]+", value):
            raise self.error(name, f"{value!r} is not a URL", "an http(s) URL")
        return value

    def codec(self, name: str) -> str | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            return codecs.lookup(value).name
        except LookupError:
            raise self.error(name, f"unknown encoding {value!r}", "utf-8, utf-16, gb18030, gbk, big5") from None
