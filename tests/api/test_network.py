"""The network view: ``/api/network`` over the demo build, and the pages drawing it in Debian's Chromium."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.api.conftest import only_local

LECTURE = "lecture/nlc/mingdai-01"


def network(server, path: str, **params) -> dict:
    answer = httpx.get(server.url("/api/network"), params={"uri": server.base + path, **params})
    assert answer.status_code == 200, answer.text
    return answer.json()


def card(server, path: str) -> dict:
    return httpx.get(server.url(path)).json()


def test_a_lecture_network_is_its_card_as_nodes_and_edges(live_server):
    found = network(live_server, LECTURE, limit=50)
    lecture = card(live_server, "/api/lectures/nlc/mingdai-01/card")
    assert found["center"] == lecture["uri"] and found["nodes"][0] == {"uri": lecture["uri"], "label": lecture["title"], "kind": "lecture"}
    kinds = {n["uri"]: n["kind"] for n in found["nodes"]}
    assert {k["uri"] for k in lecture["keywords"]} <= kinds.keys()
    assert {h["uri"] for h in lecture["holdings"]} == {u for u, k in kinds.items() if k == "holding"}
    assert {r["uri"] for r in lecture["related"]} == {u for u, k in kinds.items() if k == "lecture"} - {lecture["uri"]}
    assert found["totals"] == {"keyword": len(lecture["keywords"]), "knowledge_point": len(lecture["knowledge_points"]),
                               "holding": len(lecture["holdings"]), "related": len(lecture["related"])}
    for edge in found["edges"]:  # every edge joins two drawn nodes
        assert edge["source"] in kinds and edge["target"] in kinds, edge
    from_centre = {(e["target"], e["kind"]) for e in found["edges"] if e["source"] == lecture["uri"]}
    assert {(r["uri"], "related") for r in lecture["related"]} <= from_centre
    assert {(h["uri"], "holding") for h in lecture["holdings"]} <= from_centre
    # a network, not a star: holdings join the concepts they were matched on, related lectures the concepts they share
    cross = [e for e in found["edges"] if e["kind"] in ("matched", "shared")]
    assert {e["kind"] for e in cross} == {"matched", "shared"}
    labels = {n["uri"]: n["label"] for n in found["nodes"]}
    holding = next(h for h in lecture["holdings"] if any(e["source"] == h["uri"] for e in cross))
    assert {labels[e["target"]] for e in cross if e["source"] == holding["uri"]} <= set(holding["matched"])


def test_limit_cuts_each_kind_and_totals_say_how_many_there_are(live_server):
    small = network(live_server, LECTURE, limit=3)
    counts: dict[str, int] = {}
    for node in small["nodes"][1:]:
        counts[node["kind"]] = counts.get(node["kind"], 0) + 1
    assert counts["keyword"] == 3 and counts["holding"] == 3 and counts["lecture"] == 3
    assert small["totals"]["keyword"] > 3 and small["limit"] == 3


def test_concept_and_holding_networks(live_server):
    keyword = network(live_server, "keyword/" + quote("郑和"))
    concept = card(live_server, "/api/concepts/keyword/" + quote("郑和") + "/card")
    lectures = {n["uri"] for n in keyword["nodes"] if n["kind"] == "lecture"}
    assert lectures == {x["uri"] for x in concept["lectures"]["items"]} and lectures
    assert all(e["target"] == keyword["center"] for e in keyword["edges"] if e["kind"] in ("mentions", "about"))

    holding_uri = card(live_server, "/api/lectures/nlc/mingdai-01/card")["holdings"][0]["uri"]
    holding = network(live_server, holding_uri.removeprefix(live_server.base))
    assert holding["nodes"][0]["kind"] == "holding"
    assert live_server.base + LECTURE in {n["uri"] for n in holding["nodes"] if n["kind"] == "lecture"}
    assert {n["kind"] for n in holding["nodes"][1:]} <= {"lecture", "class"}
    page = httpx.get(holding_uri, headers={"Accept": "text/html"}, follow_redirects=True)
    assert 'id="kg-network"' in page.text and quote(holding_uri, safe="") in page.text


def test_unknown_and_bad_requests(live_server):
    for uri in ("http://example.org/elsewhere", live_server.base + "lecture/nlc/no-such", live_server.base + "vocab/score"):
        answer = httpx.get(live_server.url("/api/network"), params={"uri": uri})
        assert answer.status_code == 404 and uri in answer.json()["error"]["detail"], uri
    assert httpx.get(live_server.url("/api/network")).status_code in (400, 422)
    for bad in ("", "not an iri", "http://exa mple.org/<x>"):
        answer = httpx.get(live_server.url("/api/network"), params={"uri": bad})
        assert answer.status_code == 400 and "absolute IRI" in answer.json()["error"]["detail"], bad
    assert httpx.get(live_server.url("/api/network"), params={"uri": live_server.base + LECTURE, "limit": 0}).status_code in (400, 422)


def test_answers_are_cacheable(live_server):
    url = live_server.url("/api/network")
    first = httpx.get(url, params={"uri": live_server.base + LECTURE}, headers={"Origin": "https://courses.example.org"})
    tag = first.headers["etag"]
    again = httpx.get(url, params={"uri": live_server.base + LECTURE}, headers={"If-None-Match": tag})
    assert again.status_code == 304 and first.headers["cache-control"].startswith("public")
    assert first.headers["access-control-allow-origin"] == "*"  # course websites call it from their own origin


@pytest.mark.parametrize("path", [LECTURE, "keyword/" + quote("郑和"), "thesaurus/haijin"])
def test_lecture_concept_and_holding_pages_carry_the_network_view(live_server, path):
    page = httpx.get(live_server.url("/" + path), headers={"Accept": "text/html"}, follow_redirects=True)
    assert page.status_code == 200
    assert 'id="kg-network"' in page.text and "/static/network.js" in page.text
    assert 'data-src="/api/network?uri=' + quote(live_server.base + path, safe="") + '"' in page.text


def test_other_pages_have_none(live_server):
    page = httpx.get(live_server.url("/vocab/score"), headers={"Accept": "text/html"}, follow_redirects=True)
    assert page.status_code == 200 and 'id="kg-network"' not in page.text


def _clear_of_others(page, uris: list[str]) -> str:
    """The first of ``uris`` drawn at least 24 px away from every other node (so a click cannot land on another)."""
    for uri in uris:
        gap = page.evaluate("""(id) => { const cy = window.kgNetwork, p = cy.getElementById(id).renderedPosition();
            return Math.min(...cy.nodes().filter(n => n.id() !== id).map(n => {
                const q = n.renderedPosition(); return Math.hypot(p.x - q.x, p.y - q.y); })); }""", uri)
        if gap >= 24:
            return uri
    raise AssertionError(f"every candidate node overlaps another: {uris}")


def _click_node(page, uri: str) -> None:
    """Click a node of the Cytoscape canvas where it is drawn (a real mouse click on the canvas).

    The viewport is tall enough for the view to be seen without scrolling: Cytoscape caches where
    its container is and refreshes that only after a scroll event has been handled, so a click
    right after scrolling can land where the node was.
    """
    page.wait_for_load_state("load")
    point = page.evaluate("""(id) => { const box = document.getElementById('kg-network').getBoundingClientRect();
        const p = window.kgNetwork.getElementById(id).renderedPosition();
        return {x: box.left + p.x, y: box.top + p.y, visible: box.bottom <= window.innerHeight && window.scrollY === 0}; }""", uri)
    assert point["visible"], "the network view is not in the viewport without scrolling"
    page.mouse.click(point["x"], point["y"])


def test_network_view_draws_and_navigates_in_chromium(live_server, page):
    expected = network(live_server, LECTURE)
    page.set_viewport_size({"width": 1280, "height": 1200})
    page.goto(live_server.url("/" + LECTURE + ".html"))
    canvas = page.locator("#kg-network")
    page.wait_for_function("() => document.getElementById('kg-network').dataset.nodes !== undefined", timeout=10_000)
    assert int(canvas.get_attribute("data-nodes")) == len(expected["nodes"])
    assert int(canvas.get_attribute("data-edges")) == len(expected["edges"])
    assert page.locator("#kg-network canvas").count() > 0  # Cytoscape drew on canvases
    assert "关键词 keywords" in page.locator("#kg-network-totals").inner_text()

    def elsewhere(node):  # the lectures other than this one that a keyword leads to
        around = network(live_server, node["uri"].removeprefix(live_server.base))["nodes"]
        return [n for n in around if n["kind"] == "lecture" and n["uri"] != expected["center"]]

    candidates = [n for n in expected["nodes"] if n["kind"] in ("keyword", "knowledge_point") and elsewhere(n)]
    chosen = _clear_of_others(page, [n["uri"] for n in candidates])
    keyword = next(n for n in candidates if n["uri"] == chosen)
    with page.expect_navigation(timeout=10_000):
        _click_node(page, keyword["uri"])
    assert page.url.startswith(keyword["uri"])  # the keyword's page (303 → .html)
    assert keyword["label"] in page.locator("h1").inner_text()
    page.wait_for_function("() => document.getElementById('kg-network').dataset.nodes !== undefined", timeout=10_000)

    others = elsewhere(keyword)
    chosen = _clear_of_others(page, [n["uri"] for n in others])
    other = next(n for n in others if n["uri"] == chosen)
    with page.expect_navigation(timeout=10_000):  # lecture → keyword → another lecture: a network, not a tree
        _click_node(page, other["uri"])
    assert page.url.startswith(other["uri"]) and other["label"] in page.locator("h1").inner_text()
    assert only_local(page.requested) == [], "the page asked a third party"
    assert page.console_errors == []
