"""Concept and holding cards as JSON (against ``kg serve`` over the demo build)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

CONCEPT_FIELDS = {"uri", "label", "labels", "alt_labels", "notation", "scheme", "broader", "narrower", "lectures",
                  "holdings", "formats"}
HOLDING_FIELDS = {"uri", "id", "title", "other_titles", "creators", "publisher", "year", "isbn", "call_number",
                  "subjects", "classes", "lectures", "links", "formats"}
SILK_ROAD = "keyword/" + quote("丝绸之路")  # keyword/%E4%B8%9D%E7%BB%B8%E4%B9%8B%E8%B7%AF


@pytest.fixture(scope="module")
def client(live_server):
    with httpx.Client(base_url=live_server.base.rstrip("/"), timeout=30) as http:
        yield http


def _concept(client, path: str) -> dict:
    response = client.get(f"/api/concepts/{path}/card")
    assert response.status_code == 200, response.text
    card = response.json()
    assert CONCEPT_FIELDS <= card.keys()
    return card


def _lecture(card: dict, lecture_id: str) -> dict:
    found = [item for item in card["lectures"]["items"] if item["id"] == lecture_id]
    assert len(found) == 1, [item["id"] for item in card["lectures"]["items"]]
    return found[0]


def _check_lists(card: dict, base: str) -> None:
    for name in ("lectures", "holdings"):
        assert card[name]["total"] == len(card[name]["items"]) and card[name]["next"] is None
    for item in card["lectures"]["items"]:
        assert item["uri"] == f"{base}lecture/{item['library']}/{item['id']}" and item["title"]
        assert all(0 <= start <= end for start, end in item["times"])
        assert item["times"] == sorted(item["times"])
    for holding in card["holdings"]["items"]:
        assert holding["uri"].startswith(base + "holding/") and holding["title"] and holding["via"]
        assert holding["links"]["record"] == holding["uri"] + ".html"
    uri = card["uri"]
    assert card["formats"] == {"html": uri + ".html", "turtle": uri + ".ttl", "jsonld": uri + ".jsonld"}


def test_keyword_with_a_chinese_label(client, live_server):
    card = _concept(client, SILK_ROAD)
    base = live_server.base
    assert card["uri"] == base + SILK_ROAD and card["label"] == "丝绸之路"
    assert {"value": "丝绸之路", "language": "zh-hans"} in card["labels"]
    assert card["scheme"] == base + "scheme/keywords"
    _check_lists(card, base)
    silk = _lecture(card, "silkroad-01")
    assert silk["library"] == "nlc" and silk["times"] and silk["rank"] >= 1
    # the same moments the lecture card gives for this keyword
    lecture = client.get("/api/lectures/nlc/silkroad-01/card").json()
    keyword = next(k for k in lecture["keywords"] if k["uri"] == card["uri"])
    assert [list(t) for t in keyword["times"]] == silk["times"]
    # the holdings the keyword matched, from the lecture card's side
    matched = {h["uri"] for h in lecture["holdings"] if "丝绸之路" in h["matched"]}
    assert matched and matched <= {h["uri"] for h in card["holdings"]["items"]}


def test_unencoded_chinese_path_works_too(client):
    response = client.get("/api/concepts/keyword/丝绸之路/card")  # httpx encodes it; the server decodes and re-encodes
    assert response.status_code == 200 and response.json()["label"] == "丝绸之路"


def test_thesaurus_concept(client, live_server):
    card = _concept(client, "thesaurus/silk-road")
    base = live_server.base
    assert card["uri"] == base + "thesaurus/silk-road" and card["label"] == "丝绸之路"
    assert {"value": "Silk Road", "language": "en"} in card["labels"]
    assert {"value": "絲綢之路", "language": "zh-hant"} in card["alt_labels"]
    assert card["scheme"] == base + "thesaurus/" and card["definition"]
    assert card["broader"] and card["narrower"]
    assert all(link["uri"].startswith(base + "thesaurus/") and link["label"] for link in card["broader"] + card["narrower"])
    _check_lists(card, base)
    assert _lecture(card, "silkroad-01")["times"]
    assert card["holdings"]["total"] >= 1


def test_clc_class(client, live_server):
    base = live_server.base
    card = _concept(client, "clc/K248")
    assert card["notation"] == "K248" and card["scheme"] == base + "scheme/clc" and card["label"].startswith("明")
    assert [b["uri"] for b in card["broader"]] == [base + "clc/K24"]
    assert {n["uri"] for n in card["narrower"]} == {base + "clc/K248.1", base + "clc/K248.2"}
    _check_lists(card, base)
    tang = _concept(client, "clc/Z221")  # 唐代: a class lectures are assigned to
    assert tang["notation"] == "Z221"
    _check_lists(tang, base)
    assert tang["lectures"]["total"] >= 3 and all(item["times"] for item in tang["lectures"]["items"])
    ranks = [item["rank"] for item in tang["lectures"]["items"]]
    assert ranks == sorted(ranks)
    scores = [h["score"] for h in tang["holdings"]["items"] if h["score"] is not None]
    assert scores and scores == sorted(scores, reverse=True)


def test_holding_that_demo_lectures_link_to(client, live_server):
    base = live_server.base
    response = client.get("/api/holdings/nlc/00433124/card")
    assert response.status_code == 200, response.text
    card = response.json()
    assert HOLDING_FIELDS <= card.keys()
    uri = base + "holding/nlc/00433124"
    assert (card["uri"], card["id"], card["library"]) == (uri, "00433124", "nlc")
    assert card["title"] and card["creators"] and card["year"] == "1999" and card["isbn"] and card["call_number"]
    assert card["subjects"] and card["other_titles"] and card["links"]["record"] == uri + ".html"
    assert card["formats"]["turtle"] == uri + ".ttl"
    lectures = card["lectures"]
    assert lectures["total"] == len(lectures["items"]) >= 2 and lectures["next"] is None
    assert [item["score"] for item in lectures["items"]] == sorted((item["score"] for item in lectures["items"]),
                                                                   reverse=True)
    assert lectures["items"][0]["id"] == "fojiao-01" and "唐代" in lectures["items"][0]["matched"]
    # every lecture card that lists this holding is listed here, with the same score and matched labels
    for item in lectures["items"]:
        lecture = client.get(f"/api/lectures/{item['library']}/{item['id']}/card").json()
        holding = next(h for h in lecture["holdings"] if h["uri"] == uri)
        assert (holding["score"], sorted(holding["matched"])) == (item["score"], sorted(item["matched"]))
        assert item["title"] == lecture["title"]


def test_every_holding_of_a_lecture_card_leads_back(client):
    lecture = client.get("/api/lectures/nlc/mingdai-01/card").json()
    for holding in lecture["holdings"]:
        library, holding_id = holding["uri"].rsplit("/", 2)[-2:]
        card = client.get(f"/api/holdings/{library}/{holding_id}/card").json()
        assert lecture["uri"] in {item["uri"] for item in card["lectures"]["items"]}


@pytest.mark.parametrize("path", [
    "/api/concepts/keyword/no-such-keyword/card",
    "/api/concepts/thesaurus//card",                  # the scheme, not a concept
    "/api/concepts/thesaurus/card",                   # path "thesaurus": nothing
    "/api/concepts/lecture/nlc/silkroad-01/card",     # a lecture, not a concept
    "/api/holdings/nlc/no-such-holding/card",
    "/api/holdings/nlc/silkroad-01/card",
])
def test_not_a_concept_or_holding_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["status"] == 404


@pytest.mark.parametrize("path", [f"/api/concepts/{SILK_ROAD}/card", "/api/concepts/clc/K248/card",
                                  "/api/holdings/nlc/00433124/card"])
def test_etag_and_304(client, path):
    first = client.get(path)
    assert first.status_code == 200 and first.headers["cache-control"] == "public, max-age=300"
    etag = first.headers["etag"]
    assert client.get(path).headers["etag"] == etag
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.content and again.headers["etag"] == etag
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_openapi_documents_the_cards(client):
    spec = client.get("/openapi.json").json()
    assert "/api/concepts/{path}/card" in spec["paths"]
    assert "/api/holdings/{library}/{holding_id}/card" in spec["paths"]
    schemas = spec["components"]["schemas"]
    assert CONCEPT_FIELDS <= set(schemas["ConceptCard"]["properties"])
    assert HOLDING_FIELDS <= set(schemas["HoldingCard"]["properties"])
