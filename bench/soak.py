"""Soak: minutes of mixed load on one ``kg serve``; no request may fail and memory must stay flat.

    python -m bench.soak [--minutes 10] [--clients 8] [--store DIR]

Builds the demo (unless ``--store`` holds a build), writes its dumps, starts
``kg serve`` on 127.0.0.1 and keeps ``--clients`` request loops busy with a mix
of what readers and machines ask: knowledge cards, related lectures, concept
and holding cards, the network view's data, search and suggest, SPARQL
(SELECT by GET and POST, CONSTRUCT), HTML pages and negotiated RDF documents,
the dump listing, ranges of a dump file and VoID. A request fails when it
answers 5xx or 4xx (every URL in the mix exists) or does not answer within 30 s.
The server's memory (RSS of its process and its SPARQL workers) is sampled
every few seconds; "warm" is the sample after the first 30 s (or third of the
run), when caches and worker processes are up. Prints and writes ``bench/results/soak.json``: requests,
failures, requests/s per kind, and memory at start, peak and end.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.api import free_port, start_server

ROOT = Path(__file__).resolve().parents[1]
SPARQL_SELECT = """PREFIX schema: <http://schema.org/>
SELECT ?lecture ?title WHERE { ?lecture a schema:VideoObject ; schema:name ?title } ORDER BY ?lecture LIMIT 50"""
SPARQL_COUNT = """PREFIX oa: <http://www.w3.org/ns/oa#>
SELECT ?lecture (COUNT(?a) AS ?n) WHERE { ?a oa:hasTarget ?lecture } GROUP BY ?lecture"""
SPARQL_CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 200"


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB (from /proc).

    A process's children are listed per thread (``task/{tid}/children``): the SPARQL workers are
    started by whichever thread first needs them, so every thread's list is read — the main
    thread's alone missed them in some runs and not in others (a 90 MB step between samples).
    """
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            threads = list(Path(f"/proc/{current}/task").iterdir())
        except (FileNotFoundError, ProcessLookupError):
            continue
        for thread in threads:
            try:
                todo += [int(c) for c in (thread / "children").read_text().split()]
            except (FileNotFoundError, ProcessLookupError):
                continue  # the thread ended meanwhile
    return total / 1e6


def mix(url: str) -> list[tuple[str, str, dict]]:
    """(kind, method, request arguments) for every request the loops cycle through, from the served data."""
    index = httpx.get(f"{url}/index.json", timeout=30).json()
    lectures = [item["uri"] for item in index["explore"]["recent"]["items"]]
    concepts = [item["uri"] for item in index["explore"]["connected"]["items"]]
    base = index["browse"].removesuffix("vocab/")
    requests: list[tuple[str, str, dict]] = []

    def local(iri: str) -> str:
        return "/" + iri.removeprefix(base)

    for iri in lectures:
        library, lecture = iri.rsplit("/", 2)[-2:]
        card = httpx.get(f"{url}/api/lectures/{library}/{lecture}/card", timeout=30).json()
        requests += [("card", "GET", {"url": f"/api/lectures/{library}/{lecture}/card"}),
                     ("related", "GET", {"url": f"/api/lectures/{library}/{lecture}/related", "params": {"limit": 5}}),
                     ("network", "GET", {"url": "/api/network", "params": {"uri": iri}}),
                     ("303", "GET", {"url": local(iri), "headers": {"Accept": "text/turtle"}}),
                     ("page", "GET", {"url": local(iri) + ".html"}),
                     ("rdf", "GET", {"url": local(iri) + ".ttl"})]
        for holding in card["holdings"][:2]:
            requests.append(("holding", "GET", {"url": "/api/holdings/" + "/".join(holding["uri"].rsplit("/", 2)[-2:]) + "/card"}))
        for keyword in card["keywords"][:2]:
            requests += [("search", "GET", {"url": "/api/search", "params": {"q": keyword["label"]}}),
                         ("suggest", "GET", {"url": "/api/suggest", "params": {"q": keyword["label"][:1]}}),
                         ("search_page", "GET", {"url": "/search", "params": {"q": keyword["label"]}})]
    for iri in concepts:
        requests += [("concept", "GET", {"url": "/api/concepts" + local(iri) + "/card"}),
                     ("page", "GET", {"url": local(iri) + ".html"})]
    json_results = {"Accept": "application/sparql-results+json"}
    requests += [("sparql", "GET", {"url": "/sparql", "params": {"query": SPARQL_SELECT}, "headers": json_results}),
                 ("sparql", "POST", {"url": "/sparql", "data": {"query": SPARQL_COUNT}, "headers": json_results}),
                 ("sparql", "GET", {"url": "/sparql", "params": {"query": SPARQL_CONSTRUCT}, "headers": {"Accept": "text/turtle"}}),
                 ("home", "GET", {"url": "/"}), ("void", "GET", {"url": "/.well-known/void", "headers": {"Accept": "text/turtle"}})]
    listing = httpx.get(f"{url}/dumps/", headers={"Accept": "application/json"}, timeout=30).json()
    for entry in listing.get("files", [])[:4]:
        requests += [("dump", "GET", {"url": entry["url"], "headers": {"Range": "bytes=0-65535"}}),
                     ("dump", "HEAD", {"url": entry["url"]})]
    requests.append(("dump", "GET", {"url": "/dumps/", "headers": {"Accept": "text/html"}}))
    return requests


async def load(url: str, requests: list, clients: int, seconds: float, pid: int) -> dict:
    order = requests[:]
    random.Random(7).shuffle(order)
    cycle = itertools.cycle(order)
    done, failed, by_kind = Counter(), Counter(), Counter()
    failures: list[str] = []
    memory: list[tuple[float, float]] = []
    started = time.monotonic()
    deadline = started + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:

        async def loop() -> None:
            while time.monotonic() < deadline:
                kind, method, arguments = next(cycle)
                arguments = dict(arguments)
                target = arguments.pop("url")
                try:
                    response = await client.request(method, target, **arguments)
                    ok = response.status_code < 400
                    status = response.status_code
                except httpx.HTTPError as error:
                    ok, status = False, type(error).__name__
                done[kind] += 1
                by_kind[kind] += 1
                if not ok:
                    failed[kind] += 1
                    if len(failures) < 20:
                        failures.append(f"{method} {target} {arguments.get('params', '')} → {status}")

        async def sample() -> None:
            while time.monotonic() < deadline:
                memory.append((round(time.monotonic() - started, 1), round(rss_mb(pid), 1)))
                await asyncio.sleep(min(5.0, max(1.0, seconds / 60)))

        await asyncio.gather(sample(), *(loop() for _ in range(clients)))
    elapsed = time.monotonic() - started
    memory.append((round(elapsed, 1), round(rss_mb(pid), 1)))
    warm = next(m for t, m in memory if t >= min(30.0, elapsed / 3))  # caches and SPARQL workers are up by then
    return {"seconds": round(elapsed, 1), "clients": clients, "requests": sum(done.values()),
            "failed": sum(failed.values()), "failures": failures,
            "requests_per_second": round(sum(done.values()) / elapsed, 1),
            "by_kind": dict(sorted(by_kind.items())), "failed_by_kind": dict(failed),
            "memory_mb": {"start": memory[0][1], "warm": warm, "peak": max(m for _, m in memory),
                          "end": memory[-1][1], "samples": memory}}


def serve(store: Path, dumps: Path, port: int, log: Path) -> subprocess.Popen:
    base = json.loads((store / "current" / "build.json").read_text(encoding="utf-8"))["base_uri"]
    return start_server(store, port, log, KG_DUMPS=str(dumps), KG_QUERY_TIMEOUT="30", KG_BASE_URI=base)


def run(store: Path, minutes: float, clients: int, workdir: Path) -> dict:
    """Build (if needed) and dump into ``workdir``, serve, soak; the report."""
    if not (store / "current" / "build.json").is_file():
        subprocess.run([sys.executable, "-m", "api.cli", "build", "data", "--store", str(store), "--quiet"],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    dumps = workdir / "dumps"
    subprocess.run([sys.executable, "-m", "api.cli", "dump", "--store", str(store), "--out", str(dumps)],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    server = serve(store, dumps, port, workdir / "serve.log")
    try:
        url = f"http://127.0.0.1:{port}"
        requests = mix(url)
        report = asyncio.run(load(url, requests, clients, minutes * 60, server.pid))
        report["distinct_requests"] = len(requests)
        report["server_alive"] = server.poll() is None
        return report
    finally:
        server.terminate()
        server.wait(10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--store", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "soak.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kg-soak-") as scratch:
        store = args.store or Path(scratch) / "store"
        report = run(store, args.minutes, args.clients, Path(scratch))
    report["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    report["cpus"] = os.cpu_count()
    memory = report["memory_mb"]
    print(f"{report['requests']} requests in {report['seconds']} s ({report['requests_per_second']}/s, "
          f"{report['clients']} clients, {report['distinct_requests']} distinct), failed: {report['failed']}")
    print(f"memory (server + SPARQL workers): start {memory['start']} MB, warmed up {memory['warm']} MB, "
          f"peak {memory['peak']} MB, end {memory['end']} MB")
    for kind, count in report["by_kind"].items():
        print(f"  {kind:<12}{count:>8}")
    for failure in report["failures"]:
        print("  failed:", failure)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0 if report["failed"] == 0 and report["server_alive"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
