"""The published dataset as the server sees it: the current build, read-only.

``Dataset.store()`` returns the read-only Oxigraph store of the build that
``current`` points at, and re-opens it when a new build has been swapped in
(checked at most every ``recheck_seconds``). Requests already running keep the
store object they were given, so a swap never breaks a response half-way.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyoxigraph as ox

from kg.store import StoreDirectory, StoreError


class Dataset:
    def __init__(self, root: Path, recheck_seconds: float = 1.0) -> None:
        self.directory = StoreDirectory(root)
        self.recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._build: Path | None = None
        self._store: ox.Store | None = None
        self._summary: dict = {}
        self._checked = 0.0

    def store(self) -> ox.Store:
        """The current build's store. Raises StoreError when there is no finished build."""
        now = time.monotonic()
        if self._store is None or now - self._checked > self.recheck_seconds:
            with self._lock:
                self._refresh(now)
        assert self._store is not None
        return self._store

    def build_path(self) -> Path:
        self.store()
        assert self._build is not None
        return self._build

    def summary(self) -> dict:
        """``build.json`` of the build being served (counts, times, inputs)."""
        self.store()
        return self._summary

    def _refresh(self, now: float) -> None:
        self._checked = now
        try:
            build = self.directory.current.resolve(strict=True)
        except (OSError, RuntimeError):
            raise StoreError(f"{self.directory.root}: no finished build here (run 'kg build' first)") from None
        if build != self._build:
            self._store = self.directory.open_read_only()
            self._summary = self.directory.summary()
            self._build = build
