"""Cue lists after parsing: put in time order, sentences split across cues merged.

Merge policy (``merge_split_sentences``). Subtitle editors break long
sentences over several cues; keyword and knowledge-point spans are found per
cue, so a term cut in two is lost. Consecutive cues A, B are merged into one
cue (A's start, the later end, texts joined) when all of these hold:

- the file *ends its cues with sentence punctuation*: at least 25 % of its
  cues end with ``。！？!?…．.;；`` (closing quotes and brackets ignored).
  Where that is not so, a cue boundary means nothing about sentences:
  Chinese subtitle convention (no punctuation at line ends, spaces for
  commas) and unpunctuated speech-recognition output (the Whisper SRT of the
  podcast corpus: 12–30 s cues, no punctuation at all) are left as they are;
- A does not end with sentence punctuation (it stops mid-sentence);
- B starts less than 1 s after A ends (an overlap of up to 0.1 s counts as
  no gap; a larger overlap is a second speaker, not a continuation);
- the merged cue lasts at most 15 s, so merging stays local.

Merges chain: A+B is checked against C the same way. Texts are joined with
nothing when the characters at the seam are CJK (``讲的是`` + ``量子力学`` →
``讲的是量子力学``), with one space otherwise.

Overlap policy: overlapping cues are kept with their own times (two speakers
may talk at once; clipping would invent times). Cues are stably sorted by
start, which only reorders small backward steps: ``ingest.subtitles`` has
already refused larger ones.
"""

from __future__ import annotations

from ingest.records import Cue

SENTENCE_ENDS = frozenset("。！？!?…．.;；")
_CLOSERS = "”’」』）)】》〉\"' "
MERGE_GAP = 1.0
MERGE_OVERLAP = 0.1
MERGE_SPAN = 15.0
PUNCTUATED_SHARE = 0.25


def order_cues(cues: list[Cue] | tuple[Cue, ...]) -> tuple[Cue, ...]:
    """``cues`` sorted by start time, keeping the file order of equal starts."""
    return tuple(sorted(cues, key=lambda cue: cue.start))


def ends_sentence(text: str) -> bool:
    """True when ``text`` ends with sentence punctuation (before any closing quote or bracket)."""
    stripped = text.rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in SENTENCE_ENDS


def is_punctuated(cues: tuple[Cue, ...]) -> bool:
    """True when cues of this file normally end with sentence punctuation (see the module docstring)."""
    ending = sum(1 for cue in cues if ends_sentence(cue.text))
    return ending > 0 and ending >= PUNCTUATED_SHARE * len(cues)


def merge_split_sentences(cues: tuple[Cue, ...]) -> tuple[Cue, ...]:
    """Merge cues that carry one sentence between them (policy in the module docstring)."""
    if len(cues) < 2 or not is_punctuated(cues):
        return cues
    merged: list[Cue] = [cues[0]]
    for cue in cues[1:]:
        if continues(merged[-1], cue):
            previous = merged[-1]
            merged[-1] = Cue(previous.start, max(previous.end, cue.end), join_text(previous.text, cue.text))
        else:
            merged.append(cue)
    return tuple(merged)


def continues(first: Cue, second: Cue) -> bool:
    """True when ``second`` carries on the sentence ``first`` broke off."""
    gap = second.start - first.end
    return (
        not ends_sentence(first.text)
        and -MERGE_OVERLAP <= gap < MERGE_GAP
        and max(first.end, second.end) - first.start <= MERGE_SPAN
    )


def join_text(first: str, second: str) -> str:
    """``first`` and ``second`` as one text: no space at a CJK seam, one space otherwise."""
    if not first or not second:
        return first or second
    return first + ("" if _is_cjk(first[-1]) or _is_cjk(second[0]) else " ") + second


def _is_cjk(char: str) -> bool:
    return "\u2e80" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\uff00" <= char <= "\uffef"
