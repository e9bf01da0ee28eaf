"""The search page and the home page's invitations, over HTTP and in Debian's Chromium."""

from __future__ import annotations

import re

import httpx

from tests.api.conftest import only_local

KUNQU = "崑曲六百年"  # the title as written in the manifest: traditional 崑 in a simplified title


def links(html: str, kind: str) -> list[str]:
    section = re.search(rf'<section class="group" data-kind="{kind}">(.*?)</section>', html, re.S)
    assert section, kind
    return re.findall(r'<li><a href="([^"]+)">', section.group(1))


def test_traditional_and_simplified_queries_show_the_same_results(live_server):
    traditional = httpx.get(live_server.url("/search"), params={"q": "崑曲"})
    simplified = httpx.get(live_server.url("/search"), params={"q": "昆曲"})
    assert traditional.status_code == simplified.status_code == 200
    for kind in ("lecture", "concept", "holding"):
        assert links(traditional.text, kind) == links(simplified.text, kind), kind
    assert live_server.base + "lecture/nlc/kunqu-01" in links(traditional.text, "lecture")
    api = httpx.get(live_server.url("/api/search"), params={"q": "崑曲"}).json()
    assert links(traditional.text, "lecture") == [h["uri"] for h in api["groups"]["lectures"]["items"]]


def test_groups_page_through_with_their_totals(live_server):
    api = httpx.get(live_server.url("/api/search"), params={"q": "历史", "limit": 10}).json()
    holdings = api["groups"]["holdings"]
    assert holdings["total"] > 10 and holdings["next"]
    first = httpx.get(live_server.url("/search"), params={"q": "历史"}).text
    assert f'<span class="count">{holdings["total"]}</span>' in first
    more = re.search(r'<section class="group" data-kind="holding">.*?<a rel="next" href="([^"]+)"', first, re.S).group(1)
    second = httpx.get(live_server.url(more.replace("&amp;", "&")))
    expected = httpx.get(live_server.url("/api/search"), params={"q": "历史", "kind": "holdings", "cursor": holdings["next"]}).json()
    assert links(second.text, "holding") == [h["uri"] for h in expected["groups"]["holdings"]["items"]]


def test_empty_and_bad_queries(live_server):
    empty = httpx.get(live_server.url("/search"))
    assert empty.status_code == 200 and 'name="q"' in empty.text and 'class="group"' not in empty.text
    for params in ({"q": "x" * 201}, {"q": "昆曲", "kind": "films"}, {"q": "昆曲", "cursor": "abc"}):
        answer = httpx.get(live_server.url("/search"), params=params)
        assert answer.status_code == 400 and 'class="problem"' in answer.text, params


def test_home_invites_exploring_series_connected_concepts_and_recent_lectures(live_server):
    home = httpx.get(live_server.url("/"), headers={"Accept": "text/html"}).text
    explore = httpx.get(live_server.url("/index.json")).json()["explore"]
    assert explore["series"]["total"] == len(re.findall(r"/series/", home)) >= 3
    assert explore["recent"]["total"] == 18 and len(explore["recent"]["items"]) == 12
    dates = [item["date"] for item in explore["recent"]["items"]]
    assert dates == sorted(dates, reverse=True) and all(dates)
    counts = [item["count"] for item in explore["connected"]["items"]]
    assert counts == sorted(counts, reverse=True) and min(counts) >= 2
    for section in ("series", "connected", "recent"):
        block = re.search(rf'<section id="{section}">(.*?)</section>', home, re.S).group(1)
        for item in explore[section]["items"]:
            assert f'href="{item["uri"]}"' in block, (section, item)
    assert 'action="/search"' in home


def test_search_by_traditional_query_in_chromium(live_server, page):
    page.goto(live_server.url("/"))
    box = page.locator("form.search input[name=q]")
    box.fill("")
    box.type("崑曲", delay=50)  # typing asks /api/suggest for the datalist
    page.wait_for_function("() => document.querySelectorAll('#kg-suggestions option').length > 0", timeout=5_000)
    options = page.eval_on_selector_all("#kg-suggestions option", "els => els.map(e => e.value)")
    assert "昆曲" in options
    with page.expect_navigation():
        box.press("Enter")
    assert "/search?q=" in page.url
    lecture = page.locator('section[data-kind="lecture"] li a', has_text=KUNQU)
    assert lecture.count() == 1
    with page.expect_navigation():
        lecture.click()
    assert page.url.startswith(live_server.base + "lecture/nlc/kunqu-01")
    assert page.locator("h1").inner_text() == KUNQU
    assert only_local(page.requested) == [], "the page asked a third party"
    assert page.console_errors == []
