"""What libraries publish over HTTP: lecture and holdings files kept inside each build, carried to the next.

Layout inside a build directory (``builds/<id>/``)::

    published/<lib>/lectures/<key>.json      {"record": the manifest record as validated,
                                              "published": {"by", "at", "activity", "sha256", "filename"}}
    published/<lib>/lectures/<key>.<ext>     its subtitle file, byte for byte as uploaded (.srt .vtt .txt)
    published/<lib>/holdings/<sha>.<ext>     an uploaded holdings file (.mrc .xml .csv …), byte for byte

``<key>`` is the SHA-256 of the lecture id cut to 32 hex digits (an id may
hold any character but ``/``), ``<sha>`` that of the holdings file.

**The published sources belong to the build.** Each build starts from the
current build's ``published/`` (hard links: nothing is copied), applies the
changes it was asked for (``PutLecture``, ``DeleteLecture``,
``AddHoldings``), reads them with the readers of a batch source folder, and
is swapped in together with them. The store and the sources it was made
from therefore change at once: a publish that fails or is killed changes
neither, and a batch ``kg build`` of the main station keeps every branch
library's lectures.

Uploads are checked before a build is asked for (``stage_lecture``,
``stage_holdings``): sizes, the record by the manifest's rules, the subtitle
file by the subtitle readers, the holdings by the holdings readers. Each
failure is a ``PublishError`` (an ``InputError``) naming the part of the
upload and the field, line or byte, and what is accepted; server paths never
appear in it. Staged uploads wait in ``{store root}/incoming/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Union

from ingest.errors import HoldingsError, InputError
from ingest.holdings import read_holdings
from ingest.manifest import lecture_from_row
from ingest.records import Lecture
from ingest.subtitles import read_subtitles
from kg.libraries import validate_id

FOLDER = "published"
INCOMING = "incoming"
SUBTITLE_SUFFIXES = (".srt", ".vtt", ".txt")
HOLDINGS_SUFFIXES = (".mrc", ".iso", ".marc", ".dat", ".xml", ".marcxml", ".csv")
MAX_RECORD_BYTES = 64 * 1024


class PublishError(InputError):
    """An upload that cannot be published; ``path`` names the part of the upload, never a server path."""

    kind = "publish"


@dataclass(frozen=True)
class Stamp:
    """Who published a lecture, when, and what (the PROV-O of the write)."""

    by: str  # library id
    at: str  # ISO 8601 UTC
    activity: str  # unique id of this publication
    sha256: str  # of the subtitle file
    filename: str  # as uploaded


@dataclass(frozen=True)
class PutLecture:
    library: str
    id: str
    staged: Path  # folder with record.json and the subtitle file
    cues: int = 0


@dataclass(frozen=True)
class DeleteLecture:
    library: str
    id: str


@dataclass(frozen=True)
class AddHoldings:
    library: str
    staged: Path  # the uploaded file
    records: int = 0


Change = Union[PutLecture, DeleteLecture, AddHoldings]


@dataclass
class Published:
    """What a build's ``published/`` folder holds, read."""

    lectures: list[Lecture]
    stamps: dict[tuple[str, str], Stamp]
    holdings: list[tuple[str, Path]]  # (library, file)
    problems: list[InputError]


def key(lecture_id: str) -> str:
    return hashlib.sha256(lecture_id.encode("utf-8")).hexdigest()[:32]


# --- checking uploads -------------------------------------------------------------------------


def stage_lecture(root: Path, library: str, lecture_id: str, record: bytes, subtitles: bytes, filename: str,
                  max_bytes: int) -> PutLecture:
    """Check an upload and keep it in ``{root}/incoming/`` for a build. Raises PublishError saying what is accepted."""
    validate_id(library)
    row = _record(record, library, lecture_id)
    suffix = _checked_file("subtitles", filename, subtitles, max_bytes, SUBTITLE_SUFFIXES, "a file named *.srt, *.vtt or *.txt")
    staged = _incoming(root)
    subtitle_name = key(lecture_id) + suffix
    (staged / subtitle_name).write_bytes(subtitles)
    stamp = Stamp(library, _now(), f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{secrets.token_hex(4)}",
                  hashlib.sha256(subtitles).hexdigest(), Path(filename).name[:200])
    document = {"record": {**row, "subtitles": subtitle_name}, "published": stamp.__dict__}
    (staged / "record.json").write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    try:
        lecture = _lecture(staged / "record.json", library)
        transcript = read_subtitles(lecture.subtitles, encoding=lecture.encoding, duration=lecture.duration)
    except InputError as error:
        shutil.rmtree(staged, ignore_errors=True)
        raise _upload_error(error, staged, filename) from None
    if not transcript.cues:
        shutil.rmtree(staged, ignore_errors=True)
        raise PublishError(filename, "the subtitle file has no text", expected="at least one cue or line of text")
    return PutLecture(library, lecture_id, staged, len(transcript.cues))


def stage_holdings(root: Path, library: str, data: bytes, filename: str, max_bytes: int) -> AddHoldings:
    """Check an uploaded holdings file (every record must read) and keep it for a build. Raises PublishError."""
    validate_id(library)
    suffix = _checked_file("file", filename, data, max_bytes, HOLDINGS_SUFFIXES,
                           "MARC21/UNIMARC (*.mrc, *.iso, *.marc, *.dat), MARCXML (*.xml), CSV (*.csv)")
    staged = _incoming(root)
    path = staged / (hashlib.sha256(data).hexdigest()[:32] + suffix)
    path.write_bytes(data)
    records, problems = 0, []
    try:
        for item in read_holdings(path):
            if isinstance(item, HoldingsError):
                problems.append(item)
            else:
                records += 1
    except InputError as error:
        problems.append(error)
    if problems or not records:
        shutil.rmtree(staged, ignore_errors=True)
        if not problems:
            raise PublishError(filename, "the file holds no records", expected="at least one book record")
        raise _upload_error(problems[0], staged, filename, more=len(problems) - 1) from None
    return AddHoldings(library, path, records)


def discard(change: Change) -> None:
    """Remove a change's staged upload (after its build, whatever the outcome)."""
    if isinstance(change, PutLecture):
        shutil.rmtree(change.staged, ignore_errors=True)
    elif isinstance(change, AddHoldings):
        shutil.rmtree(change.staged.parent, ignore_errors=True)


def clear_incoming(root: Path, older_than: float) -> None:
    """Forget uploads staged over ``older_than`` seconds ago (by a server that is gone, or killed mid-publish)."""
    folder = Path(root) / INCOMING
    for staged in folder.iterdir() if folder.is_dir() else ():
        try:
            if time.time() - staged.stat().st_mtime > older_than:
                shutil.rmtree(staged, ignore_errors=True)
        except OSError:
            continue


def _record(data: bytes, library: str, lecture_id: str) -> dict:
    """The uploaded manifest record as a JSON object, its id and library agreeing with the URL."""
    _check_size("record", len(data), MAX_RECORD_BYTES)
    try:
        row = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise PublishError("record", f"byte {error.start} is not UTF-8", expected="a UTF-8 JSON object") from None
    except ValueError as error:
        raise PublishError("record", f"not JSON: {error}", expected="a JSON object with the manifest's fields") from None
    if not isinstance(row, dict):
        raise PublishError("record", "not a JSON object", expected="a JSON object with the manifest's fields")
    for name, wanted in (("id", lecture_id), ("library", library)):
        if row.get(name) not in (None, wanted):
            raise PublishError("record", f"field {name!r}: {row[name]!r:.80} differs from the URL's {wanted!r}",
                               expected=f"the URL's {name} or no {name!r} field")
    return {**row, "id": lecture_id, "library": library}


def _lecture(path: Path, library: str) -> Lecture:
    document = json.loads(path.read_text(encoding="utf-8"))
    return replace(lecture_from_row(document["record"], path, 1, library), library=library,
                   source=f"published by {library}")


def _upload_error(error: InputError, staged: Path, filename: str, more: int = 0) -> PublishError:
    """The error with the upload's names instead of server paths."""
    part = "record" if error.path.name == "record.json" else filename
    message = error.message.replace(str(staged), "upload")
    if more:
        message += f" (and {more} more problem(s) in the file)"
    return PublishError(part, message, position=error.position, expected=error.expected)


def _checked_file(part: str, filename: str, data: bytes, limit: int, suffixes: tuple[str, ...], expected: str) -> str:
    """The upload's suffix, when it is one of ``suffixes`` and the file is within ``limit``. Raises PublishError."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in suffixes:
        raise PublishError(part, f"file name {filename!r:.80} has no accepted suffix", expected=expected)
    _check_size(part, len(data), limit)
    return suffix


def _check_size(part: str, size: int, limit: int) -> None:
    if size > limit:
        raise PublishError(part, f"{size:,} bytes is too large", expected=f"at most {limit:,} bytes")


def _incoming(root: Path) -> Path:
    folder = Path(root) / INCOMING / secrets.token_hex(8)
    folder.mkdir(parents=True)
    return folder


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# --- a build's published folder ---------------------------------------------------------------------


def carry(previous: Path | None, build: Path) -> Path:
    """Start ``build``'s published folder from ``previous``'s (hard links). Returns the folder."""
    folder = build / FOLDER
    if previous is not None and (previous / FOLDER).is_dir():
        shutil.copytree(previous / FOLDER, folder, copy_function=_link)
    folder.mkdir(exist_ok=True)
    return folder


def apply(folder: Path, changes: tuple[Change, ...]) -> list[str]:
    """Apply the changes in order; returns notes on what had nothing to change."""
    notes = []
    for change in changes:
        lectures = folder / change.library / "lectures"
        if isinstance(change, AddHoldings):
            target = folder / change.library / "holdings" / change.staged.name
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():  # named by content: an existing one (maybe a link to an older build's) is the same
                shutil.copyfile(change.staged, target)
            continue
        removed = _remove_lecture(lectures, change.id)
        if isinstance(change, PutLecture):
            lectures.mkdir(parents=True, exist_ok=True)
            for part in change.staged.iterdir():
                name = key(change.id) + (".json" if part.name == "record.json" else part.suffix)
                shutil.copyfile(part, lectures / name)
        elif not removed:
            notes.append(f"{change.library}/{change.id}: nothing published to delete")
    return notes


def is_published(folder: Path, library: str, lecture_id: str) -> bool:
    return (folder / library / "lectures" / (key(lecture_id) + ".json")).is_file()


def read(folder: Path) -> Published:
    """The lectures (with their stamps) and holdings files of a published folder."""
    found = Published([], {}, [], [])
    for library_folder in sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []:
        library = library_folder.name
        for path in sorted((library_folder / "lectures").glob("*.json")):
            try:
                lecture = _lecture(path, library)
                stamp = Stamp(**json.loads(path.read_text(encoding="utf-8"))["published"])
            except InputError as error:
                found.problems.append(error)
                continue
            except (ValueError, KeyError, TypeError) as error:
                found.problems.append(InputError(path, f"unreadable publication record ({error})"))
                continue
            found.lectures.append(lecture)
            found.stamps[(library, lecture.id)] = stamp
        found.holdings += [(library, p) for p in sorted((library_folder / "holdings").glob("*")) if p.is_file()]
    return found


def _remove_lecture(lectures: Path, lecture_id: str) -> bool:
    parts = list(lectures.glob(key(lecture_id) + ".*")) if lectures.is_dir() else []
    for part in parts:
        part.unlink()
    return bool(parts)


def _link(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed
        shutil.copy2(source, target)


# --- changes as JSON, between the server and its build process ---------------------------------------


def to_json(change: Change) -> dict:
    kind = {PutLecture: "put", DeleteLecture: "delete", AddHoldings: "holdings"}[type(change)]
    return {"kind": kind, **{k: str(v) if isinstance(v, Path) else v for k, v in change.__dict__.items()}}


def from_json(data: dict) -> Change:
    """A change sent by ``to_json``. Raises KeyError/TypeError for anything else."""
    data = dict(data)
    kind = {"put": PutLecture, "delete": DeleteLecture, "holdings": AddHoldings}[data.pop("kind")]
    if "staged" in data:
        data["staged"] = Path(data["staged"])
    return kind(**data)
