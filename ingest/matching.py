"""Rank the library's holdings for a lecture: BM25 over folded record fields.

Each holding becomes a small document of weighted fields — title (×3),
subjects and classification labels (×2), creators and series (×1) — indexed
by the same segmenter the lectures use, so simplified and traditional forms
meet in their folded form (頭戴 and 头戴 are one term). A Chinese personal
name is one term, not segmented (``creator_terms``). English subject
headings are indexed word by word, so a concept's English label (from a
bilingual vocabulary) can reach LCSH ("Porcelain", "Confucianism").

A lecture's query is its keywords and knowledge points with their weights; a
multi-word query term matches a record only when all its words are in it.
score(record) = Σ weight(term) · BM25(term, record); the evidence kept is
which terms matched and in which fields.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Iterable

from ingest.classification import lookup
from ingest.folding import fold, has_cjk
from ingest.records import Holding, HoldingLink
from ingest.segmenter import Segmenter
from ingest.stopwords import stopwords

FIELD_WEIGHTS = {"title": 3.0, "subject": 2.0, "class": 2.0, "creator": 1.0, "series": 1.0}
K1, B = 1.2, 0.75
_ENGLISH_WORD = re.compile(r"[a-z][a-z'\-]+")


@dataclass(frozen=True)
class QueryTerm:
    key: str  # folded term, or an English label in lower case
    weight: float
    ref: str  # what it stands for: a keyword key or a concept IRI (the evidence)


class HoldingsIndex:
    """An inverted index over holdings; build once, query per lecture."""

    def __init__(self, holdings: Iterable[Holding], segmenter: Segmenter) -> None:
        self.ids: list[str] = []
        self._postings: dict[str, dict[int, tuple[float, frozenset[str]]]] = defaultdict(dict)
        self._lengths: list[float] = []
        self._field_sets: dict[frozenset[str], frozenset[str]] = {}
        self._query_words: dict[str, tuple[str, ...]] = {}
        self._segmenter = segmenter
        self._stop = stopwords()
        for holding in holdings:
            self._add(holding)
        average = sum(self._lengths) / len(self._lengths) if self._lengths else 1.0
        self._norms = [K1 * (1 - B + B * length / average) for length in self._lengths]

    def __len__(self) -> int:
        return len(self.ids)

    def _add(self, holding: Holding) -> None:
        number = len(self.ids)
        self.ids.append(holding.id)
        length = 0.0
        for field_name, text in _fields(holding):
            weight = FIELD_WEIGHTS[field_name]
            for term in (creator_terms(text, self.terms) if field_name == "creator" else self.terms(text)):
                frequency, fields = self._postings[term].get(number, (0.0, frozenset()))
                self._postings[term][number] = (frequency + weight, self._field_set(fields | {field_name}))
                length += weight
        self._lengths.append(length)

    def terms(self, text: str) -> list[str]:
        """Index terms of a text: segmented CJK words and English words, folded."""
        folded = fold(text)
        if has_cjk(folded):
            words = self._segmenter.words(folded)
        else:
            words = _ENGLISH_WORD.findall(folded)
        return [w for w in words if len(w) >= 2 and w not in self._stop and (has_cjk(w) or w.isascii())]

    def _field_set(self, fields: frozenset[str]) -> frozenset[str]:
        """One shared object per combination of fields: millions of postings, a few dozen distinct sets."""
        return self._field_sets.setdefault(fields, fields)

    def rank(self, query: Iterable[QueryTerm], limit: int) -> tuple[HoldingLink, ...]:
        """The ``limit`` best holdings for a weighted query, best first.

        The work is one pass over the postings of each query term, adding up a
        score per record; which terms and fields matched is looked up for the
        ``limit`` records kept only, not collected for every record touched.
        """
        terms = [(term, self._words(term.key)) for term in query]
        scores: dict[int, float] = defaultdict(float)
        for term, words in terms:
            for number, value in self._match(words):
                scores[number] += term.weight * value
        best = heapq.nsmallest(limit, scores.items(), key=lambda item: (-item[1], self.ids[item[0]]))
        top = best[0][1] if best else 1.0
        return tuple(self._link(number, score, top, terms) for number, score in best)

    def _words(self, key: str) -> tuple[str, ...]:
        """The index words of a query term (all must occur in a record), segmented once per distinct term."""
        words = self._query_words.get(key)
        if words is None:
            whole = fold(key)
            words = (whole,) if whole in self._postings else tuple(self.terms(key) or [key])  # a creator's name
            self._query_words[key] = words
        return words

    def _match(self, words: tuple[str, ...]) -> list[tuple[int, float]]:
        """BM25 of one query term per record holding all its words, walking the shortest postings once."""
        postings = [self._postings.get(w, {}) for w in words]
        if not all(postings):
            return []
        if len(postings) == 1:  # most terms: one loop, no per-record calls
            idf, norms = self._idf(postings[0]), self._norms
            return [(n, idf * f * (K1 + 1) / (f + norms[n])) for n, (f, _) in postings[0].items()]
        idfs = [self._idf(p) for p in postings]
        return [(n, sum(self._bm25(p, idf, n) for p, idf in zip(postings, idfs)) / len(words))
                for n in min(postings, key=len) if all(n in p for p in postings)]

    def _idf(self, postings: dict[int, tuple[float, frozenset[str]]]) -> float:
        return math.log(1 + (len(self.ids) - len(postings) + 0.5) / (len(postings) + 0.5))

    def _bm25(self, postings: dict[int, tuple[float, frozenset[str]]], idf: float, number: int) -> float:
        frequency = postings[number][0]
        return idf * frequency * (K1 + 1) / (frequency + self._norms[number])

    def _link(self, number: int, score: float, top: float, terms: list[tuple[QueryTerm, tuple[str, ...]]]) -> HoldingLink:
        """The link to record ``number`` with its evidence: the query terms it holds and where."""
        held = [(term, words) for term, words in terms if all(number in self._postings.get(w, {}) for w in words)]
        return HoldingLink(
            holding=self.ids[number],
            score=round(score / top, 4),
            raw_score=round(score, 4),
            matched=tuple(sorted({term.ref for term, _ in held})),
            fields=tuple(sorted({f for _, words in held for w in words for f in self._postings[w][number][1]})),
        )


_PERSONAL_NAME = re.compile(r"[\u3400-\u9fff]{2,4}|[\u3400-\u9fff]+(?:[·・•‧][\u3400-\u9fff]+)+")


def creator_terms(creator: str, segment: Callable[[str], list[str]]) -> list[str]:
    """The index terms of a Chinese creator. A personal name (two to four characters, or parts
    joined by a middle dot) is one term, not segmented: a lecture saying 昆山 or 治安 is not about
    the books of 高崑山 or 张治安, while one saying 鲁迅 finds the books of 鲁迅. A longer creator
    is a body (敦煌研究院), whose words say what it does: segmented like a title."""
    name = re.split(r"[,，]", fold(creator))[0].strip(" .")  # 鲁迅, 1881-1936. → 鲁迅
    if _PERSONAL_NAME.fullmatch(name):
        return [name]
    return segment(creator)


def _fields(holding: Holding) -> Iterable[tuple[str, str]]:
    yield "title", holding.title
    for title in holding.other_titles:
        if has_cjk(title):
            yield "title", title
    for subject in holding.subjects:
        yield "subject", subject
    for notation in holding.clc:
        concept = lookup(notation)
        if concept:
            yield "class", concept.label()
    for creator in holding.creators:
        if has_cjk(creator):
            yield "creator", creator
    if holding.series:
        yield "series", holding.series
