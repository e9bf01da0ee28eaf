from ingest.keywords import TermCounts, count_terms, idf, rank_keywords, spans_of
from ingest.records import Cue
from ingest.segmenter import Segmenter
from ingest.stopwords import stopwords

SEGMENTER = Segmenter([("郑和下西洋", "nz")])

CUES = (
    Cue(0.0, 4.0, "大家好，我们今天讲一讲明代的海禁。"),
    Cue(4.0, 8.0, "那么就是说，海禁政策和郑和下西洋有什么关系呢？"),
    Cue(8.5, 12.0, "郑和下西洋一共七次，船队到达东非。"),
    Cue(40.0, 44.0, "海禁政策后来又有变化，嗯，然后隆庆开关。"),
    Cue(80.0, 84.0, "郑和下西洋的船队规模很大。海禁和朝贡贸易相连。"),
)


def test_spoken_fillers_are_stopwords():
    assert {"我们", "这个", "就是", "然后", "大家", "那个", "嗯"} <= stopwords()


def test_counts_nouns_not_fillers_and_keeps_cue_positions():
    counts = count_terms(CUES, SEGMENTER)
    assert counts.cues["郑和下西洋"] == [1, 2, 4]
    assert counts.cues["海禁"] == [0, 1, 3, 4]
    assert not {"我们", "大家", "就是说", "然后", "嗯", "那么"} & set(counts.cues)


def test_recurring_adjacent_nouns_become_a_phrase():
    counts = count_terms(CUES, SEGMENTER)
    assert counts.cues.get("海禁政策") == [1, 3]


def test_latin_words_apart_by_a_space_make_a_phrase_that_keeps_the_space():
    cues = (Cue(0, 3, "可以说 Repower America 是个计划。"), Cue(3, 6, "我们支持 Repower America。"))
    counts = count_terms(cues, Segmenter())
    assert counts.cues["repower america"] == [0, 1]
    assert counts.surfaces["repower america"].most_common(1)[0][0] == "Repower America"


def test_a_term_nearly_always_said_with_the_same_character_after_it_is_joined_to_it():
    cues = (Cue(0, 3, "他们用棉花糖搭塔。"), Cue(3, 6, "把棉花糖放在顶上。"), Cue(6, 9, "每队一颗棉花糖。"))
    counts = count_terms(cues, Segmenter())  # jieba cuts 棉花|糖 each time
    assert counts.cues["棉花糖"] == [0, 1, 2]
    assert "棉花" not in counts.cues


def test_a_character_after_a_term_only_now_and_then_is_not_joined():
    cues = (Cue(0, 3, "棉花糖很甜。"), Cue(3, 6, "棉花是作物。"), Cue(6, 9, "棉花产量高。"), Cue(9, 12, "种棉花。"))
    counts = count_terms(cues, Segmenter())
    assert "棉花糖" not in counts.cues and len(counts.cues["棉花"]) == 4


def test_traditional_text_folds_to_the_same_key_and_keeps_its_surface():
    cues = (Cue(0, 3, "崑曲是百戲之祖。"), Cue(3, 6, "崑曲的水磨調。"))
    counts = count_terms(cues, Segmenter([("昆曲", "nz")]))
    assert counts.cues["昆曲"] == [0, 1]
    assert counts.surfaces["昆曲"].most_common(1)[0][0] == "崑曲"


def test_ranking_weights_times_and_boosts():
    counts = count_terms(CUES, SEGMENTER)
    keywords = rank_keywords(counts, CUES, {"郑和下西洋": 1, "海禁": 1, "船队": 3}, 3,
                             context="明代的海禁", vocabulary={"郑和下西洋": "http://x/zh"}, limit=5)
    labels = [k.key for k in keywords]
    assert labels[0] in {"海禁", "郑和下西洋"} and keywords[0].weight == 1.0
    assert all(0 < k.weight <= 1 for k in keywords)
    zheng = next(k for k in keywords if k.key == "郑和下西洋")
    assert zheng.concept == "http://x/zh"
    assert [(s.start, s.end) for s in zheng.spans] == [(4.0, 12.0), (80.0, 84.0)]


def test_a_term_overlapping_one_listed_before_it_waits_its_turn_at_half_weight():
    cues = tuple(Cue(float(i), i + 1.0, "") for i in range(10))
    counts = TermCounts()
    for term, uses in (("魔兽世界", 5), ("魔兽", 9), ("玩家", 3)):
        for cue in range(uses):
            counts.add(term, term, cue)
    keywords = rank_keywords(counts, cues, {}, 1, limit=5)
    assert [k.key for k in keywords] == ["魔兽", "玩家", "魔兽世界"]
    weights = {k.key: k.weight for k in keywords}
    assert weights["魔兽世界"] > weights["玩家"]  # the order changes, the weights do not


def test_spans_merge_only_consecutive_cues():
    spans = spans_of([0, 1, 3], CUES)
    assert [(s.start, s.end, s.cue) for s in spans] == [(0.0, 8.0, 0), (40.0, 44.0, 3)]


def test_idf_falls_back_to_jieba_for_a_single_lecture_and_favours_rare_terms():
    assert idf("海禁", 1, 1) > idf("问题", 1, 1)
    assert idf("海禁", 1, 50) > idf("海禁", 40, 50)


def test_idf_marks_down_a_word_common_in_the_language_even_when_few_lectures_use_it():
    assert idf("海禁", 3, 20) > idf("世界", 1, 20)


GLUED = (Cue(0, 3, "方案甲有疗效和风险。"), Cue(3, 6, "方案乙有疗效，甲有风险。"), Cue(6, 9, "乙有那些风险。"))


def test_a_chance_join_of_jiebas_hmm_needs_three_uses_unless_in_the_title():
    counts = count_terms(GLUED, Segmenter())  # 甲|有, 乙|有: a noun and a verb the HMM joined, twice each
    assert counts.required == {"甲有": 3, "乙有": 3}
    assert not {"甲有", "乙有"} & {k.key for k in rank_keywords(counts, GLUED, {}, 1)}
    assert "甲有" in {k.key for k in rank_keywords(counts, GLUED, {}, 1, context="甲有和乙有")}


def test_a_word_the_dictionary_does_not_know_needs_two_uses_unless_in_the_title():
    cues = (Cue(0, 3, "我们用 Photosynth 看照片。"), Cue(3, 6, "照片很多。"))
    counts = count_terms(cues, Segmenter())
    assert counts.required["photosynth"] == 2
    assert "photosynth" not in {k.key for k in rank_keywords(counts, cues, {}, 1)}
    assert "photosynth" in {k.key for k in rank_keywords(counts, cues, {}, 1, context="Photosynth 演示")}


def test_a_word_of_the_vocabulary_needs_no_more_evidence():
    cues = (Cue(0, 3, "我们用 Photosynth 看照片。"), Cue(3, 6, "照片很多。"))
    counts = count_terms(cues, Segmenter([("photosynth", "nz")]), frozenset({"photosynth"}))
    assert "photosynth" not in counts.required


def test_a_foreign_name_written_with_a_middle_dot_is_one_term_that_takes_the_uses_of_its_parts():
    cues = (Cue(0, 3, "我是兰斯·阿姆斯特朗的粉丝。"), Cue(3, 6, "兰斯·阿姆斯特朗赢了七次。"), Cue(6, 9, "后来阿姆斯特朗退役了。"),
            Cue(9, 12, "丹尼尔•卡纳曼说，卡纳曼教授同意。"))
    counts = count_terms(cues, Segmenter())  # jieba cuts at the dot: 兰斯|·|阿姆斯特朗
    assert counts.cues["兰斯·阿姆斯特朗"] == [0, 1, 2]
    assert counts.surfaces["兰斯·阿姆斯特朗"]["兰斯·阿姆斯特朗"] == 2
    assert counts.cues["丹尼尔·卡纳曼"] == [3, 3]  # written with U+2022, keyed with the usual dot
    assert not {"兰斯", "阿姆斯特朗", "丹尼尔", "卡纳曼"} & set(counts.cues)
    assert counts.required["兰斯·阿姆斯特朗"] == 2


def test_a_latin_name_said_in_full_once_takes_the_uses_of_a_part_said_alone():
    cues = (Cue(0, 3, "华盛顿大学的研究生Noah Snavely做了这个。"), Cue(3, 6, "我们用了Noah早期的数据库。"),
            Cue(6, 9, "Peter Skillman讲过。"))
    counts = count_terms(cues, Segmenter())
    assert counts.cues["noah snavely"] == [0, 1]
    assert counts.surfaces["noah snavely"].most_common(1)[0][0] == "Noah Snavely"
    assert "noah" not in counts.cues and "snavely" not in counts.cues
    keywords = rank_keywords(counts, cues, {}, 1, limit=10)
    assert "noah snavely" in {k.key for k in keywords}
    assert "peter skillman" not in {k.key for k in keywords}  # said once, never again: a passing mention


def test_a_part_two_names_share_keeps_its_own_uses_and_runs_of_four_names_are_not_one_name():
    cues = (Cue(0, 3, "Robert Gupta拉小提琴。"), Cue(3, 6, "Robert Downey Jr演了电影。"), Cue(6, 9, "Robert笑了。"),
            Cue(9, 12, "扮演Steve Lopez Jamie Foxx的人。"), Cue(12, 15, "大写的TED和U235不是名字 Ted Talk"))
    counts = count_terms(cues, Segmenter())
    assert counts.cues["robert gupta"] == [0] and counts.cues["robert downey jr"] == [1]
    assert counts.cues["robert"] == [0, 1, 2]
    assert "steve lopez jamie foxx" not in counts.cues and "steve lopez" not in counts.cues
    assert "u235 ted" not in counts.cues


def test_a_dotted_title_in_title_marks_is_a_term_whose_parts_keep_their_uses():
    cues = (Cue(0, 3, "《汉书·艺文志》著录了它。"), Cue(3, 6, "班固写《汉书》。"))
    counts = count_terms(cues, Segmenter())
    assert counts.cues["汉书·艺文志"] == [0]
    assert counts.cues["汉书"] == [0, 1] and counts.cues["艺文志"] == [0]
