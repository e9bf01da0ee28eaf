"""A small pool of worker processes that run queries under a hard time limit.

pyoxigraph cannot cancel a running query, so each query runs in a separate
process (``sparql.worker``) that opens the store read-only; when a query
overruns the limit its process is killed and a fresh one takes its place,
while the other workers go on answering. A worker that dies on its own (a
parser stack overflow, memory) is replaced the same way.

The caller's event loop never blocks: ``QueryPool.run`` is a coroutine. It
sends the job down a free worker's socket and waits for the answer with the
loop's own reader callback (``loop.add_reader``) under ``asyncio.timeout``;
an answer larger than ``INLINE_BYTES`` is read in a thread, and so is every
slow step (waiting for a worker when all are busy, killing and starting
processes). The pool keeps no loop-bound state, so any loop may call it.

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
import logging
import os
import queue
import socket
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path

from sparql.errors import Busy, QueryTimeout, SparqlError, WorkerFailed
from sparql.worker import Answer, Job

log = logging.getLogger("kg.sparql")
INLINE_BYTES = 256 * 1024  # answers up to this size are read on the event loop; larger ones in a thread
_DIED = ("the query stopped the worker process running it before it answered (too deeply nested, or it needs "
         "too much memory); the worker was replaced")


class _Worker:
    """One worker process (``python -m sparql.worker``) and the parent's end of its socket."""

    def __init__(self, build: str | None) -> None:
        self.socket, child = socket.socketpair()
        command = [sys.executable, "-P", "-m", "sparql.worker", str(child.fileno())] + ([build] if build else [])
        try:
            self.process = subprocess.Popen(command, pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL,
                                            env=_environment())
        finally:
            child.close()
        self.connection = Connection(os.dup(self.socket.fileno()))

    def alive(self) -> bool:
        return self.process.poll() is None

    def answer_size(self) -> int:
        """The length of the answer waiting on the socket (from its frame header), 0 if unknown yet."""
        try:
            header = self.socket.recv(12, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return 0
        if len(header) < 4:
            return 0
        (size,) = struct.unpack("!i", header[:4])
        return struct.unpack("!Q", header[4:12])[0] if size == -1 and len(header) == 12 else max(size, 0)

    def stop(self) -> None:
        """Kill the process and reap it (blocking for a moment)."""
        self.process.kill()
        self.process.wait(5)
        self.connection.close()
        self.socket.close()


def _environment() -> dict[str, str]:
    """The server's environment, with this project importable whatever the working directory."""
    root = str(Path(__file__).resolve().parents[1])
    paths = [root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}


class QueryPool:
    """``size`` worker processes; queries longer than ``timeout`` seconds are killed.

    A request waits at most ``timeout`` seconds for a free worker, and at most
    ``backlog`` requests wait at once; beyond either, ``run`` raises Busy.
    """

    def __init__(self, size: int, timeout: float, backlog: int = 64) -> None:
        self.size, self.timeout, self.backlog = max(1, size), timeout, backlog
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._workers: set[_Worker] = set()
        self._lock = threading.Lock()  # guards _workers and _running
        self._starting = threading.Lock()
        self._running = 0
        self._build: str | None = None
        self._threads = ThreadPoolExecutor(max_workers=self.size + backlog, thread_name_prefix="kg-sparql")
        self._closed = False

    def start(self, build: str | None = None) -> None:
        """Start the workers (each opening ``build`` at once when given). Blocking: call off the event loop."""
        self._build = build or self._build
        with self._starting:
            while len(self._workers) < self.size:
                self._idle.put(self._spawn())

    async def run(self, job: Job) -> Answer:
        """Run ``job`` on a free worker; see the module docstring for what it raises."""
        with self._lock:
            if self._running >= self.size + self.backlog:
                raise Busy(self._busy_message())
            self._running += 1
        try:
            loop = asyncio.get_running_loop()
            self._build = job.build
            worker = self._idle_now() or await loop.run_in_executor(self._threads, self._take)
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
            workers, self._workers = list(self._workers), set()
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
            worker.connection.send(job)
            if await self._readable(loop, worker):
                if worker.answer_size() > INLINE_BYTES:
                    reply = await loop.run_in_executor(self._threads, worker.connection.recv)
                else:
                    reply = worker.connection.recv()
                self._idle.put(worker)
                return reply
        except (EOFError, OSError):
            await loop.run_in_executor(self._threads, self._replace, worker)
            raise WorkerFailed(_DIED) from None
        except BaseException:  # the request was cancelled while the query runs: never reuse this worker
            self._threads.submit(self._replace, worker)
            raise
        await loop.run_in_executor(self._threads, self._replace, worker)
        log.warning("query stopped after %g s: %.200r", self.timeout, job.query)
        raise QueryTimeout(f"query stopped after {self.timeout:g} s (limit set by KG_QUERY_TIMEOUT)")

    async def _readable(self, loop: asyncio.AbstractEventLoop, worker: _Worker) -> bool:
        """Wait until the worker's socket has data (an answer, or EOF); False after ``timeout``."""
        ready = loop.create_future()
        descriptor = worker.socket.fileno()
        loop.add_reader(descriptor, lambda: ready.done() or ready.set_result(True))
        try:
            async with asyncio.timeout(self.timeout):
                return await ready
        except TimeoutError:
            return False
        finally:
            loop.remove_reader(descriptor)

    def _idle_now(self) -> _Worker | None:
        """A live idle worker if there is one at once (the common case), else None."""
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return None
            if worker.alive():
                return worker
            self._threads.submit(self._replace, worker)

    def _take(self) -> _Worker:
        """Wait for an idle, live worker (starting the pool if needed). Raises Busy."""
        if not self._workers:
            self.start()
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                worker = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise Busy(self._busy_message()) from None
            if worker.alive():
                return worker
            self._replace(worker)

    def _replace(self, worker: _Worker) -> None:
        worker.stop()
        with self._starting:
            with self._lock:
                self._workers.discard(worker)
            if not self._closed:
                self._idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        worker = _Worker(self._build)
        with self._lock:
            self._workers.add(worker)
        return worker

    def _busy_message(self) -> str:
        return (f"all {self.size} query workers are busy (limit set by KG_QUERY_WORKERS); "
                f"try again in a few seconds")
