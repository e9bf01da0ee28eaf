"""``kg dump``: the current build written out as files anyone can download.

One dump (a release of ``kg.distribution.DumpDirectory``) holds:

====================================  ===========================================
 file                                  what
====================================  ===========================================
 ``opencourse-kg.nq.gz``               every quad, N-Quads
 ``opencourse-kg.jsonld.gz``           every quad, JSON-LD (named graphs as ``@graph``)
 ``graph.{name}.ttl.gz``               one named graph, Turtle (``graph.nlc.derived``…)
 ``library.{id}.nq.gz``                one library: ``graph/{id}`` + ``graph/{id}/derived``
 ``void.ttl``                          VoID + DCAT description of the files (``kg.void``)
 ``manifest.json``                     build, fingerprint, feed position, files, sizes, sha256, triples
====================================  ===========================================

Memory stays flat however large the store is: each file is one pass of
``store.quads_for_pattern`` streamed through pyoxigraph's serializer into a
gzip writer that hashes and counts the bytes as they go by; nothing is held
but the current quad. The gzip streams carry no time or file name, so dumping
the same build twice gives byte-identical files (and the same ETags).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import itertools
import json
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable

import pyoxigraph as ox

from kg import void
from kg.feed import Feed, FeedError
from kg.distribution import MANIFEST, VOID, BuildStamp, DumpDirectory, DumpFile, Manifest
from kg.namespaces import PREFIXES
from kg.partition import Graph, Part, parts
from kg.settings import Settings
from kg.store import StoreDirectory, StoreError, build_id
from kg.uris import Minter

Progress = Callable[[str, int, int], None]  # file name, files done, files in all


@dataclass(frozen=True)
class DumpReport:
    release: Path  # the dump's directory, now current
    manifest: Manifest
    seconds: float


def run_dump(store: Path, out: Path, settings: Settings, progress: Progress | None = None) -> DumpReport:
    """Dump the current build of the store at ``store`` into the dump directory ``out``.

    Raises StoreError when the store has no finished build, DumpError when
    ``out`` is locked by another dump or cannot be written, OSError when the
    disk fails; in every case the previous dump stays current.
    """
    started = time.monotonic()
    build, summary = _pinned_build(StoreDirectory(store))
    stamp = replace(BuildStamp.from_summary(build, summary), feed_position=_feed_position(store, build))
    minter = Minter(stamp.base_uri)
    database = ox.Store.read_only(str(build / "oxigraph"))
    dump_id = build_id(time.time())
    with DumpDirectory(out).new_release(dump_id) as temporary:
        counts = void.graph_triples(database)
        prefixes = {**PREFIXES, "kg": minter.vocab}
        files = write_files(database, parts(counts, minter), sorted_graphs(counts), temporary, prefixes, progress)
        files.append(write_description(database, stamp, settings.license, files, counts, temporary))
        manifest = Manifest(dump_id, _now(), stamp, tuple(files))
        _write_atomically(temporary / MANIFEST, manifest.to_json().encode("utf-8"))
    return DumpReport(out / "releases" / dump_id, manifest, round(time.monotonic() - started, 3))


def write_files(store: ox.Store, found: list[Part], everything: tuple[Graph, ...], folder: Path,
                prefixes: dict[str, str], progress: Progress | None = None) -> list[DumpFile]:
    """Every data file of a dump into ``folder``; returns them in the order written.

    ``everything`` is the graphs of the whole dataset, in the order its files list them.
    """
    plan = [(part, format) for part in found for format in _formats(part)]
    written = []
    for done, (part, format) in enumerate(plan):
        name = f"{part.stem}.{format.file_extension}.gz"
        if progress:
            progress(f"dump {name}", done, len(plan))
        written.append(write_file(store, part.graphs or everything, format, folder / name, part.iri, prefixes))
    if progress:
        progress("dump", len(plan), len(plan))
    return written


def write_file(store: ox.Store, graphs: tuple[Graph, ...], format: ox.RdfFormat, path: Path, part: str,
               prefixes: dict[str, str] | None = None) -> DumpFile:
    """One gzipped file of ``graphs`` in ``format``; a triple format (Turtle) takes one graph.

    Raises ValueError when a triple format is given several graphs, OSError when the disk fails.
    """
    if not format.supports_datasets and len(graphs) != 1:
        raise ValueError(f"{format.name} holds one graph, not {len(graphs)}")
    quads = itertools.chain.from_iterable(store.quads_for_pattern(None, None, None, g) for g in graphs)
    counted = _Counted(quads if format.supports_datasets else (q.triple for q in quads))
    with path.open("wb") as raw:
        tally = _Tally(raw)
        with gzip.GzipFile(filename="", mode="wb", fileobj=tally, compresslevel=6, mtime=0) as packed:
            ox.serialize(counted, packed, format, prefixes=None if format.supports_datasets else prefixes)
        raw.flush()
        os.fsync(raw.fileno())
    return DumpFile(path.name, format.media_type, tally.size, tally.sha256.hexdigest(), counted.count,
                    part=part, graphs=tuple(getattr(g, "value", "") for g in graphs))


def write_description(store: ox.Store, stamp: BuildStamp, license: str, files: list[DumpFile],
                      counts: dict[Graph, int], folder: Path) -> DumpFile:
    """``void.ttl``: the VoID + DCAT description of ``files``."""
    triples = void.describe(store, stamp, license, files, counts)
    data = void.serialize(triples, ox.RdfFormat.TURTLE)
    _write_atomically(folder / VOID, data)
    return DumpFile(VOID, ox.RdfFormat.TURTLE.media_type, len(data), hashlib.sha256(data).hexdigest(), len(triples),
                    compress_format=None)


def sorted_graphs(graphs: Iterable[Graph]) -> tuple[Graph, ...]:
    """The default graph first, then named graphs by IRI: the order of the whole-dataset files."""
    return tuple(sorted(graphs, key=lambda g: (isinstance(g, ox.NamedNode), getattr(g, "value", ""))))


def _formats(part: Part) -> tuple[ox.RdfFormat, ...]:
    if part.kind == "whole":
        return (ox.RdfFormat.N_QUADS, ox.RdfFormat.JSON_LD)
    if part.kind == "library":
        return (ox.RdfFormat.N_QUADS,)
    return (ox.RdfFormat.TURTLE,)


def _pinned_build(directory: StoreDirectory) -> tuple[Path, dict]:
    """The build ``current`` points at now, and its summary: a swap during the dump changes nothing."""
    try:
        build = directory.current.resolve(strict=True)
        return build, json.loads((build / "build.json").read_text(encoding="utf-8"))
    except (OSError, RuntimeError, ValueError):
        raise StoreError(f"{directory.root}: no finished build here (run 'kg build' first)") from None


def _feed_position(store: Path, build: Path) -> int | None:
    """Up to which activity of the change feed the build is current (None when the feed cannot tell)."""
    try:
        return Feed(store).position(build.name)
    except FeedError:
        return None


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


Statement = ox.Quad | ox.Triple


class _Counted:
    """An iterator over quads or triples that counts what passes through it."""

    def __init__(self, items: Iterable[Statement]) -> None:
        self.items, self.count = iter(items), 0

    def __iter__(self) -> "_Counted":
        return self

    def __next__(self) -> Statement:
        item = next(self.items)
        self.count += 1
        return item


class _Tally(io.RawIOBase):
    """A write-only stream that passes bytes on while hashing (SHA-256) and counting them."""

    def __init__(self, raw: io.BufferedWriter) -> None:
        self.raw, self.sha256, self.size = raw, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.raw.write(data)
        self.sha256.update(data)
        self.size += len(data)
        return len(data)
