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
                   each lecture's quads made on every core as N-Quads and
                   bulk-loaded in batches as they come
 9    search       the store's labels and texts → ``search.sqlite`` (``kg.search``)
====  ===========  ==========================================================

Memory stays bounded by a few lectures, not the corpus: the analyse workers
write each lecture's transcript and term counts to ``spill/`` in the new build
directory and send back only what the later stages share (terms, knowledge
points, cue count); the keyword and load workers read them back one lecture at
a time. Stages 4, 5 and 8 run in forked worker processes (``workers``).

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
from typing import Callable, Iterable, Iterator, Sequence

import pyoxigraph as ox

from ingest import classification
from ingest.errors import InputError
from ingest.folding import fold, has_cjk
from ingest.holdings import read_holdings
from ingest.keywords import TermCounts, count_terms, jieba_idf, rank_keywords
from ingest.knowledge import KnowledgeMatcher
from ingest.manifest import read_manifest
from ingest.matching import HoldingsIndex, QueryTerm
from ingest.records import Analysis, Concept, Holding, HoldingLink, KnowledgePoint, Lecture, Transcript
from ingest.segmenter import Segmenter
from ingest.subtitles import read_subtitles
from ingest.vocabulary import close_matches, read_vocabulary
from kg import __version__ as VERSION, feed, graphs, publications, search
from kg.analysis_cache import AnalysisCache
from kg.describe import Describer
from kg.libraries import LibraryError, Registry
from kg.related import LectureFacts, build_graph, relate
from kg.settings import Settings
from kg.store import StoreDirectory, build_id, bulk_load
from kg.uris import Minter
from kg.workers import Spill, on_every_core

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
        with clock("manifest"):
            published = _published(previous, build_path, request, report)
            lectures, problems = read_manifest(request.source, settings.library) if request.source else ([], [])
            report.problems += problems
            lectures = _with_published(lectures, published.lectures, report)
        with clock("vocabulary"):
            vocabulary_paths = _vocabulary_files(request)
            concepts, matches, vocabulary_paths = _read_vocabularies(vocabulary_paths, settings.base_uri, report)
        with clock("holdings"):
            holdings = _all_holdings(request, published, settings.library, report, progress)
        user_words = _user_words(concepts, holdings)
        minter = Minter(settings.base_uri)
        speakable = _speakable_classes(minter)
        segmenter, matcher = _tools(user_words, settings.lexicons, concepts + speakable)
        fingerprint = _fingerprint(request, settings, lectures, holdings, published)
        describer = Describer(minter, minter.activity(fingerprint), holdings_library=settings.library,
                              publications=published.stamps)
        spill = Spill(build_path / "spill")
        with clock("analyse"):
            cache = AnalysisCache(settings.store / "cache", user_words, _files_state(settings.lexicons),
                                  sorted(matcher.labels().items()))
            analysed = _analyse_all(lectures, segmenter, matcher, settings.workers, report, progress, spill, cache)
        if request.strict and report.problems:  # after every reader ran: the refusal lists all problems at once
            raise BuildRefused(report.problems)
        with clock("keywords"):
            analyses = _rank_all(analysed, matcher.labels(), settings.keywords_per_lecture, settings.workers)
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
            store = ox.Store(str(store_dir.database(build_path)))
            shared = partial(graphs.shared_quads, describer, settings, analyses, holdings, vocabulary_paths, matches,
                             _inputs(request, lectures), when, _library_names(settings.store))
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
        cache.keep_only(a.cache_key for a in analysed)
    store_dir.prune(settings.keep_builds)
    return report


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


def _published(previous: Path | None, build: Path, request: BuildInput, report: BuildReport) -> publications.Published:
    """The current build's published sources with this build's changes, in ``build``, read."""
    folder = publications.carry(previous, build)
    report.notes += publications.apply(folder, request.changes)
    found = publications.read(folder)
    report.problems += found.problems
    return found


def _with_published(lectures: list[Lecture], published: list[Lecture], report: BuildReport) -> list[Lecture]:
    """The batch lectures and the published ones, by (library, id); a published lecture replaces a batch one."""
    found = {(l.library, l.id): l for l in lectures}
    for lecture in published:
        if (lecture.library, lecture.id) in found:
            report.notes.append(f"{lecture.library}/{lecture.id}: the published lecture replaces the batch source's")
        found[(lecture.library, lecture.id)] = lecture
    return [found[k] for k in sorted(found)]


def _all_holdings(request: BuildInput, published: publications.Published, library: str, report: BuildReport,
                  progress: Progress) -> list[Holding]:
    """The batch holdings (``library``'s) and each library's uploaded ones, by (library, id)."""
    holdings = [replace(h, library=library) for h in _read_holdings_files(_holdings_files(request), report, progress)]
    for owner, path in published.holdings:
        holdings += [replace(h, library=owner) for h in _read_holdings_files([path], report, progress)]
    unique = {(h.library, h.id): h for h in reversed(holdings)}  # the first file naming a record wins, as in one library
    return sorted(unique.values(), key=lambda h: (h.library != library, h.library, h.id))


def _link_all(analyses: list[Analysis], holdings: list[Holding], concepts: list[Concept], segmenter: Segmenter,
              settings: Settings) -> list[Analysis]:
    """Stage 6: each lecture's best holdings of any library (BM25 over one index of them all)."""
    own = settings.library
    index = HoldingsIndex([replace(h, id=_holding_key(h, own)) for h in holdings], segmenter)

    def linked(analysis: Analysis) -> Analysis:
        links = index.rank(_query(analysis, concepts), settings.holdings_per_lecture)
        return replace(analysis, holdings=tuple(_from_key(link, own) for link in links))

    return [linked(a) for a in analyses]


def _holding_key(holding: Holding, own: str) -> str:
    """A holding's id in the index: its id for the build's library, ``library<US>id`` for the others'."""
    return holding.id if holding.library in ("", own) else f"{holding.library}\x1f{holding.id}"


def _from_key(link: HoldingLink, own: str) -> HoldingLink:
    library, _, holding = link.holding.rpartition("\x1f")
    return replace(link, holding=holding, library=library or own)


def _vocabulary_files(request: BuildInput) -> list[Path]:
    if request.source is None:
        return list(request.vocabularies)
    folder = request.source / "vocab" if request.source.is_dir() else None
    found = sorted(p for p in folder.iterdir() if p.suffix.lower() in VOCAB_SUFFIXES) if folder and folder.is_dir() else []
    return found + list(request.vocabularies)


def _holdings_files(request: BuildInput) -> list[Path]:
    if request.source is None:
        return list(request.holdings)
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
        records, problems = _holdings_file(path)
        report.problems += problems
        for record in records:
            holdings.setdefault(record.id, record)
        progress("holdings", len(holdings), 0)
    return sorted(holdings.values(), key=lambda h: h.id)


_READ: dict[tuple, tuple[list[Holding], list[InputError]]] = {}


def _holdings_file(path: Path) -> tuple[list[Holding], list[InputError]]:
    """The records and problems of one holdings file, kept for the next build in this process while it is unchanged."""
    key = tuple(_files_state([path]))
    if key not in _READ:
        records, problems = [], []
        try:
            for item in read_holdings(path):
                (problems if isinstance(item, InputError) else records).append(item)
        except InputError as error:
            problems.append(error)
        if len(_READ) > 64:  # files of long-gone builds
            _READ.clear()
        _READ[key] = (records, problems)
    return _READ[key]


_TOOLS: dict[tuple, tuple[Segmenter, KnowledgeMatcher]] = {}


def _tools(user_words: list[tuple[str, str]], lexicons: tuple[Path, ...],
           concepts: list[Concept]) -> tuple[Segmenter, KnowledgeMatcher]:
    """The segmenter and knowledge-point matcher for these inputs, kept for the next build in this process.

    Loading jieba's dictionary and spaCy takes seconds; a process that builds
    again and again (``kg.builder``, behind publishing) loads them once per
    distinct vocabulary, not once per build.
    """
    key = (tuple(user_words), tuple(_files_state(lexicons)), tuple(concepts))
    if key not in _TOOLS:
        _TOOLS.clear()  # one set at a time: a new vocabulary replaces the old one
        segmenter = Segmenter(user_words, lexicons)
        _TOOLS[key] = (segmenter, KnowledgeMatcher(concepts, segmenter))
    return _TOOLS[key]


def _library_names(root: Path) -> dict[str, str]:
    """The registered libraries' names, for their ``schema:Library`` (none when the registry is unreadable)."""
    try:
        return {library.id: library.name for library in Registry(root).all()}
    except LibraryError:
        return {}


def _files_state(paths: Iterable[Path]) -> list[tuple[str, int, int]]:
    """(path, size, modification time) of each file: enough to notice a changed lexicon."""
    state = []
    for path in paths:
        try:
            stat = path.stat()
            state.append((str(path), stat.st_size, stat.st_mtime_ns))
        except OSError:
            state.append((str(path), -1, -1))
    return state


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

_WORKER: dict[str, object] = {}  # what the forked workers share with the parent, set before each fork


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
    spill: Spill | None = None
    cache_key: str | None = None  # its entry in the analysis cache

    def full_transcript(self) -> Transcript:
        return self.spill.get(self.number, "transcript") if self.spill else self.transcript

    def term_counts(self) -> TermCounts:
        return self.spill.get(self.number, "counts") if self.spill else self.counts  # type: ignore[return-value]


def _analyse_all(lectures: list[Lecture], segmenter: Segmenter, matcher: KnowledgeMatcher, workers: int,
                 report: BuildReport, progress: Progress, spill: Spill | None = None,
                 cache: AnalysisCache | None = None) -> list[_Analysed]:
    """Stage 4. With a ``spill``, transcripts and term counts go to disk instead of back to the parent;
    with a ``cache``, lectures analysed by an earlier build with the same inputs are not read again."""
    keys = [_cache_key(cache, lecture) for lecture in lectures] if cache else [None] * len(lectures)
    vocabulary = frozenset(matcher.labels())
    if not cache or not all(key and cache.has(key) for key in keys):
        segmenter.tokenizer, matcher.match([["预热"]], ())  # load jieba and spaCy once, before forking
    _WORKER.update(segmenter=segmenter, matcher=matcher, vocabulary=vocabulary, spill=spill, cache=cache)
    results: list[_Analysed] = []
    terms: dict[str, str] = {}  # one copy of each term for the whole corpus, not one per lecture
    for done, outcome in enumerate(on_every_core(_analyse_one, list(enumerate(zip(lectures, keys))), workers), start=1):
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


def _analyse_one(numbered: tuple[int, tuple[Lecture, str | None]]) -> _Analysed | InputError:
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
    analysed = _Analysed(lecture, transcript, counts, points, tuple(counts.cues), len(transcript.cues), number,
                         cache_key=key)
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
    return list(on_every_core(_rank_one, range(len(analysed)), workers))


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
    return on_every_core(_nquads_of, range(-1, len(analyses)), workers, parent_busy=True)


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
