"""Every benchmark in sequence, each in its own process: ``python -m bench [--quick] [--only NAME …]``.

Runs build, load, sparql, api, dump, scale (``--factors 1 10``), quality and publish,
in that order, each as ``python -m bench.NAME``; a benchmark that fails does
not stop the others. At the end, prints each one's status, time and the file
it wrote under ``bench/results/``. ``--quick`` passes shorter durations and
smaller inputs where the benchmark takes them (its figures are then rougher).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

# name → (arguments, arguments with --quick); each writes bench/results/NAME.json
BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    "build": ([], ["--limit", "25"]),
    "load": ([], ["--limit", "25"]),
    "sparql": ([], ["--seconds", "1"]),
    "api": ([], ["--seconds", "1", "--concurrency", "1", "8"]),
    "dump": ([], ["--sizes", "100000"]),
    "scale": (["--factors", "1", "10"], ["--factors", "1", "10", "--sample", "50"]),
    "quality": ([], []),
    "publish": ([], ["--publishes", "10", "--burst", "2"]),
}


def available() -> list[str]:
    """The benchmarks of ``BENCHMARKS`` present in this checkout (``load`` is optional)."""
    return [name for name in BENCHMARKS
            if (ROOT / "bench" / f"{name}.py").is_file() or (ROOT / "bench" / name / "__main__.py").is_file()]


def run(name: str, quick: bool) -> dict:
    """``python -m bench.NAME`` with its arguments; status, seconds and the results file it wrote, if any."""
    arguments = BENCHMARKS[name][1 if quick else 0]
    out = RESULTS / f"{name}.json"
    before = out.stat().st_mtime if out.exists() else None
    print(f"\n=== python -m bench.{name} {' '.join(arguments)}".rstrip(), flush=True)
    started = time.perf_counter()
    status = subprocess.run([sys.executable, "-m", f"bench.{name}", *arguments], cwd=ROOT).returncode
    written = out.exists() and out.stat().st_mtime != before
    return {"name": name, "status": status, "seconds": time.perf_counter() - started,
            "wrote": out.relative_to(ROOT).as_posix() if written else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter durations and smaller inputs (rougher figures)")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), metavar="NAME",
                        help=f"only these ({', '.join(BENCHMARKS)})")
    args = parser.parse_args(argv)
    names = [name for name in available() if not args.only or name in args.only]
    done = [run(name, args.quick) for name in names]
    print(f"\n{'benchmark':<10}{'status':>8}{'seconds':>9}  results")
    for row in done:
        status = "ok" if row["status"] == 0 else f"exit {row['status']}"
        print(f"{row['name']:<10}{status:>8}{row['seconds']:>9.0f}  {row['wrote'] or '(nothing written)'}")
    return 0 if all(row["status"] == 0 for row in done) else 1


if __name__ == "__main__":
    raise SystemExit(main())
