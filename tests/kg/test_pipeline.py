"""The whole build, end to end, on the demo corpus and on small bad-input sources."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from ingest.stopwords import spoken_stopwords
from kg.pipeline import BuildInput, BuildRefused, build
from kg.settings import Settings
from kg.store import StoreDirectory

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
KG = "http://127.0.0.1:8000/vocab/"
FILLERS = {"我们", "这个", "就是", "然后", "大家", "那个", "嗯", "啊", "就是说", "其实"}


def lecture_facts(store: ox.Store) -> dict[str, dict]:
    """Per lecture: keywords (rank order) with their mention count, holdings links, relations."""
    facts: dict[str, dict] = {}
    rows = store.query(f"""
        PREFIX oa: <http://www.w3.org/ns/oa#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?lecture ?label ?rank (COUNT(?m) AS ?mentions) WHERE {{
          ?a a <{KG}KeywordAssignment> ; oa:hasTarget ?lecture ; oa:hasBody ?k ; <{KG}rank> ?rank .
          ?k skos:prefLabel ?label .
          OPTIONAL {{ ?m a <{KG}Mention> ; oa:hasBody ?k ; <http://purl.org/dc/terms/isPartOf> ?lecture }}
        }} GROUP BY ?lecture ?label ?rank ORDER BY ?lecture ?rank""", use_default_graph_as_union=True)
    for lecture, label, _, mentions in rows:
        facts.setdefault(lecture.value, {"keywords": [], "holdings": [], "related": []})
        facts[lecture.value]["keywords"].append((label.value, int(mentions.value)))
    for lecture, score, evidence in store.query(f"""
        SELECT ?lecture ?score (COUNT(?k) AS ?evidence) WHERE {{
          ?x a <{KG}HoldingLink> ; <{KG}lecture> ?lecture ; <{KG}score> ?score ; <{KG}matchedKeyword> ?k
        }} GROUP BY ?x ?lecture ?score""", use_default_graph_as_union=True):
        facts[lecture.value]["holdings"].append((float(score.value), int(evidence.value)))
    for lecture, shared in store.query(f"""
        SELECT ?lecture (COUNT(?label) AS ?shared) WHERE {{
          ?x a <{KG}LectureRelation> ; <{KG}lecture> ?lecture ; <{KG}sharedLabel> ?label
        }} GROUP BY ?x ?lecture""", use_default_graph_as_union=True):
        facts[lecture.value]["related"].append(int(shared.value))
    return facts


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[StoreDirectory, object]:
    store = tmp_path_factory.mktemp("demo") / "store"
    report = build(BuildInput(ROOT / "data"), Settings(store=store))
    return StoreDirectory(store), report


def test_demo_builds_without_problems(demo):
    store, report = demo
    assert report.problems == []
    assert report.counts["lectures"] == 18 and report.counts["holdings"] >= 1000
    summary = store.summary()
    assert summary["counts"]["triples"] == len(store.open_read_only()) > 10_000
    assert set(summary["seconds"]) == {"manifest", "vocabulary", "holdings", "analyse", "keywords", "link", "relate", "load", "search"}


def test_every_demo_lecture_has_keywords_with_times_holdings_and_related(demo):
    store, _ = demo
    facts = lecture_facts(store.open_read_only())
    assert len(facts) == 18
    stop = spoken_stopwords() | FILLERS
    for lecture, found in facts.items():
        assert len(found["keywords"]) >= 10, lecture
        assert all(mentions >= 1 for _, mentions in found["keywords"]), lecture
        assert not {label for label, _ in found["keywords"][:10]} & stop, lecture
        assert len(found["holdings"]) >= 5 and all(0 < s <= 1 and n >= 1 for s, n in found["holdings"]), lecture
        assert len(found["related"]) >= 3 and all(n >= 1 for n in found["related"]), lecture


def test_traditional_big5_lecture_reaches_simplified_books_and_keeps_its_script(demo):
    store, _ = demo
    db = store.open_read_only()
    lecture = "http://127.0.0.1:8000/lecture/nlc/kunqu-01"
    labels = {r[0].value for r in db.query(f"""
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?alt WHERE {{ <{lecture}> <http://schema.org/keywords> ?k . ?k skos:altLabel ?alt }}""",
        use_default_graph_as_union=True)}
    assert "崑曲" in labels  # as said, in traditional script; the concept's prefLabel is 昆曲
    titles = [r[0].value for r in db.query(f"""
        SELECT ?title WHERE {{ ?x <{KG}lecture> <{lecture}> ; <{KG}holding> ?h . ?h <http://schema.org/name> ?title }}""",
        use_default_graph_as_union=True)]
    assert any("戏曲" in t or "戲曲" in t or "昆" in t or "崑" in t for t in titles), titles


def test_mentions_are_media_fragments_into_the_video(demo):
    store, _ = demo
    db = store.open_read_only()
    rows = list(db.query("""
        PREFIX oa: <http://www.w3.org/ns/oa#>
        SELECT ?source ?value ?start ?end WHERE {
          ?m oa:hasTarget ?t ; <http://127.0.0.1:8000/vocab/start> ?start ; <http://127.0.0.1:8000/vocab/end> ?end .
          ?t oa:hasSource ?source ; oa:hasSelector ?s . ?s <http://www.w3.org/1999/02/22-rdf-syntax-ns#value> ?value
        } LIMIT 50""", use_default_graph_as_union=True))
    assert rows
    for source, value, start, end in rows:
        assert source.value.startswith("https://lectures.example.org/video/")
        assert value.value == f"t={start.value},{end.value}" and float(start.value) <= float(end.value)


def test_output_conforms_to_the_project_shapes(demo):
    pyshacl = pytest.importorskip("pyshacl")
    import rdflib

    store, _ = demo
    graph = rdflib.Graph()
    data = store.open_read_only().dump(format=ox.RdfFormat.N_QUADS)
    dataset = rdflib.Dataset()
    dataset.parse(data=data, format="nquads")
    for subject, predicate, obj, _ in dataset.quads((None, None, None, None)):
        graph.add((subject, predicate, obj))
    shapes = rdflib.Graph().parse(ROOT / "vocab" / "shapes.ttl", format="turtle", publicID=KG)
    conforms, _, text = pyshacl.validate(graph, shacl_graph=shapes, inference="none")
    assert conforms, text[:3000]


# --- reproducibility ---------------------------------------------------------------


def small_source(tmp_path: Path, extra_rows: list[dict] | None = None, extra_files: dict[str, Path] | None = None) -> Path:
    source = tmp_path / "source"
    (source / "subs").mkdir(parents=True)
    (source / "holdings").mkdir()
    shutil.copy(ROOT / "data" / "subtitles" / "lunyu-01.srt", source / "subs" / "lunyu.srt")
    shutil.copy(ROOT / "data" / "subtitles" / "daodejing-01.srt", source / "subs" / "daodejing.srt")
    shutil.copy(ROOT / "data" / "subtitles" / "kunqu-01.srt", source / "subs" / "kunqu.srt")
    shutil.copy(DATA / "holdings" / "marc21.mrc", source / "holdings" / "marc21.mrc")
    shutil.copy(DATA / "holdings" / "cnmarc.mrc", source / "holdings" / "cnmarc.mrc")
    for name, path in (extra_files or {}).items():
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    rows = [
        {"id": "lunyu", "title": "孔子与《论语》", "subtitles": "subs/lunyu.srt", "speakers": ["林怀瑾"]},
        {"id": "daodejing", "title": "老子《道德经》", "subtitles": "subs/daodejing.srt", "encoding": "gb18030"},
        {"id": "kunqu", "title": "崑曲六百年", "subtitles": "subs/kunqu.srt", "series": "非物质文化遗产"},
    ] + (extra_rows or [])
    (source / "lectures.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) if isinstance(r, dict) else r for r in rows) + "\n", encoding="utf-8")
    return source


def quads(store: StoreDirectory) -> set[str]:
    return {str(q) for q in store.open_read_only()}


def test_two_builds_of_the_same_input_give_the_same_graph(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    source = small_source(tmp_path)
    first, second = StoreDirectory(tmp_path / "one"), StoreDirectory(tmp_path / "two")
    build(BuildInput(source), Settings(store=first.root, workers=2))
    build(BuildInput(source), Settings(store=second.root, workers=1))
    assert not any(isinstance(term, ox.BlankNode) for q in first.open_read_only() for term in (q.subject, q.object))
    assert quads(first) == quads(second)


# --- bad input ---------------------------------------------------------------------

BAD_CASES = {
    "truncated subtitle": (
        {"id": "bad", "title": "t", "subtitles": "subs/bad.srt"}, {"subs/bad.srt": DATA / "subtitles" / "bad_timestamp.srt"},
        ["bad.srt:line", "expected"]),
    "undecodable encoding": (
        {"id": "bad", "title": "t", "subtitles": "subs/bad.srt"}, {"subs/bad.srt": DATA / "subtitles" / "binary.srt"},
        ["bad.srt", "expected"]),
    "backwards cue times": (
        {"id": "bad", "title": "t", "subtitles": "subs/bad.srt"}, {"subs/bad.srt": DATA / "subtitles" / "end_before_start.srt"},
        ["bad.srt:line", "expected"]),
    "row missing id": (
        {"title": "t", "subtitles": "subs/lunyu.srt"}, {}, ["lectures.jsonl:line 4", "'id': missing"]),
    "row pointing to a missing file": (
        {"id": "bad", "title": "t", "subtitles": "subs/none.srt"}, {}, ["lectures.jsonl:line 4", "does not exist"]),
    "broken MARC leader": (
        None, {"holdings/broken.mrc": DATA / "holdings" / "broken_leader.mrc"}, ["broken.mrc:record 1 at byte 0", "leader"]),
    "broken MARC directory": (
        None, {"holdings/broken.mrc": DATA / "holdings" / "broken_directory.mrc"}, ["broken.mrc:record", "directory"]),
}


@pytest.fixture(scope="module")
def bad_builds(tmp_path_factory) -> dict:
    """One source with every bad case beside three good lectures, built over a good store twice:
    once as usual, once with --strict."""
    root = tmp_path_factory.mktemp("bad")
    store = root / "store"
    build(BuildInput(small_source(root / "good")), Settings(store=store, workers=1))
    before = quads(StoreDirectory(store))
    rows, files = [], {}
    for number, (row, extra, _) in enumerate(BAD_CASES.values()):
        if row:
            rows.append(dict(row, id=f"bad{number}") if "id" in row else row)
        for name, path in extra.items():
            renamed = name.replace("bad.", f"bad{number}.").replace("broken.", f"broken{number}.")
            files[renamed] = path
            if row and "subtitles" in row and row["subtitles"] == name:
                rows[-1]["subtitles"] = renamed
    source = small_source(root / "bad", rows, files)
    with pytest.raises(BuildRefused) as refused:
        build(BuildInput(source, strict=True), Settings(store=store, workers=1))
    after_refusal = quads(StoreDirectory(store))
    report = build(BuildInput(source), Settings(store=store, workers=2))
    return {"before": before, "after_refusal": after_refusal, "refused": refused.value.problems,
            "report": report, "summary": StoreDirectory(store).summary()}


def _message(problems, expected: list[str], number: int) -> str:
    wanted = [part.replace("bad.", f"bad{number}.").replace("broken.", f"broken{number}.")
              .replace("line 4", f"line {4 + _row_index(number)}") for part in expected]
    found = [p.describe() for p in problems if all(w in p.describe() for w in wanted)]
    assert len(found) == 1, (wanted, [p.describe() for p in problems])
    return found[0]


def _row_index(number: int) -> int:
    """Manifest line offset of case ``number`` (cases without a row add no line)."""
    return sum(1 for row, _, _ in list(BAD_CASES.values())[:number] if row)


@pytest.mark.parametrize("number, case", list(enumerate(BAD_CASES)))
def test_bad_input_is_named_skipped_and_the_rest_is_built(number, case, bad_builds):
    _, _, expected = BAD_CASES[case]
    message = _message(bad_builds["report"].problems, expected, number)
    assert message in bad_builds["summary"]["problems"]
    assert bad_builds["report"].counts["lectures"] == 3  # the three good lectures are built


@pytest.mark.parametrize("number, case", list(enumerate(BAD_CASES)))
def test_strict_refuses_and_the_previous_store_still_answers(number, case, bad_builds):
    _, _, expected = BAD_CASES[case]
    _message(bad_builds["refused"], expected, number)
    assert bad_builds["after_refusal"] == bad_builds["before"]
