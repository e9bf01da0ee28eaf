"""Publishing inside the server: changes queue, one build process builds them, several at a time.

A library's ``PUT``/``DELETE``/``POST`` checks its upload (``kg.publications``)
and hands the ``Change`` to the server's ``Publisher``, which answers with a
``concurrent.futures.Future``. One thread takes every change queued so far,
asks the build process (``python -m kg.builder``, started on first use, kept
with jieba and spaCy loaded) for one build with all of them, and settles each
future with the build's answer. Publishes that arrive while a build runs
wait for the next one together: two libraries publishing at once cost two
builds at most, not one each.

If a build of several changes fails, each is built alone, so that one bad
change does not take the others with it. If the build process dies (killed,
out of memory), the changes of that build fail with ``PublishFailed`` and the
store is as it was (``kg.store``: an unfinished build is never swapped in);
the next publish starts a new process.

Errors::

    PublishFailed            the change did not land; ``message`` says why (no server paths)
    └── PublishTimeout       no answer within ``publish_timeout`` (it may still land later)
"""

from __future__ import annotations

import json
import logging
import os
import queue
import subprocess
import sys
import threading
from concurrent.futures import Future

from kg import publications
from kg.publications import Change
from kg.settings import Settings, to_env

log = logging.getLogger("kg.access.publish")


class PublishFailed(Exception):
    def __init__(self, message: str, kind: str = "failed") -> None:
        self.message, self.kind = message, kind
        super().__init__(message)


class PublishTimeout(PublishFailed):
    pass


class Publisher:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._queue: queue.Queue[tuple[Change, Future]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._process: subprocess.Popen | None = None
        self._start = threading.Lock()
        self.builds = 0  # builds run, for tests and the log
        publications.clear_incoming(settings.store, older_than=2 * settings.publish_timeout)

    def submit(self, change: Change) -> Future:
        """Queue a change; the future gives the build's answer (a dict) or raises PublishFailed."""
        with self._start:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="publisher", daemon=True)
                self._thread.start()
        future: Future = Future()
        self._queue.put((change, future))
        return future

    def builder_pid(self) -> int | None:
        return self._process.pid if self._process and self._process.poll() is None else None

    def close(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.stdin.close()  # type: ignore[union-attr]
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()

    # --- the publishing thread --------------------------------------------------------------

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                self._settle(batch)
            except Exception:  # a bug here must not leave the publishes waiting until they time out
                log.exception("publish: the publisher failed")
                for _, future in batch:
                    if not future.done():
                        future.set_exception(PublishFailed("the publisher failed unexpectedly (logged); "
                                                           "whether the change landed shows in the feed", "unexpected"))
            finally:
                for change, _ in batch:
                    publications.discard(change)

    def _settle(self, batch: list[tuple[Change, Future]]) -> None:
        answer = self._build([change for change, _ in batch])
        if not answer["ok"] and len(batch) > 1 and answer.get("kind") != "died":
            for item in batch:  # one bad change must not take the others with it
                self._settle([item])
            return
        for change, future in batch:
            if answer["ok"]:
                future.set_result(answer)
            else:
                future.set_exception(PublishFailed(answer["error"], answer.get("kind", "failed")))

    def _build(self, changes: list[Change]) -> dict:
        """One build with these changes, by the build process; never raises."""
        request = {"changes": [publications.to_json(c) for c in changes], "wait": self.settings.publish_timeout}
        self.builds += 1
        try:
            process = self._builder()
            process.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")  # type: ignore[union-attr]
            process.stdin.flush()  # type: ignore[union-attr]
            line = process.stdout.readline()  # type: ignore[union-attr]
        except OSError as error:
            line, reason = "", str(error)
        else:
            reason = "it ended before answering"
        if not line:
            code = self._process.poll() if self._process else None
            log.error("publish: the build process failed (%s, exit status %s); nothing was published", reason, code)
            self._process = None
            return {"ok": False, "kind": "died",
                    "error": "the build process ended before finishing (killed?); nothing was published, try again"}
        answer = json.loads(line)
        log.info("publish: build of %d change(s): %s", len(changes),
                 f"build {answer.get('build')} in {sum(answer.get('seconds', {}).values()):.1f} s" if answer["ok"]
                 else f"failed ({answer.get('kind')})")
        return answer

    def _builder(self) -> subprocess.Popen:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "kg.builder"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                encoding="utf-8", env={**os.environ, **to_env(self.settings)})  # its log goes where ours goes
        return self._process
