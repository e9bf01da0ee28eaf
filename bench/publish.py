"""Publishing latency: ``python -m bench.publish [--publishes 50]``.

Builds the demo corpus, registers two libraries, starts ``kg serve``, then:

1. **baseline**: a batch ``kg build`` of the same store from the command line
   (what publishing a lecture would cost without ``kg.publisher``: a full
   rebuild in a fresh process), timed in this run;
2. **sequential**: ``--publishes`` ``PUT``s by one library, new lectures and
   updates in turn (the demo subtitle files, published under new ids), each
   timed from request to answer, while two reader threads fetch a card and
   run a SPARQL query in a loop and count every answer that is not 200;
3. **concurrent**: both libraries publish ``--burst`` lectures each at the same
   moment; how long until all landed and how many builds it took (the
   publisher coalesces what queues while a build runs).

Prints a table and writes ``bench/results/publish.json``; ratios are each
publish's latency over the baseline rebuild measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.api import free_port, start_server

ROOT = Path(__file__).resolve().parents[1]
LIBRARIES = ("bench-a", "bench-b")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--publishes", type=int, default=50)
    parser.add_argument("--burst", type=int, default=5, help="lectures each library publishes at once")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "publish.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kg-bench-publish-") as scratch:
        report = run(Path(scratch), args.publishes, args.burst)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _print(report)
    return 0


def run(scratch: Path, publishes: int, burst: int) -> dict:
    store, port = scratch / "store", free_port()
    base = f"http://127.0.0.1:{port}/"
    env = {"KG_BASE_URI": base}
    _cli(["build", str(ROOT / "data"), "--store", str(store), "--quiet"], env)
    tokens = {lib: _cli(["library", "add", lib, "--name", lib, "--store", str(store)], env).strip() for lib in LIBRARIES}
    started = time.perf_counter()
    _cli(["build", str(ROOT / "data"), "--store", str(store), "--quiet"], env)
    baseline = time.perf_counter() - started
    server = start_server(store, port, scratch / "serve.log", **env)
    try:
        lectures = _lectures()
        with _Readers(base) as readers:
            sequential = [_publish(base, LIBRARIES[0], tokens[LIBRARIES[0]], f"seq-{n // 2}", lectures[n // 2 % len(lectures)],
                                   f"第 {n} 次") for n in range(publishes)]
        with ThreadPoolExecutor(2 * burst) as pool:
            started = time.perf_counter()
            jobs = [pool.submit(_publish, base, lib, tokens[lib], f"burst-{n}", lectures[n % len(lectures)], "并发")
                    for n in range(burst) for lib in LIBRARIES]
            concurrent = [job.result() for job in jobs]
            burst_seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(10)
    log = (scratch / "serve.log").read_text(encoding="utf-8", errors="replace")
    latencies = [r["seconds"] for r in sequential if r["status"] in (200, 201)]
    return {
        "benchmark": "publish", "python": platform.python_version(), "baseline_rebuild_seconds": round(baseline, 3),
        "sequential": {
            "publishes": publishes, "landed": len(latencies),
            "statuses": sorted({r["status"] for r in sequential}),
            "median_seconds": round(statistics.median(latencies), 3) if latencies else None,
            "worst_seconds": round(max(latencies), 3) if latencies else None,
            "first_seconds": round(latencies[0], 3) if latencies else None,  # starts the build process
            "median_over_baseline": round(statistics.median(latencies) / baseline, 3) if latencies else None,
            "build_seconds_median": round(statistics.median(r["build_seconds"] for r in sequential if r["build_seconds"]), 3),
        },
        "readers": {"requests": readers.done, "failed": len(readers.failed), "failures": readers.failed[:10],
                    "p95_ms": readers.p95()},
        "concurrent": {"libraries": len(LIBRARIES), "each": burst, "landed": sum(r["status"] in (200, 201) for r in concurrent),
                       "seconds": round(burst_seconds, 3), "builds": len({r["build"] for r in concurrent if r["build"]})},
        "errors_in_server_log": log.count("Traceback"),
    }


def _cli(arguments: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "api.cli", *arguments], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env})
    if done.returncode:
        raise SystemExit(f"kg {' '.join(arguments)} failed: {done.stderr[-2000:]}")
    return done.stdout


def _lectures() -> list[tuple[dict, Path]]:
    rows = [json.loads(line) for line in (ROOT / "data" / "lectures.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    return [({k: v for k, v in row.items() if k not in ("id", "library", "subtitles")}, ROOT / "data" / row["subtitles"])
            for row in rows]


def _publish(base: str, library: str, token: str, lecture: str, source: tuple[dict, Path], note: str) -> dict:
    record, subtitles = source
    record = {**record, "title": f"{record['title']}（{note}）"}
    started = time.perf_counter()
    answer = httpx.put(f"{base}api/libraries/{library}/lectures/{lecture}", headers={"Authorization": f"Bearer {token}"},
                       files={"record": (None, json.dumps(record, ensure_ascii=False)),
                              "subtitles": (subtitles.name, subtitles.read_bytes())}, timeout=600)
    seconds = time.perf_counter() - started
    body = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
    return {"status": answer.status_code, "seconds": seconds, "build": body.get("build"),
            "build_seconds": body.get("build_seconds")}


class _Readers:
    """Two threads reading a card and a SPARQL query while publishes land; every non-200 is a failure."""

    QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <http://schema.org/VideoObject> }"

    def __init__(self, base: str) -> None:
        self.base, self.stop, self.done, self.failed, self.times = base, threading.Event(), 0, [], []
        self.threads = [threading.Thread(target=self._read) for _ in range(2)]

    def __enter__(self) -> "_Readers":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def p95(self) -> float | None:
        return round(statistics.quantiles(self.times, n=20)[-1] * 1000, 1) if len(self.times) > 20 else None

    def _read(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self.stop.is_set():
                for url, params in ((f"{self.base}api/lectures/nlc/kunqu-01/card", None),
                                    (f"{self.base}sparql", {"query": self.QUERY})):
                    started = time.perf_counter()
                    try:
                        status = client.get(url, params=params).status_code
                    except httpx.HTTPError as error:
                        status = repr(error)
                    self.times.append(time.perf_counter() - started)
                    self.done += 1
                    if status != 200:
                        self.failed.append(f"{url}: {status}")
                time.sleep(0.01)


def _print(report: dict) -> None:
    s, r, c = report["sequential"], report["readers"], report["concurrent"]
    print(f"baseline: batch rebuild (kg build, fresh process)   {report['baseline_rebuild_seconds']:.2f} s")
    print(f"{s['publishes']} sequential publishes: landed {s['landed']}, median {s['median_seconds']} s "
          f"(÷ baseline {s['median_over_baseline']}), worst {s['worst_seconds']} s, first {s['first_seconds']} s, "
          f"build part median {s['build_seconds_median']} s")
    print(f"readers meanwhile: {r['requests']} requests, {r['failed']} failed, p95 {r['p95_ms']} ms")
    print(f"{c['libraries']} libraries × {c['each']} at once: {c['landed']} landed in {c['seconds']} s with {c['builds']} build(s)")
    print(f"tracebacks in the server log: {report['errors_in_server_log']}")


if __name__ == "__main__":
    sys.exit(main())
