"""``python -m bench.quality``: every quality figure beside its baselines, in one run.

Inputs: the demo corpus (``data/``) with the gold files of ``bench/gold/``, and,
when ``../shared/datasets`` is present, the TED talks with their blind keyword
gold sets (``bench/gold/ted_keywords.json``; keywords are also scored pooled
with the demo, 37 lectures) and topic tags (related lectures), and the 8,030
LoC records as holdings. Writes
``bench/results/quality.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from bench.quality.report import evaluate_all, table

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "quality.json")
    parser.add_argument("--no-shared", action="store_true", help="skip the corpora of ../shared/datasets")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        results = evaluate_all(Path(scratch), shared=not args.no_shared)
    results["seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\n{results['seconds']} s; written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
