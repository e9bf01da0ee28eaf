"""Plain transcripts (``.txt``): text without times, cut into segments and timed by estimate.

Segments: every non-empty line (after ``markup.clean_text`` removed control
characters and sound markers) is one segment when it has at most 120
characters. A longer line is cut after sentence punctuation (``。！？!?…``,
or ``.`` before a space) and the sentences are regrouped into segments of one
to three sentences and at most 120 characters. A sentence longer than that
(unpunctuated speech, a 10 MB single line) is cut at the last comma, enumeration
comma, semicolon or space in its second half of 120 characters, else hard at 120.
All of this is one pass over the text.

Times: each segment gets a share of the lecture proportional to its
characters (whitespace not counted). With ``duration`` the segments fill
exactly ``0 … duration``; without it speech is taken to run at 4.5 characters
per second (a Mandarin lecture pace). A duration that is not a positive finite
number is ignored, with a note. Every cue is marked ``estimated=True``.
"""

from __future__ import annotations

import math
import re
from typing import Iterator

from ingest.markup import clean_text, has_words
from ingest.records import Cue

MAX_SEGMENT = 120
MAX_SENTENCES = 3
CHARACTERS_PER_SECOND = 4.5
_SENTENCE_END = re.compile(r"[。！？!?…]+[”’」』）)\"']*|\.+(?=\s)")
_SOFT_BREAKS = "，,、；; "


def estimate_cues(lines: list[str], duration: float | None = None) -> tuple[tuple[Cue, ...], tuple[str, ...]]:
    """Cues with estimated times for the ``lines`` of a plain transcript, and notes on what was assumed."""
    notes: list[str] = []
    cleaned = (clean_text([line], "txt") for line in lines)
    segments = [segment for line in cleaned for segment in split_line(line) if has_words(segment)]
    sizes = [len(segment) - sum(ch.isspace() for ch in segment) for segment in segments]
    total = sum(sizes)
    if duration is not None and not (math.isfinite(duration) and duration > 0):
        notes.append(f"duration {duration!r} ignored: not a positive number of seconds")
        duration = None
    basis = f"spread over the duration of {duration:g} s" if duration else f"at {CHARACTERS_PER_SECOND:g} characters per second"
    notes.append(f"plain transcript: times of {len(segments)} segments estimated {basis}")
    cues, done = [], 0
    for segment, size in zip(segments, sizes):
        cues.append(Cue(_time(done, total, duration), _time(done + size, total, duration), segment, estimated=True))
        done += size
    return tuple(cues), tuple(notes)


def _time(characters: int, total: int, duration: float | None) -> float:
    """Seconds after ``characters`` of ``total``: a share of ``duration``, or at reading speed."""
    return round(duration * (characters / total) if duration else characters / CHARACTERS_PER_SECOND, 3)


def split_line(line: str) -> Iterator[str]:
    """Segments of one cleaned line (see the module docstring)."""
    if len(line) <= MAX_SEGMENT:
        if line:
            yield line
        return
    group: list[str] = []
    size = 0
    for sentence in _sentences(line):
        if group and (size + len(sentence) > MAX_SEGMENT or len(group) == MAX_SENTENCES):
            yield "".join(group).strip()
            group, size = [], 0
        group.append(sentence)
        size += len(sentence)
    if group:
        yield "".join(group).strip()


def _sentences(line: str) -> Iterator[str]:
    start = 0
    for match in _SENTENCE_END.finditer(line):
        yield from _pieces(line, start, match.end())
        start = match.end()
    if start < len(line):
        yield from _pieces(line, start, len(line))


def _pieces(line: str, start: int, end: int) -> Iterator[str]:
    """``line[start:end]`` in pieces of at most ``MAX_SEGMENT`` characters, cut at soft breaks if possible."""
    while end - start > MAX_SEGMENT:
        lowest = start + MAX_SEGMENT // 2
        window = line[lowest : start + MAX_SEGMENT]
        found = max(window.rfind(mark) for mark in _SOFT_BREAKS)
        cut = lowest + found + 1 if found >= 0 else start + MAX_SEGMENT
        yield line[start:cut]
        start = cut
    if end > start:
        yield line[start:end]
