"""Concept and holding cards: the network beyond one lecture, read from the store for the JSON API.

A *concept card* (a keyword, a thesaurus knowledge point or a CLC class, any
``skos:Concept``) gives its labels, broader and narrower concepts, the
lectures it is assigned to (keyword or knowledge-point assignments whose
``oa:hasBody`` is the concept) with the moments it is said there (``kg:Mention``
with ``oa:hasBody`` the concept, ``dcterms:isPartOf`` the lecture), and the
holdings about it: books whose ``dcterms:subject`` is the concept, or that a
``kg:HoldingLink`` reaches through it (``kg:matchedKeyword``).

A *holding card* (a ``schema:Book``) gives the record summary, its classes and
the lectures that lead to it (``kg:HoldingLink``), best score first, with the
labels of the concepts that matched.

As in ``kg.cards``: every query is a named ``.rq`` file (``card_*``) run with
``substitutions=``, one group starting from the bound variable; the code walks
from node to node. Lists are complete. Errors: ``UnknownConcept`` and
``UnknownHolding`` (``LookupError``s); the store's own errors pass through.
This module knows nothing of HTTP.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.cards import Labels, _identify, _preferred_text, _text, holding_facts, holding_summary
from kg.labels import language_rank
from kg.namespaces import DC, DCTERMS, RDF, SCHEMA, SKOS
from kg.resource import UnknownResource, query
from kg.uris import Minter, segment


class UnknownConcept(UnknownResource):
    """The IRI names no ``skos:Concept`` in this dataset."""

    kind = "concept"


class UnknownHolding(UnknownResource):
    """The IRI names no holding (``schema:Book``) in this dataset."""

    kind = "holding"


@dataclass(frozen=True)
class Label:
    value: str
    language: str | None


@dataclass(frozen=True)
class Link:
    """A node and its best label."""

    uri: str
    label: str | None


@dataclass(frozen=True)
class ConceptLecture:
    """A lecture a concept is assigned to; ``rank`` is the best ``kg:rank`` of its assignments there."""

    id: str | None
    library: str | None
    uri: str
    title: str | None
    rank: int
    times: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class ConceptHolding:
    """A holding about a concept; ``via`` says how (``subject``, ``link``); ``score`` is the best link's."""

    uri: str
    title: str | None
    creators: tuple[str, ...]
    year: str | None
    isbn: str | None
    call_number: str | None
    publisher: str | None
    score: float | None
    via: tuple[str, ...]
    links: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ConceptCard:
    uri: str
    label: str | None
    labels: tuple[Label, ...]
    alt_labels: tuple[Label, ...]
    definition: str | None
    notation: str | None
    scheme: str | None
    types: tuple[str, ...]
    broader: tuple[Link, ...]
    narrower: tuple[Link, ...]
    lectures: tuple[ConceptLecture, ...]
    holdings: tuple[ConceptHolding, ...]


@dataclass(frozen=True)
class Class:
    uri: str
    label: str | None
    notation: str | None


@dataclass(frozen=True)
class HoldingLecture:
    id: str | None
    library: str | None
    uri: str
    title: str | None
    score: float
    matched: tuple[str, ...]


@dataclass(frozen=True)
class HoldingCard:
    uri: str
    id: str | None
    library: str | None
    title: str | None
    other_titles: tuple[str, ...]
    creators: tuple[str, ...]
    publisher: str | None
    place: str | None
    year: str | None
    isbn: str | None
    call_number: str | None
    language: str | None
    subjects: tuple[str, ...]
    classes: tuple[Class, ...]
    lectures: tuple[HoldingLecture, ...]
    links: dict[str, str] = field(default_factory=dict)


def concept_iri(base: str, path: str) -> str:
    """The IRI ``{base}{path}`` with each segment of ``path`` percent-encoded as the minter does.

    ``path`` is the decoded path under the base (``keyword/丝绸之路``, ``clc/K248``).
    """
    return base + "/".join(segment(part) for part in path.split("/"))


def _node_facts(store: ox.Store, base: str, node: ox.NamedNode) -> dict[str, list[ox.Term]]:
    facts: dict[str, list[ox.Term]] = defaultdict(list)
    for row in query(store, "card_node", base, node=node):
        facts[row["property"].value].append(row["value"])
    return facts


def is_concept(store: ox.Store, base: str, iri: str) -> bool:
    return SKOS.Concept in _node_facts(store, base, ox.NamedNode(iri)).get(RDF.type.value, [])


def is_holding(store: ox.Store, base: str, iri: str) -> bool:
    return SCHEMA.Book in _node_facts(store, base, ox.NamedNode(iri)).get(RDF.type.value, [])


def concept_card(store: ox.Store, base: str, iri: str) -> ConceptCard:
    """The card of the concept ``iri``. Raises UnknownConcept when it is not a ``skos:Concept``."""
    concept = ox.NamedNode(iri)
    facts = _node_facts(store, base, concept)
    if SKOS.Concept not in facts.get(RDF.type.value, []):
        raise UnknownConcept(iri)
    labels = Labels(store, base)
    return ConceptCard(
        uri=iri, label=labels(concept),
        labels=_labels(facts.get(SKOS.prefLabel.value, [])), alt_labels=_labels(facts.get(SKOS.altLabel.value, [])),
        definition=_preferred_text(facts.get(SKOS.definition.value, [])),
        notation=_smallest(facts.get(SKOS.notation.value, [])), scheme=_smallest(facts.get(SKOS.inScheme.value, [])),
        types=tuple(sorted(t.value for t in facts.get(RDF.type.value, []) if isinstance(t, ox.NamedNode))),
        broader=_links(facts.get(SKOS.broader.value, []), labels),
        narrower=_links(facts.get(SKOS.narrower.value, []), labels),
        lectures=concept_lectures(store, base, concept, labels),
        holdings=concept_holdings(store, base, concept, labels),
    )


def concept_lectures(store: ox.Store, base: str, concept: ox.NamedNode, labels: Labels) -> tuple[ConceptLecture, ...]:
    """The lectures the concept is assigned to, best rank first, with the times it is said in each."""
    ranks: dict[str, int] = {}
    nodes: dict[str, ox.NamedNode] = {}
    for row in query(store, "card_concept_assignments", base, concept=concept):
        lecture, rank = row["lecture"], int(row["rank"].value)
        nodes[lecture.value] = lecture
        ranks[lecture.value] = min(rank, ranks.get(lecture.value, rank))
    times: dict[str, set[tuple[float, float]]] = defaultdict(set)
    for row in query(store, "card_concept_mentions", base, concept=concept):
        times[row["lecture"].value].add((float(row["start"].value), float(row["end"].value)))
    found = []
    for uri in sorted(ranks, key=lambda u: (ranks[u], -len(times.get(u, ())), u)):
        library, lecture_id = _identify(base, uri)
        found.append(ConceptLecture(id=lecture_id, library=library, uri=uri, title=labels(nodes[uri]), rank=ranks[uri],
                                    times=tuple(sorted(times.get(uri, ())))))
    return tuple(found)


def concept_holdings(store: ox.Store, base: str, concept: ox.NamedNode, labels: Labels) -> tuple[ConceptHolding, ...]:
    """Holdings whose subject is the concept or that a holding link reaches through it; best score first."""
    found: dict[str, dict] = {}
    for row in query(store, "card_concept_subject_holdings", base, concept=concept):
        if isinstance(row["holding"], ox.NamedNode):
            found.setdefault(row["holding"].value, {"node": row["holding"], "score": None, "via": set()})["via"].add("subject")
    for row in query(store, "card_concept_holding_links", base, concept=concept):
        entry = found.setdefault(row["holding"].value, {"node": row["holding"], "score": None, "via": set()})
        entry["via"].add("link")
        score = float(row["score"].value)
        entry["score"] = score if entry["score"] is None else max(score, entry["score"])
    ordered = sorted(found.values(), key=lambda e: (e["score"] is None, -(e["score"] or 0), e["node"].value))
    result = []
    for entry in ordered:
        h = holding_summary(base, entry["node"], holding_facts(store, base, entry["node"]), entry["score"] or 0.0, 0,
                            (), labels)
        result.append(ConceptHolding(uri=h.uri, title=h.title, creators=h.creators, year=h.year, isbn=h.isbn,
                                     call_number=h.call_number, publisher=h.publisher, score=entry["score"],
                                     via=tuple(sorted(entry["via"])), links=dict(h.links)))
    return tuple(result)


def holding_card(store: ox.Store, base: str, iri: str) -> HoldingCard:
    """The card of the holding ``iri``. Raises UnknownHolding when it is not a ``schema:Book``."""
    node = ox.NamedNode(iri)
    facts = _node_facts(store, base, node)
    if SCHEMA.Book not in facts.get(RDF.type.value, []):
        raise UnknownHolding(iri)
    labels = Labels(store, base)
    parts = Minter(base).split(iri)
    library, holding_id = (parts[1], parts[2]) if parts and len(parts) == 3 and parts[0] == "holding" else (None, None)
    year = _smallest(facts.get(SCHEMA.datePublished.value, []))
    match = re.search(r"\d{4}", year or "")
    classes = []
    for term in sorted({t for t in facts.get(DCTERMS.subject.value, []) if isinstance(t, ox.NamedNode)}, key=str):
        class_facts = _node_facts(store, base, term)
        classes.append(Class(uri=term.value, label=labels(term), notation=_smallest(class_facts.get(SKOS.notation.value, []))))
    return HoldingCard(
        uri=iri, id=_smallest(facts.get(DCTERMS.identifier.value, [])) or holding_id, library=library,
        title=labels(node), other_titles=_values(facts.get(SCHEMA.alternateName.value, [])),
        creators=_values(facts.get(DC.creator.value, [])), publisher=_smallest(facts.get(DC.publisher.value, [])),
        place=_smallest(facts.get(base + "vocab/placeOfPublication", [])),
        year=match.group(0) if match else year, isbn=_smallest(facts.get(SCHEMA.isbn.value, [])),
        call_number=_smallest(facts.get(base + "vocab/callNumber", [])),
        language=_smallest(facts.get(SCHEMA.inLanguage.value, [])),
        subjects=_values(facts.get(DC.subject.value, [])), classes=tuple(classes),
        lectures=holding_lectures(store, base, node, labels), links={"record": iri + ".html"},
    )


def holding_lectures(store: ox.Store, base: str, holding: ox.NamedNode, labels: Labels) -> tuple[HoldingLecture, ...]:
    """The lectures that lead to the holding (``kg:HoldingLink``), best score first, with the matched labels."""
    found: dict[str, dict] = {}
    for row in query(store, "card_holding_lectures", base, holding=holding):
        entry = found.setdefault(row["lecture"].value, {"node": row["lecture"], "score": float(row["score"].value),
                                                        "matched": []})
        entry["score"] = max(entry["score"], float(row["score"].value))
        if row["matched"] is not None and (label := labels(row["matched"])) and label not in entry["matched"]:
            entry["matched"].append(label)
    result = []
    for entry in sorted(found.values(), key=lambda e: (-e["score"], e["node"].value)):
        library, lecture_id = _identify(base, entry["node"].value)
        result.append(HoldingLecture(id=lecture_id, library=library, uri=entry["node"].value, title=labels(entry["node"]),
                                     score=entry["score"], matched=tuple(entry["matched"])))
    return tuple(result)


def _labels(terms: list[ox.Term]) -> tuple[Label, ...]:
    literals = {(t.value, t.language or None) for t in terms if isinstance(t, ox.Literal)}
    return tuple(Label(value, language) for value, language in
                 sorted(literals, key=lambda vl: (language_rank(vl[1] or ""), vl[1] or "", vl[0])))


def _links(terms: list[ox.Term], labels: Labels) -> tuple[Link, ...]:
    return tuple(Link(t.value, labels(t)) for t in sorted({t for t in terms if isinstance(t, ox.NamedNode)}, key=str))


def _smallest(terms: list[ox.Term]) -> str | None:
    return _text(min(terms, key=str, default=None))


def _values(terms: list[ox.Term]) -> tuple[str, ...]:
    return tuple(sorted({t.value for t in terms if isinstance(t, ox.Literal)}))
