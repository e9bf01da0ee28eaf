"""Load throughput: our RDF generation + load beside pyoxigraph's ``bulk_load`` of the same quads.

    python -m bench.load [--limit N] [--workers N]

Measures, in the same run and on the same quads:

- ours: stage 8 of ``kg build`` over the 225 podcast episodes and the 8,030
  LoC records (every quad made from the records on every core, serialised as
  N-Quads, bulk-loaded in batches, flushed and counted), as the build's own
  clock times it;
- reference: the quads of that very store, dumped as one N-Quads file
  (not timed), then ``Store.bulk_load(path=…)`` into a fresh on-disk store
  and ``flush()`` (also with ``lenient=True``, as ours parses, for reference);

and prints triples per second for both and their ratio (target ≥ 0.7).
Figures go to ``bench/results/load.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from bench.corpora import pie_source, shared_datasets

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.7


def build_store(source: Path, store: Path, workers: int | None) -> tuple[float, int]:
    """``kg build`` in process; the seconds of its load stage and the triples it loaded."""
    from kg.pipeline import BuildInput, build
    from kg.settings import Settings

    holdings = (shared_datasets() / "loc_chinese_marc" / "loc_booksall2016_part01_chi.mrc",)
    settings = Settings(store=store) if workers is None else Settings(store=store, workers=workers)
    report = build(BuildInput(source, holdings=holdings), settings)
    return report.seconds["load"], report.counts["triples"]


def bulk_load_seconds(nquads: Path, scratch: Path, lenient: bool) -> tuple[float, float, int]:
    """pyoxigraph's bulk loader over the N-Quads file into a new on-disk store, flushed: wall and CPU seconds."""
    started, cpu = time.perf_counter(), time.process_time()
    store = ox.Store(str(scratch))
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS, lenient=lenient)
    store.flush()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return seconds, cpu, len(store)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="only the first N episodes")
    parser.add_argument("--workers", type=int, help="build workers (default: the build's own default)")
    args = parser.parse_args()
    if shared_datasets() is None:
        print("bench/load: ../shared/datasets is absent; nothing to measure", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        source = pie_source(scratch / "pie", limit=args.limit)
        ours, triples = build_store(source, scratch / "store", args.workers)
        built = ox.Store.read_only(str((scratch / "store" / "current").resolve() / "oxigraph"))
        built.dump(str(scratch / "all.nq"), ox.RdfFormat.N_QUADS)
        del built
        megabytes = (scratch / "all.nq").stat().st_size / 1e6
        reference, reference_cpu, loaded = bulk_load_seconds(scratch / "all.nq", scratch / "reference", lenient=False)
        lenient, _, _ = bulk_load_seconds(scratch / "all.nq", scratch / "reference-lenient", lenient=True)
    if loaded != triples:
        print(f"bench/load: the reference loaded {loaded} quads, the build {triples}", file=sys.stderr)
        return 1
    figures = {
        "triples": triples,
        "nquads_mb": round(megabytes, 1),
        "ours_seconds": round(ours, 2),
        "ours_triples_per_s": round(triples / ours),
        "bulk_load_seconds": round(reference, 2),
        "bulk_load_triples_per_s": round(triples / reference),
        "bulk_load_cpu_seconds": round(reference_cpu, 2),
        "ratio_ours_to_bulk_load": round(reference / ours, 3),
        "target_ratio": TARGET,
        "bulk_load_lenient_seconds": round(lenient, 2),
        "ratio_ours_to_bulk_load_lenient": round(lenient / ours, 3),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "pyoxigraph": ox.__version__,
        "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "load.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(f"quads                      {triples:>10} ({figures['nquads_mb']} MB as N-Quads)")
    print(f"ours (make + load)         {figures['ours_triples_per_s']:>10} triples/s  ({figures['ours_seconds']} s)")
    print(f"pyoxigraph bulk_load       {figures['bulk_load_triples_per_s']:>10} triples/s  ({figures['bulk_load_seconds']} s,"
          f" {figures['bulk_load_cpu_seconds']} s CPU)")
    print(f"ratio                      {figures['ratio_ours_to_bulk_load']:>10}            (target ≥ {TARGET})")
    print(f"bulk_load, lenient         {round(triples / lenient):>10} triples/s  ({figures['bulk_load_lenient_seconds']} s;"
          f" ratio {figures['ratio_ours_to_bulk_load_lenient']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
