"""The build process behind publishing: builds on request, one at a time, with jieba and spaCy kept loaded.

``python -m kg.builder`` reads one JSON request per line on standard input and
writes one JSON answer per line on standard output::

    → {"changes": [{"kind": "put", "library": "sh-lib", "id": "L1", "staged": "…", "cues": 12}, …], "wait": 600}
    ← {"ok": true, "build": "20261121T…", "feed": 1234, "seconds": {…}, "counts": {…}, "notes": […]}
    ← {"ok": false, "kind": "store" | "input" | "refused" | "unexpected", "error": "one line"}

Each request rebuilds the store from the current build's inputs (its
``build.json``: the batch source folder and files) and its published sources
with the changes applied (``kg.pipeline.again``), and swaps it in. Settings
come from the ``KG_*`` environment (``kg.publisher`` passes the server's).
The process ends with its parent, even a killed one (``PR_SET_PDEATHSIG``),
and at the end of its input. Whatever the build prints goes to standard
error, so standard output carries answers only.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

from ingest.errors import InputError
from kg import publications
from kg.inputs import keep_between_builds
from kg.pipeline import BuildRefused, again, build
from kg.settings import Settings
from kg.store import StoreDirectory, StoreError
from kg.workers import die_with_parent


def answer(request: dict, settings: Settings) -> dict:
    """Run one build request; the answer says what landed or why nothing did."""
    changes = tuple(publications.from_json(c) for c in request.get("changes", ()))
    directory = StoreDirectory(settings.store)
    try:
        summary = directory.summary() if directory.exists() else {}
        report = build(again(summary, changes, float(request.get("wait", 0))), settings)
    except (BuildRefused, InputError) as error:  # the details name server files: the log has them, the answer not
        print(f"kg.builder: build refused: {error}", file=sys.stderr)
        return {"ok": False, "kind": "input", "error": "the station's own inputs could not be read (the server's log has why)"}
    except StoreError as error:
        print(f"kg.builder: store error: {error}", file=sys.stderr)
        return {"ok": False, "kind": "store", "error": "the store could not take the build (another build held it "
                                                      "too long, or it cannot be written)"}
    except Exception:  # a bug: the traceback goes to the server's log, the process stays for the next request
        traceback.print_exc()
        return {"ok": False, "kind": "unexpected", "error": "the build failed unexpectedly (the server's log has why)"}
    return {"ok": True, "build": report.build.name if report.build else None, "feed": report.feed,
            "seconds": report.seconds, "counts": report.counts, "notes": report.notes[-20:]}


def main() -> int:
    die_with_parent(os.getppid())
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever else writes to standard output (a stray print, a library) goes to standard error
    sys.stdout = sys.stderr
    settings = Settings.from_env()
    keep_between_builds()
    for line in sys.stdin:
        if line.strip():
            answers.write(json.dumps(answer(json.loads(line), settings), ensure_ascii=False) + "\n")
            answers.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
