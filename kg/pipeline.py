"""``kg build``: the stages from source folder to a swapped-in store.

====  ===========  ==========================================================
 #    stage        what it does
====  ===========  ==========================================================
 1    manifest     read lectures.jsonl / lectures.csv, validate rows
 2    vocabulary   CLC table and SKOS files → concepts (knowledge points)
 3    holdings     MARC21 / UNIMARC / MARCXML / CSV → book records
 4    analyse      per lecture, on every core: subtitles → cues → terms,
                   knowledge points; transcript and term counts spilled to disk
 5    keywords     corpus document frequencies → ranked keywords (every core)
 6    link         BM25 of each lecture's keywords over the holdings
 7    relate       lecture–concept–holding graph → related lectures
 8    load         RDF quads → a new Oxigraph store, swapped in atomically;
                   each lecture's quads made on every core as N-Quads and
                   bulk-loaded in batches as they come
 9    search       the store's labels and texts → ``search.sqlite`` (``kg.search``)
====  ===========  ==========================================================

Memory stays bounded by a few lectures, not the corpus: the analyse workers
write each lecture's transcript and term counts to ``spill/`` in the new build
directory and send back only what the later stages share (terms, knowledge
points, cue count); the keyword and load workers read them back one lecture at
a time. Stages 4, 5 and 8 run in forked worker processes (``workers``).

Bad input never stops the build (unless ``strict``): each problem is one
``InputError`` in ``BuildReport.problems`` and the rest goes on.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import multiprocessing
import os
import pickle
import shutil
import signal
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

import pyoxigraph as ox

from ingest import classification
from ingest.errors import InputError
from ingest.folding import fold, has_cjk
from ingest.holdings import read_holdings
from ingest.keywords import TermCounts, count_terms, jieba_idf, rank_keywords
from ingest.knowledge import KnowledgeMatcher
from ingest.manifest import read_manifest
from ingest.matching import HoldingsIndex, QueryTerm
from ingest.records import Analysis, Concept, Holding, KnowledgePoint, Lecture, Transcript
from ingest.segmenter import Segmenter
from ingest.subtitles import read_subtitles
from ingest.vocabulary import close_matches, read_vocabulary
from kg import __version__ as VERSION, feed, graphs, search
from kg.describe import Describer
from kg.related import LectureFacts, build_graph, relate
from kg.settings import Settings
from kg.store import StoreDirectory, build_id, bulk_load
from kg.uris import Minter

HOLDINGS_SUFFIXES = {".mrc", ".iso", ".marc", ".dat", ".xml", ".marcxml", ".csv"}
VOCAB_SUFFIXES = {".ttl", ".nt", ".rdf", ".owl", ".jsonld", ".trig", ".nq"}


class BuildRefused(Exception):
    """``strict`` was asked for and the input had problems; nothing was stored."""

    def __init__(self, problems: Sequence[InputError]) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(problems)} input problem(s); strict build refused")


@dataclass
class BuildReport:
    store: Path
    build: Path | None = None
    problems: list[InputError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what readers skipped inside files that were built
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


Progress = Callable[[str, int, int], None]  # stage, done, total


@dataclass(frozen=True)
class BuildInput:
    source: Path
    holdings: tuple[Path, ...] = ()
    vocabularies: tuple[Path, ...] = ()
    strict: bool = False


def build(request: BuildInput, settings: Settings, progress: Progress | None = None) -> BuildReport:
    """Run every stage and swap the new store in. Raises BuildRefused, InputError, StoreError."""
    progress = progress or (lambda stage, done, total: None)
    report = BuildReport(store=settings.store)
    clock = _Clock(report, progress)
    started = time.time()

    with clock("manifest"):
        lectures, problems = read_manifest(request.source, settings.library)
        report.problems += problems
        lectures.sort(key=lambda lecture: (lecture.library, lecture.id))
    with clock("vocabulary"):
        vocabulary_paths = _vocabulary_files(request)
        concepts, matches, vocabulary_paths = _read_vocabularies(vocabulary_paths, settings.base_uri, report)
    with clock("holdings"):
        holdings = _read_holdings_files(_holdings_files(request), report, progress)
    segmenter = Segmenter(_user_words(concepts, holdings), settings.lexicons)
    minter = Minter(settings.base_uri)
    speakable = _speakable_classes(minter)
    matcher = KnowledgeMatcher(concepts + speakable, segmenter)
    fingerprint = _fingerprint(request, settings, lectures)
    describer = Describer(minter, minter.activity(fingerprint), holdings_library=settings.library)
    store_dir = StoreDirectory(settings.store)
    previous = store_dir.current.resolve() if store_dir.current.exists() else None  # for the change feed
    with store_dir.new_build(build_id(started)) as build_path:  # a refused or failed build leaves no trace
        spill = _Spill(build_path / "spill")
        with clock("analyse"):
            analysed = _analyse_all(lectures, segmenter, matcher, settings.workers, report, progress, spill)
        if request.strict and report.problems:  # after every reader ran: the refusal lists all problems at once
            raise BuildRefused(report.problems)
        with clock("keywords"):
            analyses = _rank_all(analysed, matcher.labels(), settings.keywords_per_lecture, settings.workers)
        with clock("link"):
            index = HoldingsIndex(holdings, segmenter)
            analyses = [replace(a, holdings=index.rank(_query(a, concepts), settings.holdings_per_lecture)) for a in analyses]
        with clock("relate"):
            titles = {h.id: h.title for h in holdings}
            broader = _broader_lookup(concepts + speakable, matches, minter)
            graph = build_graph(_facts(a, titles, broader) for a in analyses)
            related = relate(graph, settings.related_per_lecture)
            analyses = [replace(a, related=related.get((a.lecture.library, a.lecture.id), ())) for a in analyses]
        when = _build_time(started)
        with clock("load"):
            store = ox.Store(str(store_dir.database(build_path)))
            shared = partial(graphs.shared_quads, describer, settings, analyses, holdings, vocabulary_paths, matches,
                             _inputs(request, lectures), when)
            bulk_load(store, _nquads(shared, analyses, analysed, describer, settings.workers))
            store.flush()
            report.counts["triples"] = len(store)
            spill.remove()
        with clock("search"):
            search.write_index(store, build_path, settings.base_uri)
        del store
        report.build = build_path
        _count(report, analyses, analysed, holdings)
        store_dir.finish(build_path, _summary(report, request, settings, when, fingerprint))
    with clock("feed"):  # after the swap, before prune (which may remove ``previous``)
        try:
            feed.record_build(settings.store, previous, build_path, settings.base_uri,
                              time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when[1])))
        except (feed.FeedError, OSError, RuntimeError) as error:  # the build stands; the next one catches up
            report.notes.append(f"change feed not updated: {error}")
    store_dir.prune(settings.keep_builds)
    return report


# --- stage helpers ---------------------------------------------------------------


class _Clock:
    """Times each stage into the report and tells the progress callback."""

    def __init__(self, report: BuildReport, progress: Progress) -> None:
        self.report, self.progress = report, progress

    def __call__(self, stage: str) -> "_Clock":
        self.stage = stage
        return self

    def __enter__(self) -> None:
        self.started = time.perf_counter()
        self.progress(self.stage, 0, 0)

    def __exit__(self, *exc: object) -> None:
        self.report.seconds[self.stage] = round(time.perf_counter() - self.started, 3)


def _vocabulary_files(request: BuildInput) -> list[Path]:
    folder = request.source / "vocab" if request.source.is_dir() else None
    found = sorted(p for p in folder.iterdir() if p.suffix.lower() in VOCAB_SUFFIXES) if folder and folder.is_dir() else []
    return found + list(request.vocabularies)


def _holdings_files(request: BuildInput) -> list[Path]:
    folder = request.source / "holdings" if request.source.is_dir() else None
    found = sorted(p for p in folder.iterdir() if p.suffix.lower() in HOLDINGS_SUFFIXES) if folder and folder.is_dir() else []
    return found + list(request.holdings)


def _read_vocabularies(paths: list[Path], base: str, report: BuildReport) -> tuple[list[Concept], dict[str, tuple[str, ...]], list[Path]]:
    """Concepts and close matches of every readable file, and the files that were readable."""
    concepts: list[Concept] = []
    matches: dict[str, tuple[str, ...]] = {}
    readable = []
    for path in paths:
        try:
            concepts += read_vocabulary(path, base)
            matches.update(close_matches(path, base))
            readable.append(path)
        except InputError as error:
            report.problems.append(error)
    return concepts, matches, readable


def _read_holdings_files(paths: list[Path], report: BuildReport, progress: Progress) -> list[Holding]:
    holdings: dict[str, Holding] = {}
    for path in paths:
        try:
            for item in read_holdings(path):
                if isinstance(item, InputError):
                    report.problems.append(item)
                else:
                    holdings.setdefault(item.id, item)
        except InputError as error:
            report.problems.append(error)
        progress("holdings", len(holdings), 0)
    return sorted(holdings.values(), key=lambda h: h.id)


def _user_words(concepts: list[Concept], holdings: list[Holding]) -> list[tuple[str, str]]:
    """Vocabulary labels and Chinese subject headings, folded, as jieba user words."""
    words = {fold(label): "nz" for c in concepts for _, label in c.pref_labels + c.alt_labels if has_cjk(label)}
    for holding in holdings:
        for subject in holding.subjects:
            for part in subject.split("--"):
                part = fold(part)
                if has_cjk(part) and 2 <= len(part) <= 8:
                    words.setdefault(part, "nz")
    return sorted(words.items())


def _speakable_classes(minter: Minter) -> list[Concept]:
    """CLC classes whose label can be looked for in speech (unique, short, plain), with minted IRIs."""
    table = classification.classes()
    return [graphs.clc_concept(minter, table[n]) for n in classification.matchable_labels().values()]


# --- stages 4, 5 and 8 on every core ------------------------------------------------

Item = TypeVar("Item")
Result = TypeVar("Result")
_WORKER: dict[str, object] = {}  # what the forked workers share with the parent, set before each fork


def _on_every_core(function: Callable[[Item], Result], items: Sequence[Item], workers: int,
                   parent_busy: bool = False) -> Iterator[Result]:
    """``map(function, items)`` in forked processes, in order, at most two tasks per process ahead.

    ``workers`` processes, or one fewer when the parent has its own work to do
    with each result (``parent_busy``: loading it), so that it keeps a core.
    The bounded window keeps finished results from piling up when the
    consumer is slower than the workers.
    """
    processes = workers - 1 if parent_busy else workers
    if workers <= 1 or len(items) <= 1:
        yield from map(function, items)
        return
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"),
                             initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) >= 2 * processes:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _die_with_parent(parent: int) -> None:
    """Make a pool worker end when the build process does, even when that is killed (SIGKILL).

    An orphaned worker would go on holding the store's lock (inherited with the
    fork) and every next build would be refused as "another build is running".
    Linux's ``PR_SET_PDEATHSIG``; elsewhere orphans end with their current task.
    """
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the build died before the call above
        os._exit(1)


_PR_SET_PDEATHSIG = 1


class _Spill:
    """Transcripts and term counts of analysed lectures, one pickle each, in a scratch folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def put(self, number: int, kind: str, value: object) -> None:
        self.folder.mkdir(exist_ok=True)
        with (self.folder / f"{number}.{kind}").open("wb") as out:
            pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)

    def get(self, number: int, kind: str):
        with (self.folder / f"{number}.{kind}").open("rb") as data:
            return pickle.load(data)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass(frozen=True)
class _Analysed:
    """What stage 4 found in one lecture; transcript cues and term counts stay in the spill when there is one."""

    lecture: Lecture
    transcript: Transcript  # without cues when spilled
    counts: TermCounts | None  # None when spilled
    knowledge_points: tuple[KnowledgePoint, ...]
    terms: tuple[str, ...]  # the terms counted, for document frequencies
    cues: int
    number: int = 0
    spill: _Spill | None = None

    def full_transcript(self) -> Transcript:
        return self.spill.get(self.number, "transcript") if self.spill else self.transcript

    def term_counts(self) -> TermCounts:
        return self.spill.get(self.number, "counts") if self.spill else self.counts  # type: ignore[return-value]


def _analyse_all(lectures: list[Lecture], segmenter: Segmenter, matcher: KnowledgeMatcher, workers: int,
                 report: BuildReport, progress: Progress, spill: _Spill | None = None) -> list[_Analysed]:
    """Stage 4. With a ``spill``, transcripts and term counts go to disk instead of back to the parent."""
    vocabulary = frozenset(matcher.labels())
    segmenter.tokenizer, matcher.match([["预热"]], ())  # load jieba and spaCy once, before forking
    _WORKER.update(segmenter=segmenter, matcher=matcher, vocabulary=vocabulary, spill=spill)
    results: list[_Analysed] = []
    terms: dict[str, str] = {}  # one copy of each term for the whole corpus, not one per lecture
    for done, outcome in enumerate(_on_every_core(_analyse_one, list(enumerate(lectures)), workers), start=1):
        if isinstance(outcome, InputError):
            report.problems.append(outcome)
        else:
            outcome = replace(outcome, terms=tuple(terms.setdefault(t, t) for t in outcome.terms))
            results.append(outcome)
            report.notes += [f"{outcome.lecture.subtitles.name}: {note}" for note in outcome.transcript.notes]
        progress("analyse", done, len(lectures))
    return results


def _analyse_one(numbered: tuple[int, Lecture]) -> _Analysed | InputError:
    number, lecture = numbered
    segmenter, matcher, vocabulary = _WORKER["segmenter"], _WORKER["matcher"], _WORKER["vocabulary"]
    spill: _Spill | None = _WORKER["spill"]  # type: ignore[assignment]
    try:
        transcript = read_subtitles(lecture.subtitles, encoding=lecture.encoding, duration=lecture.duration)
    except InputError as error:
        return error
    counts = count_terms(transcript.cues, segmenter, vocabulary)  # type: ignore[arg-type]
    points = matcher.match(counts.tokens, transcript.cues)  # type: ignore[union-attr]
    counts.tokens = []
    analysed = _Analysed(lecture, transcript, counts, points, tuple(counts.cues), len(transcript.cues), number)
    if spill is None:
        return analysed
    spill.put(number, "transcript", transcript)
    spill.put(number, "counts", counts)
    return replace(analysed, transcript=replace(transcript, cues=()), counts=None, spill=spill)


def _rank_all(analysed: list[_Analysed], vocabulary: dict[str, str], limit: int, workers: int = 1) -> list[Analysis]:
    """Stage 5: document frequencies over the corpus, then each lecture's keywords (on every core)."""
    frequency: dict[str, int] = {}
    for item in analysed:
        for term in item.terms:
            frequency[term] = frequency.get(term, 0) + 1
    jieba_idf()  # read jieba's IDF table once, before forking
    _WORKER.update(analysed=analysed, frequency=frequency, labels=vocabulary, limit=limit)
    return list(_on_every_core(_rank_one, range(len(analysed)), workers))


def _rank_one(number: int) -> Analysis:
    item: _Analysed = _WORKER["analysed"][number]  # type: ignore[index]
    frequency, vocabulary, limit = _WORKER["frequency"], _WORKER["labels"], _WORKER["limit"]
    transcript = item.full_transcript()
    keywords = rank_keywords(item.term_counts(), transcript.cues, frequency, len(_WORKER["analysed"]),  # type: ignore[arg-type]
                             context=f"{item.lecture.title} {item.lecture.description or ''}",
                             vocabulary=vocabulary, limit=limit)  # type: ignore[arg-type]
    return Analysis(lecture=item.lecture, transcript=item.transcript, keywords=keywords,
                    knowledge_points=item.knowledge_points)


def _nquads(shared: Callable[[], Iterable[ox.Quad]], analyses: list[Analysis], analysed: list[_Analysed],
            describer: Describer, workers: int) -> Iterator[bytes]:
    """Stage 8's data as N-Quads, made on every core: the shared quads (task -1), then each lecture's."""
    _WORKER.update(shared=shared, analyses=analyses, analysed=analysed, describer=describer)
    return _on_every_core(_nquads_of, range(-1, len(analyses)), workers, parent_busy=True)


def _nquads_of(number: int) -> bytes:
    if number < 0:
        quads = _WORKER["shared"]()  # type: ignore[operator]
    else:
        analysis: Analysis = _WORKER["analyses"][number]  # type: ignore[index]
        full = replace(analysis, transcript=_WORKER["analysed"][number].full_transcript())  # type: ignore[index]
        quads = graphs.lecture_quads(_WORKER["describer"], full)  # type: ignore[arg-type]
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS)


# --- stages 6–7 ---------------------------------------------------------------------


def _query(analysis: Analysis, concepts: list[Concept]) -> list[QueryTerm]:
    """Keywords by weight, knowledge points (Chinese and English labels) at 0.5."""
    english = {c.iri: [t for lang, t in c.pref_labels if lang.startswith("en")] for c in concepts}
    terms = [QueryTerm(k.key, k.weight, k.key) for k in analysis.keywords]
    for point in analysis.knowledge_points:
        terms.append(QueryTerm(fold(point.label), 0.5, point.concept))
        terms += [QueryTerm(fold(label), 0.5, point.concept) for label in english.get(point.concept, [])]
    return terms


def _facts(analysis: Analysis, titles: dict[str, str], broader) -> LectureFacts:
    lecture = analysis.lecture
    return LectureFacts((lecture.library, lecture.id), analysis.keywords, analysis.knowledge_points,
                        analysis.holdings, titles, broader)


def _broader_lookup(concepts: list[Concept], matches: dict[str, tuple[str, ...]], minter: Minter):
    """concept IRI → its broader concepts and CLC close matches, as (IRI, label) pairs."""
    known = {c.iri: c for c in concepts}
    table, prefix = classification.classes(), minter.clc("")

    def concept(iri: str) -> Concept | None:
        if iri in known:
            return known[iri]
        notation = minter.split(iri)[1] if iri.startswith(prefix) else None
        return graphs.clc_concept(minter, table[notation]) if notation in table else None

    def broader(iri: str) -> list[tuple[str, str]]:
        found = concept(iri)
        targets = (found.broader if found else ()) + matches.get(iri, ())
        return [(t, c.label()) for t in targets if (c := concept(t))]

    return broader


# --- provenance and summary -------------------------------------------------------------


def _inputs(request: BuildInput, lectures: list[Lecture]) -> list[tuple[str, str]]:
    """(name, sha256) of every input file, for prov:used."""
    paths = set(_holdings_files(request)) | set(_vocabulary_files(request)) | {l.subtitles for l in lectures}
    root = request.source if request.source.is_dir() else request.source.parent
    paths |= {p for p in (root / "lectures.jsonl", root / "lectures.csv") if p.is_file()}
    return sorted((_relative(p, root), _sha256(p)) for p in paths if p.is_file())


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return path.name


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fingerprint(request: BuildInput, settings: Settings, lectures: list[Lecture]) -> str:
    parts = [VERSION, json.dumps(_parameters(settings), sort_keys=True)]
    parts += [f"{name}:{sha}" for name, sha in _inputs(request, lectures)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _parameters(settings: Settings) -> dict[str, object]:
    return {
        "keywords_per_lecture": settings.keywords_per_lecture,
        "holdings_per_lecture": settings.holdings_per_lecture,
        "related_per_lecture": settings.related_per_lecture,
        "lexicons": [p.name for p in settings.lexicons],
    }


def _build_time(started: float) -> tuple[float, float]:
    """(start, end) of the build; both SOURCE_DATE_EPOCH when set, for reproducible output."""
    fixed = os.environ.get("SOURCE_DATE_EPOCH")
    if fixed and fixed.isdigit():
        return float(fixed), float(fixed)
    return started, time.time()


def _count(report: BuildReport, analyses: list[Analysis], analysed: list[_Analysed], holdings: list[Holding]) -> None:
    report.counts.update(
        lectures=len(analyses),
        cues=sum(a.cues for a in analysed),
        keywords=sum(len(a.keywords) for a in analyses),
        knowledge_points=sum(len(a.knowledge_points) for a in analyses),
        holdings=len(holdings),
        holding_links=sum(len(a.holdings) for a in analyses),
        related=sum(len(a.related) for a in analyses),
        problems=len(report.problems),
    )


def _summary(report: BuildReport, request: BuildInput, settings: Settings, when: tuple[float, float], fingerprint: str) -> dict:
    return {
        "version": VERSION,
        "fingerprint": fingerprint,
        "base_uri": settings.base_uri,
        "source": str(request.source),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when[0])),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when[1])),
        "counts": report.counts,
        "seconds": report.seconds,
        "problems": [p.describe() for p in report.problems],
        "notes": report.notes,
        "parameters": _parameters(settings),
    }
