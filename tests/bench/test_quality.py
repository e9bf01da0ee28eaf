"""The quality harness (``python -m bench.quality``) against the issue's done-when thresholds.

Thresholds not met yet are strict xfails: they say what is missing, and turn
into failures (to be promoted to plain asserts) the day they are met.
"""

from __future__ import annotations

import pytest

from bench.quality.report import evaluate_demo, evaluate_ted
from kg.settings import Settings

pytestmark = pytest.mark.slow

KEYWORDS = "keywords (demo, 18 lectures, gold sets)"
HOLDINGS = "holdings (demo, judged)"
POINTS = "knowledge points (demo, judged)"
TED = "related (TED, 19 talks, topic tags)"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return evaluate_demo(Settings(store=tmp_path_factory.mktemp("quality") / "store"))


@pytest.fixture(scope="module")
def ted(shared_datasets, tmp_path_factory):
    scratch = tmp_path_factory.mktemp("quality-ted")
    return evaluate_ted(scratch, Settings(store=scratch / "store"), shared_datasets)[TED]


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


@pytest.mark.xfail(strict=True, reason="F1@5 0.87 vs jieba tf-idf 0.66: +32 %, not +50 % (that would need 0.98)")
def test_keywords_beat_jieba_tfidf_by_half_on_f1_at_5(demo):
    scores = demo[KEYWORDS]
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
