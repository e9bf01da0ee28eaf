"""The query worker: a process that runs one query at a time on a read-only store.

``serve`` is the process's main function (started by ``sparql.executor``).
It receives a ``Job`` over a pipe, answers an ``Answer`` or a ``SparqlError``,
and keeps the store of the build it last used open, reopening it when a job
names another build (a new build was swapped in). The parent kills the
process when a query overruns its time: pyoxigraph cannot be interrupted.

A job's ``build`` may instead be the URL of a SPARQL endpoint (a shared store,
``KG_STORE_ENDPOINT``): the query is then sent there (``kg.remote``), and its
answer is counted, limited and serialised here exactly as a local one; the
service allow-list is checked before anything is sent, and the timeout is
still this process being killed (set the endpoint's own timeout too: the
remote evaluation goes on after the connection closes).

Results are counted while they are written and refused as a whole past the
limit; SELECT results are first written as TSV, one line per row, to count
them cheaply, then converted to the requested format.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass, fields
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Iterable, Iterator

import pyoxigraph as ox

from kg.remote import RemoteStore, RemoteTriples, RemoteUnavailable
from sparql import federation, media
from sparql.errors import (Busy, NotAcceptable, QueryFailed, QuerySyntaxError, ResultTooLarge, SparqlError,
                           WorkerFailed)

STACK_BYTES = 256 * 1024 * 1024  # virtual; deep but legal queries need more than the default 8 MiB


@dataclass(frozen=True)
class Job:
    query: str
    build: str  # build directory (the database is its oxigraph/ folder), or the http(s) URL of a SPARQL endpoint
    results_format: str | None  # media type for SELECT/ASK answers; None: the client accepts none
    graph_format: str | None  # media type for CONSTRUCT/DESCRIBE answers; None: the client accepts none
    result_limit: int
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    protocol_dataset: bool = False  # the request named the dataset: it replaces the query's own
    union_default_graph: bool = True  # default graph = union of all graphs (unless the query has FROM)
    service_allowlist: tuple[str, ...] = ()
    prefixes: tuple[tuple[str, str], ...] = ()  # for Turtle / RDF/XML output
    base_iri: str | None = None

    def __reduce__(self) -> tuple:  # pickled as its fields in order: smaller and faster than a dataclass' state
        return Job, tuple(getattr(self, name) for name in _JOB_FIELDS)


@dataclass(frozen=True)
class Answer:
    kind: str  # "solutions", "boolean" or "graph"
    media_type: str
    body: bytes
    count: int  # rows, triples, or 1 for a boolean

    def __reduce__(self) -> tuple:
        return Answer, (self.kind, self.media_type, self.body, self.count)


_JOB_FIELDS = tuple(field.name for field in fields(Job))


class Runner:
    """Runs jobs on the store of the build they name."""

    def __init__(self) -> None:
        self.build: str | None = None
        self.store: ox.Store | RemoteStore | None = None

    def open(self, build: str) -> ox.Store | RemoteStore:
        """The read-only store of ``build`` (or its endpoint). Raises WorkerFailed when it cannot be opened."""
        if self.store is None or build != self.build:
            try:
                if build.startswith(("http://", "https://")):
                    self.store = RemoteStore(build, timeout=None)  # the parent kills this process at the limit
                else:
                    self.store = ox.Store.read_only(str(Path(build) / "oxigraph"))
            except OSError:
                raise WorkerFailed("the dataset could not be opened; try again shortly") from None
            except RemoteUnavailable as error:
                raise WorkerFailed(str(error)) from None
            self.build = build
        return self.store

    def run(self, job: Job) -> Answer:
        """Evaluate ``job`` and serialise its answer.

        Raises ServiceRefused, QuerySyntaxError, QueryFailed, NotAcceptable,
        ResultTooLarge or WorkerFailed.
        """
        federation.check_services(job.query, job.service_allowlist)
        store = self.open(job.build)
        try:
            result = store.query(job.query, base_iri=job.base_iri, **_dataset(job))
            return _serialise(result, job)
        except SyntaxError as error:
            raise QuerySyntaxError(f"the query does not parse: {error}") from None
        except RemoteUnavailable as error:
            raise Busy(f"{error}; try again shortly") from None
        except (RuntimeError, ValueError) as error:
            raise QueryFailed(f"the query could not be evaluated: {error}") from None
        except OSError as error:
            if job.service_allowlist and federation.mentions_service(job.query):  # the SERVICE call failed
                raise QueryFailed(f"the query could not be evaluated: {error}") from None
            raise WorkerFailed("the dataset could not be read") from None


def _dataset(job: Job) -> dict:
    if job.protocol_dataset:
        return {"default_graph": [ox.NamedNode(g) for g in job.default_graphs],
                "named_graphs": [ox.NamedNode(g) for g in job.named_graphs]}
    return {"use_default_graph_as_union": True} if job.union_default_graph else {}


def _serialise(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | RemoteTriples, job: Job) -> Answer:
    if isinstance(result, (ox.QueryTriples, RemoteTriples)):
        fmt = _graph_format(job)
        counter = _TripleCounter(job.result_limit)
        body = ox.serialize(counter.count(result), format=fmt, prefixes=dict(job.prefixes) or None)
        return Answer("graph", fmt.media_type, body, counter.triples)
    fmt = _results_format(job, "ASK" if isinstance(result, ox.QueryBoolean) else "SELECT")
    if isinstance(result, ox.QueryBoolean):
        return Answer("boolean", fmt.media_type, result.serialize(format=fmt), 1)
    tsv = _RowCounter(job.result_limit)
    result.serialize(tsv, format=ox.QueryResultsFormat.TSV)
    body = tsv.bytes()
    if fmt != ox.QueryResultsFormat.TSV:
        body = ox.parse_query_results(body, ox.QueryResultsFormat.TSV).serialize(format=fmt)
    return Answer("solutions", fmt.media_type, body, tsv.rows)


def _results_format(job: Job, form: str) -> ox.QueryResultsFormat:
    fmt = media.result_format(job.results_format) if job.results_format else None
    if fmt is None:
        raise NotAcceptable(f"{form} answers are SPARQL results; the request accepts none of "
                            f"{', '.join(media.offered('results'))}")
    return fmt


def _graph_format(job: Job) -> ox.RdfFormat:
    fmt = media.graph_format(job.graph_format) if job.graph_format else None
    if fmt is None:
        raise NotAcceptable(f"CONSTRUCT and DESCRIBE answer RDF; the request accepts none of "
                            f"{', '.join(media.offered('graph'))}")
    return fmt


class _RowCounter:
    """A binary writer for TSV results that refuses more than ``limit`` rows."""

    def __init__(self, limit: int) -> None:
        self.limit, self.lines, self.parts = limit, 0, []

    def write(self, chunk: bytes) -> int:
        data = bytes(chunk)
        self.lines += data.count(b"\n")
        if self.lines - 1 > self.limit:
            raise ResultTooLarge(_too_many(self.limit, "rows"))
        self.parts.append(data)
        return len(data)

    def flush(self) -> None:
        pass

    @property
    def rows(self) -> int:
        return max(0, self.lines - 1)

    def bytes(self) -> bytes:
        return b"".join(self.parts)


class _TripleCounter:
    def __init__(self, limit: int) -> None:
        self.limit, self.triples = limit, 0

    def count(self, triples: Iterable[ox.Triple]) -> Iterator[ox.Triple]:
        for triple in triples:
            self.triples += 1
            if self.triples > self.limit:
                raise ResultTooLarge(_too_many(self.limit, "triples"))
            yield triple


def _too_many(limit: int, what: str) -> str:
    return (f"the result has more than {limit} {what} (limit set by KG_RESULT_LIMIT); results are never "
            f"truncated: add LIMIT/OFFSET to page through it, or narrow the query")


def serve(connection: Connection, build: str | None = None, stack_bytes: int = STACK_BYTES) -> None:
    """The worker process: answer jobs from ``connection`` until it closes or the parent goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the parent decides
    threading.Thread(target=_watch_parent, args=(os.getppid(),), name="parent-watch", daemon=True).start()
    threading.stack_size(stack_bytes)
    thread = threading.Thread(target=_loop, args=(connection, build), name="sparql-worker")
    thread.start()
    thread.join()


def _watch_parent(parent: int) -> None:
    """Exit when the server dies, even in the middle of a query (no orphan keeps burning a core)."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def _loop(connection: Connection, build: str | None) -> None:
    runner = Runner()
    if build:
        try:
            runner.open(build)
        except WorkerFailed:
            pass
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        try:
            reply: Answer | SparqlError = runner.run(job)
        except SparqlError as error:
            reply = error
        except Exception as error:  # noqa: BLE001 - the parent gets a message, never a traceback
            reply = WorkerFailed(f"the query could not be run ({type(error).__name__})")
        try:
            connection.send(reply)
        except (OSError, ValueError):
            return
        finally:  # drop it here: a refused result's traceback holds pyoxigraph objects bound to this thread
            reply = None  # type: ignore[assignment]


if __name__ == "__main__":  # python -m sparql.worker FD [BUILD]  (started by sparql.executor)
    import sys

    from sparql import worker  # the module under its own name, so answers unpickle as sparql.worker.Answer

    worker.serve(Connection(int(sys.argv[1])), sys.argv[2] if len(sys.argv) > 2 else None)
