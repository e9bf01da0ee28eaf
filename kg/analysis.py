"""Stages 4, 5 and 8 of ``kg build`` on every core: analyse each lecture, rank its keywords, make its quads.

- ``analyse_all`` (stage 4): subtitles → cues → term counts and knowledge
  points, in forked workers (``kg.workers``); transcripts and counts go to a
  ``Spill`` on disk, only what later stages share comes back; a lecture whose
  analysis is in the ``AnalysisCache`` is not read again.
- ``rank_all`` (stage 5): corpus document frequencies, then each lecture's
  keywords, in forked workers.
- ``nquads`` (stage 8): the shared quads, the holdings in slices, then each
  lecture's, as N-Quads made in forked workers for ``kg.store.bulk_load``.

The workers see what the parent put in ``_WORKER`` before forking (segmenter,
matcher, analyses…), so nothing large is pickled to them.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

import pyoxigraph as ox

from ingest.errors import InputError
from ingest.keywords import TermCounts, count_terms, jieba_idf, rank_keywords
from ingest.knowledge import KnowledgeMatcher, everyday_line, salient, widespread
from ingest.records import Analysis, Holding, KnowledgePoint, Lecture, Transcript
from ingest.segmenter import Segmenter
from ingest.subtitles import read_subtitles
from kg import graphs
from kg.analysis_cache import AnalysisCache
from kg.describe import Describer
from kg.workers import Spill, on_every_core

if TYPE_CHECKING:
    from kg.pipeline import BuildReport

Progress = Callable[[str, int, int], None]  # stage, done, total

_WORKER: dict[str, object] = {}  # what the forked workers share with the parent, set before each fork


@contextmanager
def _shared(**values: object) -> Iterator[None]:
    """``values`` in ``_WORKER`` for one stage's workers, and gone after it: the table must not keep a
    build's corpus alive for the stages after it (or, in ``kg.builder``, until the next build)."""
    _WORKER.update(values)
    try:
        yield
    finally:
        _WORKER.clear()


@dataclass(frozen=True)
class Analysed:
    """What stage 4 found in one lecture; transcript cues and term counts stay in the spill when there is one."""

    lecture: Lecture
    transcript: Transcript  # without cues when spilled
    counts: TermCounts | None  # None when spilled
    knowledge_points: tuple[KnowledgePoint, ...]
    terms: tuple[str, ...]  # the terms counted, for document frequencies
    cues: int
    number: int = 0
    spill: Spill | None = None
    cache_key: str | None = None  # its entry in the analysis cache

    def full_transcript(self) -> Transcript:
        return self.spill.get(self.number, "transcript") if self.spill else self.transcript

    def term_counts(self) -> TermCounts:
        return self.spill.get(self.number, "counts") if self.spill else self.counts  # type: ignore[return-value]


def analyse_all(lectures: list[Lecture], segmenter: Segmenter, matcher: KnowledgeMatcher, workers: int,
                 report: BuildReport, progress: Progress, spill: Spill | None = None,
                 cache: AnalysisCache | None = None) -> list[Analysed]:
    """Stage 4. With a ``spill``, transcripts and term counts go to disk instead of back to the parent;
    with a ``cache``, lectures analysed by an earlier build with the same inputs are not read again."""
    keys = [_cache_key(cache, lecture) for lecture in lectures] if cache else [None] * len(lectures)
    vocabulary = frozenset(matcher.labels())
    if not cache or not all(key and cache.has(key) for key in keys):
        segmenter.tokenizer, matcher.match([["预热"]], ())  # load jieba and spaCy once, before forking
    results: list[Analysed] = []
    terms: dict[str, str] = {}  # one copy of each term for the whole corpus, not one per lecture
    with _shared(segmenter=segmenter, matcher=matcher, vocabulary=vocabulary, spill=spill, cache=cache):
        outcomes = on_every_core(_analyse_one, list(enumerate(zip(lectures, keys))), workers)
        for done, outcome in enumerate(outcomes, start=1):
            if isinstance(outcome, InputError):
                report.problems.append(outcome)
            else:
                outcome = replace(outcome, terms=tuple(terms.setdefault(t, t) for t in outcome.terms))
                results.append(outcome)
                report.notes += [f"{outcome.lecture.subtitles.name}: {note}" for note in outcome.transcript.notes]
            progress("analyse", done, len(lectures))
    return results


def _cache_key(cache: AnalysisCache, lecture: Lecture) -> str | None:
    try:
        return cache.key(lecture.subtitles, lecture.encoding, lecture.duration)
    except OSError:
        return None  # read_subtitles says what is wrong with the file


def _analyse_one(numbered: tuple[int, tuple[Lecture, str | None]]) -> Analysed | InputError:
    number, (lecture, key) = numbered
    segmenter, matcher, vocabulary = _WORKER["segmenter"], _WORKER["matcher"], _WORKER["vocabulary"]
    spill: Spill | None = _WORKER["spill"]  # type: ignore[assignment]
    cache: AnalysisCache | None = _WORKER["cache"]  # type: ignore[assignment]
    found = cache.get(key) if cache and key else None
    if found is not None:
        transcript, counts, points = found  # type: ignore[misc]
        transcript = replace(transcript, path=lecture.subtitles)
    else:
        try:
            transcript = read_subtitles(lecture.subtitles, encoding=lecture.encoding, duration=lecture.duration)
        except InputError as error:
            return error
        counts = count_terms(transcript.cues, segmenter, vocabulary)  # type: ignore[arg-type]
        points = matcher.match(counts.tokens, transcript.cues)  # type: ignore[union-attr]
        counts.tokens = []
        if cache and key:
            cache.put(key, (transcript, counts, points))
    analysed = Analysed(lecture, transcript, counts, points, tuple(counts.cues), len(transcript.cues), number,
                         cache_key=key)
    if spill is None:
        return analysed
    spill.put(number, "transcript", transcript)
    spill.put(number, "counts", counts)
    return replace(analysed, transcript=replace(transcript, cues=()), counts=None, spill=spill)


def rank_all(analysed: list[Analysed], vocabulary: dict[str, str], limit: int, workers: int = 1) -> list[Analysis]:
    """Stage 5: document frequencies over the corpus, then each lecture's keywords and the knowledge
    points it is about (``ingest.knowledge.salient``), on every core."""
    frequency: dict[str, int] = {}
    for item in analysed:
        for term in item.terms:
            frequency[term] = frequency.get(term, 0) + 1
    jieba_idf(), everyday_line()  # read jieba's IDF table once, before forking
    spread = widespread([item.knowledge_points for item in analysed])
    with _shared(analysed=analysed, frequency=frequency, labels=vocabulary, limit=limit, widespread=spread):
        return list(on_every_core(_rank_one, range(len(analysed)), workers))


def _rank_one(number: int) -> Analysis:
    item: Analysed = _WORKER["analysed"][number]  # type: ignore[index]
    frequency, vocabulary, limit = _WORKER["frequency"], _WORKER["labels"], _WORKER["limit"]
    transcript = item.full_transcript()
    keywords = rank_keywords(item.term_counts(), transcript.cues, frequency, len(_WORKER["analysed"]),  # type: ignore[arg-type]
                             context=f"{item.lecture.title} {item.lecture.description or ''}",
                             vocabulary=vocabulary, limit=limit)  # type: ignore[arg-type]
    return Analysis(lecture=item.lecture, transcript=item.transcript, keywords=keywords,
                    knowledge_points=salient(item.knowledge_points, keywords, _WORKER["widespread"]))  # type: ignore[arg-type]


HOLDINGS_PER_TASK = 2_000  # about 20 quads each: a few MB of N-Quads per task, whatever the catalogue's size


def nquads(shared: Callable[[], Iterable[ox.Quad]], holdings: list[Holding], own_library: str,
           analyses: list[Analysis], analysed: list[Analysed], describer: Describer, workers: int) -> Iterator[bytes]:
    """Stage 8's data as N-Quads, made on every core: the shared quads, the holdings a slice at a time,
    then each lecture's. Each task's N-Quads are one ``bytes`` in a worker, in the pipe and in the
    parent, so no task may grow with the catalogue."""
    tasks = [("shared", 0), *(("holdings", start) for start in range(0, len(holdings), HOLDINGS_PER_TASK)),
             *(("lecture", number) for number in range(len(analyses)))]
    with _shared(shared=shared, holdings=holdings, own_library=own_library, analyses=analyses, analysed=analysed,
                 describer=describer):
        yield from on_every_core(_nquads_of, tasks, workers, parent_busy=True)


def _nquads_of(task: tuple[str, int]) -> bytes:
    kind, number = task
    describer: Describer = _WORKER["describer"]  # type: ignore[assignment]
    if kind == "shared":
        quads = _WORKER["shared"]()  # type: ignore[operator]
    elif kind == "holdings":
        some = _WORKER["holdings"][number:number + HOLDINGS_PER_TASK]  # type: ignore[index]
        quads = graphs.holding_quads(describer, _WORKER["own_library"], some)  # type: ignore[arg-type]
    else:
        analysis: Analysis = _WORKER["analyses"][number]  # type: ignore[index]
        full = replace(analysis, transcript=_WORKER["analysed"][number].full_transcript())  # type: ignore[index]
        quads = graphs.lecture_quads(describer, full)
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
