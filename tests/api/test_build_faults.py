"""Faults during builds, with a real server answering throughout.

- ``kg build`` killed with SIGKILL at random moments, 20 times: the server keeps
  answering from the previous build, that build's store stays whole, and the
  next build succeeds and is swapped in;
- a rebuild while the server is under load: no request fails, the new data
  appears after the swap;
- a build that cannot write (file size limit, as on a full disk) or cannot read
  an input: a clear error, the previous store intact.
"""

from __future__ import annotations

import json
import random
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from kg.store import StoreDirectory
from tests.api.conftest import BASE, _free_port, start_server

ROOT = Path(__file__).resolve().parents[2]
LECTURES = ("mingdai-01", "kunqu-01", "tangshi-01", "chaye-01", "dizhen-01", "silkroad-01")
KILLS = 20

pytestmark = pytest.mark.slow


def small_source(target: Path, title_suffix: str = "") -> Path:
    """Six demo lectures (a GB18030, a UTF-16 and a plain transcript among them) with the demo holdings and thesaurus."""
    shutil.copytree(ROOT / "data", target, ignore=shutil.ignore_patterns("lectures.jsonl", ".parts"))
    rows = [json.loads(line) for line in (ROOT / "data" / "lectures.jsonl").read_text(encoding="utf-8").splitlines()]
    with (target / "lectures.jsonl").open("w", encoding="utf-8") as manifest:
        for row in rows:
            if row["id"] in LECTURES:
                row["title"] += title_suffix
                manifest.write(json.dumps(row, ensure_ascii=False) + "\n")
    return target


def build_command(source: Path, store: Path, base: str) -> list[str]:
    return [sys.executable, "-m", "api.cli", "build", str(source), "--store", str(store), "--base-uri", base, "--quiet"]


def quads(store: Path) -> int:
    return len(ox.Store.read_only(str(StoreDirectory(store).current.resolve() / "oxigraph")))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A small build served by a real ``kg serve``; the build's own duration, for picking kill moments."""
    scratch = tmp_path_factory.mktemp("faults")
    source, store, port = small_source(scratch / "source"), scratch / "store", _free_port()
    subprocess.run(build_command(source, store, BASE.format(port=port)), cwd=ROOT, check=True)
    started = time.monotonic()  # a second build, with warm caches, gives the duration the kills are spread over
    subprocess.run(build_command(source, store, BASE.format(port=port)), cwd=ROOT, check=True)
    duration = time.monotonic() - started
    server = start_server(store, port, scratch / "serve.log")
    yield server, source, store, duration
    server.process.terminate()
    server.process.wait(10)


def snapshot(server) -> tuple[str, str, str]:
    card = httpx.get(server.url("/api/lectures/nlc/kunqu-01/card"), timeout=10)
    index = httpx.get(server.url("/index.json"), timeout=10).json()
    assert card.status_code == 200 and httpx.get(server.url("/healthz"), timeout=10).status_code == 200
    return card.headers["etag"], card.json()["title"], index["built"]


def test_builds_killed_at_random_moments_never_hurt_the_served_store(served):
    server, source, store, duration = served
    before, count = snapshot(server), quads(store)
    moments = iter(random.Random(20261121).sample(range(1, 100), 60))  # percent of a build's duration
    before_swap, after_swap, finished_first = [], [], 0
    while len(before_swap) + len(after_swap) < KILLS:
        percent = next(moments)
        build = subprocess.Popen(build_command(source, store, server.base), cwd=ROOT, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        time.sleep(duration * percent / 100)
        if build.poll() is None:
            build.send_signal(signal.SIGKILL)  # only the build process, as the OOM killer would
        elif build.returncode == 0:
            finished_first += 1
        build.wait(10)
        time.sleep(1.2)  # the server looks for a swapped-in build at most every second
        now = snapshot(server)  # healthz and the card answer
        served = StoreDirectory(store).current.resolve()
        summary = json.loads((served / "build.json").read_text(encoding="utf-8"))
        assert quads(store) == summary["counts"]["triples"] == count, f"kill at {percent}%: the served store is not whole"
        assert now[1] == before[1], f"kill at {percent}%: the card changed"
        if build.returncode == -signal.SIGKILL:
            (before_swap if now == before else after_swap).append(percent)  # after: killed in the feed/prune steps
        before = now
    print(f"{KILLS} kills: {len(before_swap)} before the swap (the previous build kept serving), "
          f"{len(after_swap)} after it (the new build served whole); {finished_first} builds finished before "
          f"their kill moment; moments {sorted(before_swap + after_swap)} % of a {duration:.1f} s build")
    assert len(before_swap) >= KILLS // 2
    finished = subprocess.run(build_command(source, store, server.base), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-2000:]
    time.sleep(1.5)  # the server looks for a new build at most every second
    after = snapshot(server)
    assert after[2] != before[2] and after[1] == before[1] and quads(store) == count
    builds = [p for p in (store / "builds").iterdir() if p.is_dir()]
    assert all((p / "build.json").is_file() for p in builds), "unfinished builds were left behind"


def test_a_rebuild_under_load_fails_no_request_and_shows_the_new_data(served, tmp_path):
    server, _, store, _ = served
    changed = small_source(tmp_path / "changed", title_suffix="（修订版）")
    stop, failures, done = threading.Event(), [], [0]
    paths = ["/api/lectures/nlc/kunqu-01/card", "/api/search?q=%E6%98%86%E6%9B%B2", "/lecture/nlc/kunqu-01.html",
             "/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D", "/api/lectures/nlc/mingdai-01/related", "/"]

    def reader(offset: int) -> None:
        with httpx.Client(timeout=10) as client:
            for n in range(offset, 10**9):
                if stop.is_set():
                    return
                path = paths[n % len(paths)]
                try:
                    answer = client.get(server.url(path), headers={"Accept": "application/sparql-results+json"}
                                        if path.startswith("/sparql") else {})
                    if answer.status_code >= 400:
                        failures.append(f"{path} → {answer.status_code}")
                except httpx.HTTPError as error:
                    failures.append(f"{path} → {type(error).__name__}")
                done[0] += 1

    readers = [threading.Thread(target=reader, args=(i,)) for i in range(4)]
    for thread in readers:
        thread.start()
    try:
        rebuilt = subprocess.run(build_command(changed, store, server.base), cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not snapshot(server)[1].endswith("（修订版）"):
            time.sleep(0.2)
        time.sleep(1)
    finally:
        stop.set()
        for thread in readers:
            thread.join(15)
    print(f"rebuild under load: {done[0]} requests, {len(failures)} failed")
    assert failures == [] and done[0] > 50
    assert snapshot(server)[1] == "崑曲六百年（修订版）"
    recent = httpx.get(server.url("/index.json"), timeout=10).json()["explore"]["recent"]["items"]  # kept per build
    assert len(recent) == len(LECTURES) and all(item["label"].endswith("（修订版）") for item in recent)


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_build_that_cannot_write_says_so_and_leaves_the_store_intact(served):
    server, source, store, _ = served
    before, count = snapshot(server), quads(store)
    failed = subprocess.run(build_command(source, store, server.base), cwd=ROOT, capture_output=True, text=True, timeout=300,
                            preexec_fn=_limit_file_size(256 * 1024))  # as if the disk filled up after 256 KB per file
    assert failed.returncode != 0
    message = failed.stderr.strip().splitlines()[-1] if failed.stderr.strip() else ""
    assert message.startswith("kg: error") and "Traceback" not in failed.stderr, failed.stderr[-2000:]
    assert snapshot(server) == before and quads(store) == count


def test_an_unreadable_input_is_named_and_the_store_is_untouched(served, tmp_path):
    server, _, store, _ = served
    broken = small_source(tmp_path / "broken")
    victim = broken / "subtitles" / next(p.name for p in (broken / "subtitles").iterdir() if p.name.startswith("kunqu"))
    victim.unlink()
    victim.mkdir()  # a directory where a subtitle file should be: unreadable whoever runs the test
    before, count = snapshot(server), quads(store)
    strict = subprocess.run(build_command(broken, store, server.base) + ["--strict"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert strict.returncode != 0 and victim.name in strict.stderr and "Traceback" not in strict.stderr
    assert snapshot(server) == before and quads(store) == count
