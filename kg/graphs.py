"""Assemble every quad of a build, graph by graph (see ``kg.uris`` for the names).

- ``graph/vocabularies``: our ontology, the concept schemes, the concepts of
  the given SKOS vocabularies, and the CLC classes the data uses (with their
  broader classes up to the main classes, and all main classes);
- ``graph/{library}``: lectures, speakers, series, the library, holdings;
- ``graph/{library}/derived``: keywords, knowledge points, mentions, holding
  links and related lectures, each ``prov:wasGeneratedBy`` the build;
- ``graph/meta``: the build activity (inputs with SHA-256, parameters,
  software version, times) and a minimal dataset description.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from importlib import resources
from typing import Iterable, Iterator

import pyoxigraph as ox

from ingest import classification
from kg import __version__
from ingest.records import Analysis, Concept, Holding
from kg.describe import Describer
from kg.namespaces import DCTERMS, PROV, RDF, SCHEMA, VOID, XSD
from kg.settings import Settings
from kg.uris import Minter


def ontology(minter: Minter) -> Iterator[ox.Quad]:
    """Our vocabulary (``vocab/ontology.ttl``), resolved against ``{base}vocab/``."""
    graph = ox.NamedNode(minter.graph("vocabularies"))
    data = resources.files("vocab").joinpath("ontology.ttl").read_bytes()
    for triple in ox.parse(data, ox.RdfFormat.TURTLE, base_iri=minter.vocab):
        yield ox.Quad(triple.subject, triple.predicate, triple.object, graph)


def vocabulary_files(paths: Iterable, base: str, graph: ox.NamedNode) -> Iterator[ox.Quad]:
    """Every triple of the given SKOS files as they are (schemes, definitions, related, …)."""
    from ingest.vocabulary import rdf_format

    for path in paths:
        with open(path, "rb") as data:
            for triple in ox.parse(data, rdf_format(path), base_iri=base):
                yield ox.Quad(triple.subject, triple.predicate, triple.object, graph)


def clc_concept(minter: Minter, concept: Concept) -> Concept:
    """A CLC class record (notation as ``iri``) with our minted IRIs."""
    return replace(concept, iri=minter.clc(concept.iri), scheme=minter.scheme("clc"),
                   broader=tuple(minter.clc(b) for b in concept.broader))


def used_classes(holdings: Iterable[Holding], matches: dict[str, tuple[str, ...]], minter: Minter,
                 spoken: Iterable[str]) -> list[str]:
    """CLC notations the graph needs: used ones, their ancestors, and the main classes."""
    table = classification.classes()
    wanted = {n for n, c in table.items() if len(c.broader) == 0 or table.get(c.broader[0], c).broader == ()}
    notations = {n for h in holdings for n in h.clc}
    notations |= {minter.split(target)[1] for targets in matches.values() for target in targets
                  if target.startswith(minter.clc(""))}
    notations |= set(spoken)
    for notation in notations:
        concept = classification.lookup(notation)
        if concept:
            wanted.update(classification.ancestors(concept.iri))
    return sorted(wanted)


def shared_quads(describer: Describer, settings: Settings, analyses: list[Analysis], holdings: list[Holding],
                 vocabulary_paths: list, matches: dict[str, tuple[str, ...]], inputs: list[tuple[str, str]],
                 when: tuple[float, float], library_names: dict[str, str] | None = None) -> Iterator[ox.Quad]:
    """Vocabularies, libraries and provenance: everything but the lectures' and the holdings' own quads.

    Reads only the lectures' libraries and knowledge points, not their transcripts, and only the holdings'
    libraries and classes. ``library_names``: the registered libraries' names (``kg.libraries``); the
    build's own library is ``settings.library_name``.
    """
    m = describer.m
    vocabularies = ox.NamedNode(m.graph("vocabularies"))
    yield from ontology(m)
    yield from describer.schemes(vocabularies)
    yield from vocabulary_files(vocabulary_paths, m.base, vocabularies)
    spoken = {m.split(p.concept)[1] for a in analyses for p in a.knowledge_points if p.concept.startswith(m.clc(""))}
    table = classification.classes()
    for notation in used_classes(holdings, matches, m, spoken):
        yield from describer.concept(clc_concept(m, table[notation]), vocabularies)

    names = {**(library_names or {}), settings.library: settings.library_name}
    libraries = sorted({a.lecture.library for a in analyses} | {h.library for h in holdings if h.library} | {settings.library})
    for library in libraries:
        yield from describer.library(library, names.get(library, library))
    yield from provenance(describer, settings, inputs, when)


def holding_quads(describer: Describer, own_library: str, holdings: Iterable[Holding]) -> Iterator[ox.Quad]:
    """The book records, each in its library's graph (``own_library``: the build's, for records without one)."""
    for holding in holdings:
        yield from describer.holding(holding.library or own_library, holding)


def lecture_quads(describer: Describer, analysis: Analysis) -> Iterator[ox.Quad]:
    """One lecture's description (library graph) and what was derived from it (derived graph)."""
    yield from describer.lecture(analysis)
    yield from describer.derived(analysis)


def provenance(describer: Describer, settings: Settings, inputs: list[tuple[str, str]],
               when: tuple[float, float]) -> Iterator[ox.Quad]:
    """The build activity, its inputs and software, and the dataset it generated."""
    m, activity = describer.m, describer.activity
    graph = ox.NamedNode(m.graph("meta"))
    software = ox.NamedNode(m.base + "software/opencourse-kg")
    dataset = ox.NamedNode(m.base + "dataset")

    def stamp(seconds: float) -> ox.Literal:
        return ox.Literal(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds)), datatype=XSD.dateTime)

    yield ox.Quad(activity, RDF.type, PROV.Activity, graph)
    yield ox.Quad(activity, PROV.startedAtTime, stamp(when[0]), graph)
    yield ox.Quad(activity, PROV.endedAtTime, stamp(when[1]), graph)
    yield ox.Quad(activity, PROV.wasAssociatedWith, software, graph)
    parameters = json.dumps({"keywords_per_lecture": settings.keywords_per_lecture,
                             "holdings_per_lecture": settings.holdings_per_lecture,
                             "related_per_lecture": settings.related_per_lecture}, sort_keys=True)
    yield ox.Quad(activity, describer.kg("parameters"), ox.Literal(parameters), graph)
    yield ox.Quad(software, RDF.type, PROV.SoftwareAgent, graph)
    yield ox.Quad(software, RDF.type, SCHEMA.SoftwareApplication, graph)
    yield ox.Quad(software, SCHEMA.name, ox.Literal("opencourse-kg"), graph)
    yield ox.Quad(software, SCHEMA.softwareVersion, ox.Literal(__version__), graph)
    for name, sha in inputs:
        entity = ox.NamedNode(f"{activity.value}#input-{sha[:16]}")
        yield ox.Quad(activity, PROV.used, entity, graph)
        yield ox.Quad(entity, RDF.type, PROV.Entity, graph)
        yield ox.Quad(entity, DCTERMS.title, ox.Literal(name), graph)
        yield ox.Quad(entity, describer.kg("sha256"), ox.Literal(sha), graph)
    yield ox.Quad(dataset, RDF.type, VOID.Dataset, graph)
    yield ox.Quad(dataset, DCTERMS.title, ox.Literal("公开课知识图谱", language="zh-Hans"), graph)
    yield ox.Quad(dataset, DCTERMS.title, ox.Literal("Open-course knowledge graph", language="en"), graph)
    yield ox.Quad(dataset, DCTERMS.modified, stamp(when[1]), graph)
    yield ox.Quad(dataset, PROV.wasGeneratedBy, activity, graph)
    yield ox.Quad(dataset, VOID.uriSpace, ox.Literal(m.base), graph)
