"""kg.resource, kg.connections and kg.syntax over a small hand-made store."""

import json

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from kg import connections, resource, syntax
from kg.namespaces import DCTERMS, OA, RDF, RDFS, SCHEMA, SKOS, VOID, XSD

BASE = "http://data.test/"
KG = BASE + "vocab/"
LECTURE = ox.NamedNode(BASE + "lecture/lib/one")
MENTION = ox.NamedNode(BASE + "mention/lib/one/abc")
KEYWORD = ox.NamedNode(BASE + "keyword/%E4%B8%9D%E7%BB%B8%E4%B9%8B%E8%B7%AF")
HOLDING = ox.NamedNode(BASE + "holding/lib/42")
VIDEO = ox.NamedNode("https://video.test/one.mp4")
LIBRARY = ox.NamedNode(BASE + "library/lib")
G = ox.NamedNode(BASE + "graph/lib")
D = ox.NamedNode(BASE + "graph/lib/derived")


def kg(name: str) -> ox.NamedNode:
    return ox.NamedNode(KG + name)


def n(name: str) -> ox.NamedNode:
    return ox.NamedNode(BASE + name)


def lit(value: str, language: str | None = None, datatype: ox.NamedNode | None = None) -> ox.Literal:
    return ox.Literal(value, language=language) if language else ox.Literal(value, datatype=datatype)


@pytest.fixture(scope="module")
def store() -> ox.Store:
    assignment, target, selector = n("lecture/lib/one#KeywordAssignment-1"), n("mention/lib/one/abc#target"), n("mention/lib/one/abc#selector")
    link, relation, other = n("link/lib/one/42"), n("relation/lib/one/x"), n("lecture/lib/two")
    blank = ox.BlankNode("b1")
    triples = [
        (LECTURE, RDF.type, SCHEMA.VideoObject), (LECTURE, SCHEMA.name, lit("丝路讲座", "zh")),
        (LECTURE, SCHEMA.name, lit("Silk Road talk", "en")), (LECTURE, SCHEMA.contentUrl, VIDEO),
        (LECTURE, SCHEMA.keywords, KEYWORD), (LECTURE, SCHEMA.provider, LIBRARY), (LECTURE, SCHEMA.publisher, blank),
        (blank, SCHEMA.name, lit("某出版社")),
        (LIBRARY, SCHEMA.name, lit("示例图书馆", "zh-Hans")),
        (KEYWORD, RDF.type, SKOS.Concept), (KEYWORD, SKOS.prefLabel, lit("丝绸之路", "zh-Hans")),
        (assignment, RDF.type, kg("KeywordAssignment")), (assignment, OA.hasTarget, LECTURE),
        (assignment, OA.hasBody, KEYWORD), (assignment, kg("rank"), lit("1", datatype=XSD.integer)),
        (assignment, kg("weight"), lit("1.0", datatype=XSD.decimal)),
        (MENTION, RDF.type, kg("Mention")), (MENTION, DCTERMS.isPartOf, LECTURE), (MENTION, OA.hasBody, KEYWORD),
        (MENTION, OA.hasTarget, target), (MENTION, kg("start"), lit("12.5", datatype=XSD.decimal)),
        (MENTION, kg("end"), lit("20", datatype=XSD.decimal)),
        (target, OA.hasSource, VIDEO), (target, OA.hasSelector, selector), (selector, RDF.value, lit("t=12.5,20")),
        (HOLDING, RDF.type, SCHEMA.Book), (HOLDING, SCHEMA.name, lit("丝绸之路史")),
        (link, RDF.type, kg("HoldingLink")), (link, kg("lecture"), LECTURE), (link, kg("holding"), HOLDING),
        (link, kg("score"), lit("0.9", datatype=XSD.decimal)), (link, kg("rank"), lit("1", datatype=XSD.integer)),
        (link, kg("matchedKeyword"), KEYWORD),
        (relation, RDF.type, kg("LectureRelation")), (relation, kg("lecture"), LECTURE), (relation, kg("relatedTo"), other),
        (relation, kg("score"), lit("0.5", datatype=XSD.decimal)), (relation, kg("rank"), lit("1", datatype=XSD.integer)),
        (relation, kg("sharedLabels"), lit("丝绸之路 | 张骞")), (other, SCHEMA.name, lit("另一讲", "zh")),
        (kg("score"), RDFS.label, lit("分数", "zh-Hans")), (kg("score"), RDFS.label, lit("score", "en")),
    ]
    triples += [(n(f"holding/lib/{i:03d}"), SCHEMA.holdingArchive, LIBRARY) for i in range(120)]
    store = ox.Store()
    derived = tuple(BASE + kind for kind in ("mention/", "link/", "relation/", "lecture/lib/one#"))
    for s, p, o in triples:
        store.add(ox.Quad(s, p, o, D if isinstance(s, ox.NamedNode) and s.value.startswith(derived) else G))
    return store


def test_a_description_holds_the_resource_its_hash_parts_and_labels_of_what_it_links_to(store):
    d = resource.describe(store, BASE, LECTURE.value)
    subjects = {t.subject for t in d.triples}
    assert n("lecture/lib/one#KeywordAssignment-1") in subjects  # an inward hash part
    assert ox.BlankNode("b1") in d.parts  # a blank node object is followed
    assert ox.Triple(KEYWORD, SKOS.prefLabel, lit("丝绸之路", "zh-Hans")) in d.triples  # label of an object
    assert ox.Triple(LIBRARY, SCHEMA.name, lit("示例图书馆", "zh-Hans")) in d.triples
    assert MENTION not in subjects  # another resource, not a part: only an inverse link
    assert d.labels()[LECTURE.value] == lit("丝路讲座", "zh")


def test_a_mention_document_describes_its_target_and_selector(store):
    d = resource.describe(store, BASE, MENTION.value)
    assert {p.value.rpartition("#")[2] for p in d.parts} == {"target", "selector"}
    assert ox.Triple(n("mention/lib/one/abc#selector"), RDF.value, lit("t=12.5,20")) in d.triples


def test_unknown_iris_raise_and_graph_names_are_described(store):
    with pytest.raises(resource.UnknownResource, match="nothing is said"):
        resource.describe(store, BASE, BASE + "lecture/lib/none")
    assert not resource.exists(store, BASE, BASE + "lecture/lib/none")
    graph = resource.describe(store, BASE, D.value)
    assert ox.Triple(D, RDF.type, VOID.Dataset) in graph.triples
    size = next(t.object for t in graph.triples if t.predicate == VOID.triples)
    assert int(size.value) == len(list(store.quads_for_pattern(None, None, None, D)))


def test_inverse_links_are_counted_and_paged_in_iri_order(store):
    counts = {g.property: g.count for g in resource.inverse_counts(store, BASE, LIBRARY.value)}
    assert counts == {SCHEMA.holdingArchive: 120, SCHEMA.provider: 1}
    page = resource.inverse_page(store, BASE, LIBRARY.value, SCHEMA.holdingArchive, 100, 50)
    assert page.count == 120 and [s.value[-3:] for s in page.subjects] == [f"{i:03d}" for i in range(100, 120)]
    own = {g.property for g in resource.inverse_counts(store, BASE, LECTURE.value)}
    assert OA.hasTarget not in own  # the lecture's own #KeywordAssignment is part of it, not an inverse link
    with pytest.raises(ValueError):
        resource.inverse_page(store, BASE, LIBRARY.value, SCHEMA.holdingArchive, -1, 50)


def test_an_rdf_document_adds_a_bounded_sample_of_inverse_links(store):
    triples = resource.document(store, BASE, LIBRARY.value)
    inverse = [t for t in triples if t.object == LIBRARY and t.predicate == SCHEMA.holdingArchive]
    assert len(inverse) == resource.INVERSE_SAMPLE
    assert triples[0].subject == LIBRARY  # the resource's own triples come first


def test_every_syntax_says_the_same_thing_and_json_ld_has_our_context(store):
    triples = resource.document(store, BASE, LECTURE.value)
    graphs = {}
    for extension, fmt in syntax.SYNTAXES.items():
        graph = rdflib.Graph()
        graph.parse(data=syntax.write(triples, fmt, BASE), format={"ttl": "turtle", "jsonld": "json-ld", "nt": "nt", "rdf": "xml"}[extension])
        graphs[extension] = graph
    assert all(isomorphic(graphs["nt"], g) for g in graphs.values()) and len(graphs["nt"]) == len(set(triples))
    context = json.loads(syntax.write(triples, ox.RdfFormat.JSON_LD, BASE))["@context"]
    assert {"kg", "schema", "skos", "dcterms", "oa", "prov"} <= set(context) and context["kg"] == KG
    with pytest.raises(ValueError):
        syntax.write(triples, ox.RdfFormat.TRIG, BASE)


def test_connections_of_a_lecture_a_concept_and_a_holding(store):
    [use] = connections.lecture_concepts(store, BASE, LECTURE.value)
    assert (use.concept, use.rank, use.weight, use.knowledge_point) == (KEYWORD.value, 1, 1.0, False)
    assert [m.fragment for m in use.moments] == ["t=12.5,20"]
    [holding] = connections.lecture_holdings(store, BASE, LECTURE.value)
    assert (holding.target, holding.score, holding.evidence) == (HOLDING.value, 0.9, (KEYWORD.value,))
    [related] = connections.lecture_related(store, BASE, LECTURE.value)
    assert related.target.endswith("lecture/lib/two") and related.evidence == ("丝绸之路", "张骞")
    [lecture] = connections.concept_lectures(store, BASE, KEYWORD.value)
    assert (lecture.lecture, lecture.video, len(lecture.moments)) == (LECTURE.value, VIDEO.value, 1)
    [lead] = connections.holding_lectures(store, BASE, HOLDING.value)
    assert lead.lecture == LECTURE.value and lead.evidence == (KEYWORD.value,)
