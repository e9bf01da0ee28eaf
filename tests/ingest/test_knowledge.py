from ingest.knowledge import KnowledgeMatcher, everyday, salient, widespread
from ingest.records import Concept, Cue, Keyword, KnowledgePoint, Span
from ingest.segmenter import Segmenter

TERM = Concept("http://x/haijin", "http://x/", (("zh-Hans", "海禁"),))
CLASS = Concept("http://x/clc/Q981.5", "http://x/clc", (("zh-Hans", "古人"),), notation="Q981.5")
CLASS_TWICE = Concept("http://x/clc/P194", "http://x/clc", (("zh-Hans", "历法"),), notation="P194")
CUES = (Cue(0, 3, "明代实行海禁。"), Cue(3, 6, "古人编制历法。"), Cue(30, 33, "历法关乎农时。"))


def test_a_vocabulary_term_counts_from_one_mention_a_classification_class_from_two():
    matcher = KnowledgeMatcher([TERM, CLASS, CLASS_TWICE], Segmenter([("海禁", "nz"), ("古人", "nz"), ("历法", "nz")]))
    tokens = [matcher._segmenter.words(cue.text) for cue in CUES]
    found = {p.label: len(p.spans) for p in matcher.match(tokens, CUES)}
    assert found == {"海禁": 1, "历法": 2}


def _point(label: str, spans: int) -> KnowledgePoint:
    return KnowledgePoint(f"http://x/ct/{label}", label, "http://x/ct/", tuple(Span(10.0 * i, 10.0 * i + 2, i) for i in range(spans)), (label,))


def _keyword(key: str) -> Keyword:
    return Keyword(key, key, 1.0, 3, ())


def test_everyday_words_are_stopwords_and_the_most_common_words_of_the_language():
    assert everyday("今天") and everyday("方法") and everyday("时间") and everyday("工作")
    assert not everyday("人工智能") and not everyday("青花") and not everyday("海禁")


def test_a_concept_most_lectures_say_in_everyday_words_is_a_knowledge_point_only_where_it_is_a_keyword():
    points = [_point("人工智能", 1), _point("方法", 3), _point("教育", 1), _point("时间", 1), _point("工作", 3)]
    widespread_here = frozenset({"http://x/ct/人工智能", "http://x/ct/方法", "http://x/ct/教育", "http://x/ct/工作"})
    kept = salient(points, [_keyword("教育")], widespread=widespread_here)
    assert [p.label for p in kept] == ["人工智能", "教育", "时间"]
    # 人工智能: widespread but a specific name; 方法, 工作: everyday, widespread, not keywords here;
    # 时间: everyday but not said in most lectures.


def test_widespread_concepts_are_those_most_lectures_of_a_big_enough_corpus_say():
    lectures = [[_point("工作", 1), _point("海禁", 1)]] * 5 + [[_point("工作", 2)]] * 5 + [[_point("青花", 1)]] * 2
    assert widespread(lectures) == frozenset({"http://x/ct/工作"})  # 10 of 12 lectures; 海禁 5 of 12
    assert widespread(lectures[:9]) == frozenset()  # under 10 lectures: nothing to tell
