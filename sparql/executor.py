"""A small pool of worker processes that run queries under a hard time limit.

pyoxigraph cannot cancel a running query, so each query runs in a separate
process (``sparql.worker``) that opens the store read-only; when a query
overruns the limit its process is killed and a fresh one takes its place,
while the other workers go on answering. A worker that dies on its own (a
parser stack overflow, memory) is replaced the same way.

The caller's event loop never blocks: ``QueryPool.run`` is a coroutine. The
parent's end of each worker's socket is non-blocking; the job is written with
``loop.sock_sendall`` and the answer read as it arrives by the loop's own
reader callback (``loop.add_reader``) under ``asyncio.timeout``, so it works
the same on asyncio's and uvloop's loops. A request that finds every worker
busy waits on a future that the next worker to finish is handed to (first
come, first served); only the slow steps (killing and starting processes) go
to a thread. The pool keeps no loop-bound state between calls, so any loop
(and several at once) may call it.

Each worker is a fresh ``python -m sparql.worker`` talking over a socket
pair: it inherits nothing of the web server (no threads, no event loop, no
``__main__`` to re-import) and starting one takes about a tenth of a second.

Errors raised by ``QueryPool.run``: ``QueryTimeout`` (killed at the limit),
``Busy`` (no worker became free in time, or too many requests wait),
``WorkerFailed`` (the worker died), and whatever ``SparqlError`` the worker
reported for the query itself.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import pickle
import socket
import struct
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sparql.errors import Busy, QueryTimeout, SparqlError, WorkerFailed
from sparql.worker import Answer, Job

log = logging.getLogger("kg.sparql")
CHUNK = 64 * 1024  # bytes read from a worker's socket at a time
_DIED = ("the query stopped the worker process running it before it answered (too deeply nested, or it needs "
         "too much memory); the worker was replaced")


class _Worker:
    """One worker process (``python -m sparql.worker``) and the parent's (non-blocking) end of its socket.

    Messages both ways are framed as ``multiprocessing.connection`` frames them
    (the worker reads and writes with a ``Connection``): a 4-byte signed
    big-endian length, or -1 and an 8-byte length, then a pickle.
    """

    def __init__(self, build: str | None, malloc: str | None = None) -> None:
        self.socket, child = socket.socketpair()
        command = [sys.executable, "-P", "-m", "sparql.worker", str(child.fileno())] + ([build] if build else [])
        try:
            self.process = subprocess.Popen(command, pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL,
                                            env=_environment(malloc))
        finally:
            child.close()
        self.socket.setblocking(False)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Kill the process and reap it (blocking for a moment)."""
        self.process.kill()
        self.process.wait(5)
        self.socket.close()


def _frame(message: object) -> bytes:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    size = len(payload)
    header = struct.pack("!i", size) if size < 0x7FFFFFFF else struct.pack("!iQ", -1, size)
    return header + payload


class _Reply:
    """The bytes of one framed message, gathered as they arrive; ``payload`` once complete."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.start = self.size = -1

    def feed(self, chunk: bytes) -> bool:
        """Add ``chunk``; True when the whole message has arrived."""
        self.data += chunk
        if self.size < 0 and len(self.data) >= 4:
            (size,) = struct.unpack_from("!i", self.data)
            if size >= 0:
                self.start, self.size = 4, size
            elif len(self.data) >= 12:
                self.start, self.size = 12, struct.unpack_from("!Q", self.data, 4)[0]
        return self.size >= 0 and len(self.data) >= self.start + self.size

    def payload(self) -> memoryview:
        return memoryview(self.data)[self.start:self.start + self.size]


def _environment(malloc: str | None = None) -> dict[str, str]:
    """The server's environment, with this project importable whatever the working directory, and the
    ``malloc`` library (if any) preloaded."""
    root = str(Path(__file__).resolve().parents[1])
    paths = [root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}
    if malloc:
        env["LD_PRELOAD"] = " ".join(p for p in (malloc, os.environ.get("LD_PRELOAD", "")) if p)
    return env


JEMALLOC = tuple(f"{folder}/libjemalloc.so.2" for folder in (
    "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/local/lib", "/usr/lib"))


def worker_malloc(choice: str) -> str | None:
    """The allocator library the query workers preload (``KG_QUERY_MALLOC``): ``auto`` → jemalloc where
    installed (Debian ``libjemalloc2``), ``none`` → the C library's own, else the path given.

    Oxigraph's evaluation allocates a lot: with jemalloc, pyoxigraph spends about 10 % less CPU on a
    grouping query over 8 M triples (28 → 25 ms, as the ``oxigraph`` server binary), ``bench.sparql``.
    """
    if choice == "none":
        return None
    if choice == "auto":
        return next((path for path in JEMALLOC if os.path.isfile(path)), None)
    return choice


class QueryPool:
    """``size`` worker processes; queries longer than ``timeout`` seconds are killed.

    A request waits at most ``timeout`` seconds for a free worker, and at most
    ``backlog`` requests wait at once; beyond either, ``run`` raises Busy.
    """

    def __init__(self, size: int, timeout: float, backlog: int = 64, malloc: str | None = None) -> None:
        self.size, self.timeout, self.backlog = max(1, size), timeout, backlog
        self.malloc = malloc  # the allocator library the workers preload (``worker_malloc``)
        self._idle: list[_Worker] = []
        self._waiters: collections.deque[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = collections.deque()
        self._workers: set[_Worker] = set()
        self._lock = threading.Lock()  # guards _idle, _waiters, _workers and _running
        self._starting = threading.Lock()
        self._running = 0
        self._build: str | None = None
        self._threads = ThreadPoolExecutor(max_workers=self.size + 2, thread_name_prefix="kg-sparql")
        self._closed = False

    def start(self, build: str | None = None) -> None:
        """Start the workers (each opening ``build`` at once when given). Blocking: call off the event loop."""
        self._build = build or self._build
        with self._starting:
            while len(self._workers) < self.size:
                self._release(self._spawn())

    async def run(self, job: Job) -> Answer:
        """Run ``job`` on a free worker; see the module docstring for what it raises."""
        with self._lock:
            if self._running >= self.size + self.backlog:
                raise Busy(self._busy_message())
            self._running += 1
        try:
            loop = asyncio.get_running_loop()
            self._build = job.build
            worker = self._idle_now() or await self._wait(loop)
            reply = await self._ask(loop, worker, job)
        finally:
            with self._lock:
                self._running -= 1
        if isinstance(reply, SparqlError):
            raise reply
        return reply

    def close(self) -> None:
        """Stop every worker; ``run`` must not be called afterwards."""
        self._closed = True
        with self._lock:
            workers, self._workers, self._idle = list(self._workers), set(), []
        for worker in workers:
            worker.stop()
        self._threads.shutdown(wait=False, cancel_futures=True)

    @property
    def processes(self) -> list[int]:
        """The process ids of the live workers (for tests and diagnostics)."""
        with self._lock:
            return sorted(w.process.pid for w in self._workers)

    async def _ask(self, loop: asyncio.AbstractEventLoop, worker: _Worker, job: Job) -> Answer | SparqlError:
        """Send ``job`` to ``worker`` and wait for its answer; the worker goes back idle only when it answered."""
        try:
            await loop.sock_sendall(worker.socket, _frame(job))
            reply = await self._receive(loop, worker)
            if reply is not None:
                answer = pickle.loads(reply.payload())
                self._release(worker)
                return answer
        except (EOFError, OSError):
            await loop.run_in_executor(self._threads, self._replace, worker)
            raise WorkerFailed(_DIED) from None
        except BaseException:  # the request was cancelled while the query runs: never reuse this worker
            self._threads.submit(self._replace, worker)
            raise
        await loop.run_in_executor(self._threads, self._replace, worker)
        log.warning("query stopped after %g s: %.200r", self.timeout, job.query)
        raise QueryTimeout(f"query stopped after {self.timeout:g} s (limit set by KG_QUERY_TIMEOUT)")

    async def _receive(self, loop: asyncio.AbstractEventLoop, worker: _Worker) -> _Reply | None:
        """The worker's whole answer, read as it arrives; None after ``timeout``. Raises EOFError, OSError."""
        done: asyncio.Future[_Reply] = loop.create_future()
        reply = _Reply()
        sock = worker.socket

        def readable() -> None:
            if done.done():
                return
            try:
                chunk = sock.recv(CHUNK)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                done.set_exception(error)
                return
            if not chunk:
                done.set_exception(EOFError())
            elif reply.feed(chunk):
                done.set_result(reply)

        descriptor = sock.fileno()
        loop.add_reader(descriptor, readable)
        try:
            async with asyncio.timeout(self.timeout):
                return await done
        except TimeoutError:
            return None
        finally:
            loop.remove_reader(descriptor)

    def _idle_now(self) -> _Worker | None:
        """A live idle worker if there is one at once (the common case), else None."""
        while True:
            with self._lock:
                if not self._idle:
                    return None
                worker = self._idle.pop()
            if worker.alive():
                return worker
            self._threads.submit(self._replace, worker)

    async def _wait(self, loop: asyncio.AbstractEventLoop) -> _Worker:
        """Wait (first come, first served) for a worker to be handed over; starts the pool if needed. Raises Busy."""
        handed: asyncio.Future[_Worker] = loop.create_future()
        with self._lock:
            self._waiters.append((loop, handed))
            starting = not self._workers and not self._closed
        if starting:
            self._threads.submit(self.start)
        try:
            async with asyncio.timeout(self.timeout):
                worker = await handed
        except BaseException as error:
            with self._lock:
                try:
                    self._waiters.remove((loop, handed))
                except ValueError:
                    pass
            if handed.done() and not handed.cancelled():
                self._release(handed.result())  # handed over just as this request gave up: pass it on
            if isinstance(error, TimeoutError):
                raise Busy(self._busy_message()) from None
            raise
        if worker.alive():
            return worker
        await loop.run_in_executor(self._threads, self._replace, worker)
        return await self._wait(loop)

    def _release(self, worker: _Worker) -> None:
        """Hand ``worker`` to the longest-waiting request, or put it back idle. Any thread may call this."""
        with self._lock:
            while self._waiters:
                loop, handed = self._waiters.popleft()
                if not handed.done():
                    break
            else:
                self._idle.append(worker)
                return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._deliver(handed, worker)
        else:
            try:
                loop.call_soon_threadsafe(self._deliver, handed, worker)
            except RuntimeError:  # that loop has closed
                self._release(worker)

    def _deliver(self, handed: asyncio.Future, worker: _Worker) -> None:
        if handed.done():  # the waiter gave up in the meantime
            self._release(worker)
        else:
            handed.set_result(worker)

    def _replace(self, worker: _Worker) -> None:
        worker.stop()
        with self._starting:
            with self._lock:
                self._workers.discard(worker)
            if not self._closed:
                self._release(self._spawn())

    def _spawn(self) -> _Worker:
        worker = _Worker(self._build, self.malloc)
        with self._lock:
            self._workers.add(worker)
        return worker

    def _busy_message(self) -> str:
        return (f"all {self.size} query workers are busy (limit set by KG_QUERY_WORKERS); "
                f"try again in a few seconds")
