"""Build throughput over the 225 hour-long podcast subtitle files, beside raw jieba.

    python -m bench.build [--limit N] [--workers N]

Measures, in the same run and on the same text:

- baseline: ``jieba.lcut`` over the cue text of every file, on one core
  (dictionary loading excluded);
- ours: ``kg build`` end to end (subtitles → keywords, knowledge points,
  holdings links against the 8,030 LoC records, related lectures, RDF, load
  into a new Oxigraph store), as a separate process, wall-clock time;

and prints MB of subtitle text per second for both, their ratio (target ≥ 0.8
with both cores) and the build's peak memory (largest process RSS). Figures go
to ``bench/results/build.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
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


def jieba_seconds(text: str) -> float:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    started = time.perf_counter()
    for line in text.splitlines():
        jieba.lcut(line)
    return time.perf_counter() - started


def build_seconds(source: Path, store: Path, workers: int | None) -> tuple[float, dict]:
    command = [sys.executable, "-m", "api.cli", "build", str(source), "--store", str(store), "--quiet",
               "--holdings", str(shared_datasets() / "loc_chinese_marc" / "loc_booksall2016_part01_chi.mrc")]
    if workers:
        command += ["--workers", str(workers)]
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    summary = json.loads((store / "current" / "build.json").read_text(encoding="utf-8"))
    return seconds, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="only the first N episodes")
    parser.add_argument("--workers", type=int, help="build workers (default: the build's own default)")
    args = parser.parse_args()
    if shared_datasets() is None:
        print("bench/build: ../shared/datasets is absent; nothing to measure", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        source = pie_source(Path(scratch) / "pie", limit=args.limit)
        text = cue_text(source)
        megabytes = len(text.encode("utf-8")) / 1e6
        baseline = jieba_seconds(text)
        ours, summary = build_seconds(source, Path(scratch) / "store", args.workers)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    figures = {
        "episodes": summary["counts"]["lectures"],
        "text_mb": round(megabytes, 2),
        "jieba_lcut_seconds": round(baseline, 2),
        "jieba_lcut_mb_per_s": round(megabytes / baseline, 3),
        "build_seconds": round(ours, 2),
        "build_mb_per_s": round(megabytes / ours, 3),
        "ratio_build_to_jieba": round(baseline / ours, 3),
        "target_ratio": 0.8,
        "peak_rss_mb": round(peak, 1),
        "stage_seconds": summary["seconds"],
        "counts": summary["counts"],
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
    print(f"peak memory          {figures['peak_rss_mb']:>8} MB  (largest build process)")
    print("stages (s)           " + ", ".join(f"{k} {v}" for k, v in summary["seconds"].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
