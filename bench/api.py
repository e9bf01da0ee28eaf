"""Throughput and latency of the course-website API beside a trivial endpoint of the same server.

    python -m bench.api [--seconds 5] [--concurrency 1 8 32] [--store DIR]

Builds the demo lectures against all 8,030 Library of Congress records of
``../shared/datasets/loc_chinese_marc`` (unless ``--store`` already holds a
build), starts one ``kg serve`` and measures, in the same run, for each
concurrency (clients sending back-to-back GETs over one ``httpx.AsyncClient``
for ``--seconds``):

- ``trivial``: ``GET /healthz`` (the web stack's own ceiling on this machine);
- ``card``: ``GET /api/lectures/{library}/{id}/card``, cycling through every lecture;
- ``related``: ``GET /api/lectures/{library}/{id}/related``, every lecture;
- ``search``: ``GET /api/search?q=`` with the lectures' keywords (simplified and traditional);
- ``suggest``: ``GET /api/suggest?q=`` with the first one or two characters of those.

The endpoints take turns in short slices (five rounds per concurrency), so a
change in the shared machine's load hits them alike.

No ``If-None-Match``: every answer is a full 200. Before the timed runs it
records each card's first ("cold") latency, one client. Prints requests/s, p50/p95 latency
and the ratio to the trivial endpoint at the same concurrency; targets (issue 4):
card throughput ≥ 0.5× trivial, suggest p95 < 50 ms. Writes ``bench/results/api.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.corpora import shared_datasets

ROOT = Path(__file__).resolve().parents[1]
LOC = "loc_chinese_marc/loc_booksall2016_part01_chi.mrc"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build(store: Path) -> dict:
    """The demo lectures, subtitles and thesaurus with the 8,030 LoC records as holdings."""
    datasets = shared_datasets()
    if datasets is None:
        raise SystemExit("../shared/datasets is absent: the API benchmark needs the 8,030 LoC records")
    with tempfile.TemporaryDirectory(prefix="kg-bench-api-") as scratch:
        source = Path(scratch) / "source"
        shutil.copytree(ROOT / "data", source, ignore=shutil.ignore_patterns("holdings"))
        command = [sys.executable, "-m", "api.cli", "build", str(source), "--holdings", str(datasets / LOC),
                   "--store", str(store), "--quiet"]
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return json.loads((store / "current" / "build.json").read_text(encoding="utf-8"))


def start_server(store: Path, port: int, log: Path, **env: str) -> subprocess.Popen:
    """``kg serve`` on 127.0.0.1:``port`` with ``env`` added to the environment, once /healthz answers."""
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--store", str(store), "--port", str(port)],
                                   cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"kg serve exited with status {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("kg serve did not start")


def workload(url: str) -> tuple[dict[str, list[str]], list[float]]:
    """The URLs each endpoint cycles through, from the served data itself, and each card's first latency (ms)."""
    lectures = []
    cursor = None
    while True:  # every lecture, through the search API's lecture group (paged)
        params = {"q": "的", "kind": "lectures", "limit": 100} | ({"cursor": cursor} if cursor else {})
        group = httpx.get(f"{url}/api/search", params=params, timeout=30).json()["groups"]["lectures"]
        lectures += [(hit["library"], hit["id"]) for hit in group["items"]]
        cursor = group["next"]
        if not cursor:
            break
    index = httpx.get(f"{url}/index.json", timeout=30).json()
    lectures = sorted(set(lectures)) or [(item["uri"].split("/")[-2], item["uri"].split("/")[-1])
                                         for item in index["explore"]["recent"]["items"]]
    terms, cold = [], []
    for library, lecture in lectures:
        started = time.perf_counter()
        card = httpx.get(f"{url}/api/lectures/{library}/{lecture}/card", timeout=30).json()
        cold.append(1000 * (time.perf_counter() - started))
        terms += [k["label"] for k in card["keywords"][:3] if k["label"]]
    from ingest.folding import fold  # only to check that the traditional variants really differ

    traditional = {"昆曲": "崑曲", "丝绸之路": "絲綢之路", "书法": "書法", "历史": "歷史", "茶叶": "茶葉", "郑和": "鄭和"}
    terms += [t for t in traditional.values() if fold(t) != t]
    return {
        "trivial": ["/healthz"],
        "card": [f"/api/lectures/{lib}/{lec}/card" for lib, lec in lectures],
        "related": [f"/api/lectures/{lib}/{lec}/related" for lib, lec in lectures],
        "search": [f"/api/search?q={term}" for term in terms],
        "suggest": [f"/api/suggest?q={term[:n]}" for term in terms for n in (1, 2)],
    }, cold


async def measure(url: str, workload: dict[str, list[str]], concurrency: int, seconds: float,
                  rounds: int = 5) -> dict[str, dict]:
    """Requests/s and latency percentiles of each endpoint at ``concurrency``.

    The endpoints take turns in ``rounds`` slices of ``seconds / rounds`` each,
    so drift in the machine's load (it is shared) hits them all alike.
    """
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: dict[str, list[float]] = {name: [] for name in workload}
    elapsed: dict[str, float] = {name: 0.0 for name in workload}
    cycles = {name: itertools.cycle(paths) for name, paths in workload.items()}
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        for paths in workload.values():  # warm up connections (and each answer once)
            for path in paths[:concurrency]:
                (await client.get(path)).raise_for_status()
        for _ in range(rounds):
            for name in workload:
                deadline = time.perf_counter() + seconds / rounds

                async def loop() -> None:
                    while time.perf_counter() < deadline:
                        started = time.perf_counter()
                        response = await client.get(next(cycles[name]))
                        response.raise_for_status()
                        latencies[name].append(time.perf_counter() - started)

                started = time.perf_counter()
                await asyncio.gather(*(loop() for _ in range(concurrency)))
                elapsed[name] += time.perf_counter() - started
    found = {}
    for name, values in latencies.items():
        ordered = sorted(values)
        found[name] = {"requests": len(ordered), "rps": len(ordered) / elapsed[name],
                       "p50_ms": 1000 * ordered[len(ordered) // 2], "p95_ms": 1000 * ordered[int(len(ordered) * 0.95)]}
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="a store with a build to serve (default: build the demo + 8,030 LoC records)")
    parser.add_argument("--seconds", type=float, default=5.0, help="time per endpoint and concurrency (default 5)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "api.json")
    args = parser.parse_args(argv)

    scratch = None
    if args.store is None:
        scratch = tempfile.TemporaryDirectory(prefix="kg-bench-api-store-")
        args.store = Path(scratch.name)
        started = time.perf_counter()
        summary = build(args.store)
        print(f"built demo + LoC records in {time.perf_counter() - started:.1f} s: {summary.get('counts')}")
    else:
        summary = json.loads((args.store / "current" / "build.json").read_text(encoding="utf-8"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    server = start_server(args.store, port, args.out.parent / "api-serve.log.tmp")
    try:
        paths, cold = workload(url)
        results = []
        print(f"{'endpoint':<10}{'clients':>8}{'req/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'÷ trivial':>11}")
        for concurrency in args.concurrency:
            measured = asyncio.run(measure(url, paths, concurrency, args.seconds))
            trivial = measured["trivial"]["rps"]
            for name, figures in measured.items():
                ratio = figures["rps"] / trivial
                results.append({"endpoint": name, "concurrency": concurrency, "urls": len(paths[name]),
                                **{k: round(v, 2) for k, v in figures.items()}, "ratio_to_trivial": round(ratio, 3)})
                print(f"{name:<10}{concurrency:>8}{figures['rps']:>10.1f}{figures['p50_ms']:>9.1f}"
                      f"{figures['p95_ms']:>9.1f}{ratio:>11.2f}")
    finally:
        server.terminate()
        server.wait(10)
        if scratch is not None:
            scratch.cleanup()
    cards = [r for r in results if r["endpoint"] == "card"]
    suggest = [r for r in results if r["endpoint"] == "suggest"]
    report = {
        "what": "kg serve (one process) on the demo lectures + 8,030 LoC records; ratio = endpoint req/s ÷ /healthz req/s "
                "at the same concurrency, same run",
        "counts": summary.get("counts"), "seconds_per_measurement": args.seconds, "cpus": os.cpu_count(),
        "python": platform.python_version(), "results": results,
        "card_first_request_ms": {"median": round(statistics.median(cold), 2), "max": round(max(cold), 2)},
        "targets": {"card_ratio_min": min(r["ratio_to_trivial"] for r in cards), "card_ratio_target": 0.5,
                    "suggest_p95_ms_max": max(r["p95_ms"] for r in suggest), "suggest_p95_ms_target": 50},
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"card ÷ trivial (worst): {report['targets']['card_ratio_min']:.2f} (target ≥ 0.5); "
          f"suggest p95 (worst): {report['targets']['suggest_p95_ms_max']:.1f} ms (target < 50)")
    print(f"written to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
