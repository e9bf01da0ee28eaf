"""The ranking metrics of the quality harness, on hand-made lists."""

from bench.quality.evaluate import keyword_ceiling
from bench.quality.metrics import ndcg_at, prf_at

GOLD = [frozenset({"孔子"}), frozenset({"论语"}), frozenset({"仁"}), frozenset({"礼", "礼乐"}),
        frozenset({"君子"}), frozenset({"儒家"}), frozenset({"颜回"}), frozenset({"子贡"})]


def test_each_gold_entry_is_hit_once_whichever_of_its_forms_is_listed():
    result = prf_at(["孔子", "礼", "礼乐", "今天", "君子"], GOLD, 5)
    assert result.precision == 3 / 5
    assert result.recall == 3 / 8
    assert result.recall_capped == 3 / 5
    assert abs(result.f1 - 2 * (3 / 5) * (3 / 8) / (3 / 5 + 3 / 8)) < 1e-12


def test_a_perfect_top_5_scores_precision_1_but_its_f1_is_bounded_by_the_gold_sets_size():
    perfect = prf_at(["孔子", "论语", "仁", "礼", "君子"], GOLD, 5)
    assert perfect.precision == 1.0 and perfect.recall_capped == 1.0
    assert perfect.f1 == 2 * 5 / (5 + 8)  # 2PR/(P+R) with P = 1, R = 5/8
    ceiling = keyword_ceiling([{"lunyu": GOLD, "short": GOLD[:3]}])
    assert ceiling["F1@5"] == round((2 * 5 / (5 + 8) + 2 * (3 / 5) * 1 / (3 / 5 + 1)) / 2, 4)


def test_ndcg_rewards_relevant_items_ranked_early():
    assert ndcg_at(["a", "b", "x"], {"a", "b"}, 5) == 1.0
    assert ndcg_at(["x", "a", "b"], {"a", "b"}, 5) < ndcg_at(["a", "x", "b"], {"a", "b"}, 5) < 1.0
    assert ndcg_at(["x", "y"], {"a"}, 5) == 0.0
