"""A short soak (``bench.soak``, 90 s here; ``python -m bench.soak`` runs 10 minutes): mixed load, no failure, flat memory."""

from __future__ import annotations

import shutil

import pytest

from bench import soak

pytestmark = pytest.mark.slow


def test_mixed_load_fails_no_request_and_memory_stays_flat(demo_store, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(demo_store, store, symlinks=True, ignore=shutil.ignore_patterns("port"))
    report = soak.run(store, minutes=1.5, clients=8, workdir=tmp_path)
    print(f"soak: {report['requests']} requests ({report['distinct_requests']} distinct), {report['failed']} failed, "
          f"memory MB {report['memory_mb']['start']} → warm {report['memory_mb']['warm']} → end {report['memory_mb']['end']}")
    assert report["failed"] == 0, report["failures"]
    assert report["server_alive"] and report["requests"] > 1000
    assert set(report["by_kind"]) >= {"card", "related", "concept", "holding", "network", "search", "suggest", "sparql",
                                      "page", "rdf", "303", "dump", "void", "home", "search_page"}
    memory = report["memory_mb"]
    assert memory["end"] <= memory["warm"] * 1.15 + 10, memory["samples"]
