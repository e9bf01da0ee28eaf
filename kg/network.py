"""The neighbourhood of a lecture, concept or holding as a small network: nodes and typed edges.

The network view of the pages draws it; ``/api/network`` serves it. It is a
projection of the cards (``kg.cards``, ``kg.concept_cards``), so it shows the
same facts, in the same order:

- a **lecture**: its keywords and knowledge points, the holdings linked to it
  and its related lectures; plus the edges between those neighbours that the
  cards state — a holding to the concepts it was matched on, a related lecture
  to the concepts it shares with the centre;
- a **concept**: the lectures it is assigned to, the holdings about it, its
  broader and narrower concepts;
- a **holding**: the lectures that lead to it and its classes.

Each kind of neighbour is cut at ``limit`` (best first); ``totals`` says how
many there are, so the view can say "12 of 40" instead of hiding the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from kg import cards, concept_cards
from kg.resource import UnknownResource

DEFAULT_LIMIT = 12


class NotInNetwork(UnknownResource):
    """The IRI is neither a lecture, a concept nor a holding of this dataset."""

    kind = "lecture, concept or holding"


@dataclass(frozen=True)
class Node:
    uri: str
    label: str | None
    kind: str  # lecture, keyword, knowledge_point, concept, holding, class


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str  # keyword, knowledge_point, holding, related, matched, shared, mentions, about, broader, narrower, class
    weight: float | None = None


@dataclass(frozen=True)
class Network:
    center: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    totals: dict[str, int] = field(default_factory=dict)  # neighbours of each kind before the cut


class _Builder:
    def __init__(self, center: Node) -> None:
        self.center = center.uri
        self.nodes: dict[str, Node] = {center.uri: center}
        self.edges: dict[tuple[str, str, str], Edge] = {}
        self.totals: dict[str, int] = {}

    def node(self, uri: str, label: str | None, kind: str) -> None:
        self.nodes.setdefault(uri, Node(uri, label, kind))

    def edge(self, source: str, target: str, kind: str, weight: float | None = None) -> None:
        if source != target and source in self.nodes and target in self.nodes:
            self.edges.setdefault((source, target, kind), Edge(source, target, kind, weight))

    def network(self) -> Network:
        return Network(self.center, tuple(self.nodes.values()), tuple(self.edges.values()), self.totals)


def kind_of(store: ox.Store, base: str, iri: str) -> str:
    """``lecture``, ``concept`` or ``holding``. Raises NotInNetwork when ``iri`` is none of them."""
    if cards.is_lecture(store, base, iri):
        return "lecture"
    if concept_cards.is_concept(store, base, iri):
        return "concept"
    if concept_cards.is_holding(store, base, iri):
        return "holding"
    raise NotInNetwork(iri)


def check(store: ox.Store, base: str, iri: str) -> None:
    """Raises NotInNetwork unless ``iri`` is a lecture, concept or holding."""
    kind_of(store, base, iri)


def neighbourhood(store: ox.Store, base: str, iri: str, limit: int = DEFAULT_LIMIT) -> Network:
    """The network around ``iri``. Raises NotInNetwork when it is no lecture, concept or holding."""
    kind = kind_of(store, base, iri)
    if kind == "lecture":
        return _lecture(cards.lecture_card(store, base, iri), limit)
    if kind == "concept":
        return _concept(concept_cards.concept_card(store, base, iri), limit)
    return _holding(concept_cards.holding_card(store, base, iri), limit)


def _lecture(card: cards.Card, limit: int) -> Network:
    net = _Builder(Node(card.uri, card.title, "lecture"))
    by_label: dict[str, str] = {}
    for kind, concepts in (("keyword", card.keywords), ("knowledge_point", card.knowledge_points)):
        net.totals[kind] = len(concepts)
        for concept in concepts[:limit]:
            net.node(concept.uri, concept.label, kind)
            net.edge(card.uri, concept.uri, kind, concept.weight)
            if concept.label:
                by_label.setdefault(concept.label, concept.uri)
    net.totals["holding"] = len(card.holdings)
    for holding in card.holdings[:limit]:
        net.node(holding.uri, holding.title, "holding")
        net.edge(card.uri, holding.uri, "holding", holding.score)
        for label in holding.matched:
            if label in by_label:
                net.edge(holding.uri, by_label[label], "matched")
    net.totals["related"] = len(card.related)
    for other in card.related[:limit]:
        net.node(other.uri, other.title, "lecture")
        net.edge(card.uri, other.uri, "related", other.score)
        for label in other.shared:
            if label in by_label:
                net.edge(other.uri, by_label[label], "shared")
    return net.network()


def _concept(card: concept_cards.ConceptCard, limit: int) -> Network:
    net = _Builder(Node(card.uri, card.label, "concept"))
    net.totals["lecture"] = len(card.lectures)
    for lecture in card.lectures[:limit]:
        net.node(lecture.uri, lecture.title, "lecture")
        net.edge(lecture.uri, card.uri, "mentions", 1.0 / lecture.rank if lecture.rank else None)
    net.totals["holding"] = len(card.holdings)
    for holding in card.holdings[:limit]:
        net.node(holding.uri, holding.title, "holding")
        net.edge(holding.uri, card.uri, "about", holding.score)
    for kind, links in (("broader", card.broader), ("narrower", card.narrower)):
        net.totals[kind] = len(links)
        for link in links[:limit]:
            net.node(link.uri, link.label, "concept")
            net.edge(card.uri, link.uri, kind)
    return net.network()


def _holding(card: concept_cards.HoldingCard, limit: int) -> Network:
    net = _Builder(Node(card.uri, card.title, "holding"))
    net.totals["lecture"] = len(card.lectures)
    for lecture in card.lectures[:limit]:
        net.node(lecture.uri, lecture.title, "lecture")
        net.edge(lecture.uri, card.uri, "holding", lecture.score)
    net.totals["class"] = len(card.classes)
    for klass in card.classes[:limit]:
        label = f"{klass.notation} {klass.label}" if klass.notation and klass.label else (klass.label or klass.notation)
        net.node(klass.uri, label, "class")
        net.edge(card.uri, klass.uri, "class")
    return net.network()
