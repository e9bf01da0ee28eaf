from ingest.records import Keyword, Span
from kg.related import LectureFacts, build_graph, relate


def facts(name: str, *keys: str) -> LectureFacts:
    keywords = tuple(Keyword(label=k, key=k, weight=1.0, count=1, spans=(Span(0, 1, 0),)) for k in keys)
    return LectureFacts(("lib", name), keywords, (), (), {})


def test_lectures_sharing_more_are_more_related_and_say_what_they_share():
    related = relate(build_graph([facts("a", "海禁", "郑和"), facts("b", "海禁", "郑和"), facts("c", "海禁", "唐诗")]), 5)
    assert [r.other for r in related[("lib", "a")]] == [("lib", "b"), ("lib", "c")]
    assert set(related[("lib", "a")][0].shared) == {"海禁", "郑和"}


def test_compounds_meet_their_parts_which_explain_only_when_nothing_else_is_shared():
    lectures = [facts("a", "能源", "气候"), facts("b", "可再生能源", "气候"), facts("c", "海洋", "气候"), facts("d", "能源价格")]
    related = relate(build_graph(lectures), 5)
    found = related[("lib", "a")]
    assert [r.other[1] for r in found] == ["b", "c", "d"]  # b shares 气候 and, through 能源, a part
    assert found[0].shared == ("气候",) and found[2].shared == ("能源",)
