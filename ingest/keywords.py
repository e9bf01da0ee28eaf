"""Keywords of a lecture, with weights and the cue times where they are said.

Two passes, so that the IDF can come from the lecture corpus itself:

1. ``count_terms`` (per lecture, parallel): segment each cue's folded text,
   keep noun-like candidates (part of speech, length, not a stopword or
   filler), merge adjacent nouns that recur together into phrases, and record
   in which cues each term occurs.
2. ``rank_keywords`` (per lecture, once document frequencies are known):

   weight = (1 + ln tf) · idf · spread · boosts

   - idf blends the corpus IDF with jieba's general IDF; the corpus share
     grows with the corpus size, ``n / (n + 10)``, so a one-lecture corpus
     falls back to jieba's and a large one relies on its own;
   - spread = 0.6 + 0.4 · (share of the lecture's ten time slices the term
     occurs in): a term used throughout is more "what it is about";
   - boosts: ×1.5 when the term is in the title or description, ×1.2 when it
     is a vocabulary label.

   Weights are scaled so the best keyword of a lecture has weight 1.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from ingest.folding import _T2S, fold
from ingest.records import Cue, Keyword, Span
from ingest.segmenter import Segmenter
from ingest.stopwords import stopwords

NOUN_TAGS = frozenset({"n", "nr", "nr1", "nr2", "nrt", "nrfg", "ns", "nt", "nz", "nw", "vn", "an", "l", "j", "t", "eng", "x"})
PHRASE_TAGS = frozenset({"n", "ns", "nt", "nz", "nw", "vn", "j", "l", "x"})
_WORDLIKE = re.compile(r"[\u3400-\u9fff]{2,}|[a-z][a-z0-9\-]{1,}")
_NUMERIC = re.compile(r"[\d零一二三四五六七八九十百千万亿两几第]+[年月日号点个次岁位种代届期]?")
MAX_PHRASE = 8
# Segmentation leftovers of speech: a pronoun glued in front or a particle behind
# (这一, 我能, 礼是, 书里); real terms rarely start or end so.
_GLUED_FIRST = frozenset("这那我你他她它咱")
_GLUED_LAST = frozenset("是的了着过么呢吗吧里")


@dataclass
class TermCounts:
    """What pass 1 found in one lecture: term → cue indexes, and the surfaces said."""

    cues: dict[str, list[int]] = field(default_factory=dict)
    surfaces: dict[str, Counter[str]] = field(default_factory=dict)
    tokens: list[list[str]] = field(default_factory=list)  # folded words per cue

    def count(self, term: str) -> int:
        return len(self.cues.get(term, ()))

    def add(self, term: str, surface: str, cue: int) -> None:
        self.cues.setdefault(term, []).append(cue)
        self.surfaces.setdefault(term, Counter())[surface] += 1


def fold_aligned(text: str) -> str:
    """Fold ``text`` character by character where possible, so offsets still match.

    Returns a string of the same length when every character folds to one
    character (almost always); callers check the length.
    """
    return _T2S.convert(unicodedata.normalize("NFKC", text)).lower()


def count_terms(cues: tuple[Cue, ...], segmenter: Segmenter, vocabulary: frozenset[str] = frozenset()) -> TermCounts:
    """Pass 1: candidate terms of one lecture and the cues they occur in.

    The hot loop of the build (once per word said): each distinct word is
    classified once per lecture (``_TermKinds``), and a word's start is found
    from the end of the one before it.
    """
    counts = TermCounts()
    kinds = _TermKinds(segmenter, vocabulary)
    for index, cue in enumerate(cues):
        folded = fold_aligned(cue.text)
        said = cue.text if len(folded) == len(cue.text) else folded  # surfaces: what was written, when aligned
        words = segmenter.words(folded)
        offset, phrase_end, previous = 0, -1, ("", "")
        for word in words:
            start = folded.index(word, offset)
            offset = start + len(word)
            kind = kinds.get(word)
            if kind is None:
                kind = kinds.classify(word)
            if kind is _NOT_A_TERM:
                phrase_end = -1
                continue
            surface = said[start:offset]
            _add(counts, word, surface, index)
            if kind is _PHRASE_PART:
                if phrase_end == start:
                    _add_phrase(counts, previous, (word, surface), index)
                phrase_end, previous = offset, (word, surface)
            else:
                phrase_end = -1
        counts.tokens.append(words)
    _keep_recurring_phrases(counts)
    return counts


_NOT_A_TERM, _TERM, _PHRASE_PART = "not a term", "term", "term that can start or end a phrase"


class _TermKinds(dict):
    """word → what it is for ``count_terms``: not a term, a term, or a term that can be part of a phrase."""

    def __init__(self, segmenter: Segmenter, vocabulary: frozenset[str]) -> None:
        super().__init__()
        self.segmenter, self.vocabulary = segmenter, vocabulary

    def classify(self, word: str) -> str:
        tag = self.segmenter.tag(word)
        if not _is_candidate(word, tag, self.vocabulary):
            kind = _NOT_A_TERM
        else:
            kind = _PHRASE_PART if tag in PHRASE_TAGS else _TERM
        self[word] = kind
        return kind


def _add(counts: TermCounts, term: str, surface: str, cue: int) -> None:
    """``TermCounts.add`` without making a Counter per call (same result, same key order)."""
    where = counts.cues.get(term)
    if where is None:
        counts.cues[term] = [cue]
        counts.surfaces[term] = Counter((surface,))
    else:
        where.append(cue)
        counts.surfaces[term][surface] += 1


def _is_candidate(word: str, tag: str, vocabulary: frozenset[str]) -> bool:
    return word in vocabulary or _is_plain_candidate(word, tag)


@lru_cache(maxsize=500_000)
def _is_plain_candidate(word: str, tag: str) -> bool:
    """A noun-like word that is not a stopword, a number or a segmentation leftover."""
    if word in stopwords() or tag not in NOUN_TAGS or _NUMERIC.fullmatch(word):
        return False
    if word[0] in _GLUED_FIRST or word[-1] in _GLUED_LAST:
        return False
    return _WORDLIKE.fullmatch(word) is not None


_PHRASE_PREFIX = "\u0001"  # marks phrase candidates until they prove to recur


def _add_phrase(counts: TermCounts, previous: tuple[str, str], current: tuple[str, str], cue: int) -> None:
    phrase = previous[0] + current[0]
    if len(phrase) <= MAX_PHRASE:
        _add(counts, _PHRASE_PREFIX + phrase, previous[1] + current[1], cue)


def _keep_recurring_phrases(counts: TermCounts) -> None:
    """Phrases said at least twice become terms; the rest are dropped."""
    for marked in [t for t in counts.cues if t.startswith(_PHRASE_PREFIX)]:
        cues, surfaces = counts.cues.pop(marked), counts.surfaces.pop(marked)
        phrase = marked[1:]
        if len(cues) >= 2 and phrase not in counts.cues:
            counts.cues[phrase] = cues
            counts.surfaces[phrase] = surfaces


@lru_cache(maxsize=1)
def jieba_idf() -> tuple[dict[str, float], float]:
    """jieba's general-purpose IDF table and its median (for unknown words)."""
    text = resources.files("jieba.analyse").joinpath("idf.txt").read_text(encoding="utf-8")
    table = {}
    for line in text.splitlines():
        word, _, value = line.partition(" ")
        if value:
            table[word] = float(value)
    values = sorted(table.values())
    return table, values[len(values) // 2]


def idf(term: str, document_frequency: int, documents: int) -> float:
    """Blend of corpus IDF and jieba's IDF, the corpus share growing with its size."""
    general, median = jieba_idf()
    prior = general.get(term, median)
    if documents <= 1:
        return prior
    corpus = math.log((documents + 1) / (document_frequency + 0.5)) + 1.0
    share = documents / (documents + 10)
    return share * corpus * (median / 2.0) + (1 - share) * prior


def rank_keywords(
    counts: TermCounts,
    cues: tuple[Cue, ...],
    document_frequency: dict[str, int],
    documents: int,
    *,
    context: str = "",
    vocabulary: dict[str, str] | None = None,
    limit: int = 20,
) -> tuple[Keyword, ...]:
    """Pass 2: the ``limit`` best keywords of one lecture, best first.

    ``context`` is the title and description (boost); ``vocabulary`` maps
    folded labels to concept IRIs (boost, and ``Keyword.concept``).
    """
    vocabulary = vocabulary or {}
    context = fold(context)
    end = max((c.end for c in cues), default=0.0) or 1.0
    scored = []
    for term, where in counts.cues.items():
        if not where:
            continue
        slices = {min(9, int(cues[i].start / end * 10)) for i in where}
        weight = (1 + math.log(len(where))) * idf(term, document_frequency.get(term, 1), documents)
        weight *= 0.6 + 0.4 * len(slices) / 10
        weight *= 1.5 if term in context else 1.0
        weight *= 1.2 if term in vocabulary else 1.0
        scored.append((weight, term))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    chosen = _drop_subsumed([t for _, t in scored[: limit * 2]], counts)[:limit]
    best = scored[0][0] if scored else 1.0
    weights = dict((t, w) for w, t in scored)
    return tuple(
        Keyword(
            label=counts.surfaces[t].most_common(1)[0][0],
            key=t,
            weight=round(weights[t] / best, 4),
            count=len(counts.cues[t]),
            spans=spans_of(counts.cues[t], cues),
            concept=vocabulary.get(t),
        )
        for t in chosen
    )


def _drop_subsumed(terms: list[str], counts: TermCounts) -> list[str]:
    """Drop a word when a chosen phrase containing it accounts for nearly all its uses."""
    kept = []
    for term in terms:
        covering = [p for p in terms if p != term and term in p and len(p) > len(term)]
        if any(counts.count(term) - counts.count(p) < 2 for p in covering):
            continue
        kept.append(term)
    return kept


def spans_of(cue_indexes: list[int], cues: tuple[Cue, ...]) -> tuple[Span, ...]:
    """Time ranges of the cues, consecutive cues (gap under a second) merged."""
    spans: list[Span] = []
    previous = -2
    for index in sorted(set(cue_indexes)):
        cue = cues[index]
        if spans and previous + 1 == index and cue.start - spans[-1].end < 1.0:
            last = spans[-1]
            spans[-1] = Span(last.start, max(last.end, cue.end), last.cue, last.estimated or cue.estimated)
        else:
            spans.append(Span(cue.start, cue.end, index, cue.estimated))
        previous = index
    return tuple(spans)
