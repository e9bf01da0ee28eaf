"""Requests per second of our ``/sparql`` beside ``oxigraph serve-read-only`` on the same store.

    python -m bench.sparql [--store var/store] [--seconds 5] [--concurrency 1 8]

Both servers open the same database (our current build's ``oxigraph/``
folder, read-only; Oxigraph with ``--union-default-graph`` so both answer the
same queries the same way). In one run, for three named queries
(``bench/queries/sparql_*.rq``: a point lookup of one lecture's properties, a
two-hop join lecture → holding link → holding title, an aggregate count of
keywords per library) at each concurrency, each server gets a bounded time
(``--seconds``) of back-to-back GET requests from ``concurrency`` clients
sharing one ``httpx.AsyncClient``; answers are checked to be the same rows
first. The two servers take turns in short slices (``--slice``, in the order
ours, oxigraph, oxigraph, ours, …) so that the load of a shared machine drifts
over both alike. Prints requests/s for both and ours/oxigraph, and the CPU
time each server (with all its processes) spent per request, which a busy
machine disturbs less than requests/s; writes ``bench/results/sparql.json``.
``--workers N`` runs ``kg serve --workers N``.

Needs the ``oxigraph`` CLI (``pip install -e '.[bench]'``). Builds the demo
into ``--store`` first when it holds no build.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ("sparql_point_lookup", "sparql_two_hop", "sparql_keywords_per_library")
ACCEPT = {"Accept": "application/sparql-results+json"}
DEMO_LECTURE = "nlc/mingdai-01"  # the point lookup's lecture in bench/queries/sparql_point_lookup.rq


def query_text(name: str, base: str, lecture: str | None = None) -> str:
    """The named bench query with a ``BASE`` line for the store's base URI (a validated IRI); ``lecture``
    (``library/id``) replaces the point lookup's demo lecture."""
    text = (ROOT / "bench" / "queries" / f"{name}.rq").read_text(encoding="utf-8")
    if lecture:
        text = text.replace(f"<lecture/{DEMO_LECTURE}>", f"<lecture/{lecture}>")
    return f"BASE {ox.NamedNode(base)}\n" + text


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with status {process.returncode}")
        try:
            if httpx.get(url, params={"query": "ASK {}"}, headers=ACCEPT, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not start")


def start_ours(store: Path, base: str, port: int, log: Path, workers: int) -> subprocess.Popen:
    env = dict(os.environ, KG_BASE_URI=base, KG_QUERY_TIMEOUT="30")
    command = [sys.executable, "-m", "api.cli", "serve", "--store", str(store), "--port", str(port),
               "--workers", str(workers)]
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def start_oxigraph(database: Path, port: int, log: Path) -> subprocess.Popen:
    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(binary).exists():
        raise SystemExit("the oxigraph CLI is not installed: pip install -e '.[bench]'")
    with log.open("w") as out:
        return subprocess.Popen([binary, "serve-read-only", "--location", str(database), "--bind",
                                 f"127.0.0.1:{port}", "--union-default-graph"], stdout=out, stderr=subprocess.STDOUT)


async def measure(urls: dict[str, str], query: str, concurrency: int, seconds: float, slice_seconds: float,
                  pids: dict[str, int] | None = None) -> tuple[dict[str, float], dict[str, float | None]]:
    """Requests per second of each server, ``concurrency`` clients in a loop, in alternating slices; and the
    CPU milliseconds per request of each server's processes (``pids``: its first process; None off Linux)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    clients = {who: httpx.AsyncClient(timeout=60, limits=limits) for who in urls}
    done = dict.fromkeys(urls, 0)
    spent = dict.fromkeys(urls, 0.0)
    cpu: dict[str, float | None] = dict.fromkeys(urls, 0.0)
    try:
        for who, url in urls.items():
            for _ in range(3):  # warm up: connections, caches
                (await clients[who].get(url, params={"query": query}, headers=ACCEPT)).raise_for_status()
        order = list(urls)
        turn = 0
        while min(spent.values()) < seconds:
            for who in (order if turn % 2 == 0 else order[::-1]):  # ABBA: neither always goes first
                before = cpu_seconds((pids or {}).get(who))
                count, elapsed = await _slice(clients[who], urls[who], query, concurrency, slice_seconds)
                after = cpu_seconds((pids or {}).get(who))
                done[who] += count
                spent[who] += elapsed
                cpu[who] = None if before is None or after is None or cpu[who] is None else cpu[who] + after - before
            turn += 1
    finally:
        for client in clients.values():
            await client.aclose()
    return ({who: done[who] / spent[who] for who in urls},
            {who: None if cpu[who] is None else 1000 * cpu[who] / max(1, done[who]) for who in urls})


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds of process ``pid`` and all its descendants so far (Linux ``/proc``), else None."""
    if pid is None or not Path("/proc/self/stat").exists():
        return None
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        process = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(process)
        times[process] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [pid]
    while todo:
        process = todo.pop()
        total += times.get(process, 0.0)
        todo.extend(children.get(process, ()))
    return total


async def _slice(client: httpx.AsyncClient, url: str, query: str, concurrency: int,
                 seconds: float) -> tuple[int, float]:
    """Requests completed by ``concurrency`` clients in about ``seconds`` (all of them finished), and the time taken."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            response = await client.get(url, params={"query": query}, headers=ACCEPT)
            response.raise_for_status()
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return done, time.perf_counter() - started


def rows(url: str, query: str) -> list:
    bindings = httpx.get(url, params={"query": query}, headers=ACCEPT, timeout=60).json()["results"]["bindings"]
    return sorted(json.dumps(b, sort_keys=True) for b in bindings)


def ensure_store(store: Path) -> dict:
    summary = store / "current" / "build.json"
    if not summary.is_file():
        print(f"no build in {store}: building the demo first", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "api.cli", "build", "data", "--store", str(store), "--quiet"],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return json.loads(summary.read_text(encoding="utf-8"))


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=ROOT / "var" / "store")
    parser.add_argument("--seconds", type=float, default=5.0, help="time per server and measurement (default 5)")
    parser.add_argument("--slice", type=float, default=0.5, help="seconds per turn of one server (default 0.5)")
    parser.add_argument("--workers", type=int, default=1, help="kg serve --workers (default 1)")
    parser.add_argument("--queries", nargs="+", default=list(QUERIES), choices=QUERIES)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--lecture", help="LIBRARY/ID of the point lookup's lecture (default: the demo's "
                                          f"{DEMO_LECTURE}, else the store's first lecture)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "sparql.json")
    args = parser.parse_args(argv)

    summary = ensure_store(args.store)
    build = (args.store / "current").resolve()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    results = compare(args.store, args.queries, args.concurrency, args.seconds, args.slice, args.workers,
                      args.lecture, args.out.parent, echo=True)
    from kg.settings import Settings

    report = {
        "what": "GET /sparql (ours) vs oxigraph serve-read-only --union-default-graph, same read-only database",
        "store": build.name, "triples": summary.get("counts", {}).get("triples"),
        "seconds_per_measurement": args.seconds, "slice_seconds": args.slice, "server_workers": args.workers,
        "cpus": os.cpu_count(), "python": platform.python_version(),
        "pyoxigraph": ox.__version__ if hasattr(ox, "__version__") else None,
        "query_workers": Settings.from_env().query_workers, "results": results,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written to {args.out}")
    return 0


def compare(store: Path, queries: list[str], concurrency: list[int], seconds: float, slice_seconds: float,
            workers: int = 1, lecture: str | None = None, logs: Path = ROOT / "bench" / "results",
            echo: bool = False) -> list[dict]:
    """Our ``/sparql`` beside ``oxigraph serve-read-only`` on ``store``'s current build: one result per
    query and concurrency (also used by ``bench.scale`` at each data size)."""
    summary = json.loads((store / "current" / "build.json").read_text(encoding="utf-8"))
    build = (store / "current").resolve()
    base = summary["base_uri"]
    lecture = lecture or point_lookup_lecture(build / "oxigraph", base)
    ours_port, oxigraph_port = free_port(), free_port()
    ours = start_ours(store, base, ours_port, logs / "sparql-ours.log.tmp", workers)
    oxigraph = start_oxigraph(build / "oxigraph", oxigraph_port, logs / "sparql-oxigraph.log.tmp")
    endpoints = {"ours": f"http://127.0.0.1:{ours_port}/sparql", "oxigraph": f"http://127.0.0.1:{oxigraph_port}/query"}
    results = []
    try:
        wait_until_up(endpoints["ours"], ours, "kg serve")
        wait_until_up(endpoints["oxigraph"], oxigraph, "oxigraph serve-read-only")
        if echo:
            print(f"{'query':<30}{'clients':>8}{'ours req/s':>12}{'oxigraph req/s':>16}{'ours/oxigraph':>15}"
                  f"{'CPU ms/req ours':>17}{'oxigraph':>10}")
        for name in queries:
            query = query_text(name, base, lecture)
            same = rows(endpoints["ours"], query)
            if same != rows(endpoints["oxigraph"], query) or not same:
                raise SystemExit(f"{name}: the two servers answer differently (or nothing)")
            for clients in concurrency:
                rate, cpu = asyncio.run(measure(endpoints, query, clients, seconds, slice_seconds,
                                                {"ours": ours.pid, "oxigraph": oxigraph.pid}))
                ratio = rate["ours"] / rate["oxigraph"]
                results.append({"query": name, "rows": len(same), "concurrency": clients,
                                "ours_rps": round(rate["ours"], 1), "oxigraph_rps": round(rate["oxigraph"], 1),
                                "ratio": round(ratio, 3),
                                "ours_cpu_ms": None if cpu["ours"] is None else round(cpu["ours"], 3),
                                "oxigraph_cpu_ms": None if cpu["oxigraph"] is None else round(cpu["oxigraph"], 3)})
                if echo:
                    print(f"{name:<30}{clients:>8}{rate['ours']:>12.1f}{rate['oxigraph']:>16.1f}{ratio:>15.2f}"
                          f"{_ms(cpu['ours']):>17}{_ms(cpu['oxigraph']):>10}")
    finally:
        for process in (ours, oxigraph):
            process.terminate()
            process.wait(10)
    return results


def point_lookup_lecture(database: Path, base: str) -> str:
    """``library/id`` of the point lookup's lecture: the demo's, else the store's first lecture by IRI."""
    store = ox.Store.read_only(str(database))
    prefix = base + "lecture/"
    if any(store.quads_for_pattern(ox.NamedNode(prefix + DEMO_LECTURE), None, None)):
        return DEMO_LECTURE
    first = next(iter(store.query(
        "SELECT ?l WHERE { GRAPH ?g { ?l a <http://schema.org/VideoObject> } } ORDER BY ?l LIMIT 1")), None)
    if first is None or not first["l"].value.startswith(prefix):
        raise SystemExit("bench/sparql: the store has no lecture for the point lookup")
    return first["l"].value[len(prefix):]


if __name__ == "__main__":
    raise SystemExit(main())
