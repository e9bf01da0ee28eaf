"""The worker pool: hard timeouts by killing the worker, replacement, other queries unaffected."""

import asyncio
import json
import os
import signal
import shutil
import time

import pytest

from sparql.errors import Busy, QuerySyntaxError, QueryTimeout, WorkerFailed
from kg.settings import Settings, SettingsError
from sparql.executor import QueryPool, worker_malloc
from sparql.worker import Job
from tests.sparql.stores import EX, make_store

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(
    f"VALUES ?v{i} {{ {' '.join(str(n) for n in range(200))} }}" for i in range(6)) + " }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def job(build, query: str) -> Job:
    return Job(query=query, build=str(build), results_format="application/sparql-results+json",
               graph_format=None, result_limit=100)


def count(answer) -> int:
    return int(json.loads(answer.body)["results"]["bindings"][0]["n"]["value"])


@pytest.fixture
def pool():
    made = QueryPool(size=2, timeout=1.5)
    yield made
    made.close()


def test_a_runaway_query_is_killed_at_the_limit_while_others_are_answered(pool, tiny_store):
    build = (tiny_store / "current").resolve()
    pool.start(str(build))
    before = pool.processes

    async def scenario():
        runaway = asyncio.ensure_future(pool.run(job(build, RUNAWAY)))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        quick = [count(await pool.run(job(build, COUNT))) for _ in range(5)]
        quick_seconds = time.monotonic() - started
        with pytest.raises(QueryTimeout, match="stopped after 1.5 s.*KG_QUERY_TIMEOUT"):
            await runaway
        return quick, quick_seconds

    started = time.monotonic()
    quick, quick_seconds = asyncio.run(scenario())
    assert quick == [6] * 5 and quick_seconds < 1.0
    assert 1.4 < time.monotonic() - started < 3.5
    after = pool.processes
    assert len(after) == 2 and len(set(before) - set(after)) == 1  # the runaway's worker was replaced
    assert count(asyncio.run(pool.run(job(build, COUNT)))) == 6


def test_query_errors_come_back_and_keep_the_worker(pool, tiny_store):
    build = (tiny_store / "current").resolve()
    pool.start(str(build))
    before = pool.processes
    with pytest.raises(QuerySyntaxError):
        asyncio.run(pool.run(job(build, "SELECT * WHERE {")))
    assert pool.processes == before


def test_a_worker_that_dies_is_reported_and_replaced(pool, tiny_store):
    build = (tiny_store / "current").resolve()
    pool.start(str(build))

    async def scenario():
        runaway = asyncio.ensure_future(pool.run(job(build, RUNAWAY)))
        await asyncio.sleep(0.5)
        for pid in pool.processes:  # the busy worker and the idle one
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(WorkerFailed, match="stopped the worker process"):
            await runaway

    started = time.monotonic()
    asyncio.run(scenario())
    assert time.monotonic() - started < 1.4  # reported at once, not at the time limit
    answers = [count(asyncio.run(pool.run(job(build, COUNT)))) for _ in range(4)]
    assert answers == [6] * 4 and len(pool.processes) == 2


def test_too_many_waiting_requests_are_told_to_come_back(tiny_store):
    build = (tiny_store / "current").resolve()
    small = QueryPool(size=1, timeout=1.0, backlog=0)
    try:
        small.start(str(build))

        async def scenario():
            first = asyncio.ensure_future(small.run(job(build, RUNAWAY)))
            await asyncio.sleep(0.2)
            with pytest.raises(Busy, match="KG_QUERY_WORKERS"):
                await small.run(job(build, COUNT))
            with pytest.raises(QueryTimeout):
                await first
        asyncio.run(scenario())
    finally:
        small.close()


def test_workers_follow_a_new_build(pool, tmp_path):
    root = make_store(tmp_path / "store", f"<{EX}a> <{EX}b> <{EX}c> <{EX}g> .\n", build="20260101T000000Z-aaaa0001")
    first = (root / "current").resolve()
    assert count(asyncio.run(pool.run(job(first, COUNT)))) == 1
    make_store(root, f"<{EX}a> <{EX}b> <{EX}c> <{EX}g> .\n<{EX}a> <{EX}b> <{EX}d> <{EX}g> .\n",
               build="20260102T000000Z-bbbb0002")
    second = (root / "current").resolve()
    assert second != first
    answers = {count(asyncio.run(pool.run(job(second, COUNT)))) for _ in range(4)}  # every worker reopens
    assert answers == {2}
    shutil.rmtree(first)


@pytest.mark.parametrize("choice", ["auto", "none"])
def test_workers_preload_the_allocator_the_settings_name(tiny_store, choice):
    library = worker_malloc(choice)
    if choice == "auto" and library is None:
        pytest.skip("libjemalloc2 is not installed here (.ci/run installs it)")
    build = (tiny_store / "current").resolve()
    made = QueryPool(size=1, timeout=5, malloc=library)
    try:
        made.start(str(build))
        assert count(asyncio.run(made.run(job(build, COUNT)))) == 6
        (pid,) = made.processes
        mapped = {line.split()[-1] for line in open(f"/proc/{pid}/maps") if "/" in line}
        assert any("libjemalloc" in path for path in mapped) == (choice == "auto")
    finally:
        made.close()


def test_an_allocator_that_is_not_there_is_a_settings_error():
    with pytest.raises(SettingsError, match="KG_QUERY_MALLOC"):
        Settings.from_env({"KG_QUERY_MALLOC": "/nowhere/libjemalloc.so.2"})
    assert Settings.from_env({"KG_QUERY_MALLOC": "none"}).query_malloc == "none"
