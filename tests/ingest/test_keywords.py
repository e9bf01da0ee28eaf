from ingest.keywords import count_terms, idf, rank_keywords, spans_of
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


def test_spans_merge_only_consecutive_cues():
    spans = spans_of([0, 1, 3], CUES)
    assert [(s.start, s.end, s.cue) for s in spans] == [(0.0, 8.0, 0), (40.0, 44.0, 3)]


def test_idf_falls_back_to_jieba_for_a_single_lecture_and_favours_rare_terms():
    assert idf("海禁", 1, 1) > idf("问题", 1, 1)
    assert idf("海禁", 1, 50) > idf("海禁", 40, 50)
