"""The on-disk store: Oxigraph databases built aside and swapped in atomically.

Layout of a store directory (``--store DIR``)::

    DIR/current  -> builds/20261121T101500Z-1a2b3c   (symlink, replaced atomically)
    DIR/builds/<build id>/oxigraph/                   the pyoxigraph database
    DIR/builds/<build id>/build.json                  summary; written last = "complete"
    DIR/.lock                                         one build at a time

A build writes into a fresh ``builds/<id>`` directory and only then points
``current`` at it with ``os.replace`` on a new symlink (atomic on POSIX). A
failed or killed build leaves ``current`` and the build it points to
untouched; its half-written directory has no ``build.json`` and is removed by
the next build. Readers open ``current`` read-only.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import time
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pyoxigraph as ox


class StoreError(Exception):
    """The store directory cannot be used (locked, missing, not a store)."""


class StoreDirectory:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def current(self) -> Path:
        return self.root / "current"

    def database(self, build: Path | None = None) -> Path:
        return (build or self.current) / "oxigraph"

    def exists(self) -> bool:
        return (self.current / "build.json").is_file()

    def summary(self) -> dict:
        """The ``build.json`` of the current build. Raises StoreError if there is none."""
        try:
            return json.loads((self.current / "build.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise StoreError(f"{self.root}: no finished build here (run 'kg build' first)") from None

    def open_read_only(self) -> ox.Store:
        """The current database, read-only. Raises StoreError if there is none."""
        if not self.exists():
            raise StoreError(f"{self.root}: no finished build here (run 'kg build' first)")
        return ox.Store.read_only(str(self.database(self.current.resolve())))

    @contextmanager
    def new_build(self, build_id: str, wait: float = 0.0,
                  after_swap: Callable[[Path], None] | None = None) -> Iterator[Path]:
        """A fresh build directory, made current only if the block succeeds.

        Holds an exclusive lock for the duration, ``after_swap(build)`` included
        (what must see builds in order: the change feed); raises StoreError when
        another build still holds it after ``wait`` seconds.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with self._lock(wait):
            self._remove_unfinished()
            build = self.root / "builds" / build_id
            if build.exists():
                shutil.rmtree(build)
            build.mkdir(parents=True)
            try:
                yield build
            except BaseException:
                shutil.rmtree(build, ignore_errors=True)
                raise
            if not (build / "build.json").is_file():
                shutil.rmtree(build, ignore_errors=True)
                raise StoreError(f"{build}: build finished without build.json")
            self._point_current_to(build)
            if after_swap is not None:
                after_swap(build)

    def finish(self, build: Path, summary: dict) -> None:
        """Write ``build.json`` (via a temporary file and fsync): marks the build complete."""
        temporary = build / "build.json.tmp"
        with temporary.open("w", encoding="utf-8") as out:
            json.dump(summary, out, ensure_ascii=False, indent=2)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, build / "build.json")

    def prune(self, keep: int) -> list[Path]:
        """Remove finished builds beyond the ``keep`` newest besides the current one."""
        current = self.current.resolve() if self.current.exists() else None
        finished = sorted((p for p in (self.root / "builds").glob("*") if (p / "build.json").is_file()), reverse=True)
        removed = [p for p in finished if p != current][keep:]
        for path in removed:
            shutil.rmtree(path, ignore_errors=True)
        return removed

    def _point_current_to(self, build: Path) -> None:
        point_link(self.current, build.relative_to(self.root))

    def _remove_unfinished(self) -> None:
        for path in (self.root / "builds").glob("*"):
            if not (path / "build.json").is_file():
                shutil.rmtree(path, ignore_errors=True)

    def _lock(self, wait: float = 0.0) -> AbstractContextManager[None]:
        return exclusive_lock(self.root / ".lock", StoreError(f"{self.root}: another build is running"), wait)


def bulk_load(store: ox.Store, chunks: Iterable[bytes], batch: int = 32 << 20) -> None:
    """Bulk-load N-Quads ``chunks`` into ``store``, about ``batch`` bytes at a time.

    The loader's memory grows with what one call gives it, so batches bound it
    whatever the size of the data. The chunks must come from Oxigraph's own
    serializer (every term was validated when it was made), so they are
    parsed leniently. Raises OSError when the database cannot be written.
    """
    pending: list[bytes] = []
    size = 0
    for chunk in chunks:
        pending.append(chunk)
        size += len(chunk)
        if size >= batch:
            store.bulk_load(b"".join(pending), ox.RdfFormat.N_QUADS, lenient=True)
            pending, size = [], 0
    if pending:
        store.bulk_load(b"".join(pending), ox.RdfFormat.N_QUADS, lenient=True)


def build_id(started: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(started)) + "-" + secrets.token_hex(4)


@contextmanager
def exclusive_lock(path: Path, busy: Exception, wait: float = 0.0) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path``; raises ``busy`` when another process holds it for over ``wait`` seconds."""
    deadline = time.monotonic() + wait
    with path.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise busy from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def point_link(link: Path, target: Path) -> None:
    """Make the symlink ``link`` point at ``target`` atomically (a new link renamed over the old one)."""
    temporary = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(target)
    os.replace(temporary, link)
    _fsync_directory(link.parent)


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
