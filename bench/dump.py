"""Memory of ``kg dump`` as the store grows: synthetic stores of 100k and 1M quads (more with --sizes).

    python -m bench.dump [--sizes 100000 1000000] [--keep DIR]

For each size, builds a store shaped like a real build (three libraries, each
with its own and its derived graph, plus vocabularies and meta; Chinese
literals with language tags, typed literals), then in a fresh process for each:

- ``scan``: only iterates every quad of the store (what RocksDB itself costs);
- ``dump``: ``kg.dump.run_dump`` end to end (all files, VoID, manifest);

sampling the process's anonymous resident memory (``RssAnon``: heap, not
file pages) every 10 ms, and ``tracemalloc``'s peak of Python allocations in a
separate ``dump`` run. Flat means: the dump's peak is the scan's peak plus a
constant, and the Python peak does not grow with the store. Figures go to
``bench/results/dump.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE = "http://bench.example.org/"

PROBE = r"""
import json, sys, threading, time, tracemalloc
from pathlib import Path

def anon():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
peak, stop = [anon()], []
def watch():
    while not stop:
        peak[0] = max(peak[0], anon()); time.sleep(0.01)
mode, store, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
import pyoxigraph as ox
from kg.dump import run_dump
from kg.settings import Settings
from kg.store import StoreDirectory
threading.Thread(target=watch, daemon=True).start()
started, python_peak = time.monotonic(), None
if mode == "scan":
    sum(1 for _ in StoreDirectory(store).open_read_only())
elif mode == "dump":
    run_dump(store, out, Settings())
else:
    tracemalloc.start(); run_dump(store, out, Settings()); python_peak = tracemalloc.get_traced_memory()[1] / 2**20
stop.append(1); time.sleep(0.02)
print(json.dumps({"rss_anon_peak_mb": round(peak[0], 1), "python_peak_mb": python_peak and round(python_peak, 2),
                  "seconds": round(time.monotonic() - started, 1)}))
"""


def make_store(root: Path, size: int) -> Path:
    """A finished build of ``size`` quads under ``root`` (a store directory)."""
    import pyoxigraph as ox

    from kg.store import StoreDirectory
    from kg.uris import Minter

    m, directory = Minter(BASE), StoreDirectory(root)
    graphs = [ox.NamedNode(m.graph(lib, *rest)) for lib in ("nlc", "shlib", "gzlib") for rest in ((), ("derived",))]
    graphs += [ox.NamedNode(m.graph("vocabularies")), ox.NamedNode(m.graph("meta"))]
    predicates = [ox.NamedNode(f"http://schema.org/{p}") for p in ("name", "about", "keywords", "duration", "position")]
    kinds = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode("http://schema.org/VideoObject")

    def quads():
        for i in range(size):
            graph = graphs[i % len(graphs)]
            subject = ox.NamedNode(m.lecture(graph.value.split("/")[-1], f"讲座-{i // 40}"))
            if i % 40 == 0:
                yield ox.Quad(subject, kinds[0], kinds[1], graph)
            elif i % 5 == 1:
                yield ox.Quad(subject, predicates[1], ox.NamedNode(m.keyword(f"关键词{i % 7919}")), graph)
            elif i % 5 == 2:
                yield ox.Quad(subject, predicates[4], ox.Literal(str(i), datatype=ox.NamedNode(
                    "http://www.w3.org/2001/XMLSchema#integer")), graph)
            else:
                yield ox.Quad(subject, predicates[i % 5], ox.Literal(f"第{i}讲：丝绸之路与敦煌", language="zh-Hans"), graph)

    with directory.new_build(f"20260101T000000Z-{size:08x}") as build:
        store = ox.Store(str(directory.database(build)))
        store.bulk_extend(quads())
        store.flush()
        del store
        directory.finish(build, {"fingerprint": f"bench{size}", "finished": "2026-01-01T00:00:00Z", "base_uri": BASE})
    return root


def measure(mode: str, store: Path, out: Path) -> dict:
    run = subprocess.run([sys.executable, "-c", PROBE, mode, str(store), str(out)], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--keep", type=Path, help="build the stores here and keep them (default: a temporary folder)")
    args = parser.parse_args()
    figures = []
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch)
        for size in args.sizes:
            store = root / f"store-{size}"
            if not (store / "current").exists():
                started = time.monotonic()
                make_store(store, size)
                print(f"built {size:,} quads in {time.monotonic() - started:.0f} s", file=sys.stderr)
            row = {"quads": size, "scan": measure("scan", store, root / f"dumps-{size}"),
                   "dump": measure("dump", store, root / f"dumps-{size}"),
                   "dump_python": measure("python", store, root / f"dumps-{size}")}
            row["dump_over_scan_mb"] = round(row["dump"]["rss_anon_peak_mb"] - row["scan"]["rss_anon_peak_mb"], 1)
            figures.append(row)
            print(json.dumps(row), file=sys.stderr)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "dump.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(f"{'quads':>10} {'scan MB':>9} {'dump MB':>9} {'dump-scan':>10} {'python MB':>10} {'dump s':>7}")
    for row in figures:
        print(f"{row['quads']:>10,} {row['scan']['rss_anon_peak_mb']:>9} {row['dump']['rss_anon_peak_mb']:>9} "
              f"{row['dump_over_scan_mb']:>10} {row['dump_python']['python_peak_mb']:>10} {row['dump']['seconds']:>7}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
