"""Small store directories for the SPARQL tests, laid out as ``kg.store.StoreDirectory`` expects."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kg.store import StoreDirectory

EX = "http://example.org/"
TINY = f"""
<{EX}lecture/1> <http://schema.org/name> "明代的海禁与朝贡"@zh <{EX}graph/nlc> .
<{EX}lecture/1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://schema.org/VideoObject> <{EX}graph/nlc> .
<{EX}lecture/2> <http://schema.org/name> "丝绸之路" <{EX}graph/nlc> .
<{EX}lecture/2> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://schema.org/VideoObject> <{EX}graph/nlc> .
<{EX}lecture/1> <{EX}vocab/relatedLecture> <{EX}lecture/2> <{EX}graph/nlc/derived> .
<{EX}keyword/海禁> <http://www.w3.org/2004/02/skos/core#prefLabel> "海禁"@zh-Hans <{EX}graph/nlc/derived> .
"""


def make_store(root: Path, nquads: str, build: str = "20260101T000000Z-test0001") -> Path:
    """A store directory at ``root`` whose current build holds ``nquads``; returns ``root``."""
    directory = StoreDirectory(root)
    with directory.new_build(build) as path:
        store = ox.Store(str(path / "oxigraph"))
        store.load(nquads.encode("utf-8"), format=ox.RdfFormat.N_QUADS)
        store.flush()
        triples = len(store)
        del store
        directory.finish(path, {"version": "test", "fingerprint": build[-8:], "base_uri": EX, "source": "test",
                                "started": "2026-01-01T00:00:00Z", "finished": "2026-01-01T00:00:00Z",
                                "counts": {"triples": triples}})
    return root
