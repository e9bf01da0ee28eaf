"""The JSON API's answer cache: one build, one answer, kept by ETag and bounded in bytes."""

from __future__ import annotations

import httpx

from api.caching import ResponseCache


def test_least_recently_used_answers_leave_first_and_the_bound_holds():
    cache = ResponseCache(max_bytes=10)
    cache.put("a", b"1234")
    cache.put("b", b"1234")
    assert cache.get("a") == b"1234"  # a is now the most recently used
    cache.put("c", b"1234")  # 12 bytes > 10: b goes
    assert cache.get("b") is None and cache.get("a") == b"1234" and cache.get("c") == b"1234"
    assert cache.size == 8 and len(cache) == 2
    cache.put("huge", b"x" * 11)  # larger than the whole cache: not kept, nothing evicted
    assert cache.get("huge") is None and len(cache) == 2


def test_cached_answers_are_the_computed_ones(live_server):
    for path in ("/api/lectures/nlc/kunqu-01/card", "/api/lectures/nlc/kunqu-01/related?limit=3",
                 "/api/concepts/thesaurus/kunqu/card"):
        first, second = httpx.get(live_server.url(path)), httpx.get(live_server.url(path))
        assert first.status_code == second.status_code == 200, path
        assert first.content == second.content and first.headers["etag"] == second.headers["etag"]
        assert first.headers["content-type"] == "application/json"


def test_a_wildcard_validator_never_hides_a_missing_resource(live_server):
    for path in ("/api/lectures/nlc/no-such/card", "/api/lectures/nlc/no-such/related",
                 "/api/concepts/keyword/no-such-thing/card", "/api/holdings/nlc/no-such/card"):
        answer = httpx.get(live_server.url(path), headers={"If-None-Match": "*"})
        assert answer.status_code == 404, path
    present = httpx.get(live_server.url("/api/lectures/nlc/kunqu-01/card"), headers={"If-None-Match": "*"})
    assert present.status_code == 304
