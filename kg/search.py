"""Search and typeahead over a build: an SQLite index written at build time, read by the server.

Chinese-aware without a segmenter at query time: text is folded
(``ingest.folding.fold``: OpenCC t2s, NFKC, lower case), then cut into terms —
CJK runs into single characters and overlapping character bigrams, other runs
into words. A query is folded and cut the same way (bigrams for CJK runs of two
or more characters, the character itself for a run of one), so simplified and
traditional queries find the same things and two-character words work.

``search.sqlite`` (in the build directory, next to ``oxigraph/``)::

    docs(doc, kind, uri, id, library, label, folded_label, snippet)
    postings(term, doc, weight)      -- weight: the strongest field the term occurs in
    labels(doc, folded, label, preferred)  -- for prefix typeahead

Scoring: ``Σ weight(term, doc) / (3 · |query terms|)`` (1.0 when every term is
in the title or preferred label), plus 1.0 when the folded label *is* the query
and 0.5 when it contains it. A document matches when it has at least half of the
query's terms. Ties go to the label, then the URI, so pages are stable.

``write_index`` raises what pyoxigraph and sqlite3 raise; ``search`` and
``suggest`` raise ``IndexMissing`` when the build has no index and
``BadQuery`` for a query with nothing to search for.
"""

from __future__ import annotations

import math
import os
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import pyoxigraph as ox

from ingest.folding import fold
from kg.labels import preferred
from kg.resource import query
from kg.uris import Minter

INDEX_NAME = "search.sqlite"
KINDS = ("lecture", "concept", "holding")
GROUPS = {"lecture": "lectures", "concept": "concepts", "holding": "holdings"}

# field → weight; the first field named per kind labels the document.
WEIGHTS: dict[str, dict[str, float]] = {
    "lecture": {"title": 3.0, "keyword": 2.0, "speaker": 1.5, "series": 1.5, "description": 1.0},
    "concept": {"pref": 3.0, "alt": 2.5, "notation": 1.0, "note": 1.0},
    "holding": {"title": 3.0, "alt": 2.5, "subject": 1.5, "creator": 1.5, "isbn": 1.0, "date": 0.5},
}
LABEL_FIELDS = {"lecture": ("title",), "concept": ("pref", "alt"), "holding": ("title", "alt")}
TOP_WEIGHT = 3.0
SNIPPET_CHARS = 120

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)")

_SCHEMA = """
CREATE TABLE docs (doc INTEGER PRIMARY KEY, kind TEXT NOT NULL, uri TEXT NOT NULL, id TEXT, library TEXT,
                   label TEXT, folded_label TEXT, snippet TEXT);
CREATE TABLE postings (term TEXT NOT NULL, doc INTEGER NOT NULL, weight REAL NOT NULL,
                       PRIMARY KEY (term, doc)) WITHOUT ROWID;
CREATE TABLE labels (doc INTEGER NOT NULL, folded TEXT NOT NULL, label TEXT NOT NULL, preferred INTEGER NOT NULL);
CREATE INDEX labels_folded ON labels (folded);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
"""


class SearchError(Exception):
    """Base of the errors of this module."""


class IndexMissing(SearchError):
    """The build has no search index (built before search existed): rebuild with ``kg build``."""


class BadQuery(SearchError):
    """The query folds to nothing searchable (only spaces or punctuation)."""


# --- terms ---------------------------------------------------------------------------


def document_terms(folded: str) -> set[str]:
    """Every term of already-folded text: CJK characters and bigrams, words."""
    terms: set[str] = set()
    for cjk, word in _RUNS.findall(folded):
        if word:
            terms.add(word)
        else:
            terms.update(cjk)
            terms.update(cjk[i:i + 2] for i in range(len(cjk) - 1))
    return terms


def query_terms(folded: str) -> list[str]:
    """The terms a folded query looks for, in order, without repeats: bigrams of CJK runs, words."""
    terms: list[str] = []
    for cjk, word in _RUNS.findall(folded):
        parts = [word] if word else ([cjk] if len(cjk) == 1 else [cjk[i:i + 2] for i in range(len(cjk) - 1)])
        terms += [t for t in parts if t not in terms]
    return terms


# --- build side ------------------------------------------------------------------------


@dataclass
class _Doc:
    kind: str
    uri: str
    fields: dict[str, list[ox.Literal]] = field(default_factory=lambda: defaultdict(list))


def write_index(store: ox.Store, build_path: Path, base: str) -> int:
    """Write ``search.sqlite`` into ``build_path`` from the loaded ``store``; returns the number of documents."""
    docs = list(_documents(store, base))
    target = Path(build_path) / INDEX_NAME
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    connection = sqlite3.connect(partial)
    try:
        connection.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
        with connection:
            _insert(connection, docs, Minter(base))
        connection.execute("ANALYZE")
    finally:
        connection.close()
    os.replace(partial, target)
    return len(docs)


def _documents(store: ox.Store, base: str) -> Iterable[_Doc]:
    for kind in KINDS:
        found: dict[str, _Doc] = {}
        for doc, name, value in query(store, f"search_{kind}s", base):  # type: ignore[misc]
            found.setdefault(doc.value, _Doc(kind, doc.value)).fields[name.value].append(value)
        yield from (found[uri] for uri in sorted(found))


def _insert(connection: sqlite3.Connection, docs: Sequence[_Doc], minter: Minter) -> None:
    for number, doc in enumerate(docs, start=1):
        label = _label(doc)
        parts = minter.split(doc.uri) or ()
        library = parts[1] if doc.kind in ("lecture", "holding") and len(parts) == 3 else None
        connection.execute("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (number, doc.kind, doc.uri, parts[-1] if parts else None, library, label,
                            fold(label) if label else None, _snippet(doc)))
        connection.executemany("INSERT INTO postings VALUES (?, ?, ?)",
                               [(term, number, weight) for term, weight in _weighted_terms(doc).items()])
        connection.executemany("INSERT INTO labels VALUES (?, ?, ?, ?)", _labels(doc, number, label))


def _label(doc: _Doc) -> str | None:
    for name in LABEL_FIELDS[doc.kind]:
        best = preferred(doc.fields.get(name, ()))
        if best is not None:
            return best.value
    return None


def _weighted_terms(doc: _Doc) -> dict[str, float]:
    weights: dict[str, float] = {}
    for name, literals in doc.fields.items():
        weight = WEIGHTS[doc.kind].get(name, 0.0)
        for literal in literals:
            for term in document_terms(fold(literal.value)):
                weights[term] = max(weights.get(term, 0.0), weight)
    return weights


def _labels(doc: _Doc, number: int, label: str | None) -> list[tuple[int, str, str, int]]:
    """One row per distinct folded label (the display label preferred), for typeahead."""
    rows: dict[str, tuple[int, str, str, int]] = {}
    if label:
        rows[fold(label)] = (number, fold(label), label, 1)
    for name in LABEL_FIELDS[doc.kind]:
        for literal in sorted(doc.fields.get(name, ()), key=lambda lit: lit.value):
            rows.setdefault(fold(literal.value), (number, fold(literal.value), literal.value, 0))
    return [row for key, row in rows.items() if key]


def _snippet(doc: _Doc) -> str | None:
    """A line of context for a result: a lecture's description, a holding's creators and date."""
    if doc.kind == "lecture":
        text = preferred(doc.fields.get("description", ()))
        return _shorten(text.value) if text else None
    if doc.kind == "holding":
        parts = sorted(lit.value for lit in doc.fields.get("creator", ()))[:3] + [lit.value for lit in doc.fields.get("date", ())[:1]]
        return _shorten("; ".join(parts)) if parts else None
    alternatives = sorted({lit.value for lit in doc.fields.get("alt", ())})
    return _shorten(" · ".join(alternatives)) if alternatives else None


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS - 1] + "…"


# --- read side -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    kind: str
    uri: str
    id: str | None
    library: str | None
    label: str | None
    score: float
    snippet: str | None = None


@dataclass(frozen=True)
class Page:
    total: int
    offset: int
    items: tuple[Hit, ...]
    next: str | None


def connect(index_path: Path) -> sqlite3.Connection:
    """The index, read-only. Raises IndexMissing when the file is not there."""
    path = Path(index_path)
    if not path.is_file():
        raise IndexMissing(f"{path.parent.name}: this build has no search index (rebuild with 'kg build')")
    return sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, check_same_thread=False)


def search(index_path: Path, text: str, kinds: Sequence[str] = KINDS, limit: int = 10, cursor: int = 0,
           library: str | None = None) -> dict[str, Page]:
    """Per kind, the page ``[cursor, cursor + limit)`` of the documents matching ``text``, best first.

    ``library``: only that library's lectures and holdings (concepts are shared by all).
    Raises BadQuery when ``text`` has no terms, IndexMissing when there is no index.
    """
    terms = query_terms(fold(text))
    if not terms:
        raise BadQuery(f"{text!r} has nothing to search for (letters, digits or Chinese characters)")
    connection = connect(index_path)
    try:
        ranked = _ranked(connection, terms, fold(text))
    finally:
        connection.close()
    if library is not None:
        ranked = {kind: [h for h in hits if h.library in (None, library)] for kind, hits in ranked.items()}
    return {kind: _page(ranked.get(kind, []), limit, cursor) for kind in kinds}


def _ranked(connection: sqlite3.Connection, terms: list[str], folded: str) -> dict[str, list[Hit]]:
    needed = max(1, math.ceil(len(terms) / 2))
    marks = ",".join("?" * len(terms))
    rows = connection.execute(
        f"""SELECT d.kind, d.uri, d.id, d.library, d.label, d.folded_label, d.snippet, s.total
            FROM (SELECT doc, SUM(weight) AS total, COUNT(*) AS found FROM postings
                  WHERE term IN ({marks}) GROUP BY doc HAVING found >= ?) AS s
            JOIN docs AS d ON d.doc = s.doc""", (*terms, needed))
    hits: dict[str, list[Hit]] = defaultdict(list)
    for kind, uri, id_, library, label, folded_label, snippet, total in rows:
        score = total / (TOP_WEIGHT * len(terms)) + _bonus(folded, folded_label or "")
        hits[kind].append(Hit(kind, uri, id_, library, label, round(score, 4), snippet))
    for found in hits.values():
        found.sort(key=lambda hit: (-hit.score, hit.label or "", hit.uri))
    return hits


def _bonus(folded: str, folded_label: str) -> float:
    if folded_label == folded:
        return 1.0
    return 0.5 if folded in folded_label else 0.0


def _page(hits: list[Hit], limit: int, offset: int) -> Page:
    end = offset + limit
    return Page(len(hits), offset, tuple(hits[offset:end]), str(end) if end < len(hits) else None)


def suggest(index_path: Path, text: str, limit: int = 10, cursor: int = 0) -> Page:
    """Documents with a label (folded) starting with ``text`` (folded): exact first, then shorter labels.

    Raises BadQuery when ``text`` folds to nothing, IndexMissing when there is no index.
    """
    prefix = fold(text)
    if not prefix:
        raise BadQuery(f"{text!r} has nothing to complete")
    connection = connect(index_path)
    try:
        rows = connection.execute(
            """SELECT d.kind, d.uri, d.id, d.library, l.label, l.folded, l.preferred
               FROM labels AS l JOIN docs AS d ON d.doc = l.doc
               WHERE l.folded >= ? AND l.folded < ?""", (prefix, prefix + "\U0010ffff")).fetchall()
    finally:
        connection.close()
    best: dict[str, tuple] = {}
    for kind, uri, id_, library, label, folded, is_preferred in rows:
        key = (folded != prefix, len(folded), -is_preferred, KINDS.index(kind), label, uri)
        if uri not in best or key < best[uri][0]:
            best[uri] = (key, Hit(kind, uri, id_, library, label, 1.0 if folded == prefix else round(len(prefix) / len(folded), 4)))
    ordered = [hit for _, hit in sorted(best.values(), key=lambda pair: pair[0])]
    return _page(ordered, limit, cursor)
