"""The dump directory: finished dumps swapped in whole, and files looked up safely.

Layout of a dump directory (``kg dump --out DIR``, ``KG_DUMPS``, default ``var/dumps``)::

    DIR/current -> releases/20261121T060102Z-9f3a1c2e   symlink, replaced atomically
    DIR/releases/<dump id>/manifest.json                 build, files, sizes, sha256, triples; written last
    DIR/releases/<dump id>/void.ttl                      VoID + DCAT description of the files
    DIR/releases/<dump id>/*.nq.gz *.ttl.gz *.jsonld.gz  the dump files (see ``kg.dump``)
    DIR/.tmp-<dump id>/                                  a dump being written
    DIR/.lock                                            one dump at a time

A dump is written into ``.tmp-<id>``, renamed to ``releases/<id>`` and only then
made ``current``: a dump that fails or is killed half-way never replaces a
good one, and its leftover directory is removed by the next dump. The release
before the current one is kept, so a download that started just before a swap
can finish.

Errors::

    StoreError (kg.store)
    └── DumpError          the dump directory cannot be used (locked, unwritable, bad manifest)
        └── NotPublished   a name that is not one of the current dump's files
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

from kg.store import StoreError, exclusive_lock, point_link

MANIFEST = "manifest.json"
VOID = "void.ttl"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


class DumpError(StoreError):
    """The dump directory cannot be used (locked by another dump, unwritable, unreadable manifest)."""


class NotPublished(DumpError):
    """The name is not one of the current dump's files (or there is no dump yet)."""


@dataclass(frozen=True)
class BuildStamp:
    """Which build a dump or a description comes from (from the build's ``build.json``)."""

    build: str  # the build directory's name, e.g. 20261121T053120Z-1a2b3c4d
    fingerprint: str  # hash of the inputs and parameters
    finished: str  # xsd:dateTime, UTC
    base_uri: str  # base of the build's minted URIs
    feed_position: int | None = None  # the change feed's last activity once the build was recorded: current up to here

    @classmethod
    def from_summary(cls, build: Path, summary: dict[str, Any]) -> "BuildStamp":
        """Raises StoreError when ``build.json`` lacks a field."""
        try:
            return cls(build.name, summary["fingerprint"], summary["finished"], summary["base_uri"])
        except KeyError as missing:
            raise StoreError(f"{build}/build.json has no {missing}") from None


@dataclass(frozen=True)
class DumpFile:
    """One file of a dump, as listed in ``manifest.json``."""

    name: str
    media_type: str  # of the content once decompressed
    bytes: int
    sha256: str
    triples: int
    compress_format: str | None = "application/gzip"
    part: str | None = None  # the void:Dataset this file is a distribution of
    graphs: tuple[str, ...] = ()  # graph names inside ("" = the default graph)


@dataclass(frozen=True)
class Manifest:
    """``manifest.json``: what a dump holds and which build it comes from."""

    dump: str
    created: str
    stamp: BuildStamp
    files: tuple[DumpFile, ...] = field(default=())

    def file(self, name: str) -> DumpFile | None:
        return next((f for f in self.files if f.name == name), None)

    def to_json(self) -> str:
        data = {"dump": self.dump, "created": self.created, **asdict(self.stamp),
                "files": [asdict(f) for f in self.files]}
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        """Raises DumpError when the text is not a manifest."""
        try:
            data = json.loads(text)
            stamp = BuildStamp(data["build"], data["fingerprint"], data["finished"], data["base_uri"],
                               data.get("feed_position"))
            files = tuple(DumpFile(**{**f, "graphs": tuple(f.get("graphs", ()))}) for f in data["files"])
            return cls(data["dump"], data["created"], stamp, files)
        except (ValueError, KeyError, TypeError) as error:
            raise DumpError(f"{MANIFEST} cannot be read: {error}") from None


class DumpDirectory:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def current(self) -> Path:
        return self.root / "current"

    def release(self) -> Path | None:
        """The current dump's directory (resolved), or None when nothing has been dumped yet."""
        try:
            release = self.current.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        inside = release.parent == (self.root / "releases").resolve()
        return release if inside and (release / MANIFEST).is_file() else None

    def manifest(self) -> Manifest | None:
        """The current dump's manifest, or None. Raises DumpError when it cannot be read."""
        current = self.current_dump()
        return current[1] if current else None

    def current_dump(self) -> tuple[Path, Manifest] | None:
        """The current dump's directory and manifest (read from the same release), or None.

        Raises DumpError when the manifest cannot be read.
        """
        release = self.release()
        if release is None:
            return None
        try:
            return release, Manifest.from_json((release / MANIFEST).read_text(encoding="utf-8"))
        except OSError as error:
            raise DumpError(f"{release / MANIFEST}: {error.strerror}") from None

    def lookup(self, name: str) -> tuple[Path, DumpFile | None]:
        """The path of a published file of the current dump, and its manifest entry (None for the manifest).

        Only the manifest and the files it lists are published; anything else —
        other names, path separators, dot segments, a symlink, a non-regular
        file — raises NotPublished (also when nothing has been dumped yet).
        """
        current = self.current_dump() if _NAME.fullmatch(name) else None
        if current is None:
            raise NotPublished(f"{name!r} is not a published dump file")
        release, manifest = current
        entry = manifest.file(name)
        if name != MANIFEST and entry is None:
            raise NotPublished(f"{name!r} is not a published dump file")
        path = release / name
        try:
            info = os.lstat(path)
        except OSError:
            raise NotPublished(f"{name!r} is listed but missing") from None
        if not stat.S_ISREG(info.st_mode) or path.resolve().parent != release:
            raise NotPublished(f"{name!r} is not a regular file of the dump")
        return path, entry

    @contextmanager
    def new_release(self, dump_id: str) -> Iterator[Path]:
        """A temporary directory to write a dump into, made current only if the block succeeds.

        Holds an exclusive lock meanwhile; raises DumpError when another dump
        holds it, or when the block finishes without writing ``manifest.json``.
        """
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DumpError(f"{self.root}: cannot create the dump directory ({error.strerror})") from None
        with self._lock():
            for leftover in self.root.glob(".tmp-*"):
                shutil.rmtree(leftover, ignore_errors=True)
            temporary = self.root / f".tmp-{dump_id}"
            temporary.mkdir()
            try:
                yield temporary
                if not (temporary / MANIFEST).is_file():
                    raise DumpError(f"{temporary}: dump finished without {MANIFEST}")
                self._publish(temporary, dump_id)
            except BaseException:
                shutil.rmtree(temporary, ignore_errors=True)
                raise

    def _publish(self, temporary: Path, dump_id: str) -> None:
        releases = self.root / "releases"
        releases.mkdir(exist_ok=True)
        previous = self.release()
        os.rename(temporary, releases / dump_id)
        point_link(self.current, Path("releases") / dump_id)
        keep = {releases / dump_id, previous}
        for old in releases.iterdir():
            if old not in keep and old.resolve() not in keep:
                shutil.rmtree(old, ignore_errors=True)

    def _lock(self) -> AbstractContextManager[None]:
        return exclusive_lock(self.root / ".lock", DumpError(f"{self.root}: another dump is running"))
