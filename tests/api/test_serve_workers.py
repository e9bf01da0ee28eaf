"""``kg serve --workers 2``: two server processes over the same read-only store, each answering on its own."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import BASE, _free_port, start_server


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def _workers(pid: int, count: int) -> list[int]:
    """The uvicorn worker processes of the server ``pid``, waited for until ``count`` have started up."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        workers = [c for c in _children(pid) if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]
        if len(workers) == count and all(_children(w) for w in workers):  # each started its SPARQL query workers
            return workers
        time.sleep(0.2)
    raise AssertionError(f"expected {count} worker processes under {pid}, found {_children(pid)}")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find the worker processes")
def test_two_workers_each_answer_while_the_other_is_stopped(demo_store, tmp_path):
    port = int((demo_store / "port").read_text())  # the store's URIs name this port; serve them on another
    server = start_server(demo_store, _free_port(), tmp_path / "serve.log", KG_BASE_URI=BASE.format(port=port),
                          KG_SERVER_WORKERS="2", KG_QUERY_WORKERS="1", KG_DUMPS=str(tmp_path / "dumps"))
    try:
        workers = _workers(server.process.pid, 2)
        for stopped, running in (workers, workers[::-1]):
            os.kill(stopped, signal.SIGSTOP)  # briefly: uvicorn's supervisor replaces a worker silent for 5 s
            try:
                for _ in range(3):  # a fresh connection each time: only the running worker can accept it
                    card = httpx.get(server.url("/api/lectures/nlc/mingdai-01/card"), timeout=3)
                    assert card.status_code == 200 and card.json()["id"] == "mingdai-01"
                answer = httpx.get(server.url("/sparql"), params={"query": "ASK { ?s ?p ?o }"},
                                   headers={"Accept": "application/sparql-results+json"}, timeout=3)
                assert answer.json()["boolean"] is True
            finally:
                os.kill(stopped, signal.SIGCONT)
        assert _workers(server.process.pid, 2) == workers  # neither was replaced
    finally:
        server.process.terminate()
        server.process.wait(15)
