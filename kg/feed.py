"""The change feed: what each build created, changed and removed, as a log that outlives builds.

The log is an SQLite database beside the builds, ``{store root}/feed.sqlite``::

    activities(id, library, library_position, type, kind, object, digest, build, published)
        id                 position in the whole feed: 1, 2, 3, … (never reused)
        library_position   position in that library's feed: 1, 2, 3, …
        type               Create | Update | Delete
        kind               lecture | holding
        object             the resource's IRI
        digest             SHA-256 of the resource's quads after the activity (None for Delete)
    resources(object, kind, library, digest)   the state after the last recorded build
    builds(build, published, recorded, previous, first, last, position, created, updated, deleted)
        position           the last activity id once this build is recorded: "the feed up to here"

Which resources, and their digest: in each library's own graph
``{base}graph/{lib}`` (the derived graph is not looked at, so re-weighted
keywords do not announce every lecture as changed), every lecture
``{base}lecture/{lib}/{id}`` together with its hash parts
(``…/{id}#…``) and every holding ``{base}holding/{lib}/{id}``. The digest is
the SHA-256 of the resource's quads as N-Quads lines, sorted, joined by
``\\n``. The build has no blank nodes, so the lines are canonical.

Pages (``page``) hold ``PAGE_SIZE`` activities by position, oldest first, so
every page but the last never changes (newest page last, as the LD4 Entity
Metadata Management API does). ``kg.feed`` knows nothing of HTTP: ``api.libraries``
writes the ActivityStreams 2.0 documents.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pyoxigraph as ox

from kg.uris import Minter

FEED = "feed.sqlite"
PAGE_SIZE = 100
KINDS = ("lecture", "holding")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS activities (
    id INTEGER PRIMARY KEY,
    library TEXT NOT NULL,
    library_position INTEGER NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('Create', 'Update', 'Delete')),
    kind TEXT NOT NULL,
    object TEXT NOT NULL,
    digest TEXT,
    build TEXT NOT NULL,
    published TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS activities_of_library ON activities (library, library_position);
CREATE TABLE IF NOT EXISTS resources (
    object TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    library TEXT NOT NULL,
    digest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS builds (
    build TEXT PRIMARY KEY,
    published TEXT NOT NULL,
    recorded TEXT NOT NULL,
    previous TEXT,
    first INTEGER,
    last INTEGER,
    position INTEGER NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    deleted INTEGER NOT NULL
);
"""


class FeedError(Exception):
    """The feed log cannot be read or written (a broken file, a full disk)."""


@dataclass(frozen=True)
class Resource:
    """A lecture or holding of one library, and the digest of its quads."""

    kind: str
    library: str
    digest: str


@dataclass(frozen=True)
class Activity:
    id: int
    library: str
    library_position: int
    type: str
    kind: str
    object: str
    digest: str | None
    build: str
    published: str


@dataclass(frozen=True)
class Recorded:
    """What ``record_build`` appended for one build (``first``/``last`` None when nothing changed)."""

    build: str
    created: int
    updated: int
    deleted: int
    first: int | None
    last: int | None
    position: int  # the last activity id of the feed once this build is recorded


# --- digests ---------------------------------------------------------------------------


def digests(store: ox.Store, base: str) -> dict[str, Resource]:
    """Every lecture and holding of every library graph, by IRI, with the digest of its quads."""
    minter = Minter(base)
    found: dict[str, Resource] = {}
    for graph in store.named_graphs():
        segments = minter.split(graph.value) if isinstance(graph, ox.NamedNode) else None
        if segments and len(segments) == 2 and segments[0] == "graph":
            found.update(_graph_digests(store, graph, segments[1], minter))
    return found


def _graph_digests(store: ox.Store, graph: ox.NamedNode, library: str, minter: Minter) -> dict[str, Resource]:
    """The resources of one library graph, read subject by subject so that memory holds one subject's lines.

    Oxigraph returns a graph's quads grouped by subject, and a resource is
    mostly one subject: its digest is made as soon as its group is read. A
    resource met again under another subject (a hash part, or a subject the
    store did not keep together) is digested anew from all its subjects at
    the end, so the digest never depends on the order of the quads.
    """
    found: dict[str, Resource] = {}
    first: dict[str, str] = {}  # resource → its first subject, when that was a hash part
    again: dict[str, set[str]] = {}  # resource → all its subjects, when it has several
    quads = store.quads_for_pattern(None, None, None, graph)
    for subject, group in itertools.groupby(quads, key=lambda quad: quad.subject):
        owner = _owner(subject, minter, library)
        if owner is None:
            continue
        iri, kind = owner
        if iri in found:
            again.setdefault(iri, {first.get(iri, iri)}).add(subject.value)
            continue
        found[iri] = Resource(kind, library, _digest([f"{quad} ." for quad in group]))
        if subject.value != iri:
            first[iri] = subject.value
    for iri, subjects in again.items():
        lines = [f"{quad} ." for value in subjects for quad in store.quads_for_pattern(ox.NamedNode(value), None, None, graph)]
        found[iri] = Resource(found[iri].kind, library, _digest(lines))
    return found


def _owner(subject: ox.NamedNode | ox.BlankNode | ox.Triple, minter: Minter, library: str) -> tuple[str, str] | None:
    """(resource IRI, kind) when ``subject`` is a lecture or holding of ``library`` (or a hash part of one)."""
    if not isinstance(subject, ox.NamedNode):
        return None
    iri = subject.value.split("#", 1)[0]
    segments = minter.split(iri)
    if segments and len(segments) == 3 and segments[0] in KINDS and segments[1] == library:
        return iri, segments[0]
    return None


def _digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(lines)).encode("utf-8")).hexdigest()


# --- recording a build ---------------------------------------------------------------------


def record_build(root: Path, previous: Path | None, new: Path, base: str, when: str) -> Recorded:
    """Append to the feed of the store at ``root`` what the build ``new`` created, changed and removed.

    ``new`` and ``previous`` are build directories (``root/builds/<id>``, each
    with its ``oxigraph/`` database, opened read-only here); ``when`` is the
    build's time (ISO 8601, e.g. ``build.json``'s ``finished``), ``base`` its
    base URI. The build id is ``new.name``.

    What ``new`` is compared with: the state after the last build the feed
    recorded. Only when the feed is still empty is ``previous`` read: its
    resources are first recorded as created (in the name of ``previous``, at
    its ``build.json`` time), so that replaying the feed from its first
    activity always gives the current set of resources. A build that was never
    recorded (a crash between the swap and this call) therefore loses nothing:
    the next recorded build carries its changes.

    All of one build's activities are written in one transaction; calling this
    again for a build already recorded changes nothing and returns what was
    recorded then.

    Where it belongs: in ``kg.pipeline.build``, once the new build is complete
    (after ``store_dir.finish(...)`` wrote ``build.json`` and the store was
    closed) and right after ``current`` is swapped to it, i.e. after the
    ``with store_dir.new_build(...)`` block and before ``prune`` (which may
    remove ``previous``); ``previous`` is what ``current`` resolved to before
    the block. A failure here must not undo the build: the next build catches up.

    Raises FeedError when the log cannot be written, OSError/RuntimeError when a store cannot be opened.
    """
    build = new.name
    with closing(_open(root)) as db:
        try:
            db.execute("BEGIN IMMEDIATE")
            done = _recorded(db, build)
            if done is not None:
                db.rollback()
                return done
            if _count(db, "builds") == 0 and previous is not None and previous.name != build:
                _append(db, previous.name, None, _finished(previous) or when, _open_digests(previous, base))
            result = _append(db, build, _last_build(db), when, _open_digests(new, base))
            db.commit()
            return result
        except sqlite3.Error as error:
            db.rollback()
            raise FeedError(f"{root / FEED}: the change feed cannot be written ({error})") from None


def _open_digests(build: Path, base: str) -> dict[str, Resource]:
    return digests(ox.Store.read_only(str(build / "oxigraph")), base)


def _append(db: sqlite3.Connection, build: str, previous: str | None, when: str,
            found: dict[str, Resource]) -> Recorded:
    """Compare ``found`` with the recorded state; append the activities and the new state (inside a transaction)."""
    before = {row[0]: Resource(row[1], row[2], row[3]) for row in db.execute("SELECT object, kind, library, digest FROM resources")}
    changes = [("Create", iri, found[iri]) for iri in found if iri not in before]
    changes += [("Update", iri, found[iri]) for iri in found if iri in before and before[iri].digest != found[iri].digest]
    changes += [("Delete", iri, before[iri]) for iri in before if iri not in found]
    changes.sort(key=lambda c: (c[2].library, KINDS.index(c[2].kind) if c[2].kind in KINDS else 9, c[1], c[0]))
    position = db.execute("SELECT COALESCE(MAX(id), 0) FROM activities").fetchone()[0]
    first = position + 1 if changes else None
    per_library: dict[str, int] = {}
    for kind, iri, resource in changes:
        position += 1
        if resource.library not in per_library:
            per_library[resource.library] = db.execute(
                "SELECT COALESCE(MAX(library_position), 0) FROM activities WHERE library = ?", (resource.library,)).fetchone()[0]
        per_library[resource.library] += 1
        db.execute("INSERT INTO activities VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (position, resource.library, per_library[resource.library], kind, resource.kind, iri,
                    None if kind == "Delete" else resource.digest, build, when))
        if kind == "Delete":
            db.execute("DELETE FROM resources WHERE object = ?", (iri,))
        else:
            db.execute("INSERT OR REPLACE INTO resources VALUES (?, ?, ?, ?)", (iri, resource.kind, resource.library, resource.digest))
    counts = {kind: sum(1 for c in changes if c[0] == kind) for kind in ("Create", "Update", "Delete")}
    db.execute("INSERT INTO builds VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (build, when, _now(), previous, first, position if changes else None, position,
                counts["Create"], counts["Update"], counts["Delete"]))
    return Recorded(build, counts["Create"], counts["Update"], counts["Delete"], first, position if changes else None, position)


def _recorded(db: sqlite3.Connection, build: str) -> Recorded | None:
    row = db.execute("SELECT build, created, updated, deleted, first, last, position FROM builds WHERE build = ?",
                     (build,)).fetchone()
    return Recorded(*row) if row else None


def _last_build(db: sqlite3.Connection) -> str | None:
    row = db.execute("SELECT build FROM builds ORDER BY position DESC, recorded DESC, rowid DESC LIMIT 1").fetchone()
    return row[0] if row else None


def _count(db: sqlite3.Connection, table: str) -> int:
    return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # table: a constant of this module


def _finished(build: Path) -> str | None:
    try:
        return json.loads((build / "build.json").read_text(encoding="utf-8")).get("finished")
    except (OSError, ValueError):
        return None


def _open(root: Path) -> sqlite3.Connection:
    root.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(root / FEED, timeout=30, isolation_level=None)
    db.executescript(_SCHEMA)
    return db


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# --- reading the feed --------------------------------------------------------------------------


class Feed:
    """The feed log of a store root, read-only (each call opens the file; a missing file is an empty feed).

    ``library=None`` is the whole feed, else that library's. Raises FeedError when the file is unreadable.
    """

    def __init__(self, root: Path, page_size: int = PAGE_SIZE) -> None:
        self.path = Path(root) / FEED
        self.page_size = page_size

    def total(self, library: str | None = None) -> int:
        if library is None:
            return self._one("SELECT COALESCE(MAX(id), 0) FROM activities", ())
        return self._one("SELECT COALESCE(MAX(library_position), 0) FROM activities WHERE library = ?", (library,))

    def pages(self, library: str | None = None) -> int:
        """How many pages there are (0 for an empty feed)."""
        return -(-self.total(library) // self.page_size)

    def page(self, number: int, library: str | None = None) -> list[Activity]:
        """Page ``number`` (1 = oldest), its activities oldest first; [] beyond the last."""
        low, high = (number - 1) * self.page_size + 1, number * self.page_size
        if library is None:
            return self._activities("WHERE id BETWEEN ? AND ? ORDER BY id", (low, high))
        return self._activities("WHERE library = ? AND library_position BETWEEN ? AND ? ORDER BY library_position",
                                (library, low, high))

    def activity(self, number: int) -> Activity | None:
        found = self._activities("WHERE id = ?", (number,))
        return found[0] if found else None

    def position(self, build: str) -> int | None:
        """The last activity id of the feed once ``build`` was recorded; None when it was not.

        This is what a dump of that build is current up to.
        """
        rows = self._rows("SELECT position FROM builds WHERE build = ?", (build,))
        return rows[0][0] if rows else None

    def _activities(self, where: str, values: tuple) -> list[Activity]:
        return [Activity(*row) for row in self._rows(
            "SELECT id, library, library_position, type, kind, object, digest, build, published FROM activities " + where, values)]

    def _one(self, sql: str, values: tuple) -> int:
        rows = self._rows(sql, values)
        return int(rows[0][0]) if rows else 0

    def _rows(self, sql: str, values: tuple) -> list[tuple]:
        if not self.path.is_file():
            return []
        try:
            with closing(sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, timeout=5)) as db:
                return db.execute(sql, values).fetchall()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return []
            raise FeedError(f"{self.path}: the change feed cannot be read ({error})") from None
        except sqlite3.Error as error:
            raise FeedError(f"{self.path}: the change feed cannot be read ({error})") from None


def iterate(feed: Feed, library: str | None = None) -> Iterator[Activity]:
    """Every activity, oldest first, page by page."""
    for number in range(1, feed.pages(library) + 1):
        yield from feed.page(number, library)
