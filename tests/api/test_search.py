"""/api/search and /api/suggest against a real server over the demo build (its search.sqlite)."""

from __future__ import annotations

import httpx
import pytest

from ingest.folding import fold


def get(live_server, path: str, **params) -> httpx.Response:
    return httpx.get(live_server.url(path), params=params, timeout=10)


def ids(group: dict) -> list[str]:
    return [item["id"] for item in group["items"]]


def test_silk_road_finds_the_lecture_the_concept_and_books(live_server):
    response = get(live_server, "/api/search", q="丝绸之路")
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "丝绸之路" and set(body["groups"]) == {"lectures", "concepts", "holdings"}
    lectures = body["groups"]["lectures"]
    assert ids(lectures)[0] == "silkroad-01" and lectures["items"][0]["library"] == "nlc"
    assert lectures["items"][0]["uri"].endswith("/lecture/nlc/silkroad-01") and lectures["items"][0]["snippet"]
    assert "丝绸之路" in [item["label"] for item in body["groups"]["concepts"]["items"]]
    assert body["groups"]["holdings"]["total"] >= 1
    for group in body["groups"].values():
        scores = [item["score"] for item in group["items"]]
        assert scores == sorted(scores, reverse=True)


def test_traditional_and_simplified_queries_return_the_same_lecture_first(live_server):
    traditional = get(live_server, "/api/search", q="崑曲").json()
    simplified = get(live_server, "/api/search", q="昆曲").json()
    assert traditional["folded"] == simplified["folded"] == "昆曲"
    assert ids(traditional["groups"]["lectures"])[0] == ids(simplified["groups"]["lectures"])[0] == "kunqu-01"
    assert traditional["groups"] == simplified["groups"]


def test_two_character_query_finds_the_porcelain_lecture_and_books(live_server):
    body = get(live_server, "/api/search", q="瓷器").json()
    assert ids(body["groups"]["lectures"])[0] == "ciqi-01"
    assert all("瓷器" in fold(item["label"]) for item in body["groups"]["holdings"]["items"][:3])


def test_totals_and_cursors_page_through_one_group_without_loss(live_server):
    whole = get(live_server, "/api/search", q="茶", kind="holdings", limit=100).json()["groups"]
    assert set(whole) == {"holdings"}
    total, expected = whole["holdings"]["total"], ids(whole["holdings"])
    assert total == len(expected) > 3 and whole["holdings"]["next"] is None
    seen, cursor = [], None
    while True:
        params = {"q": "茶", "kind": "holdings", "limit": 3, **({"cursor": cursor} if cursor else {})}
        group = get(live_server, "/api/search", **params).json()["groups"]["holdings"]
        assert group["total"] == total and len(group["items"]) <= 3
        seen += ids(group)
        cursor = group["next"]
        if cursor is None:
            break
    assert seen == expected
    first = get(live_server, "/api/search", q="茶", limit=3).json()["groups"]["holdings"]
    assert first["total"] == total and first["next"] == "3"


def test_suggest_returns_labels_starting_with_the_typed_text(live_server):
    body = get(live_server, "/api/suggest", q="郑和").json()
    labels = [item["label"] for item in body["items"]]
    assert labels and all(fold(label).startswith("郑和") for label in labels)
    assert body["total"] >= len(labels) and len(labels) <= 10
    assert {"kind", "uri", "label", "score"} <= set(body["items"][0])
    traditional = get(live_server, "/api/suggest", q="鄭和", limit=2).json()
    assert traditional["total"] == body["total"] and len(traditional["items"]) == 2 and traditional["next"] == "2"


def test_etag_answers_304_and_cache_headers_are_set(live_server):
    response = get(live_server, "/api/suggest", q="昆")
    assert response.headers["cache-control"] == "public, max-age=300"
    again = httpx.get(live_server.url("/api/suggest"), params={"q": "昆"}, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("path,params", [
    ("/api/search", {}), ("/api/search", {"q": "  "}), ("/api/search", {"q": "字" * 201}),
    ("/api/search", {"q": "，。"}), ("/api/search", {"q": "茶", "kind": "videos"}),
    ("/api/search", {"q": "茶", "cursor": "abc"}), ("/api/suggest", {"q": ""}), ("/api/suggest", {"q": "字" * 201}),
])
def test_bad_queries_are_400_json(live_server, path, params):
    response = get(live_server, path, **params)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/") and "json" in response.headers["content-type"]
