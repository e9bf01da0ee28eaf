"""The quality harness (``python -m bench.quality``) against the issue's done-when thresholds.

Thresholds not met yet are strict xfails: they say what is missing, and turn
into failures (to be promoted to plain asserts) the day they are met.
"""

from __future__ import annotations

import json

import pytest

from bench.quality import evaluate
from bench.quality.report import KEYWORDS_POOLED, KEYWORDS_TED, POINTS_THESAURUS, analyse_demo, analyse_ted, evaluate_pie
from kg.settings import Settings

pytestmark = pytest.mark.slow

KEYWORDS = "keywords (demo, 18 lectures, gold sets)"
HOLDINGS = "holdings (demo, judged)"
POINTS = "knowledge points (demo, judged)"
TED = "related (TED, 19 talks, topic tags)"


@pytest.fixture(scope="module")
def demo_and_keywords(tmp_path_factory):
    return analyse_demo(Settings(store=tmp_path_factory.mktemp("quality") / "store"))


@pytest.fixture(scope="module")
def demo(demo_and_keywords):
    return demo_and_keywords[0]


@pytest.fixture(scope="module")
def ted_and_keywords(shared_datasets, tmp_path_factory):
    scratch = tmp_path_factory.mktemp("quality-ted")
    return analyse_ted(scratch, Settings(store=scratch / "store"), shared_datasets)


@pytest.fixture(scope="module")
def ted(ted_and_keywords):
    return ted_and_keywords[0][TED]


@pytest.fixture(scope="module")
def keywords_ted_and_pooled(demo_and_keywords, ted_and_keywords):
    """Keyword scores on the TED talks (blind gold) and on demo + TED pooled (37 lectures)."""
    return {KEYWORDS_TED: ted_and_keywords[0][KEYWORDS_TED],
            KEYWORDS_POOLED: evaluate.keyword_scores([demo_and_keywords[1], ted_and_keywords[1]])}


def test_every_link_and_knowledge_point_of_ours_and_the_baselines_is_judged(demo):
    for measure in (HOLDINGS, POINTS):
        for system, scores in demo[measure].items():
            assert scores["unjudged"] == 0, (measure, system, scores)


def test_holdings_precision_at_5_is_at_least_0_6_and_beats_title_substring(demo):
    ours, baseline = demo[HOLDINGS]["ours"]["P@5"], demo[HOLDINGS]["title substring"]["P@5"]
    assert ours >= 0.6 and ours > baseline


def test_keywords_beat_jieba_textrank_by_half_on_f1_at_5(demo):
    scores = demo[KEYWORDS]
    assert scores["ours"]["F1@5"] >= 1.5 * scores["jieba textrank"]["F1@5"]


@pytest.mark.xfail(strict=True, reason="demo gold alone: F1@5 0.320 vs jieba tf-idf 0.239, +34 %; no top 5 can "
                                       "reach +50 % there (see the next test); met pooled with TED, and on TED")
def test_keywords_beat_jieba_tfidf_by_half_on_f1_at_5(demo):
    scores = demo[KEYWORDS]
    assert scores["ours"]["F1@5"] >= 1.5 * scores["jieba tf-idf"]["F1@5"]


def test_on_the_demo_gold_alone_even_a_perfect_top_5_is_under_half_again_jieba_tfidf(demo):
    """Why the strict xfail above cannot pass: the demo gold sets hold 16 to 35 entries, so a top 5 of
    nothing but gold entries has recall 5/24 on average and F1@5 0.357, while +50 % over jieba's
    0.239 is 0.359. Our top 5 is nearly all gold (P@5 ≥ 0.85), the most this figure can say."""
    gold = evaluate.gold_keywords(evaluate.read_gold("demo_keywords.json"))
    perfect = evaluate.keyword_ceiling([gold])["F1@5"]
    scores = demo[KEYWORDS]
    assert perfect < 1.5 * scores["jieba tf-idf"]["F1@5"]
    assert scores["ours"]["P@5"] >= 0.85 and scores["ours"]["F1@5"] <= perfect


@pytest.mark.realdata
@pytest.mark.parametrize("measure", [KEYWORDS_POOLED, KEYWORDS_TED])
def test_keywords_beat_jieba_tfidf_by_half_on_f1_at_5_pooled_and_on_the_blind_ted_gold(keywords_ted_and_pooled, measure):
    scores = keywords_ted_and_pooled[measure]
    assert scores["ours"]["F1@5"] >= 1.5 * scores["jieba tf-idf"]["F1@5"]


def test_keywords_beat_both_baselines_at_5_and_10(demo):
    scores = demo[KEYWORDS]
    for metric in ("F1@5", "F1@10"):
        assert scores["ours"][metric] > max(scores["jieba tf-idf"][metric], scores["jieba textrank"][metric]), metric


def test_knowledge_points_are_more_precise_than_label_substrings(demo):
    assert demo[POINTS]["ours"]["precision"] >= 0.8 > demo[POINTS]["label substring"]["precision"]


@pytest.mark.realdata
def test_related_lectures_beat_random_on_ted_topics(ted):
    assert ted["ours"]["nDCG@5"] > ted["random"]["nDCG@5"] + 0.1


@pytest.mark.realdata
def test_related_lectures_beat_tfidf_cosine_on_ted_topics(ted):
    assert ted["ours"]["nDCG@5"] > ted["tf-idf cosine"]["nDCG@5"]


@pytest.mark.realdata
def test_ted_keyword_gold_covers_every_talk_with_forms_said_in_the_transcript(shared_datasets):
    gold = evaluate.read_gold("ted_keywords.json")
    talks = [json.loads(line) for line in (shared_datasets / "ted_zh_dev" / "talks.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert set(gold) == {f"ted-{talk['talkid']}" for talk in talks}
    for talk in talks:
        entries = gold[f"ted-{talk['talkid']}"]
        assert 10 <= len(entries) <= 25, talk["talkid"]
        for entry in entries:
            for form in [entry] if isinstance(entry, str) else entry:
                assert form in talk["text_zh"], (talk["talkid"], form)


@pytest.mark.realdata
def test_keywords_beat_both_baselines_at_5_and_10_on_ted_and_pooled(keywords_ted_and_pooled):
    for measure, scores in keywords_ted_and_pooled.items():
        for metric in ("F1@5", "F1@10"):
            assert scores["ours"][metric] > max(scores["jieba tf-idf"][metric], scores["jieba textrank"][metric]), (measure, metric)


@pytest.mark.realdata
def test_with_a_real_thesaurus_knowledge_points_are_more_on_topic_than_label_substrings(ted_and_keywords):
    """The 汉语主题词表 sample names everyday things (今天, 方法, 时间): the points must stay on the
    talks' subjects (blind keyword gold, one thesaurus step) without losing most on-topic ones."""
    scores = ted_and_keywords[0][POINTS_THESAURUS]
    ours, baseline = scores["ours"], scores["label substring"]
    assert ours["on-topic share"] > baseline["on-topic share"]
    assert ours["on topic"] >= 0.8 * baseline["on topic"]


@pytest.fixture(scope="module")
def pie(shared_datasets, tmp_path_factory):
    scratch = tmp_path_factory.mktemp("quality-pie")
    return evaluate_pie(scratch, Settings(store=scratch / "store"), shared_datasets)


@pytest.mark.realdata
def test_podcast_keywords_are_all_judged_and_mostly_keywords_where_extract_tags_finds_fillers(pie):
    """Unscripted speech recognised by machine: the top 10 of ours and of extract_tags on 10 episodes
    are judged (a changed method that proposes new terms must have them judged, as for holdings)."""
    assert pie["ours"]["unjudged"] == 0 and pie["jieba tf-idf"]["unjudged"] == 0
    assert pie["ours"]["P@10"] >= 0.6 > 0.2 >= pie["jieba tf-idf"]["P@10"]
