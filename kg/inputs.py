"""What a build reads: the batch source folder, what libraries published, vocabularies and holdings.

Also the tools made from them (segmenter and knowledge-point matcher), kept
from one build to the next in a process that builds again and again
(``kg.builder``), as are the records of unchanged holdings files: loading
jieba and spaCy and parsing thousands of MARC records take seconds each time.
Problems go into the build's report (``kg.pipeline.BuildReport``), never stop it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from ingest import classification
from ingest.errors import InputError
from ingest.folding import fold, has_cjk
from ingest.holdings import read_holdings
from ingest.knowledge import KnowledgeMatcher
from ingest.records import Concept, Holding, Lecture
from ingest.segmenter import Segmenter
from ingest.vocabulary import close_matches, read_vocabulary
from kg import graphs, publications
from kg.libraries import LibraryError, Registry
from kg.uris import Minter

if TYPE_CHECKING:
    from kg.pipeline import BuildInput, BuildReport

HOLDINGS_SUFFIXES = {".mrc", ".iso", ".marc", ".dat", ".xml", ".marcxml", ".csv"}
VOCAB_SUFFIXES = {".ttl", ".nt", ".rdf", ".owl", ".jsonld", ".trig", ".nq"}
Progress = Callable[[str, int, int], None]  # stage, done, total


def published(previous: Path | None, build: Path, request: BuildInput, report: BuildReport) -> publications.Published:
    """The current build's published sources with this build's changes, in ``build``, read."""
    folder = publications.carry(previous, build)
    report.notes += publications.apply(folder, request.changes)
    found = publications.read(folder)
    report.problems += found.problems
    return found


def with_published(lectures: list[Lecture], published: list[Lecture], report: BuildReport) -> list[Lecture]:
    """The batch lectures and the published ones, by (library, id); a published lecture replaces a batch one."""
    found = {(l.library, l.id): l for l in lectures}
    for lecture in published:
        if (lecture.library, lecture.id) in found:
            report.notes.append(f"{lecture.library}/{lecture.id}: the published lecture replaces the batch source's")
        found[(lecture.library, lecture.id)] = lecture
    return [found[k] for k in sorted(found)]


def all_holdings(request: BuildInput, published: publications.Published, library: str, report: BuildReport,
                  progress: Progress) -> list[Holding]:
    """The batch holdings (``library``'s) and each library's uploaded ones, by (library, id)."""
    holdings = [replace(h, library=library) for h in read_holdings_files(holdings_files(request), report, progress)]
    for owner, path in published.holdings:
        holdings += [replace(h, library=owner) for h in read_holdings_files([path], report, progress)]
    unique = {(h.library, h.id): h for h in reversed(holdings)}  # the first file naming a record wins, as in one library
    return sorted(unique.values(), key=lambda h: (h.library != library, h.library, h.id))


def vocabulary_files(request: BuildInput) -> list[Path]:
    """SKOS files in the source's ``vocab/`` folder, then the ones named on the command line."""
    return _files(request.source, "vocab", VOCAB_SUFFIXES) + list(request.vocabularies)


def holdings_files(request: BuildInput) -> list[Path]:
    """Holdings files in the source's ``holdings/`` folder, then the ones named on the command line."""
    return _files(request.source, "holdings", HOLDINGS_SUFFIXES) + list(request.holdings)


def _files(source: Path | None, name: str, suffixes: set[str]) -> list[Path]:
    folder = source / name if source is not None and source.is_dir() else None
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in suffixes) if folder and folder.is_dir() else []


def read_vocabularies(paths: list[Path], base: str, report: BuildReport) -> tuple[list[Concept], dict[str, tuple[str, ...]], list[Path]]:
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


def read_holdings_files(paths: list[Path], report: BuildReport, progress: Progress) -> list[Holding]:
    holdings: dict[str, Holding] = {}
    for path in paths:
        records, problems = _holdings_file(path)
        report.problems += problems
        for record in records:
            holdings.setdefault(record.id, record)
        progress("holdings", len(holdings), 0)
    return sorted(holdings.values(), key=lambda h: h.id)


_READ: dict[tuple, tuple[list[Holding], list[InputError]]] = {}
_keeping = False  # see keep_between_builds


def keep_between_builds() -> None:
    """Keep unchanged holdings files' records and the segmenter and matcher for the next build in this
    process (``kg.builder``, which builds again at each publish). A one-off ``kg build`` does not: they
    would stay in memory through its last stages for nothing."""
    global _keeping
    _keeping = True


def _holdings_file(path: Path) -> tuple[list[Holding], list[InputError]]:
    """The records and problems of one holdings file, kept for the next build in this process while it is unchanged."""
    key = tuple(files_state([path]))
    if key not in _READ:
        records, problems = [], []
        try:
            for item in read_holdings(path):
                (problems if isinstance(item, InputError) else records).append(item)
        except InputError as error:
            problems.append(error)
        if not _keeping:
            return records, problems
        if len(_READ) > 64:  # files of long-gone builds
            _READ.clear()
        _READ[key] = (records, problems)
    return _READ[key]


_TOOLS: dict[tuple, tuple[Segmenter, KnowledgeMatcher]] = {}


def tools(user_words: list[tuple[str, str]], lexicons: tuple[Path, ...],
           concepts: list[Concept]) -> tuple[Segmenter, KnowledgeMatcher]:
    """The segmenter and knowledge-point matcher for these inputs, kept for the next build in this process.

    Loading jieba's dictionary and spaCy takes seconds; a process that builds
    again and again (``kg.builder``, behind publishing) loads them once per
    distinct vocabulary, not once per build.
    """
    key = (tuple(user_words), tuple(files_state(lexicons)), tuple(concepts))
    if key not in _TOOLS:
        _TOOLS.clear()  # one set at a time: a new vocabulary replaces the old one
        segmenter = Segmenter(user_words, lexicons)
        if not _keeping:
            return segmenter, KnowledgeMatcher(concepts, segmenter)
        _TOOLS[key] = (segmenter, KnowledgeMatcher(concepts, segmenter))
    return _TOOLS[key]


def library_names(root: Path) -> dict[str, str]:
    """The registered libraries' names, for their ``schema:Library`` (none when the registry is unreadable)."""
    try:
        return {library.id: library.name for library in Registry(root).all()}
    except LibraryError:
        return {}


def files_state(paths: Iterable[Path]) -> list[tuple[str, int, int]]:
    """(path, size, modification time) of each file: enough to notice a changed lexicon."""
    state = []
    for path in paths:
        try:
            stat = path.stat()
            state.append((str(path), stat.st_size, stat.st_mtime_ns))
        except OSError:
            state.append((str(path), -1, -1))
    return state


def user_words(concepts: list[Concept], holdings: list[Holding]) -> list[tuple[str, str]]:
    """Vocabulary labels and Chinese subject headings, folded, as jieba user words."""
    words = {fold(label): "nz" for c in concepts for _, label in c.pref_labels + c.alt_labels if has_cjk(label)}
    for holding in holdings:
        for subject in holding.subjects:
            for part in subject.split("--"):
                part = fold(part)
                if has_cjk(part) and 2 <= len(part) <= 8:
                    words.setdefault(part, "nz")
    return sorted(words.items())


def speakable_classes(minter: Minter) -> list[Concept]:
    """CLC classes whose label can be looked for in speech (unique, short, plain), with minted IRIs."""
    table = classification.classes()
    return [graphs.clc_concept(minter, table[n]) for n in classification.matchable_labels().values()]
