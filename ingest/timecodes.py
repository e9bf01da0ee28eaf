"""The timing line of SRT and WebVTT cues: ``start --> end [settings]``.

One grammar serves both formats, tolerant in the ways real files differ:

- a timestamp is ``[H…:]MM:SS[,.]mmm``: hours optional (WebVTT's ``MM:SS.mmm``)
  and of any width up to 7 digits, minutes of one or two digits, seconds of
  two (both under 60), milliseconds after ``,`` (SRT) or ``.`` (WebVTT), one to three
  digits read as a decimal fraction (``,5`` is half a second) or missing;
- spaces around ``-->`` are optional; anything after the end time (WebVTT cue
  settings, SRT ``X1:… Y2:…`` coordinates) is ignored.

``parse_timing`` returns ``None`` for a line that is not a timing line and
raises ``ValueError`` (with a reason) for a line that matches the grammar but
holds an impossible time such as ``00:75:00,000``; ``looks_like_timing`` tells
a broken timing line (``00:00:01,000 -> 00:00:02,000``) from ordinary text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_STAMP = r"(?:(\d{1,7}):)?(\d{1,2}):(\d{2})(?:[,.](\d{1,3}))?"
_TIMING = re.compile(rf"{_STAMP}[ \t]*-->[ \t]*{_STAMP}(?:[ \t]+(.*))?", re.ASCII)
_ATTEMPT = re.compile(r"-->|^\d{1,7}:\d{1,2}:\d{1,2}[,.]\d|^\d{1,2}:\d{2}[,.]\d{3}", re.ASCII)

EXPECTED = {
    "srt": "'HH:MM:SS,mmm --> HH:MM:SS,mmm'",
    "vtt": "'[HH:]MM:SS.mmm --> [HH:]MM:SS.mmm [cue settings]'",
}


@dataclass(frozen=True)
class Timing:
    start: float
    end: float
    settings: str = ""


def parse_timing(line: str) -> Timing | None:
    """The times of a timing line, ``None`` when ``line`` is not one.

    >>> parse_timing("00:01:02,500 --> 00:01:04,000")
    Timing(start=62.5, end=64.0, settings='')
    >>> parse_timing("01:02.500 --> 01:04.000 align:start").settings
    'align:start'

    Raises ValueError when minutes or seconds are 60 or more.
    """
    if "-->" not in line:
        return None
    match = _TIMING.fullmatch(line.strip())
    if match is None:
        return None
    groups = match.groups()
    return Timing(_seconds(*groups[0:4]), _seconds(*groups[4:8]), (groups[8] or "").strip())


def is_timing_line(line: str) -> bool:
    """True when ``line`` has the shape of a timing line, possible times or not (for sniffing)."""
    return "-->" in line and _TIMING.fullmatch(line.strip()) is not None


def looks_like_timing(line: str) -> bool:
    """True for a line meant as a timing line: it has ``-->`` or starts with a full timestamp."""
    return _ATTEMPT.search(line.strip()) is not None


def format_time(seconds: float, fmt: str = "srt") -> str:
    """``HH:MM:SS,mmm`` (SRT) or ``HH:MM:SS.mmm`` (other formats), for messages.

    >>> format_time(3723.5)
    '01:02:03,500'
    """
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole, millis = divmod(rest, 1000)
    separator = "," if fmt == "srt" else "."
    return f"{hours:02d}:{minutes:02d}:{whole:02d}{separator}{millis:03d}"


def _seconds(hours: str | None, minutes: str, seconds: str, fraction: str | None) -> float:
    m, s = int(minutes), int(seconds)
    if m >= 60 or s >= 60:
        raise ValueError(f"minutes and seconds must be under 60 in '{minutes}:{seconds}'")
    millis = int(fraction.ljust(3, "0")) if fraction else 0
    return (((int(hours) * 3600 if hours else 0) + m * 60 + s) * 1000 + millis) / 1000  # exact to the ms
