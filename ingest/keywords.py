"""Keywords of a lecture, with weights and the cue times where they are said.

Two passes, so that the IDF can come from the lecture corpus itself:

1. ``count_terms`` (per lecture, parallel): segment each cue's folded text,
   keep noun-like candidates (part of speech, length, not a stopword or
   filler), merge adjacent nouns that recur together into phrases (Latin
   words apart by a space too: repower america), join a term to the one
   character that nearly always follows it (棉花|糖, 阿凡|达: names jieba
   cuts short), take full names as one term (兰斯·阿姆斯特朗, Noah Snavely)
   with the uses of a part they are also called by (``_Names``), and record
   in which cues each term occurs. A word jieba's
   dictionary does not know (its HMM joined it, or a Latin word) must be said
   twice to be ranked, three times when the dictionary cuts it into parts
   that start or end with a non-noun (乙|有, 地|问: a chance join), unless it
   is in the title or description: said once, 米长 or 戴维翰 are debris or a
   stray name more often than a keyword.
2. ``rank_keywords`` (per lecture, once document frequencies are known):

   weight = (1 + ln tf) · idf · spread · boosts

   - idf is the corpus IDF, ``ln((n + 1) / (df + 0.5)) + 1``, times jieba's
     general IDF (a one-lecture corpus uses jieba's alone), so a word common
     in the language stays low even when few lectures use it;
   - spread = 0.6 + 0.4 · (share of the lecture's ten time slices the term
     occurs in): a term used throughout is more "what it is about";
   - boosts: ×1.5 when the term is in the title or description, ×1.2 when it
     is a vocabulary label.

   Weights are scaled so the best keyword of a lecture has weight 1. The
   keywords are listed best first, except that a term containing or
   contained in one listed before it counts at half its weight for its place
   (魔兽世界 then 魔兽), so the first few name different things.

Measured with ``python -m bench.quality`` (F1@5, demo / TED, jieba
``extract_tags`` 0.239 / 0.147): the weighted-sum IDF 0.310 / 0.223; with the
order de-duplicated 0.313 / 0.230; Latin phrases 0.313 / 0.238; joined tails
0.313 / 0.245; the product IDF 0.320 / 0.287 (pooled 0.303, 0.192 for
``extract_tags``). The evidence rule for unknown words leaves F1@5 as it is
and raises F1@10 from 0.430 / 0.379 to 0.434 / 0.382: it takes debris off the
foot of the list, where it had pushed out words that find holdings (粒子,
照片). Tried and not kept: dropping person names (nr, nrt, nrfg) not in the
title, 0.310 / 0.290 (the demo's gold has historical names); dropping chance
joins outright, 0.324 / 0.280 (loses 阿凡达, 因纽特人, 糖片). Full names
leave the demo as it is and raise TED's F1@5 / F1@10 from 0.287 / 0.382 to
0.290 / 0.407 (six talks: 卡纳曼 → 丹尼尔·卡纳曼, paul → paul offit, …).
Tried and not kept, F1@5 demo / TED: joining a tail said after the term in 60 %
of its uses instead of 80 %, 0.323 / 0.290 (崑山|腔), but half of the joins it
adds over 40 PIE podcasts are chance (沙河写, 级别低, 测试级); (tf)^k for
1 + ln tf, k = 0.4 / 0.5, 0.320 / 0.291 and 0.320 / 0.286; the overlap penalty
one way only, 0.313 / 0.283 (shorter after longer) and 0.320 / 0.287; a
penalty of 0.7 instead of 0.5, 0.317 / 0.290.
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
    # A word jieba's dictionary does not know (its HMM made it) → the uses it needs to be a keyword.
    required: dict[str, int] = field(default_factory=dict)

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
    tails: dict[tuple[str, str], list[tuple[int, str]]] = {}  # (term, one character said right after it) → (cue, surface)
    names = _Names(counts)
    for index, cue in enumerate(cues):
        folded = fold_aligned(cue.text)
        said = cue.text if len(folded) == len(cue.text) else folded  # surfaces: what was written, when aligned
        words = segmenter.words(folded)
        names.new_cue(index, folded, said)
        offset, phrase_end, previous, last = 0, -1, ("", ""), None
        for word in words:
            start = folded.index(word, offset)
            offset = start + len(word)
            kind = kinds.get(word)
            if kind is None:
                kind = kinds.classify(word)
            if kind is _NOT_A_TERM:
                names.other(word, start, offset)
                if last is not None and len(word) == 1 and last[2] == start:
                    tails.setdefault((last[0], word), []).append((index, last[1] + said[start:offset]))
                phrase_end, last = -1, None
                continue
            surface = said[start:offset]
            _add(counts, word, surface, index)
            names.term(word, start, offset)
            last = (word, surface, offset)
            if kind is _PHRASE_PART:
                gap = _gap(folded, phrase_end, start, previous[0], word)
                if gap is not None:
                    _add_phrase(counts, previous, (word, surface), index, gap)
                phrase_end, previous = offset, (word, surface)
            else:
                phrase_end = -1
        names.end_cue()
        counts.tokens.append(words)
    _keep_recurring_phrases(counts)
    _join_split_tails(counts, tails)
    names.resolve(kinds)
    counts.required = {t: n for t, n in kinds.required.items() if t in counts.cues}
    return counts


class _Names:
    """Full names said in a lecture, found while ``count_terms`` walks the words, and the
    parts they are also called by.

    Two kinds: Chinese renderings of foreign names, whose parts are joined by a
    middle dot (兰斯·阿姆斯特朗; jieba cuts at the dot), and Latin names, two or
    three capitalised words apart by spaces only (Noah Snavely, Nathaniel Anthony
    Ayers; four or more in a row are two names run together, left alone). A talk
    names a person in full once or twice and then by one part (卡纳曼：…, Noah's
    database): those uses count for the full name, which is the form a catalogue
    or a reader looks up, when the part belongs to just one full name of the
    lecture (Robert Gupta and Robert Downey Jr: "Robert" stays as it is). A dotted
    term inside title marks (《史记·孔子世家》) is a work and its chapter: counted
    as a term, its parts keep their own uses.
    """

    def __init__(self, counts: TermCounts) -> None:
        self.counts = counts
        self.parts: dict[str, tuple[str, ...]] = {}  # full name → the parts that may stand for it
        self._cue, self._folded, self._said = -1, "", ""
        self._last: tuple[str, int, int, tuple[str, ...] | None, int] | None = None  # the term just before: word, start,
        # end, and the dotted name it ends (its parts and start), if any
        self._dotted: tuple[tuple[str, ...], int, int] | None = None  # a name followed by a dot: parts, start, end of the dot
        self._run: list[tuple[str, int, int]] = []  # Latin name words in a row: word, start, end

    def new_cue(self, cue: int, folded: str, said: str) -> None:
        self._cue, self._folded, self._said = cue, folded, said
        self._last = self._dotted = None
        self._run = []

    def term(self, word: str, start: int, end: int) -> None:
        """A term word (called once per word said: the common path does little)."""
        dotted = self._dotted
        if dotted is not None:
            self._dotted = None
            if dotted[2] == start:
                parts, name_start = dotted[0] + (word,), dotted[1]
                in_title_marks = self._folded[:name_start].endswith(("《", "〈"))
                self._add("·".join(parts), name_start, end, None if in_title_marks else (parts[0], parts[-1]))
                self._last = (word, start, end, parts, name_start)
                return
        self._last = (word, start, end, None, start)
        if word.isascii() and _LATIN_NAME_WORD.fullmatch(self._said[start:end]):
            if self._run and not self._folded[self._run[-1][2]:start].isspace():
                self.end_cue()
            self._run.append((word, start, end))
        elif self._run:
            self.end_cue()

    def other(self, word: str, start: int, end: int) -> None:
        """A word that is not a term: a dot may join the term before it to the next."""
        last, self._last, self._dotted = self._last, None, None
        if self._run:
            self.end_cue()
        if last is not None and word in NAME_DOTS and last[2] == start:
            self._dotted = (last[3] or (last[0],), last[4], end)  # 兰斯· waits for 阿姆斯特朗

    def end_cue(self) -> None:
        """End the run of Latin name words (at the end of a cue, or at anything else)."""
        run, self._run = self._run, []
        if 2 <= len(run) <= 3:
            words = [word for word, _, _ in run]
            self._add(" ".join(words), run[0][1], run[-1][2], (words[0], words[-1]))

    def _add(self, name: str, start: int, end: int, parts: tuple[str, ...] | None) -> None:
        _add(self.counts, name, self._said[start:end], self._cue)
        self.parts.setdefault(name, ())
        if parts:
            self.parts[name] = parts

    def resolve(self, kinds: "_TermKinds") -> None:
        """Give each full name the uses of a part said alone that stands for it and no other name;
        a name needs ``NAME_USES`` uses in all to be ranked."""
        counts = self.counts
        owners: dict[str, list[str]] = {}
        for name, parts in self.parts.items():
            for part in set(parts):
                owners.setdefault(part, []).append(name)
        for part, named in owners.items():
            if len(named) != 1 or part not in counts.cues:
                continue
            name = named[0]
            alone = Counter(counts.cues[part])
            alone.subtract(Counter(counts.cues[name]))  # the part's uses inside the full name
            counts.cues[name].extend(cue for cue, n in alone.items() for _ in range(max(n, 0)))
            counts.cues[name].sort()
            del counts.cues[part], counts.surfaces[part]
        for name in self.parts:
            kinds.required[name] = NAME_USES


NAME_DOTS = frozenset("·・•‧∙")  # what joins the parts of a foreign name written in Chinese (兰斯·阿姆斯特朗)
NAME_USES = 2  # a full name said once, and never again by one of its parts, is a passing mention
_LATIN_NAME_WORD = re.compile(r"[A-Z][A-Za-z'\-]*[a-z]")  # Noah, McCarthy, Jean-Paul; not TED, U235


_NOT_A_TERM, _TERM, _PHRASE_PART = "not a term", "term", "term that can start or end a phrase"


class _TermKinds(dict):
    """word → what it is for ``count_terms``: not a term, a term, or a term that can be part of a phrase."""

    def __init__(self, segmenter: Segmenter, vocabulary: frozenset[str]) -> None:
        super().__init__()
        self.segmenter, self.vocabulary = segmenter, vocabulary
        self.required: dict[str, int] = {}

    def classify(self, word: str) -> str:
        tag = self.segmenter.tag(word)
        if not _is_candidate(word, tag, self.vocabulary):
            kind = _NOT_A_TERM
        else:
            kind = _PHRASE_PART if tag in PHRASE_TAGS else _TERM
        if kind is not _NOT_A_TERM and tag == "x" and word not in self.vocabulary:
            self.required[word] = GLUED_USES if _is_glued(word, self.segmenter) else UNKNOWN_USES
        self[word] = kind
        return kind


# Evidence for words jieba's dictionary does not know, which its HMM joins from single
# characters: said once, 米长 or 戴维翰 are as likely debris or a stray name as a term; a word
# whose dictionary parts start or end with a non-noun (乙|有, 地|问, 裤兜|里|装) is a chance join
# unless it recurs like a word (阿凡达, 因纽特人, 糖片), as for joined tails.
UNKNOWN_USES, GLUED_USES = 2, 3


def _is_glued(word: str, segmenter: Segmenter) -> bool:
    """Whether the dictionary cuts ``word`` into parts the first or last of which is not noun-like."""
    if word.isascii():
        return False
    parts = [p for p in segmenter.tokenizer.cut(word, HMM=False) if p.strip()]
    return len(parts) > 1 and (segmenter.tag(parts[0]) not in NOUN_TAGS or segmenter.tag(parts[-1]) not in NOUN_TAGS)


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


def _gap(text: str, end: int, start: int, before: str, word: str) -> str | None:
    """What joins two phrase parts: nothing when adjacent, a space between two Latin words
    apart only by spaces (repower america, skid row), None when they do not join."""
    if end == start:
        return ""
    if end >= 0 and text[end:start].isspace() and before.isascii() and word.isascii():
        return " "
    return None


def _add_phrase(counts: TermCounts, previous: tuple[str, str], current: tuple[str, str], cue: int, gap: str = "") -> None:
    phrase = previous[0] + gap + current[0]
    if gap or len(phrase) <= MAX_PHRASE:
        _add(counts, _PHRASE_PREFIX + phrase, previous[1] + gap + current[1], cue)


def _keep_recurring_phrases(counts: TermCounts) -> None:
    """Phrases said at least twice become terms; the rest are dropped."""
    for marked in [t for t in counts.cues if t.startswith(_PHRASE_PREFIX)]:
        cues, surfaces = counts.cues.pop(marked), counts.surfaces.pop(marked)
        phrase = marked[1:]
        if len(cues) >= 2 and phrase not in counts.cues:
            counts.cues[phrase] = cues
            counts.surfaces[phrase] = surfaces


TAIL_SHARE, TAIL_USES = 0.8, 3  # 2 uses joined chance pairs (田野|间, 裂口|处) in the TED talks


def _join_split_tails(counts: TermCounts, tails: dict[tuple[str, str], list[tuple[int, str]]]) -> None:
    """A term nearly always said with the same character right after it is a name cut short:
    棉花|糖, 阿凡|达 (jieba splits words it does not know). The joined word takes those uses."""
    for (term, tail), uses in tails.items():
        where = counts.cues.get(term, ())
        if len(uses) < TAIL_USES or len(uses) < TAIL_SHARE * len(where) or not _is_tail(tail) or term + tail in counts.cues:
            continue
        remaining = list(where)
        for cue, surface in uses:
            _add(counts, term + tail, surface, cue)
            remaining.remove(cue)
        if remaining:
            counts.cues[term] = remaining
        else:
            del counts.cues[term], counts.surfaces[term]


def _is_tail(character: str) -> bool:
    """A Chinese character that can end a word: not a function word, particle or numeral."""
    return "\u4e00" <= character <= "\u9fff" and character not in stopwords() and character not in _GLUED_LAST and not _NUMERIC.fullmatch(character)


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
    """Corpus IDF times jieba's IDF: a keyword is rare among these lectures *and* in the language.

    A weighted sum let a word common in Chinese (世界, 文化, 设计) through whenever few
    lectures of a small corpus happened to use it; as a product, either source marks it down.
    """
    general, median = jieba_idf()
    prior = general.get(term, median)
    if documents <= 1:
        return prior
    corpus = math.log((documents + 1) / (document_frequency + 0.5)) + 1.0
    return corpus * prior


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
        if len(where) < counts.required.get(term, 1) and term not in context:
            continue
        slices = {min(9, int(cues[i].start / end * 10)) for i in where}
        weight = (1 + math.log(len(where))) * idf(term, document_frequency.get(term, 1), documents)
        weight *= 0.6 + 0.4 * len(slices) / 10
        weight *= 1.5 if term in context else 1.0
        weight *= 1.2 if term in vocabulary else 1.0
        scored.append((weight, term))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    best = scored[0][0] if scored else 1.0
    weights = dict((t, w) for w, t in scored)
    chosen = _diversify(_drop_subsumed([t for _, t in scored[: limit * 2]], counts)[:limit], weights)
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


REDUNDANCY = 0.5


def _diversify(terms: list[str], weights: dict[str, float]) -> list[str]:
    """Order ``terms`` greedily by weight, a term overlapping one placed before it (one contains the
    other) counting at ``REDUNDANCY`` of its weight.

    MMR-style: 魔兽 beside 魔兽世界, 药片 beside 白色药片 mostly name one thing twice, so the
    top few say more when the second waits. Only the order changes, not the terms or their weights.
    """
    remaining, ordered = list(terms), []
    while remaining:
        term = max(remaining, key=lambda t: weights[t] * (REDUNDANCY if any(t in o or o in t for o in ordered) else 1.0))
        ordered.append(term)
        remaining.remove(term)
    return ordered


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
