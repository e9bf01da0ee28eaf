"""The published dataset as the server sees it: the current build, read-only.

Two kinds, with the same methods (``store()``, ``summary()``, ``build_path()``,
``source()``); ``open_dataset`` picks one from the settings' plain values:

- ``Dataset``: the local store directory (``KG_STORE``);
- ``RemoteDataset``: a SPARQL 1.1 endpoint over a shared store
  (``KG_STORE_ENDPOINT``, see ``kg.remote``).

``Dataset.store()`` returns the read-only Oxigraph store of the build that
``current`` points at, and re-opens it when a new build has been swapped in
(checked at most every ``recheck_seconds``). Requests already running keep the
store object they were given, so a swap never breaks a response half-way.
"""

from __future__ import annotations

import json
import math
import threading
import time
from importlib import resources
from pathlib import Path

import pyoxigraph as ox

from kg.remote import RemoteStore
from kg.store import StoreDirectory, StoreError


class Dataset:
    def __init__(self, root: Path, recheck_seconds: float = 1.0) -> None:
        self.directory = StoreDirectory(root)
        self.recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._state: tuple[Path, ox.Store, dict] | None = None  # (build, store, build.json), replaced whole
        self._checked = -math.inf

    def store(self) -> ox.Store:
        """The current build's store. Raises StoreError when there is no finished build."""
        return self._current()[1]

    def notice_swap(self) -> None:
        """Look for a new build at the next request instead of within ``recheck_seconds`` (after a publish).

        Taken under the lock, so that a refresh under way (which may have seen
        the build before the swap) cannot mark the store as just checked.
        """
        with self._lock:
            self._checked = -math.inf

    def build_path(self) -> Path:
        return self._current()[0]

    def summary(self) -> dict:
        """``build.json`` of the build being served (counts, times, inputs)."""
        return self._current()[2]

    def source(self) -> str:
        """What the SPARQL door's workers open: the current build's directory."""
        return str(self.build_path())

    def local_build(self) -> Path:
        """The directory of the build being served (its search index, ``build.json``)."""
        return self.build_path()

    def _current(self) -> tuple[Path, ox.Store, dict]:
        if self._state is None or time.monotonic() - self._checked > self.recheck_seconds:
            with self._lock:  # one thread refreshes; the others wait for its result rather than use the old store
                if self._state is None or time.monotonic() - self._checked > self.recheck_seconds:
                    self._refresh()
        assert self._state is not None
        return self._state

    def _open(self, build: Path) -> tuple[ox.Store, dict]:
        """That build's store and ``build.json`` (not ``current``'s, which may have moved on meanwhile)."""
        try:
            summary = json.loads((build / "build.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise StoreError(f"{self.directory.root}: no finished build here (run 'kg build' first)") from None
        return ox.Store.read_only(str(self.directory.database(build))), summary

    def _refresh(self) -> None:
        started = time.monotonic()
        try:
            build = self.directory.current.resolve(strict=True)
        except (OSError, RuntimeError):
            raise StoreError(f"{self.directory.root}: no finished build here (run 'kg build' first)") from None
        if self._state is None or build != self._state[0]:
            self._state = (build, *self._open(build))
        self._checked = started  # only now: until the new store is open, others wait for it


class RemoteDataset:
    """The published dataset behind a SPARQL endpoint: stateless replicas over one shared read-only store.

    ``store()`` is a ``RemoteStore``. Which build the endpoint holds is read from
    its ``graph/meta`` (``sparql/queries/dataset_build.rq``) at most every
    ``recheck_seconds``, so validators change when a new build is swapped in
    behind the endpoint. ``root`` may hold a copy of the build directories (a
    shared read-only mount, or a synced copy without the ``oxigraph/`` folder):
    when its current build is the one the endpoint serves (same fingerprint),
    ``summary()`` is its ``build.json`` and ``local_build()`` its directory (the
    search index lives there). Otherwise ``summary()`` says what the endpoint
    says (fingerprint, times, ``source`` = the endpoint, no counts) and
    ``local_build()`` is None; ``build_path()`` then names the remote build by
    its fingerprint under ``root/remote/`` and does not exist.

    Raises StoreError (``RemoteUnavailable`` when the endpoint does not answer,
    plain StoreError when it holds no opencourse-kg build).
    """

    def __init__(self, endpoint: str, base: str, root: Path, recheck_seconds: float = 5.0,
                 timeout: float | None = 30.0) -> None:
        self.endpoint, self.base, self.recheck_seconds = endpoint, base, recheck_seconds
        self.remote = RemoteStore(endpoint, timeout)
        self.directory = StoreDirectory(root)
        self._lock = threading.Lock()
        self._summary: dict | None = None
        self._local: Path | None = None
        self._checked = 0.0

    def store(self) -> RemoteStore:
        self._current()
        return self.remote

    def source(self) -> str:
        """What the SPARQL door's workers open: the endpoint."""
        return self.endpoint

    def summary(self) -> dict:
        return self._current()

    def local_build(self) -> Path | None:
        """The local copy of the build being served, None without one."""
        self._current()
        return self._local

    def build_path(self) -> Path:
        summary = self._current()
        return self._local or self.directory.root / "remote" / str(summary["fingerprint"])

    def _current(self) -> dict:
        now = time.monotonic()
        if self._summary is None or now - self._checked > self.recheck_seconds:
            with self._lock:
                if self._summary is None or now - self._checked > self.recheck_seconds:
                    self._refresh(now)
        assert self._summary is not None
        return self._summary

    def _refresh(self, now: float) -> None:
        remote = self._remote_summary()
        local = self._local_copy()
        if local is not None and local[1].get("fingerprint") == remote["fingerprint"]:
            self._local, self._summary = local[0], {**local[1], "store": self.endpoint}
        else:
            self._local, self._summary = None, remote
        self._checked = now

    def _remote_summary(self) -> dict:
        text = resources.files("sparql").joinpath("queries", "dataset_build.rq").read_text(encoding="utf-8")
        rows = list(self.remote.query(text, substitutions={ox.Variable("dataset"): ox.NamedNode(self.base + "dataset")}))
        if not rows:
            raise StoreError(f"the SPARQL endpoint {self.endpoint} holds no opencourse-kg build for {self.base} "
                             f"(no <{self.base}dataset> generated by a build activity in any graph)")
        activity = rows[0]["activity"].value
        return {"fingerprint": activity.rsplit("/", 1)[-1], "started": rows[0]["started"].value,
                "finished": rows[0]["finished"].value, "base_uri": self.base, "source": self.endpoint,
                "store": self.endpoint, "counts": {}}

    def _local_copy(self) -> tuple[Path, dict] | None:
        try:
            return self.directory.current.resolve(strict=True), self.directory.summary()
        except (OSError, RuntimeError, StoreError):
            return None


def open_dataset(root: Path, endpoint: str = "", base: str = "", timeout: float | None = 30.0) -> Dataset | RemoteDataset:
    """The local store directory ``root``, or the SPARQL ``endpoint`` when one is given (``KG_STORE_ENDPOINT``)."""
    if endpoint:
        return RemoteDataset(endpoint, base, root, timeout=timeout)
    return Dataset(root)
