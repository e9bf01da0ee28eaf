"""Knowledge cards and related lectures as JSON (against ``kg serve`` over the demo build)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
LECTURES = [json.loads(line) for line in (ROOT / "data" / "lectures.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
CARD_FIELDS = {"id", "uri", "title", "speakers", "series", "date", "duration", "video", "description", "keywords",
               "knowledge_points", "holdings", "related", "formats"}


@pytest.fixture(scope="module")
def client(live_server):
    with httpx.Client(base_url=live_server.base.rstrip("/"), timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def served_cards(client) -> dict[str, dict]:
    """Every demo lecture's card, fetched once."""
    found = {}
    for lecture in LECTURES:
        response = client.get(f"/api/lectures/{lecture['library']}/{lecture['id']}/card")
        assert response.status_code == 200, response.text
        found[lecture["id"]] = response.json()
    return found


def _ranks(items: list[dict]) -> list[int]:
    return [item["rank"] for item in items]


def test_every_demo_lecture_has_a_full_card(served_cards, live_server):
    assert len(served_cards) == len(LECTURES) == 18
    for lecture in LECTURES:
        card = served_cards[lecture["id"]]
        assert CARD_FIELDS <= card.keys()
        uri = live_server.base + f"lecture/{lecture['library']}/{lecture['id']}"
        assert (card["id"], card["uri"], card["title"], card["series"]) == (lecture["id"], uri, lecture["title"],
                                                                           lecture["series"])
        assert card["date"] == lecture["date"] and card["video"] == lecture["video"] and card["duration"] > 0
        assert [s["name"] for s in card["speakers"]] == lecture["speakers"]
        assert card["formats"] == {"html": uri + ".html", "turtle": uri + ".ttl", "jsonld": uri + ".jsonld"}
        assert card["keywords"] and _ranks(card["keywords"]) == sorted(_ranks(card["keywords"]))
        for keyword in card["keywords"]:
            assert keyword["label"] and keyword["uri"].startswith(live_server.base) and keyword["weight"] is not None
            assert keyword["times"] and all(0 <= start <= end for start, end in keyword["times"])
        assert all(point["label"] and point["scheme"] for point in card["knowledge_points"])
        assert card["holdings"] and _ranks(card["holdings"]) == sorted(_ranks(card["holdings"]))
        for holding in card["holdings"]:
            assert holding["title"] and holding["matched"] and 0 < holding["score"]
            assert holding["links"]["record"] == holding["uri"] + ".html"
        assert card["related"] and _ranks(card["related"]) == sorted(_ranks(card["related"]))
        for other in card["related"]:
            assert other["shared"] and len(set(other["shared"])) == len(other["shared"])
            assert other["uri"] != uri and other["id"] in served_cards and other["library"] == "nlc"
            assert other["title"] == served_cards[other["id"]]["title"]


def test_card_answers_what_sparql_answers(client, served_cards, live_server):
    lecture = LECTURES[0]
    card = served_cards[lecture["id"]]
    query = f"""PREFIX kg: <{live_server.base}vocab/>
        PREFIX oa: <http://www.w3.org/ns/oa#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?label ?rank ?holding WHERE {{
          {{ ?a a kg:KeywordAssignment ; oa:hasTarget <{card['uri']}> ; oa:hasBody ?k ; kg:rank ?rank .
             ?k skos:prefLabel ?label }}
          UNION {{ ?link a kg:HoldingLink ; kg:lecture <{card['uri']}> ; kg:holding ?holding }}
        }}"""
    rows = _select(client, query)
    keywords = sorted((int(r["rank"]["value"]), r["label"]["value"]) for r in rows if "label" in r)
    assert [(k["rank"], k["label"]) for k in card["keywords"]] == keywords
    assert {h["uri"] for h in card["holdings"]} == {r["holding"]["value"] for r in rows if "holding" in r}


def test_card_holdings_show_what_their_records_say(client, served_cards):
    """Title, creators and publisher of each holding on the cards, as SPARQL finds them in its record."""
    holdings = {h["uri"]: h for card in served_cards.values() for h in card["holdings"]}
    values = " ".join(f"<{uri}>" for uri in sorted(holdings))
    rows = _select(client, f"""PREFIX schema: <http://schema.org/>
        PREFIX dc: <http://purl.org/dc/elements/1.1/>
        SELECT ?h ?title ?creator ?publisher WHERE {{
          VALUES ?h {{ {values} }}
          ?h schema:name ?title
          OPTIONAL {{ ?h dc:creator ?creator }} OPTIONAL {{ ?h dc:publisher ?publisher }}
        }}""")
    said: dict[str, dict[str, set]] = {}
    for row in rows:
        entry = said.setdefault(row["h"]["value"], {"title": set(), "creators": set(), "publisher": set()})
        entry["title"].add(row["title"]["value"])
        entry["creators"] |= {row["creator"]["value"]} if "creator" in row else set()
        entry["publisher"] |= {row["publisher"]["value"]} if "publisher" in row else set()
    assert said.keys() == holdings.keys()
    with_publisher = 0
    for uri, holding in holdings.items():
        assert holding["title"] in said[uri]["title"]
        assert set(holding["creators"]) == said[uri]["creators"]
        assert holding["publisher"] in said[uri]["publisher"] if said[uri]["publisher"] else holding["publisher"] is None
        with_publisher += holding["publisher"] is not None
    assert with_publisher >= len(holdings) * 0.9  # the demo's records nearly all name a publisher (MARC 260/264 $b)


def _select(client, query: str) -> list[dict]:
    response = client.post("/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]


def test_unknown_lecture_is_a_json_404(client):
    for path in ("/api/lectures/nlc/no-such-lecture/card", "/api/lectures/nlc/no-such-lecture/related"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["error"]["status"] == 404 and "no-such-lecture" in response.json()["error"]["detail"]


def test_etag_and_304(client):
    path = f"/api/lectures/{LECTURES[1]['library']}/{LECTURES[1]['id']}/card"
    first = client.get(path)
    assert first.headers["cache-control"] == "public, max-age=300"
    etag = first.headers["etag"]
    assert client.get(path).headers["etag"] == etag
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.content and again.headers["etag"] == etag
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    related = client.get(path.replace("/card", "/related"))
    assert related.headers["etag"] != etag and related.headers["cache-control"] == "public, max-age=300"


def test_related_pages_cover_the_card_once(client, served_cards):
    lecture = LECTURES[2]
    path = f"/api/lectures/{lecture['library']}/{lecture['id']}/related"
    seen, pages, cursor = [], 0, None
    while True:
        page = client.get(path, params={"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        assert page["total"] == len(served_cards[lecture["id"]]["related"]) and len(page["items"]) <= 3
        seen += [item["uri"] for item in page["items"]]
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break
    assert pages == -(-page["total"] // 3) and pages >= 2
    assert len(seen) == len(set(seen)) == page["total"]
    assert seen == [item["uri"] for item in served_cards[lecture["id"]]["related"]]


@pytest.mark.parametrize("params", [{"cursor": "nonsense"}, {"limit": 0}, {"limit": 1000}])
def test_related_rejects_bad_paging(client, params):
    response = client.get(f"/api/lectures/{LECTURES[0]['library']}/{LECTURES[0]['id']}/related", params=params)
    assert response.status_code == 400 and response.json()["error"]["status"] == 400


def test_openapi_documents_the_card(client):
    spec = client.get("/openapi.json").json()
    assert "/api/lectures/{library}/{lecture_id}/card" in spec["paths"]
    assert "/api/lectures/{library}/{lecture_id}/related" in spec["paths"]
    assert CARD_FIELDS <= set(spec["components"]["schemas"]["Card"]["properties"])


def test_holdings_carry_opac_and_openurl_links_when_configured(demo_store, tmp_path):
    from urllib.parse import parse_qsl, urlsplit

    from tests.api.conftest import _free_port, start_server

    port = int((demo_store / "port").read_text())  # the store's URIs name the session server's port
    server = start_server(demo_store, _free_port(), tmp_path / "serve.log",
                          KG_OPAC_PATTERN="https://opac.example.org/record/{id}",
                          KG_OPENURL_RESOLVER="https://resolver.example.org/openurl",
                          KG_BASE_URI=f"http://127.0.0.1:{port}/")
    try:
        card = httpx.get(server.url("/api/lectures/nlc/mingdai-01/card")).json()
    finally:
        server.process.terminate()
        server.process.wait(10)
    for holding in card["holdings"]:
        record_id = holding["uri"].rsplit("/", 1)[1]
        assert holding["links"]["opac"] == f"https://opac.example.org/record/{record_id}"
        query = dict(parse_qsl(urlsplit(holding["links"]["openurl"]).query))
        assert query["url_ver"] == "Z39.88-2004" and query["rft.btitle"] == holding["title"]


def test_without_the_library_the_servers_own_or_the_asked_one_answers(live_server):
    full = httpx.get(live_server.url("/api/lectures/nlc/kunqu-01/card")).json()
    assert httpx.get(live_server.url("/api/lectures/kunqu-01/card")).json() == full  # KG_LIBRARY is nlc
    assert httpx.get(live_server.url("/api/lectures/kunqu-01/card"), params={"library": "nlc"}).json() == full
    assert httpx.get(live_server.url("/api/lectures/kunqu-01/card"), params={"library": "elsewhere"}).status_code == 404
    related = httpx.get(live_server.url("/api/lectures/kunqu-01/related"), params={"limit": 2}).json()
    assert related == httpx.get(live_server.url("/api/lectures/nlc/kunqu-01/related"), params={"limit": 2}).json()
