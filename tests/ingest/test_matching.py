"""HoldingsIndex.rank against BM25 computed from its definition, record by record."""

from __future__ import annotations

import math

import pytest

from ingest.matching import B, FIELD_WEIGHTS, K1, HoldingsIndex, QueryTerm
from ingest.records import Holding
from ingest.segmenter import Segmenter


def record(id: str, title: str, subjects: tuple[str, ...] = ()) -> Holding:
    return Holding(id=id, title=title, format="csv", source=f"test.csv#{id}", subjects=subjects)


HOLDINGS = [
    record("1", "Porcelain of the Ming dynasty", ("Porcelain, Chinese", "China -- History")),
    record("2", "Confucianism and the state", ("Confucianism", "China -- Politics and government")),
    record("3", "A history of Chinese porcelain trade", ("Porcelain -- Trade",)),
    record("4", "Maritime silk road", ("Navigation -- History",)),
    record("5", "Ming porcelain marks", ()),
]
QUERY = [QueryTerm("porcelain", 1.0, "kw:porcelain"), QueryTerm("ming dynasty", 0.5, "concept:ming"),
         QueryTerm("history", 0.25, "kw:history"), QueryTerm("absent", 1.0, "kw:absent")]


@pytest.fixture(scope="module")
def index() -> HoldingsIndex:
    return HoldingsIndex(HOLDINGS, Segmenter())


def expected_scores(index: HoldingsIndex) -> dict[str, float]:
    """Σ weight · BM25, the mean over a multi-word term's words, only where a record has all of them."""
    frequencies, lengths = [], []
    for holding in HOLDINGS:
        found: dict[str, float] = {}
        for field, text in [("title", holding.title)] + [("subject", s) for s in holding.subjects]:
            for word in index.terms(text):
                found[word] = found.get(word, 0.0) + FIELD_WEIGHTS[field]
        frequencies.append(found)
        lengths.append(sum(found.values()))
    average = sum(lengths) / len(lengths)

    def bm25(word: str, n: int) -> float:
        df = sum(1 for f in frequencies if word in f)
        idf = math.log(1 + (len(HOLDINGS) - df + 0.5) / (df + 0.5))
        f = frequencies[n][word]
        return idf * f * (K1 + 1) / (f + K1 * (1 - B + B * lengths[n] / average))

    scores: dict[str, float] = {}
    for term in QUERY:
        words = index.terms(term.key) or [term.key]
        for n, holding in enumerate(HOLDINGS):
            if all(w in frequencies[n] for w in words):
                scores[holding.id] = scores.get(holding.id, 0.0) + term.weight * sum(bm25(w, n) for w in words) / len(words)
    return scores


def test_rank_is_bm25_summed_over_the_query_terms_best_first(index):
    expected = expected_scores(index)
    links = index.rank(QUERY, 10)
    assert [link.holding for link in links] == sorted(expected, key=lambda h: (-expected[h], h))
    assert [link.raw_score for link in links] == [round(expected[link.holding], 4) for link in links]
    assert links[0].score == 1.0 and all(0 < link.score <= 1 for link in links)


def test_evidence_is_the_terms_a_record_holds_and_their_fields(index):
    links = {link.holding: link for link in index.rank(QUERY, 10)}
    assert links["1"].matched == ("concept:ming", "kw:history", "kw:porcelain")
    assert links["1"].fields == ("subject", "title")
    assert links["5"].matched == ("kw:porcelain",)  # "ming" alone: the multi-word term needs "dynasty" too
    assert links["4"].matched == ("kw:history",) and links["4"].fields == ("subject",)
    assert "2" not in links


def test_limit_keeps_the_best_and_ties_fall_to_the_smaller_id():
    twins = HoldingsIndex([record("b", "Kunqu opera"), record("a", "Kunqu opera"), record("c", "Tea")], Segmenter())
    assert [link.holding for link in twins.rank([QueryTerm("kunqu", 1.0, "k")], 1)] == ["a"]
    assert twins.rank([QueryTerm("nothing", 1.0, "k")], 5) == ()


def test_postings_share_one_set_of_fields_per_combination(index):
    """Millions of postings at 250,000 records: one frozenset object per combination of fields, not per posting."""
    sets = {id(fields) for postings in index._postings.values() for _, fields in postings.values()}
    assert len(sets) == len({fields for postings in index._postings.values() for _, fields in postings.values()})


def test_a_chinese_personal_name_is_matched_whole_and_a_body_by_its_words():
    books = [Holding(id="astro", title="天象玄观", format="csv", source="t.csv#1", creators=("高崑山",)),
             Holding(id="lu", title="朝花夕拾", format="csv", source="t.csv#2", creators=("鲁迅, 1881-1936.",)),
             Holding(id="dh", title="剧种论集", format="csv", source="t.csv#3", creators=("中国戏曲研究院",))]
    index = HoldingsIndex(books, Segmenter())

    def found(term: str) -> list[str]:
        return [link.holding for link in index.rank([QueryTerm(term, 1.0, term)], 5)]

    assert found("昆山") == []  # not a piece of 高崑山 (高|昆山 when segmented)
    assert found("鲁迅") == ["lu"]
    assert found("高崑山") == ["astro"]  # the whole name, folded like the record
    assert found("中国戏曲") == ["dh"]  # the words of a body's name say what it does
