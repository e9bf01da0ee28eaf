"""Records → RDF quads, with standard vocabularies first.

- a lecture is a ``schema:VideoObject`` and ``schema:LearningResource`` in its
  library's graph, with speakers (``schema:Person``), series
  (``schema:CreativeWorkSeries``) and library (``schema:Library``);
- a holding is a ``schema:Book`` (Dublin Core for names and subjects, CLC
  classes as ``dcterms:subject``, LCC as a ``dcterms:LCC``-typed literal);
- in the library's *derived* graph: keywords as SKOS concepts, a
  ``kg:KeywordAssignment`` / ``kg:KnowledgePointAssignment`` per lecture and
  concept (weight, occurrences), a ``kg:Mention`` per time span (a Web
  Annotation whose target is the video with a Media Fragments selector),
  ``kg:HoldingLink`` and ``kg:LectureRelation`` qualified relations with
  score and evidence, plus the ``kg:suggestedHolding`` / ``kg:relatedLecture``
  shortcuts; everything derived is ``prov:wasGeneratedBy`` the build activity.

No blank nodes: every node has a minted IRI (hash IRIs for the parts of a
mention), so two builds of the same input give the same quads.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Mapping

import pyoxigraph as ox

from ingest import classification
from ingest.records import Analysis, Concept, Holding, Keyword
from kg.namespaces import DC, DCTERMS, MEDIA_FRAGMENTS, OA, PROV, RDF, SCHEMA, SKOS, XSD
from kg.publications import Stamp
from kg.uris import Minter

Quad = ox.Quad


def _text(value: str, language: str | None = None) -> ox.Literal:
    return ox.Literal(value, language=language) if language else ox.Literal(value)


def _number(value: float) -> str:
    """Seconds or scores with at most three decimals, no trailing zeros: 0, 14.5, 0.125."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _decimal(value: float) -> ox.Literal:
    return ox.Literal(_number(value), datatype=XSD.decimal)


def _integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=XSD.integer)


def _duration(seconds: float) -> ox.Literal:
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + f"{secs}S"
    return ox.Literal(text, datatype=XSD.duration)


def _date(value: str) -> ox.Literal:
    return ox.Literal(value, datatype=XSD.date if len(value) == 10 else XSD.dateTime)


class Describer:
    """Turns records into quads for one base URI and one build activity."""

    def __init__(self, minter: Minter, activity: str, holdings_library: str,
                 publications: Mapping[tuple[str, str], Stamp] | None = None) -> None:
        self.m = minter
        self.holdings_library = holdings_library
        self.publications = publications or {}  # (library, lecture id) → who published it over HTTP, and when
        self.activity = ox.NamedNode(activity)
        self._terms: dict[str, ox.NamedNode] = {}

    def kg(self, name: str) -> ox.NamedNode:
        """A term of our vocabulary (made once per name)."""
        term = self._terms.get(name)
        if term is None:
            term = self._terms[name] = ox.NamedNode(self.m.term(name))
        return term

    # --- a library's own data -------------------------------------------------

    def library(self, library: str, name: str) -> Iterator[Quad]:
        node, graph = ox.NamedNode(self.m.library(library)), ox.NamedNode(self.m.graph(library))
        yield Quad(node, RDF.type, SCHEMA.Library, graph)
        yield Quad(node, SCHEMA.name, _text(name, "zh"), graph)
        yield Quad(node, DCTERMS.identifier, _text(library), graph)

    def lecture(self, analysis: Analysis) -> Iterator[Quad]:
        lecture, transcript = analysis.lecture, analysis.transcript
        graph = ox.NamedNode(self.m.graph(lecture.library))
        node = ox.NamedNode(self.m.lecture(lecture.library, lecture.id))
        lang = lecture.language

        def add(predicate: ox.NamedNode, obj: ox.Term) -> Quad:
            return Quad(node, predicate, obj, graph)

        yield add(RDF.type, SCHEMA.VideoObject)
        yield add(RDF.type, SCHEMA.LearningResource)
        yield add(DCTERMS.identifier, _text(lecture.id))
        yield add(SCHEMA.name, _text(lecture.title, lang))
        yield add(SCHEMA.inLanguage, _text(lang))
        yield add(SCHEMA.provider, ox.NamedNode(self.m.library(lecture.library)))
        yield add(SCHEMA.transcript, _text(transcript.text, lang))
        yield add(self.kg("subtitleFormat"), _text(transcript.format))
        yield add(self.kg("subtitleEncoding"), _text(transcript.encoding))
        yield add(self.kg("cueCount"), _integer(len(transcript.cues)))
        if lecture.description:
            yield add(SCHEMA.description, _text(lecture.description, lang))
        if lecture.date:
            yield add(SCHEMA.datePublished, _date(lecture.date))
        duration = lecture.duration or (transcript.cues[-1].end if transcript.cues else None)
        if duration:
            yield add(SCHEMA.duration, _duration(duration))
        if lecture.video:
            yield add(SCHEMA.contentUrl, ox.NamedNode(lecture.video))
        for name in lecture.speakers:
            person = ox.NamedNode(self.m.person(name))
            yield add(SCHEMA.creator, person)
            yield Quad(person, RDF.type, SCHEMA.Person, graph)
            yield Quad(person, SCHEMA.name, _text(name), graph)
        if lecture.series:
            series = ox.NamedNode(self.m.series(lecture.library, lecture.series))
            yield add(SCHEMA.isPartOf, series)
            yield Quad(series, RDF.type, SCHEMA.CreativeWorkSeries, graph)
            yield Quad(series, SCHEMA.name, _text(lecture.series, lang), graph)
            yield Quad(series, SCHEMA.hasPart, node, graph)
        stamp = self.publications.get((lecture.library, lecture.id))
        if stamp:
            yield from self._publication(node, lecture.library, stamp, graph)

    def _publication(self, lecture: ox.NamedNode, library: str, stamp: Stamp, graph: ox.NamedNode) -> Iterator[Quad]:
        """PROV-O of a write over HTTP: the library published the lecture at a time, from a file with a digest."""
        activity = ox.NamedNode(self.m.publication(library, stamp.activity))
        agent = ox.NamedNode(self.m.library(stamp.by))
        upload = ox.NamedNode(activity.value + "#subtitles")
        at = ox.Literal(stamp.at, datatype=XSD.dateTime)
        yield Quad(lecture, PROV.wasGeneratedBy, activity, graph)
        yield Quad(lecture, PROV.wasAttributedTo, agent, graph)
        yield Quad(lecture, DCTERMS.modified, at, graph)
        yield Quad(activity, RDF.type, PROV.Activity, graph)
        yield Quad(activity, RDF.type, self.kg("Publication"), graph)
        yield Quad(activity, PROV.wasAssociatedWith, agent, graph)
        yield Quad(activity, PROV.endedAtTime, at, graph)
        yield Quad(activity, PROV.used, upload, graph)
        yield Quad(upload, RDF.type, PROV.Entity, graph)
        yield Quad(upload, DCTERMS.title, _text(stamp.filename), graph)
        yield Quad(upload, self.kg("sha256"), _text(stamp.sha256), graph)

    def holding(self, library: str, holding: Holding) -> Iterator[Quad]:
        graph = ox.NamedNode(self.m.graph(library))
        node = ox.NamedNode(self.m.holding(library, holding.id))

        def add(predicate: ox.NamedNode, obj: ox.Term) -> Quad:
            return Quad(node, predicate, obj, graph)

        yield add(RDF.type, SCHEMA.Book)
        yield add(DCTERMS.identifier, _text(holding.id))
        yield add(SCHEMA.name, _text(holding.title))
        yield add(SCHEMA.holdingArchive, ox.NamedNode(self.m.library(library)))
        yield add(self.kg("recordFormat"), _text(holding.format))
        yield add(self.kg("sourceRecord"), _text(holding.source))
        yield from (add(SCHEMA.alternateName, _text(t)) for t in holding.other_titles)
        yield from (add(DC.creator, _text(c)) for c in holding.creators)
        yield from (add(SCHEMA.isbn, _text(i)) for i in holding.isbns)
        yield from (add(DC.subject, _text(s)) for s in holding.subjects)
        for notation in holding.clc:  # the nearest class the table lists (records carry finer numbers)
            concept = classification.lookup(notation)
            if concept:
                yield add(DCTERMS.subject, ox.NamedNode(self.m.clc(concept.notation or concept.iri)))
        yield from (add(DCTERMS.subject, ox.Literal(c, datatype=DCTERMS.LCC)) for c in holding.lcc)
        optional = (
            (DC.publisher, holding.publisher), (self.kg("placeOfPublication"), holding.place),
            (SCHEMA.datePublished, holding.year), (SCHEMA.inLanguage, holding.language),
            (self.kg("callNumber"), holding.call_number), (DCTERMS.isPartOf, holding.series),
            (SCHEMA.identifier, f"lccn:{holding.lccn}" if holding.lccn else None),
        )
        yield from (add(p, _text(v)) for p, v in optional if v)

    # --- what the pipeline derived ---------------------------------------------

    def derived(self, analysis: Analysis) -> Iterator[Quad]:
        lecture = analysis.lecture
        graph = ox.NamedNode(self.m.graph(lecture.library, "derived"))
        node = ox.NamedNode(self.m.lecture(lecture.library, lecture.id))
        source = ox.NamedNode(lecture.video) if lecture.video else node
        for rank, keyword in enumerate(analysis.keywords, start=1):
            concept = ox.NamedNode(self.m.keyword(keyword.key))
            yield from self.keyword_concept(keyword, graph, lecture.language)
            yield Quad(node, SCHEMA.keywords, concept, graph)
            yield from self._assignment("KeywordAssignment", node, concept, graph, rank, keyword.weight, keyword.count)
            yield from self._mentions(lecture.library, lecture.id, source, concept, keyword.spans, graph)
        for rank, point in enumerate(analysis.knowledge_points, start=1):
            concept = ox.NamedNode(point.concept)
            yield Quad(node, SCHEMA.about, concept, graph)
            yield from self._assignment("KnowledgePointAssignment", node, concept, graph, rank, None, len(point.spans))
            yield from self._mentions(lecture.library, lecture.id, source, concept, point.spans, graph)
        for rank, link in enumerate(analysis.holdings, start=1):
            yield from self._holding_link(analysis, rank, link, graph)
        for rank, relation in enumerate(analysis.related, start=1):
            yield from self._relation(analysis, rank, relation, graph)

    def keyword_concept(self, keyword: Keyword, graph: ox.NamedNode, language: str) -> Iterator[Quad]:
        concept = ox.NamedNode(self.m.keyword(keyword.key))
        yield Quad(concept, RDF.type, SKOS.Concept, graph)
        yield Quad(concept, RDF.type, SCHEMA.DefinedTerm, graph)
        yield Quad(concept, SKOS.inScheme, ox.NamedNode(self.m.scheme("keywords")), graph)
        yield Quad(concept, SKOS.prefLabel, _text(keyword.key, "zh-Hans"), graph)
        if keyword.label != keyword.key:
            yield Quad(concept, SKOS.altLabel, _text(keyword.label, language), graph)
        if keyword.concept:
            yield Quad(concept, SKOS.exactMatch, ox.NamedNode(keyword.concept), graph)

    def _assignment(self, kind: str, lecture: ox.NamedNode, concept: ox.NamedNode, graph: ox.NamedNode,
                    rank: int, weight: float | None, occurrences: int) -> Iterator[Quad]:
        node = ox.NamedNode(f"{lecture.value}#{kind}-{rank}")
        yield Quad(node, RDF.type, self.kg(kind), graph)
        yield Quad(node, RDF.type, OA.Annotation, graph)
        yield Quad(node, OA.motivatedBy, OA.tagging, graph)
        yield Quad(node, OA.hasTarget, lecture, graph)
        yield Quad(node, OA.hasBody, concept, graph)
        yield Quad(node, self.kg("rank"), _integer(rank), graph)
        yield Quad(node, self.kg("occurrences"), _integer(occurrences), graph)
        if weight is not None:
            yield Quad(node, self.kg("weight"), _decimal(weight), graph)
        yield Quad(node, PROV.wasGeneratedBy, self.activity, graph)

    def _mentions(self, library: str, lecture_id: str, source: ox.NamedNode, concept: ox.NamedNode,
                  spans: Iterable, graph: ox.NamedNode) -> Iterator[Quad]:
        """16 quads per span: the hot loop of the load, so every term that does not vary is made once."""
        lecture = ox.NamedNode(self.m.lecture(library, lecture_id))
        a, activity, generated = RDF.type, self.activity, PROV.wasGeneratedBy
        mention, annotation, body, target_of = self.kg("Mention"), OA.Annotation, OA.hasBody, OA.hasTarget
        motivated, identifying, part_of = OA.motivatedBy, OA.identifying, DCTERMS.isPartOf
        start_at, end_at, estimated = self.kg("start"), self.kg("end"), self.kg("estimatedTime")
        specific, has_source, has_selector = OA.SpecificResource, OA.hasSource, OA.hasSelector
        fragment_selector, conforms, value = OA.FragmentSelector, DCTERMS.conformsTo, RDF.value
        true = ox.Literal("true", datatype=XSD.boolean)
        for span in spans:
            iri = self.m.mention(library, lecture_id, concept.value, span.start)
            node, target, selector = ox.NamedNode(iri), ox.NamedNode(iri + "#target"), ox.NamedNode(iri + "#selector")
            start, end = _number(span.start), _number(span.end)
            yield Quad(node, a, mention, graph)
            yield Quad(node, a, annotation, graph)
            yield Quad(node, motivated, identifying, graph)
            yield Quad(node, body, concept, graph)
            yield Quad(node, target_of, target, graph)
            yield Quad(node, part_of, lecture, graph)
            yield Quad(node, start_at, ox.Literal(start, datatype=XSD.decimal), graph)
            yield Quad(node, end_at, ox.Literal(end, datatype=XSD.decimal), graph)
            if span.estimated:
                yield Quad(node, estimated, true, graph)
            yield Quad(node, generated, activity, graph)
            yield Quad(target, a, specific, graph)
            yield Quad(target, has_source, source, graph)
            yield Quad(target, has_selector, selector, graph)
            yield Quad(selector, a, fragment_selector, graph)
            yield Quad(selector, conforms, MEDIA_FRAGMENTS, graph)
            yield Quad(selector, value, ox.Literal(f"t={start},{end}"), graph)

    def _holding_link(self, analysis: Analysis, rank: int, link, graph: ox.NamedNode) -> Iterator[Quad]:
        lecture = analysis.lecture
        node = ox.NamedNode(self.m.link(lecture.library, lecture.id, link.holding))
        source = ox.NamedNode(self.m.lecture(lecture.library, lecture.id))
        holding = ox.NamedNode(self.m.holding(link.library or self.holdings_library, link.holding))
        yield Quad(source, self.kg("suggestedHolding"), holding, graph)
        yield Quad(node, RDF.type, self.kg("HoldingLink"), graph)
        yield Quad(node, self.kg("lecture"), source, graph)
        yield Quad(node, self.kg("holding"), holding, graph)
        yield Quad(node, self.kg("rank"), _integer(rank), graph)
        yield Quad(node, self.kg("score"), _decimal(link.score), graph)
        yield Quad(node, self.kg("rawScore"), _decimal(link.raw_score), graph)
        for key in link.matched:
            yield Quad(node, self.kg("matchedKeyword"), self._matched_concept(analysis, key), graph)
        yield from (Quad(node, self.kg("matchedField"), _text(f), graph) for f in link.fields)
        yield Quad(node, PROV.wasGeneratedBy, self.activity, graph)

    def _matched_concept(self, analysis: Analysis, key: str) -> ox.NamedNode:
        for point in analysis.knowledge_points:
            if key == point.concept:
                return ox.NamedNode(point.concept)
        return ox.NamedNode(self.m.keyword(key))

    def _relation(self, analysis: Analysis, rank: int, relation, graph: ox.NamedNode) -> Iterator[Quad]:
        lecture = analysis.lecture
        node = ox.NamedNode(self.m.relation(lecture.library, lecture.id, relation.other))
        source = ox.NamedNode(self.m.lecture(lecture.library, lecture.id))
        other = ox.NamedNode(self.m.lecture(*relation.other))
        yield Quad(source, self.kg("relatedLecture"), other, graph)
        yield Quad(node, RDF.type, self.kg("LectureRelation"), graph)
        yield Quad(node, self.kg("lecture"), source, graph)
        yield Quad(node, self.kg("relatedTo"), other, graph)
        yield Quad(node, self.kg("rank"), _integer(rank), graph)
        yield Quad(node, self.kg("score"), _decimal(relation.score), graph)
        yield Quad(node, self.kg("sharedLabels"), _text(" | ".join(relation.shared)), graph)
        yield from (Quad(node, self.kg("sharedLabel"), _text(label), graph) for label in relation.shared)
        yield Quad(node, PROV.wasGeneratedBy, self.activity, graph)

    # --- vocabularies ------------------------------------------------------------

    def concept(self, concept: Concept, graph: ox.NamedNode) -> Iterator[Quad]:
        """A SKOS concept; one without broader concepts is a top concept of its scheme."""
        node = ox.NamedNode(concept.iri)
        yield Quad(node, RDF.type, SKOS.Concept, graph)
        yield from (Quad(node, SKOS.prefLabel, _text(text, lang or None), graph) for lang, text in concept.pref_labels)
        yield from (Quad(node, SKOS.altLabel, _text(text, lang or None), graph) for lang, text in concept.alt_labels)
        if concept.notation:
            yield Quad(node, SKOS.notation, _text(concept.notation), graph)
        for broader in concept.broader:
            yield Quad(node, SKOS.broader, ox.NamedNode(broader), graph)
            yield Quad(ox.NamedNode(broader), SKOS.narrower, node, graph)
        if concept.scheme:
            scheme = ox.NamedNode(concept.scheme)
            yield Quad(node, SKOS.inScheme, scheme, graph)
            if not concept.broader:
                yield Quad(node, SKOS.topConceptOf, scheme, graph)
                yield Quad(scheme, SKOS.hasTopConcept, node, graph)

    def schemes(self, graph: ox.NamedNode) -> Iterator[Quad]:
        for name, zh, en in (("clc", "中国图书馆分类法", "Chinese Library Classification"),
                             ("keywords", "讲座关键词", "Lecture keywords")):
            node = ox.NamedNode(self.m.scheme(name))
            yield Quad(node, RDF.type, SKOS.ConceptScheme, graph)
            yield Quad(node, SKOS.prefLabel, _text(zh, "zh-Hans"), graph)
            yield Quad(node, SKOS.prefLabel, _text(en, "en"), graph)
