"""A runaway query is stopped at the configured time while the server keeps answering everyone else."""

import asyncio
import time

import httpx
import pytest

from tests.api.conftest import _free_port, start_server

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # 79k³ rows on the demo
SIMPLE = "ASK { ?s a <http://schema.org/VideoObject> }"


async def probe(client: httpx.AsyncClient, until: float) -> list[float]:
    """Seconds each request to other routes (and a simple query) took, until ``until``."""
    seconds = []
    while time.monotonic() < until:
        for path, params in (("/healthz", None), ("/index.json", None), ("/sparql", {"query": SIMPLE})):
            started = time.monotonic()
            response = await client.get(path, params=params)
            assert response.status_code == 200
            seconds.append(time.monotonic() - started)
        await asyncio.sleep(0.05)
    return seconds


async def runaways_and_probes(base: str, runaways: int, probe_for: float) -> tuple[list[httpx.Response], list[float], float]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        started = time.monotonic()
        running = [asyncio.ensure_future(client.post("/sparql", data={"query": RUNAWAY})) for _ in range(runaways)]
        await asyncio.sleep(0.3)
        seconds = await probe(client, time.monotonic() + probe_for)
        answers = await asyncio.gather(*running)
        return answers, seconds, time.monotonic() - started


def test_a_runaway_query_is_stopped_at_the_timeout_and_others_keep_answering(live_server):
    answers, seconds, took = asyncio.run(runaways_and_probes(live_server.base, 1, 3.5))
    (answer,) = answers
    assert answer.status_code == 504
    assert "query stopped after 5 s (limit set by KG_QUERY_TIMEOUT)" in answer.text
    assert 4.9 < took < 8
    assert len(seconds) >= 15 and max(seconds) < 0.5, seconds
    assert httpx.get(live_server.url("/sparql"), params={"query": SIMPLE}).json()["boolean"] is True


@pytest.fixture(scope="module")
def roomy_server(demo_store, tmp_path_factory):
    """The demo served with four query workers and a 3 s timeout."""
    server = start_server(demo_store, _free_port(), tmp_path_factory.mktemp("log") / "serve.log",
                          KG_QUERY_TIMEOUT="3", KG_QUERY_WORKERS="4")
    yield server
    server.process.terminate()
    server.process.wait(10)


def test_several_runaway_queries_at_once_do_not_block_the_others(roomy_server):
    answers, seconds, took = asyncio.run(runaways_and_probes(roomy_server.base, 3, 2.2))
    assert [a.status_code for a in answers] == [504, 504, 504]
    assert all("stopped after 3 s" in a.text for a in answers)
    assert 2.9 < took < 6
    assert len(seconds) >= 9 and max(seconds) < 0.5, seconds
