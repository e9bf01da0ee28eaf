"""``kg build``: the stages from source folder to a swapped-in store.

====  ===========  ==========================================================
 #    stage        what it does
====  ===========  ==========================================================
 1    manifest     read lectures.jsonl / lectures.csv, validate rows; add what
                   libraries published (``kg.publications``: the current
                   build's published sources, this build's changes applied)
 2    vocabulary   CLC table and SKOS files → concepts (knowledge points)
 3    holdings     MARC21 / UNIMARC / MARCXML / CSV → book records
 4    analyse      per lecture, on every core: subtitles → cues → terms,
                   knowledge points; transcript and term counts spilled to disk;
                   unchanged lectures taken from ``kg.analysis_cache``
 5    keywords     corpus document frequencies → ranked keywords (every core)
 6    link         BM25 of each lecture's keywords over the holdings
 7    relate       lecture–concept–holding graph → related lectures
 8    load         RDF quads → a new Oxigraph store, swapped in atomically;
                   the holdings' quads (2,000 records a task) and each
                   lecture's made on every core as N-Quads and bulk-loaded
                   in batches as they come
 9    search       the store's labels and texts → ``search.sqlite`` (``kg.search``)
====  ===========  ==========================================================

What a build reads is ``kg.inputs``; stages 4, 5 and 8 are ``kg.analysis``,
in forked worker processes (``workers``). Transcripts stay out of the parent:
the analyse workers write each lecture's transcript and term counts to
``spill/`` in the new build directory and send back only what the later
stages share (terms, knowledge points, cue count); the keyword and load
workers read them back one lecture at a time.

The store's lock is held from the start to the change feed's record of the
swap, so that concurrent builds (a batch ``kg build``, publishes through
``kg.builder``) each start from the build the previous one swapped in.

Bad input never stops the build (unless ``strict``): each problem is one
``InputError`` in ``BuildReport.problems`` and the rest goes on.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Callable, Sequence

import pyoxigraph as ox

from ingest import classification
from ingest.errors import InputError
from ingest.folding import fold
from ingest.manifest import read_manifest
from ingest.matching import HoldingsIndex, QueryTerm
from ingest.records import Analysis, Concept, Holding, HoldingLink, Lecture
from ingest.segmenter import Segmenter
from kg import __version__ as VERSION, feed, graphs, publications, search
from kg.analysis import Analysed, analyse_all, nquads, rank_all
from kg.analysis_cache import AnalysisCache
from kg.describe import Describer
from kg.inputs import (all_holdings, files_state, holdings_files, library_names, published, read_vocabularies,
                       speakable_classes, tools, user_words, vocabulary_files, with_published)
from kg.related import LectureFacts, build_graph, relate
from kg.settings import Settings
from kg.store import StoreDirectory, build_id, bulk_load
from kg.uris import Minter
from kg.workers import Spill


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
    feed: int | None = None  # the change feed's last activity once this build was recorded


Progress = Callable[[str, int, int], None]  # stage, done, total


@dataclass(frozen=True)
class BuildInput:
    """A batch source folder (``None``: only what libraries published), extra files, and changes to publish."""

    source: Path | None
    holdings: tuple[Path, ...] = ()
    vocabularies: tuple[Path, ...] = ()
    strict: bool = False
    changes: tuple[publications.Change, ...] = ()  # applied to the published sources carried from the current build
    wait: float = 0.0  # seconds to wait for another build to finish; 0: refuse at once


def build(request: BuildInput, settings: Settings, progress: Progress | None = None) -> BuildReport:
    """Run every stage and swap the new store in. Raises BuildRefused, InputError, StoreError.

    The store's lock is taken first (waiting up to ``request.wait`` seconds for
    another build), so that the published sources carried from the current
    build are the ones the swap replaces.
    """
    progress = progress or (lambda stage, done, total: None)
    report = BuildReport(store=settings.store)
    clock = _Clock(report, progress)
    started = time.time()
    store_dir = StoreDirectory(settings.store)
    previous: Path | None = None

    def record_feed(build: Path) -> None:  # after the swap, still holding the lock: builds enter the feed in order
        with clock("feed"):
            try:
                report.feed = feed.record_build(settings.store, previous, build, settings.base_uri,
                                                time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when[1]))).position
            except (feed.FeedError, OSError, RuntimeError) as error:  # the build stands; the next one catches up
                report.notes.append(f"change feed not updated: {error}")

    with store_dir.new_build(build_id(started), request.wait, record_feed) as build_path:  # a failure leaves no trace
        previous = store_dir.current.resolve() if store_dir.current.exists() else None
        store, loaded = _load(request, settings, report, clock, progress, started, previous, build_path)
        when = loaded.when
        with clock("search"):  # the corpus-sized data of stages 1–8 is gone: _load's frame has ended
            search.write_index(store, build_path, settings.base_uri)
        del store
        report.build = build_path
        store_dir.finish(build_path, _summary(report, request, settings, when, loaded.fingerprint))
        loaded.cache.keep_only(loaded.cache_keys)
    store_dir.prune(settings.keep_builds)
    return report


@dataclass(frozen=True)
class _Loaded:
    """What stages 1–8 leave for the rest of the build: small, unlike what they worked with."""

    when: tuple[float, float]  # the build's start and end (or SOURCE_DATE_EPOCH)
    fingerprint: str
    cache: AnalysisCache
    cache_keys: list[str]  # the analysis cache entries this build used


def _load(request: BuildInput, settings: Settings, report: BuildReport, clock: "_Clock", progress: Progress,
          started: float, previous: Path | None, build_path: Path) -> tuple[ox.Store, _Loaded]:
    """Stages 1–8 into the new build's store (returned open). Holdings, analyses and the holdings index
    end with this call, so that the search index and the change feed are built without them in memory."""
    with clock("manifest"):
        sources = published(previous, build_path, request, report)
        lectures, problems = read_manifest(request.source, settings.library) if request.source else ([], [])
        report.problems += problems
        lectures = with_published(lectures, sources.lectures, report)
    with clock("vocabulary"):
        vocabulary_paths = vocabulary_files(request)
        concepts, matches, vocabulary_paths = read_vocabularies(vocabulary_paths, settings.base_uri, report)
    with clock("holdings"):
        holdings = all_holdings(request, sources, settings.library, report, progress)
    words = user_words(concepts, holdings)
    minter = Minter(settings.base_uri)
    speakable = speakable_classes(minter)
    segmenter, matcher = tools(words, settings.lexicons, concepts + speakable)
    fingerprint = _fingerprint(request, settings, lectures, holdings, sources)
    describer = Describer(minter, minter.activity(fingerprint), holdings_library=settings.library,
                          publications=sources.stamps)
    spill = Spill(build_path / "spill")
    with clock("analyse"):
        cache = AnalysisCache(settings.store / "cache", words, files_state(settings.lexicons),
                              sorted(matcher.labels().items()))
        analysed = analyse_all(lectures, segmenter, matcher, settings.workers, report, progress, spill, cache)
    if request.strict and report.problems:  # after every reader ran: the refusal lists all problems at once
        raise BuildRefused(report.problems)
    with clock("keywords"):
        analyses = rank_all(analysed, matcher.labels(), settings.keywords_per_lecture, settings.workers)
    with clock("link"):
        analyses = _link_all(analyses, holdings, concepts, segmenter, settings)
    with clock("relate"):
        titles = {h.id: h.title for h in holdings}
        broader = _broader_lookup(concepts + speakable, matches, minter)
        graph = build_graph(_facts(a, titles, broader) for a in analyses)
        related = relate(graph, settings.related_per_lecture)
        analyses = [replace(a, related=related.get((a.lecture.library, a.lecture.id), ())) for a in analyses]
    when = _build_time(started)
    with clock("load"):
        store = ox.Store(str(StoreDirectory(settings.store).database(build_path)))
        shared = partial(graphs.shared_quads, describer, settings, analyses, holdings, vocabulary_paths, matches,
                         _inputs(request, lectures), when, library_names(settings.store))
        bulk_load(store, nquads(shared, holdings, settings.library, analyses, analysed, describer, settings.workers))
        store.flush()
        report.counts["triples"] = len(store)
        spill.remove()
    _count(report, analyses, analysed, holdings)
    return store, _Loaded(when, fingerprint, cache, [a.cache_key for a in analysed if a.cache_key])


def again(summary: dict, changes: tuple[publications.Change, ...] = (), wait: float = 0.0) -> BuildInput:
    """The input of the build ``summary`` (its ``build.json``) describes, with more changes to publish."""
    inputs = summary.get("inputs") or {"source": summary.get("source"), "holdings": [], "vocabularies": []}
    source = inputs.get("source")
    return BuildInput(Path(source) if source else None, tuple(Path(p) for p in inputs.get("holdings", ())),
                      tuple(Path(p) for p in inputs.get("vocabularies", ())), changes=changes, wait=wait)


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




# --- stages 6–7 ---------------------------------------------------------------------


def _link_all(analyses: list[Analysis], holdings: list[Holding], concepts: list[Concept], segmenter: Segmenter,
              settings: Settings) -> list[Analysis]:
    """Stage 6: each lecture's best holdings of any library (BM25 over one index of them all)."""
    own = settings.library
    index = HoldingsIndex([replace(h, id=_holding_key(h, own)) for h in holdings], segmenter)
    english = {c.iri: [t for lang, t in c.pref_labels if lang.startswith("en")] for c in concepts}

    def linked(analysis: Analysis) -> Analysis:
        links = index.rank(_query(analysis, english), settings.holdings_per_lecture)
        return replace(analysis, holdings=tuple(_from_key(link, own) for link in links))

    return [linked(a) for a in analyses]


def _holding_key(holding: Holding, own: str) -> str:
    """A holding's id in the index: its id for the build's library, ``library<US>id`` for the others'."""
    return holding.id if holding.library in ("", own) else f"{holding.library}\x1f{holding.id}"


def _from_key(link: HoldingLink, own: str) -> HoldingLink:
    library, _, holding = link.holding.rpartition("\x1f")
    return replace(link, holding=holding, library=library or own)



def _query(analysis: Analysis, english: dict[str, list[str]]) -> list[QueryTerm]:
    """Keywords by weight, knowledge points (Chinese and, from ``english``, English labels) at 0.5."""
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
    paths = set(holdings_files(request)) | set(vocabulary_files(request)) | {l.subtitles for l in lectures}
    if request.source is None:
        return sorted((p.name, _sha256(p)) for p in paths if p.is_file())
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


def _fingerprint(request: BuildInput, settings: Settings, lectures: list[Lecture], holdings: list[Holding],
                 published: publications.Published) -> str:
    """What the build was made from, hashed: the same inputs give the same fingerprint (and answers' ETags)."""
    parts = [VERSION, json.dumps(_parameters(settings), sort_keys=True)]
    parts += [f"{name}:{sha}" for name, sha in _inputs(request, lectures)]
    parts += sorted({f"{h.library}:{h.source.partition('#')[0]}" for h in holdings})  # uploads of each library
    parts += sorted(f"{library}/{lecture}:{stamp.activity}" for (library, lecture), stamp in published.stamps.items())
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


def _count(report: BuildReport, analyses: list[Analysis], analysed: list[Analysed], holdings: list[Holding]) -> None:
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
        "inputs": {  # what ``again`` rebuilds from when a library publishes
            "source": str(request.source.resolve()) if request.source else None,
            "holdings": [str(p.resolve()) for p in request.holdings],
            "vocabularies": [str(p.resolve()) for p in request.vocabularies],
        },
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when[0])),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when[1])),
        "counts": report.counts,
        "seconds": report.seconds,
        "problems": [p.describe() for p in report.problems],
        "notes": report.notes,
        "parameters": _parameters(settings),
    }
