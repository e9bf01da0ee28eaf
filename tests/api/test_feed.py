"""The change feed over HTTP: ActivityStreams 2.0 collections and pages, whole and per library."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from kg.feed import record_build
from kg.store import StoreDirectory

AS = "https://www.w3.org/ns/activitystreams"


@pytest.fixture(scope="module")
def feed(live_server, demo_store) -> dict:
    """The demo build as ``kg build`` recorded it in the demo store's feed (recording it again changes nothing)."""
    build = StoreDirectory(demo_store).current.resolve()
    recorded = record_build(demo_store, None, build, live_server.base, "2000-01-01T00:00:00Z")
    published = {row[0] for row in sqlite3.connect(demo_store / "feed.sqlite").execute(
        "SELECT DISTINCT published FROM activities")}
    return {"server": live_server, "build": build.name, "recorded": recorded, "published": published}


def get(server, path: str, **headers: str) -> httpx.Response:
    return httpx.get(server.url(path), headers=headers, timeout=30)


def test_the_feed_is_an_ordered_collection_with_first_and_last_pages(feed):
    server, recorded = feed["server"], feed["recorded"]
    answer = get(server, "/feed")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/activity+json")
    collection = answer.json()
    assert collection["@context"] == AS and collection["type"] == "OrderedCollection"
    assert collection["id"] == server.base + "feed" and collection["totalItems"] == recorded.position == 18 + 1200
    assert collection["first"] == {"id": server.base + "feed/page/1", "type": "OrderedCollectionPage"}
    assert collection["last"]["id"] == server.base + "feed/page/13"


def test_json_ld_clients_get_the_same_document_with_the_activitystreams_profile(feed):
    answer = get(feed["server"], "/feed", Accept="application/ld+json")
    assert answer.headers["content-type"].startswith("application/ld+json")
    assert f'profile="{AS}"' in answer.headers["content-type"] and "Accept" in answer.headers["vary"]
    assert answer.json() == get(feed["server"], "/feed").json()


def test_walking_back_from_the_last_page_reads_every_activity_once_oldest_first(feed):
    server = feed["server"]
    page = get(server, "/feed/page/13").json()
    assert page["type"] == "OrderedCollectionPage" and page["partOf"] == server.base + "feed" and "next" not in page
    seen = []
    while True:
        seen = page["orderedItems"] + seen
        if "prev" not in page:
            break
        page = get(server, page["prev"]["id"][len(server.base) - 1:]).json()
    assert page["id"] == server.base + "feed/page/1" and page["next"]["id"] == server.base + "feed/page/2"
    assert [a["id"] for a in seen] == [f"{server.base}feed/activity/{n}" for n in range(1, 1219)]
    assert {a["type"] for a in seen} == {"Create"} and {a["published"] for a in seen} == feed["published"]
    assert len(feed["published"]) == 1 and "2000-01-01T00:00:00Z" not in feed["published"]  # recorded by kg build
    objects = [a["object"] for a in seen]
    assert len({o["id"] for o in objects}) == 1218
    assert sum(o["type"] == "Video" for o in objects) == 18 and sum(o["type"] == "Document" for o in objects) == 1200
    assert {a["actor"]["id"] for a in seen} == {server.base + "library/nlc"}
    assert feed["build"] in seen[0]["summary"]


def test_full_pages_are_cached_long_and_the_last_page_briefly(feed):
    assert "max-age=86400" in get(feed["server"], "/feed/page/1").headers["cache-control"]
    assert "max-age=60" in get(feed["server"], "/feed/page/13").headers["cache-control"]


def test_one_activity_dereferences(feed):
    server = feed["server"]
    first = get(server, "/feed/page/1").json()["orderedItems"][0]
    answer = get(server, "/feed/activity/1")
    assert answer.status_code == 200 and answer.json() == {"@context": AS, **first}
    for number in ("999999", "0", "-1", str(2**70)):
        assert get(server, f"/feed/activity/{number}", Accept="application/json").status_code == 404, number
    assert get(server, f"/feed/page/{2**70}", Accept="application/json").status_code == 404


def test_a_library_feed_holds_that_library_activities(feed):
    server = feed["server"]
    collection = get(server, "/libraries/nlc/feed").json()
    assert collection["id"] == server.base + "libraries/nlc/feed" and collection["totalItems"] == 1218
    page = get(server, "/libraries/nlc/feed/page/1").json()
    assert page["partOf"] == collection["id"] and len(page["orderedItems"]) == 100
    assert get(server, "/libraries/nope/feed").status_code == 404
    assert get(server, "/libraries/nope/feed/page/1").status_code == 404


def test_pages_outside_the_feed_are_404_in_the_api_error_shape(feed):
    for path in ("/feed/page/0", "/feed/page/14", "/libraries/nlc/feed/page/99"):
        answer = get(feed["server"], path, Accept="application/json")
        assert answer.status_code == 404 and answer.json()["error"]["status"] == 404, path
    assert get(feed["server"], "/feed/page/x", Accept="application/json").status_code == 400


def test_the_library_page_says_up_to_which_activity_the_build_is_current(feed):
    data = get(feed["server"], "/libraries/nlc/index.json").json()
    assert data["feed"] == "/libraries/nlc/feed" and data["feed_position"] == 1218
