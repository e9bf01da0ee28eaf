"""Nothing about readers ends up in the published data: what they searched, asked or from where is in no dump."""

from __future__ import annotations

import gzip

import httpx

from kg.dump import run_dump
from kg.settings import Settings

MARKER = "隐私测试读者查询"  # a query only a reader of this test could have typed


def test_no_dump_holds_what_readers_asked_or_where_from(live_server, demo_store, tmp_path):
    for path, params in (("/api/search", {"q": MARKER}), ("/api/suggest", {"q": MARKER}), ("/search", {"q": MARKER}),
                         ("/sparql", {"query": f'ASK {{ ?s ?p "{MARKER}" }}'})):
        assert httpx.get(live_server.url(path), params=params, headers={"X-Forwarded-For": "198.51.100.23"}).status_code < 500
    report = run_dump(demo_store, tmp_path / "dumps", Settings())
    files = [f for f in (tmp_path / "dumps").rglob("*") if f.is_file()]
    assert len(files) >= 5, report
    for file in files:
        data = file.read_bytes()
        text = (gzip.decompress(data) if file.suffix == ".gz" else data).decode("utf-8", errors="replace")
        assert MARKER not in text and "198.51.100.23" not in text, file.name
    assert not any("search" in f.name or "log" in f.name for f in files)
