"""kg.search: the index written from a small store, and what queries find in it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import search

BASE = "http://example.org/"
DATA = """
@prefix schema: <http://schema.org/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dc: <http://purl.org/dc/elements/1.1/> .
@prefix dcterms: <http://purl.org/dc/terms/> .

<lecture/nlc/kunqu-01> a schema:VideoObject ; schema:name "崑曲六百年"@zh ;
    schema:description "從崑山腔講到《牡丹亭》。"@zh ; schema:keywords <keyword/牡丹亭> ;
    schema:about <thesaurus/kunqu> .
<lecture/nlc/jingju-01> a schema:VideoObject ; schema:name "京剧的行当与脸谱"@zh ;
    schema:description "京剧与昆曲的渊源。"@zh .
<lecture/nlc/silkroad-01> a schema:VideoObject ; schema:name "丝绸之路上的商旅"@zh ;
    schema:about <thesaurus/silk-road> .
<keyword/牡丹亭> a skos:Concept ; skos:prefLabel "牡丹亭"@zh-hans .
<thesaurus/kunqu> a skos:Concept ; skos:prefLabel "昆曲"@zh-hans, "Kunqu"@en ; skos:altLabel "崑曲"@zh-hant .
<thesaurus/silk-road> a skos:Concept ; skos:prefLabel "丝绸之路"@zh-hans, "Silk Road"@en .
<thesaurus/zheng-he> a skos:Concept ; skos:prefLabel "郑和"@zh-hans ; skos:altLabel "鄭和"@zh-hant .
<thesaurus/zheng-he-voyages> a skos:Concept ; skos:prefLabel "郑和下西洋"@zh-hans .
<holding/nlc/001> a schema:Book ; schema:name "中国瓷器史" ; dc:creator "王某" ; schema:datePublished "1999" .
<holding/nlc/002> a schema:Book ; schema:name "青花" ; dc:subject "瓷器 -- 中国" .
<holding/nlc/003> a schema:Book ; schema:name "器物与瓷土" .
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    store = ox.Store()
    store.load(DATA.encode("utf-8"), ox.RdfFormat.TURTLE, base_iri=BASE)
    folder = tmp_path_factory.mktemp("build")
    assert search.write_index(store, folder, BASE) == 11
    return folder / search.INDEX_NAME


def ids(page: search.Page) -> list[str | None]:
    return [hit.id for hit in page.items]


def test_terms_are_cjk_bigrams_and_characters_and_latin_words():
    assert search.document_terms("昆曲 abc") == {"昆", "曲", "昆曲", "abc"}
    assert search.query_terms("丝绸之路") == ["丝绸", "绸之", "之路"]
    assert search.query_terms("茶") == ["茶"]
    assert search.query_terms("silk road silk") == ["silk", "road"]
    assert search.query_terms("，。！") == []


def test_index_is_written_with_documents_postings_and_labels(index):
    with sqlite3.connect(index) as db:
        kinds = dict(db.execute("SELECT kind, COUNT(*) FROM docs GROUP BY kind").fetchall())
        assert kinds == {"lecture": 3, "concept": 5, "holding": 3}
        assert db.execute("SELECT library, id, label FROM docs WHERE uri = ?",
                          (BASE + "lecture/nlc/kunqu-01",)).fetchone() == ("nlc", "kunqu-01", "崑曲六百年")
        # the zh-Hant alternative label folds to the same key as the preferred one: one typeahead row
        assert db.execute("SELECT COUNT(*) FROM labels l JOIN docs d ON d.doc = l.doc WHERE d.id = 'zheng-he'").fetchone() == (1,)
    assert not index.with_suffix(".partial").exists()


def test_traditional_and_simplified_queries_find_the_same_lecture_first(index):
    traditional, simplified = search.search(index, "崑曲"), search.search(index, "昆曲")
    assert traditional == simplified
    assert ids(simplified["lecture"])[0] == "kunqu-01"
    assert "jingju-01" in ids(simplified["lecture"])  # its description says 昆曲
    assert ids(simplified["concept"]) == ["kunqu"]


def test_title_beats_description_and_exact_label_comes_first(index):
    found = search.search(index, "昆曲")["lecture"].items
    assert found[0].score > found[1].score
    assert search.search(index, "丝绸之路")["concept"].items[0].label == "丝绸之路"


def test_two_character_query_and_half_the_bigrams_rule(index):
    holdings = search.search(index, "瓷器")["holding"]
    assert set(ids(holdings)) == {"001", "002"}  # 003 has 器 and 瓷 but not the bigram
    assert ids(search.search(index, "郑和下西洋")["concept"])[0] == "zheng-he-voyages"
    assert search.search(index, "之路")["lecture"].total == 1
    assert search.search(index, "丝绸大道")["lecture"].total == 0  # 丝绸 is one of three bigrams: fewer than half


def test_pages_cover_every_hit_once_with_totals_and_cursors(index):
    everything = search.search(index, "曲", kinds=("lecture",), limit=100)["lecture"]
    assert everything.total == len(everything.items) == 2 and everything.next is None
    first = search.search(index, "曲", kinds=("lecture",), limit=1)
    assert set(first) == {"lecture"}
    assert first["lecture"].total == 2 and first["lecture"].next == "1"
    second = search.search(index, "曲", kinds=("lecture",), limit=1, cursor=1)["lecture"]
    assert second.next is None and first["lecture"].items + second.items == everything.items


def test_suggest_completes_folded_label_prefixes_once_per_document(index):
    page = search.suggest(index, "鄭和")
    assert [hit.label for hit in page.items] == ["郑和", "郑和下西洋"] and page.total == 2
    assert page.items[0].score == 1.0 and page.items[0].kind == "concept"
    assert [hit.id for hit in search.suggest(index, "崑").items] == ["kunqu", "kunqu-01"]
    assert search.suggest(index, "kun").items[0].label == "Kunqu"
    limited = search.suggest(index, "郑", limit=1)
    assert limited.total == 2 and len(limited.items) == 1 and limited.next == "1"


def test_empty_queries_and_a_missing_index_are_domain_errors(index, tmp_path):
    with pytest.raises(search.BadQuery):
        search.search(index, " ，。 ")
    with pytest.raises(search.BadQuery):
        search.suggest(index, "  ")
    with pytest.raises(search.IndexMissing):
        search.search(tmp_path / search.INDEX_NAME, "昆曲")

