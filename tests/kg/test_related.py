from ingest.records import Keyword, Span
import math

from kg import related
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


def test_nodes_no_other_lecture_holds_do_not_mark_a_lecture_down():
    unique = [f"独有{i}" for i in range(10)]
    lectures = [facts("a", "海禁", "郑和"), facts("b", "海禁", "郑和", *unique), facts("c", "海禁", "唐诗"), facts("d", "唐诗")]
    found = relate(build_graph(lectures), 5)[("lib", "a")]
    assert [r.other[1] for r in found] == ["b", "c"]
    assert found[0].score == 1.0  # b holds everything a shares with anyone


def weighted(name: str, **weights: float) -> LectureFacts:
    keywords = tuple(Keyword(label=k, key=k, weight=w, count=1, spans=(Span(0, 1, 0),)) for k, w in weights.items())
    return LectureFacts(("lib", name), keywords, (), (), {})


def test_scores_are_the_cosine_over_shared_nodes_best_first():
    lectures = [weighted("a", 海禁=1.0, 郑和=0.5, 唐诗=0.2), weighted("b", 海禁=0.4, 郑和=1.0),
                weighted("c", 唐诗=1.0, 郑和=0.1), weighted("d", 海禁=0.3, 唐诗=0.3)]
    vectors = {f.key[1]: {k.key: k.weight for k in f.keywords} for f in lectures}

    def cosine(x: str, y: str) -> float:
        dot = sum(w * vectors[y].get(k, 0.0) for k, w in vectors[x].items())
        return dot / math.sqrt(sum(w * w for w in vectors[x].values()) * sum(w * w for w in vectors[y].values()))

    found = relate(build_graph(lectures), 5)[("lib", "a")]
    expected = sorted("bcd", key=lambda other: -cosine("a", other))
    assert [r.other[1] for r in found] == expected
    assert [r.score for r in found] == [round(cosine("a", other), 4) for other in expected]


def test_a_node_held_by_many_offers_only_its_strongest_holders(monkeypatch):
    """The cap that keeps the stage linear: a node offers its FANOUT holders of largest weight / norm
    (a lecture counts among the holders of its own nodes)."""
    monkeypatch.setattr(related, "FANOUT", 3)
    lectures = [weighted("x", 气候=1.0)] + [weighted(f"h{n}", 气候=n / 10, 海洋=1.0) for n in range(1, 6)]
    lectures += [weighted("y", 海洋=1.0, 郑和=1.0), weighted("z", 郑和=1.0)]
    found = relate(build_graph(lectures), 5)
    assert [r.other[1] for r in found[("lib", "x")]] == ["h5", "h4"]  # 气候: x, h5, h4
    assert [r.other[1] for r in found[("lib", "y")]] == ["z", "h1", "h2", "h3"]  # 海洋: h1, h2, h3 (not y)
    monkeypatch.setattr(related, "FANOUT", 100)
    assert len(relate(build_graph(lectures), 5)[("lib", "y")]) == 5
