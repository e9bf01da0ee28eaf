"""Work on every core for the build: forked worker processes, and the disk spill they share.

``on_every_core`` is ``map`` over forked processes that keeps the order of the
items and a bounded window of work in flight; ``Spill`` keeps what a worker
found in one lecture on disk (a pickle per value) so that the parent does not
hold it. Forked workers see what the parent set up before the fork (the
pipeline's ``_WORKER`` table: segmenter, matcher, …) and end with it, even
when it is killed.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import pickle
import shutil
import signal
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable, Iterator, Sequence, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def on_every_core(function: Callable[[Item], Result], items: Sequence[Item], workers: int,
                  parent_busy: bool = False) -> Iterator[Result]:
    """``map(function, items)`` in forked processes, in order, at most two tasks per process ahead.

    ``workers`` processes, or one fewer when the parent has its own work to do
    with each result (``parent_busy``: loading it), so that it keeps a core.
    The bounded window keeps finished results from piling up when the
    consumer is slower than the workers.
    """
    processes = workers - 1 if parent_busy else workers
    if workers <= 1 or len(items) <= 1:
        yield from map(function, items)
        return
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"),
                             initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) >= 2 * processes:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def die_with_parent(parent: int) -> None:
    """Make this process end when ``parent`` does, even when that is killed (SIGKILL).

    An orphaned build worker would go on holding the store's lock (inherited
    with the fork) and every next build would be refused as "another build is
    running". Linux's ``PR_SET_PDEATHSIG``; elsewhere orphans end with their
    current task.
    """
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the call above
        os._exit(1)


_PR_SET_PDEATHSIG = 1


class Spill:
    """Transcripts and term counts of analysed lectures, one pickle each, in a scratch folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def put(self, number: int, kind: str, value: object) -> None:
        self.folder.mkdir(exist_ok=True)
        with (self.folder / f"{number}.{kind}").open("wb") as out:
            pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)

    def get(self, number: int, kind: str):
        with (self.folder / f"{number}.{kind}").open("rb") as data:
            return pickle.load(data)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
