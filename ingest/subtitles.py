"""Subtitle files → ``Transcript``: SRT, WebVTT and plain transcripts.

``read_subtitles(path)`` reads and decodes the file (``ingest.encoding``) and
hands the text to ``parse_subtitles``, which is pure.

Format: ``fmt`` when given; else a text whose first line is ``WEBVTT`` is
WebVTT whatever its name; else ``.vtt`` is WebVTT (a missing header is noted);
else a ``.txt``/``.text`` file is SRT only when its first block is timed, and
any other file (``.srt`` included) is SRT when it holds a timing line anywhere,
otherwise a plain transcript (noted for a ``.srt``).

Grammar, shared by SRT and WebVTT (timing lines: ``ingest.timecodes``): a cue
is an optional identifier line (SRT's number, any WebVTT id), a timing line
and text lines up to a blank line. Cue numbers may be missing or wrong; extra
blank lines, trailing spaces, ``\\r\\n``/``\\r`` line ends and a missing final
newline are fine; a timing line right after text (blank line forgotten)
starts a new cue, taking a bare number just above it as its identifier.
WebVTT's header lines and NOTE, STYLE and REGION blocks are skipped. Cue
text is cleaned by ``ingest.markup``; sentences split across cues are
merged, and overlaps kept, as ``ingest.cues`` describes.

What stops the file (``SubtitleError`` naming file, line and what is expected):

- a line meant as a timing line that does not parse (``-->`` typos, bad
  numbers, minutes ≥ 60), except as the file's very last line;
- a cue that ends before it starts;
- a cue starting more than 1 s before the latest start so far (time going
  backwards; smaller steps back are sorted into place);
- an empty file, or no cue with text at all.

What is skipped with a note (``Transcript.notes``):

- a last cue cut off by the end of the file (number only, half a timing
  line, or no text): the file was truncated;
- cues empty after cleaning or holding only music/noise markers;
- text before the first cue, stray cue numbers, non-numeric SRT identifiers;
- text after a blank line inside a cue: joined to the cue above.

Plain transcripts are cut into segments and timed by estimate as
``ingest.plaintext`` describes; ``duration`` is used only for that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ingest.cues import merge_split_sentences, order_cues
from ingest.encoding import decode
from ingest.errors import SubtitleError
from ingest.markup import clean_text
from ingest.plaintext import estimate_cues
from ingest.records import Cue, Transcript
from ingest.timecodes import EXPECTED, Timing, format_time, is_timing_line, looks_like_timing, parse_timing

FORMATS = ("srt", "vtt", "txt")
_ALIASES = {"subrip": "srt", "webvtt": "vtt", "text": "txt"}
BACKWARDS_TOLERANCE = 1.0
_WEBVTT = re.compile(r"WEBVTT(?:[ \t].*)?")
_VTT_BLOCK = re.compile(r"(?:NOTE|STYLE|REGION)(?:[ \t].*)?")
_NUMBER = re.compile(r"\d{1,9}", re.ASCII)
_STAMPED = re.compile(r"\d{1,7}:\d", re.ASCII)


@dataclass(frozen=True)
class RawCue:
    """A cue as written: times, payload lines, and the line number of its timing line."""

    start: float
    end: float
    lines: tuple[str, ...]
    line: int


def read_subtitles(path: Path, *, encoding: str | None = None, duration: float | None = None) -> Transcript:
    """Read the subtitle file at ``path``.

    ``encoding`` overrides detection; ``duration`` (seconds) spreads the times
    of a plain transcript. Raises ``EncodingError`` for undecodable or binary
    bytes and ``SubtitleError`` for an unreadable file or a broken structure.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SubtitleError(path, f"cannot read the file: {error.strerror or error}", expected="a readable file") from None
    text, codec = decode(data, path, encoding)
    return parse_subtitles(text, path, duration=duration, encoding=codec)


def parse_subtitles(
    text: str, path: Path, fmt: str | None = None, duration: float | None = None, *, encoding: str = "utf-8"
) -> Transcript:
    """Parse decoded subtitle ``text``; ``path`` names it in messages and picks the format by extension.

    Raises ``SubtitleError`` as the module docstring lists.
    """
    text = text.replace("\ufeff", "")
    if not text.strip():
        raise SubtitleError(path, "the file is empty", expected="SRT, WebVTT or a plain transcript")
    kind = detect_format(text, path, fmt)
    if kind == "txt":
        cues, notes = estimate_cues(split_lines(text), duration)
        if path.suffix.lower() == ".srt":
            notes = ("no timing line found: read as a plain transcript", *notes)
    else:
        raw, scan_notes = scan_cues(split_lines(text), path, kind)
        cues, clean_notes = clean_cues(raw, kind)
        cues = merge_split_sentences(order_cues(cues))
        notes = (*scan_notes, *clean_notes)
    if not cues:
        raise SubtitleError(path, "no cue with text found", expected="at least one cue with text")
    return Transcript(path=path, format=kind, encoding=encoding, cues=cues, notes=tuple(notes))


def detect_format(text: str, path: Path, fmt: str | None = None) -> str:
    """``"srt"``, ``"vtt"`` or ``"txt"`` for ``text`` (rules in the module docstring)."""
    if fmt is not None:
        kind = _ALIASES.get(fmt.strip().lower().lstrip("."), fmt.strip().lower().lstrip("."))
        if kind not in FORMATS:
            raise SubtitleError(path, f"unknown subtitle format {fmt!r}", expected=", ".join(FORMATS))
        return kind
    lines = split_lines(text.lstrip()[:4096])
    if _WEBVTT.fullmatch(lines[0].rstrip()):
        return "vtt"
    suffix = path.suffix.lower()
    if suffix == ".vtt":
        return "vtt"
    if suffix in (".txt", ".text"):
        return "srt" if any(is_timing_line(line) for line in lines[:2]) else "txt"
    return "srt" if "-->" in text and any(is_timing_line(line) for line in split_lines(text)) else "txt"


def split_lines(text: str) -> list[str]:
    """Lines of ``text``, whatever the line ends (``\\n``, ``\\r\\n``, ``\\r``)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


# --- SRT / WebVTT structure -------------------------------------------------------------


def scan_cues(lines: list[str], path: Path, fmt: str) -> tuple[list[RawCue], list[str]]:
    """The cues of an SRT or WebVTT file, in file order, and notes on what was skipped."""
    cues: list[RawCue] = []
    notes: list[str] = []
    latest: RawCue | None = None  # the cue with the latest start so far
    last = len(lines) - 1
    while last >= 0 and not lines[last].strip():
        last -= 1
    i = _skip_header(lines, notes) if fmt == "vtt" else 0
    while i <= last:
        line = lines[i].strip()
        if not line:
            i += 1
        elif fmt == "vtt" and _VTT_BLOCK.fullmatch(line):
            i = _block_end(lines, i)
        else:
            at, timing = _timing_index(lines, i, last, path, fmt)
            if at is None:
                i = _untimed_block(lines, i, cues, notes)
            elif timing is None:
                notes.append(f"line {at + 1}: the file ends in an incomplete cue (truncated?); dropped")
                break
            else:
                if at > i and fmt == "srt" and not _NUMBER.fullmatch(line):
                    notes.append(f"line {i + 1}: ignored non-numeric cue identifier {line[:40]!r}")
                cue, i = _cue(lines, at, timing, last, path, fmt, notes)
                _check_order(cue, latest, path, fmt)
                latest = cue if latest is None or cue.start >= latest.start else latest
                cues.append(cue)
    return cues, notes


def _skip_header(lines: list[str], notes: list[str]) -> int:
    """Index of the first line after the WebVTT header block."""
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    if not _WEBVTT.fullmatch(lines[first].strip()):
        notes.append(f"line {first + 1}: no 'WEBVTT' header; read as WebVTT anyway")
        return first
    i = first + 1
    while i < len(lines) and lines[i].strip() and "-->" not in lines[i]:
        i += 1
    return i


def _block_end(lines: list[str], i: int) -> int:
    while i < len(lines) and lines[i].strip():
        i += 1
    return i


def _timing_index(lines: list[str], i: int, last: int, path: Path, fmt: str) -> tuple[int | None, Timing | None]:
    """The timing line of the block starting at ``i``: ``(i or i + 1, timing)``;
    ``(None, None)`` for a block without one; ``(k, None)`` when the file ends
    at line ``k`` in a cut-off cue. Raises SubtitleError for a broken timing line."""
    candidates = [i] + ([i + 1] if i + 1 <= last and lines[i + 1].strip() else [])
    for k in candidates:
        timing = _timing(lines[k], k, path, fmt)
        if timing is not None:
            return k, timing
    for k in candidates:
        identified = k == i or fmt == "vtt" or _NUMBER.fullmatch(lines[i].strip())
        if identified and looks_like_timing(lines[k]):
            if k == last:
                return k, None
            raise _bad_timing(lines[k], k, path, fmt)
    if _NUMBER.fullmatch(lines[i].strip()) and i == last:
        return i, None
    return None, None


def _cue(
    lines: list[str], at: int, timing: Timing, last: int, path: Path, fmt: str, notes: list[str]
) -> tuple[RawCue, int]:
    """The cue whose timing line is ``lines[at]``, and the index after its text."""
    text: list[str] = []
    j = at + 1
    while j <= last and lines[j].strip():
        line = lines[j].strip()
        if _timing(line, j, path, fmt) is not None:
            if text and _NUMBER.fullmatch(text[-1]):
                text.pop()
            break
        if _STAMPED.match(line) and looks_like_timing(line):
            if j < last:
                raise _bad_timing(line, j, path, fmt)
            notes.append(f"line {j + 1}: the file ends in an incomplete cue (truncated?); dropped")
            break
        text.append(line)
        j += 1
    return RawCue(timing.start, timing.end, tuple(text), at + 1), j


def _untimed_block(lines: list[str], i: int, cues: list[RawCue], notes: list[str]) -> int:
    """Skip or attach a block without timing line; return the index after it."""
    end = _block_end(lines, i)
    block = tuple(line.strip() for line in lines[i:end])
    if len(block) == 1 and _NUMBER.fullmatch(block[0]):
        notes.append(f"line {i + 1}: stray cue number {block[0]} without a timing line; skipped")
    elif cues:
        previous = cues[-1]
        cues[-1] = RawCue(previous.start, previous.end, previous.lines + block, previous.line)
        notes.append(f"line {i + 1}: text without a timing line joined to the cue at line {previous.line}")
    else:
        notes.append(f"line {i + 1}: text before the first cue skipped")
    return end


def _timing(line: str, k: int, path: Path, fmt: str) -> Timing | None:
    try:
        return parse_timing(line)
    except ValueError as error:
        message = f"bad timestamp in {line.strip()[:80]!r}: {error}"
        raise SubtitleError(path, message, position=f"line {k + 1}", expected=EXPECTED[fmt]) from None


def _bad_timing(line: str, k: int, path: Path, fmt: str) -> SubtitleError:
    message = f"not a valid timing line: {line.strip()[:80]!r}"
    return SubtitleError(path, message, position=f"line {k + 1}", expected=EXPECTED[fmt])


def _check_order(cue: RawCue, latest: RawCue | None, path: Path, fmt: str) -> None:
    """Refuse a cue ending before it starts, or starting well before the latest start so far."""
    start, end = format_time(cue.start, fmt), format_time(cue.end, fmt)
    if cue.end < cue.start:
        raise SubtitleError(path, f"cue ends before it starts ({start} --> {end})", position=f"line {cue.line}",
                            expected="an end time at or after the start time")
    if latest is not None and cue.start < latest.start - BACKWARDS_TOLERANCE:
        message = (f"time goes backwards: this cue starts at {start}, {latest.start - cue.start:.3f} s before "
                   f"the cue at line {latest.line} ({format_time(latest.start, fmt)})")
        raise SubtitleError(path, message, position=f"line {cue.line}",
                            expected=f"cues in time order (steps back up to {BACKWARDS_TOLERANCE:g} s are tolerated)")


def clean_cues(raw: list[RawCue], fmt: str) -> tuple[tuple[Cue, ...], tuple[str, ...]]:
    """Cues with display text; those left without text are dropped, with a note."""
    cues = []
    dropped = []
    for item in raw:
        text = clean_text(item.lines, fmt)
        if text:
            cues.append(Cue(item.start, item.end, text))
        else:
            dropped.append(str(item.line))
    if not dropped:
        return tuple(cues), ()
    shown = ", ".join(dropped[:10]) + (", …" if len(dropped) > 10 else "")
    return tuple(cues), (f"{len(dropped)} cue(s) without text (empty, or music/noise markers only) dropped: lines {shown}",)
