"""Build throughput over the 225 hour-long podcast subtitle files, beside raw jieba.

    python -m bench.build [--limit N] [--workers N] [--scale]

Measures, in the same run and on the same text:

- baseline: ``jieba.lcut`` over the cue text of every file, on one core
  (dictionary loading excluded);
- ours: ``kg build`` end to end (subtitles → keywords, knowledge points,
  holdings links against the 8,030 LoC records, related lectures, RDF, load
  into a new Oxigraph store), as a separate process, wall-clock time;

and prints MB of subtitle text per second for both, their ratio (target ≥ 0.8
with both cores), the build's peak memory (largest process RSS) and the CPU
seconds of both (what the machine's other load cannot change: on 2 cores the
wall-clock ratio can at best reach twice the CPU ratio). With
``--scale`` it also builds a quarter and a half of the episodes, each in a
fresh process, to show that time grows at most linearly and peak memory
stays bounded. Figures go to ``bench/results/build.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.corpora import pie_source, shared_datasets

ROOT = Path(__file__).resolve().parents[1]


def cue_text(source: Path) -> str:
    from ingest.subtitles import read_subtitles

    return "\n".join(read_subtitles(p).text for p in sorted((source / "subtitles").iterdir()))


def jieba_seconds(text: str) -> tuple[float, float]:
    """Wall-clock and CPU seconds of ``jieba.lcut`` over every line."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    started, cpu = time.perf_counter(), time.process_time()
    for line in text.splitlines():
        jieba.lcut(line)
    return time.perf_counter() - started, time.process_time() - cpu


def build_seconds(source: Path, store: Path, workers: int | None) -> tuple[float, dict, float, float]:
    """Wall-clock seconds, ``build.json``, peak RSS (MB) and CPU seconds (all processes) of ``kg build``."""
    command = [sys.executable, "-c", MEASURED_CLI, "build", str(source), "--store", str(store), "--quiet",
               "--holdings", str(shared_datasets() / "loc_chinese_marc" / "loc_booksall2016_part01_chi.mrc")]
    if workers:
        command += ["--workers", str(workers)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"bench/build: kg build failed:\n{done.stderr}")
    summary = json.loads((store / "current" / "build.json").read_text(encoding="utf-8"))
    _, peak, cpu = done.stderr.strip().splitlines()[-1].split()
    return seconds, summary, float(peak), float(cpu)


# ``kg …`` (api.cli) that reports, last on stderr, the largest RSS of itself and of its workers (its
# children) and the CPU seconds of them all
MEASURED_CLI = """import resource, runpy, sys
sys.argv = ["kg"] + sys.argv[1:]
try:
    runpy.run_module("api.cli", run_name="__main__")
finally:
    own, workers = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    cpu = sum(u.ru_utime + u.ru_stime for u in (own, workers))
    print(f"measured {max(own.ru_maxrss, workers.ru_maxrss) / 1024:.1f} {cpu:.2f}", file=sys.stderr)
"""


def scale(scratch: Path, workers: int | None, episodes: int) -> list[dict]:
    """Build a quarter, a half and all of the episodes: MB/s and peak memory at each size."""
    rows = []
    for limit in (episodes // 4, episodes // 2, episodes):
        source = pie_source(scratch / f"pie-{limit}", limit=limit)
        megabytes = len(cue_text(source).encode("utf-8")) / 1e6
        seconds, _, peak, _ = build_seconds(source, scratch / f"store-{limit}", workers)
        rows.append({"episodes": limit, "text_mb": round(megabytes, 2), "build_seconds": round(seconds, 2),
                     "mb_per_s": round(megabytes / seconds, 3), "peak_rss_mb": peak})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="only the first N episodes")
    parser.add_argument("--workers", type=int, help="build workers (default: the build's own default)")
    parser.add_argument("--scale", action="store_true", help="also build a quarter and a half of the episodes")
    args = parser.parse_args()
    if shared_datasets() is None:
        print("bench/build: ../shared/datasets is absent; nothing to measure", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        source = pie_source(Path(scratch) / "pie", limit=args.limit)
        text = cue_text(source)
        megabytes = len(text.encode("utf-8")) / 1e6
        baseline, baseline_cpu = jieba_seconds(text)
        ours, summary, peak, cpu = build_seconds(source, Path(scratch) / "store", args.workers)
        sizes = scale(Path(scratch), args.workers, summary["counts"]["lectures"]) if args.scale else []
    figures = {
        "episodes": summary["counts"]["lectures"],
        "text_mb": round(megabytes, 2),
        "jieba_lcut_seconds": round(baseline, 2),
        "jieba_lcut_mb_per_s": round(megabytes / baseline, 3),
        "build_seconds": round(ours, 2),
        "build_mb_per_s": round(megabytes / ours, 3),
        "ratio_build_to_jieba": round(baseline / ours, 3),
        "target_ratio": 0.8,
        "jieba_lcut_cpu_seconds": round(baseline_cpu, 2),
        "build_cpu_seconds": round(cpu, 2),
        "cpu_ratio_build_to_jieba": round(baseline_cpu / cpu, 3),
        "peak_rss_mb": round(peak, 1),
        "stage_seconds": summary["seconds"],
        "counts": summary["counts"],
        "scale": sizes,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "build.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    print(f"text                 {figures['text_mb']:>8} MB in {figures['episodes']} episodes")
    print(f"jieba.lcut (1 core)  {figures['jieba_lcut_mb_per_s']:>8} MB/s  ({figures['jieba_lcut_seconds']} s)")
    print(f"kg build (end to end){figures['build_mb_per_s']:>8} MB/s  ({figures['build_seconds']} s)")
    print(f"ratio                {figures['ratio_build_to_jieba']:>8}     (target ≥ {figures['target_ratio']})")
    print(f"CPU seconds          {figures['build_cpu_seconds']:>8}     (jieba {figures['jieba_lcut_cpu_seconds']}; "
          f"ratio {figures['cpu_ratio_build_to_jieba']}, so at best {2 * figures['cpu_ratio_build_to_jieba']:.2f} on 2 cores)")
    print(f"peak memory          {figures['peak_rss_mb']:>8} MB  (largest build process)")
    print("stages (s)           " + ", ".join(f"{k} {v}" for k, v in summary["seconds"].items()))
    for row in sizes:
        print(f"scale {row['episodes']:>4} episodes  {row['text_mb']:>6} MB  {row['build_seconds']:>7} s"
              f"  {row['mb_per_s']:>6} MB/s  peak {row['peak_rss_mb']} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
