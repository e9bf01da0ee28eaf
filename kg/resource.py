"""What the store says about one URI: the description a resource document carries.

A description is Concise-Bounded-Description-like, adapted to our hash IRIs:

1. every triple with the resource as subject, from every graph;
2. every triple about its *parts*: hash IRIs ``<resource#…>`` (a mention's
   ``#target`` and ``#selector``, a lecture's ``#KeywordAssignment-N``) and
   blank nodes — the hash parts that point at the resource, and whatever
   parts the resource or a part already described points to, transitively,
   at most ``MAX_PARTS`` of them. The hash never reaches the server, so the
   document of ``<resource>`` must describe ``<resource#…>``;
3. the labels (``skos:prefLabel``, ``rdfs:label``, ``schema:name``,
   ``dcterms:title``) of every node those triples point to;
4. for a named graph (``graph/…``): ``void:Dataset`` and ``void:triples``;
   for the vocabulary namespace (``vocab/``): every term of the ontology.

RDF documents add a bounded sample of inverse links (``document``): for each
property pointing at the resource, the first ``INVERSE_SAMPLE`` subjects in
IRI order, with their labels. HTML pages page through all of them with counts
(``inverse_counts`` and ``inverse_page``).

Every query is a named ``.rq`` file in ``sparql/queries/`` (``resource_*``);
values go in by ``substitutions=``. Oxigraph 0.5 plans a query before it
applies the substitutions, so each query is one group that starts from the
bound variable (a ``UNION`` joined to further patterns took seconds, not
milliseconds); the code, not the query, walks from node to node. Errors: ``UnknownResource`` (a
``LookupError``) when nothing is said about the URI; the store's own
``OSError``/``RuntimeError`` pass through.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import islice
from typing import Iterable

import pyoxigraph as ox

from kg.labels import LABEL_PROPERTIES, label_of
from kg.namespaces import RDF, VOID, XSD
from kg.remote import bind

MAX_PARTS = 500
INVERSE_SAMPLE = 50

Node = ox.NamedNode | ox.BlankNode


class UnknownResource(LookupError):
    """No triple has the IRI as subject and no graph has it as name.

    Subclasses set ``kind`` when the IRI names something, just not a thing of
    that kind (``UnknownLecture`` in ``kg.cards``…).
    """

    kind = ""

    def __init__(self, iri: str) -> None:
        self.iri = iri
        what = f"no {self.kind} <{iri}>" if self.kind else f"nothing is said about <{iri}>"
        super().__init__(f"{what} in this dataset")


@dataclass(frozen=True)
class Description:
    """The triples about one resource and its parts (see the module docstring)."""

    iri: str
    triples: tuple[ox.Triple, ...]
    parts: tuple[Node, ...] = ()

    def about(self, subject: Node) -> list[ox.Triple]:
        """The triples with ``subject`` as subject, in a stable order."""
        return sorted((t for t in self.triples if t.subject == subject), key=_triple_key)

    def labels(self) -> dict[str, ox.Literal]:
        """The best label (by the fallback rule) of every node the description names."""
        found: dict[str, dict[ox.NamedNode, list[ox.Literal]]] = defaultdict(lambda: defaultdict(list))
        for t in self.triples:
            if t.predicate in LABEL_PROPERTIES and isinstance(t.object, ox.Literal):
                found[_key(t.subject)][t.predicate].append(t.object)
        return {node: label for node, values in found.items() if (label := label_of(values)) is not None}

    def types(self) -> list[ox.NamedNode]:
        """The resource's ``rdf:type`` values."""
        subject = ox.NamedNode(self.iri)
        return sorted({t.object for t in self.triples if t.subject == subject and t.predicate == RDF.type
                       and isinstance(t.object, ox.NamedNode)}, key=lambda n: n.value)


@dataclass(frozen=True)
class InverseGroup:
    """How many distinct subjects point at the resource through ``property``."""

    property: ox.NamedNode
    count: int


@dataclass(frozen=True)
class InversePage:
    """One page of the subjects pointing at the resource through one property."""

    property: ox.NamedNode
    subjects: tuple[Node, ...]
    offset: int
    count: int


def query(store: ox.Store, name: str, base: str, **bindings: ox.NamedNode | ox.BlankNode | ox.Literal,
          ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    """Run the named query ``sparql/queries/{name}.rq`` with ``bindings`` substituted.

    ``base`` resolves the relative IRIs of the query (``PREFIX kg: <vocab/>``).
    IRIs and literals are bound by a ``VALUES`` block at the start of the
    WHERE group (``kg.remote.bind``) rather than pyoxigraph's
    ``substitutions=``: Oxigraph's planner starts from a leading ``VALUES``,
    while a substituted variable still leaves it scanning the whole store —
    a card's queries took 1.7 s instead of a few ms on 8 M triples
    (``python -m bench.scale``). Blank nodes can only be substituted.
    Raises FileNotFoundError for an unknown name, SyntaxError for a broken query.
    """
    substitutions = {ox.Variable(variable): term for variable, term in bindings.items()}
    if substitutions and not any(isinstance(term, ox.BlankNode) for term in substitutions.values()):
        return store.query(bind(_text(name), substitutions), base_iri=base, use_default_graph_as_union=True)
    return store.query(_text(name), base_iri=base, substitutions=substitutions, use_default_graph_as_union=True)


@lru_cache(maxsize=64)
def _text(name: str) -> str:
    return resources.files("sparql").joinpath("queries", f"{name}.rq").read_text(encoding="utf-8")


def exists(store: ox.Store, base: str, iri: str) -> bool:
    """Whether the store says anything about ``iri`` (as subject or graph name); False when it is no valid IRI."""
    try:
        node = ox.NamedNode(iri)
    except ValueError:  # control characters, spaces…: no such IRI can be in the store
        return False
    return bool(query(store, "resource_exists", base, resource=node)) or _is_graph(store, base, node)


def _is_graph(store: ox.Store, base: str, node: ox.NamedNode) -> bool:
    return bool(query(store, "resource_graph_exists", base, resource=node))


def describe(store: ox.Store, base: str, iri: str) -> Description:
    """The description of ``iri``. Raises UnknownResource when the store says nothing about it."""
    node = ox.NamedNode(iri)
    triples = set(_subject_triples(store, base, node))
    triples |= _inward_parts(store, base, node)
    parts = _follow_parts(store, base, iri, triples)
    if _is_graph(store, base, node):
        triples |= _graph_triples(store, base, node)
    if iri == base + "vocab/":
        triples |= set(query(store, "resource_ontology", base))
    if not triples:
        raise UnknownResource(iri)
    return Description(iri, tuple(sorted(triples, key=_triple_key)), tuple(parts))


def _subject_triples(store: ox.Store, base: str, subject: Node) -> Iterable[ox.Triple]:
    return query(store, "resource_description", base, subject=subject)


def _inward_parts(store: ox.Store, base: str, node: ox.NamedNode) -> set[ox.Triple]:
    found: set[ox.Triple] = set()
    for row in query(store, "resource_inward_parts", base, resource=node):
        found.add(ox.Triple(row["part"], row["predicate"], row["object"]))
        if row["label"] is not None:
            found.add(ox.Triple(row["object"], row["labelling"], row["label"]))
    return found


def _follow_parts(store: ox.Store, base: str, iri: str, triples: set[ox.Triple]) -> list[Node]:
    """Describe every part reachable from the triples found so far (adds to ``triples``)."""
    described = {t.subject for t in triples if is_part(t.subject, iri)}
    frontier = [t.object for t in triples if is_part(t.object, iri) and t.object not in described]
    while frontier and len(described) < MAX_PARTS:
        part = frontier.pop()
        if part in described:
            continue
        described.add(part)
        for triple in _subject_triples(store, base, part):
            triples.add(triple)
            if triple.subject == part and is_part(triple.object, iri) and triple.object not in described:
                frontier.append(triple.object)
    return sorted(described, key=_key)


def is_part(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple, iri: str) -> bool:
    """Whether ``term`` belongs to the document of ``iri``: a hash IRI ``<iri#…>`` or a blank node."""
    return isinstance(term, ox.BlankNode) or (isinstance(term, ox.NamedNode) and term.value.startswith(iri + "#"))


def _graph_triples(store: ox.Store, base: str, node: ox.NamedNode) -> set[ox.Triple]:
    rows = list(query(store, "resource_graph_size", base, resource=node))
    size = rows[0]["triples"] if rows else ox.Literal("0", datatype=XSD.integer)
    return {ox.Triple(node, RDF.type, VOID.Dataset), ox.Triple(node, VOID.triples, size)}


def inverse_counts(store: ox.Store, base: str, iri: str) -> list[InverseGroup]:
    """For each property pointing at ``iri`` (its own parts excluded), how many subjects do."""
    rows = query(store, "resource_inverse_counts", base, resource=ox.NamedNode(iri))
    groups = [InverseGroup(row["property"], int(row["count"].value)) for row in rows]
    return sorted(groups, key=lambda g: g.property.value)


def inverse_page(store: ox.Store, base: str, iri: str, prop: ox.NamedNode, offset: int, limit: int,
                 count: int | None = None) -> InversePage:
    """Subjects ``offset`` … ``offset + limit`` (IRI order) pointing at ``iri`` through ``prop``.

    Raises ValueError for a negative offset or a limit below 1.
    """
    if offset < 0 or limit < 1:
        raise ValueError(f"offset must be ≥ 0 and limit ≥ 1 (got {offset}, {limit})")
    rows = query(store, "resource_inverse", base, resource=ox.NamedNode(iri), property=prop)
    subjects = tuple(row["subject"] for row in islice(rows, offset, offset + limit))
    if count is None:
        count = next((g.count for g in inverse_counts(store, base, iri) if g.property == prop), 0)
    return InversePage(prop, subjects, offset, count)


def label_triples(store: ox.Store, base: str, nodes: Iterable[Node]) -> set[ox.Triple]:
    """The labelling triples (see ``kg.labels.LABEL_PROPERTIES``) of each node."""
    return {ox.Triple(node, row["labelling"], row["label"])
            for node in set(nodes) for row in query(store, "resource_labels", base, node=node)}


def labels(store: ox.Store, base: str, nodes: Iterable[Node]) -> dict[str, ox.Literal]:
    """The best label of each node that has one (keyed by IRI, or ``_:id`` for a blank node)."""
    return Description("", tuple(label_triples(store, base, nodes))).labels()


def document(store: ox.Store, base: str, iri: str) -> list[ox.Triple]:
    """The triples of a resource's RDF documents: its description plus a sample of inverse links.

    Raises UnknownResource when the store says nothing about ``iri``.
    """
    description = describe(store, base, iri)
    triples = set(description.triples)
    node = ox.NamedNode(iri)
    for group in inverse_counts(store, base, iri):
        page = inverse_page(store, base, iri, group.property, 0, INVERSE_SAMPLE, group.count)
        triples.update(ox.Triple(subject, group.property, node) for subject in page.subjects)
        triples |= label_triples(store, base, page.subjects)
    return sorted(triples, key=lambda t: (_reading_order(t, iri), _triple_key(t)))


def _reading_order(triple: ox.Triple, iri: str) -> int:
    """The resource's own triples first, then its parts', then labels and inverse links."""
    if triple.subject == ox.NamedNode(iri):
        return 0
    return 1 if is_part(triple.subject, iri) else 2


def _key(node: Node | ox.Literal | ox.Triple) -> str:
    return f"_:{node.value}" if isinstance(node, ox.BlankNode) else str(getattr(node, "value", node))


def _triple_key(triple: ox.Triple) -> tuple[str, str, str]:
    return (_key(triple.subject), triple.predicate.value, str(triple.object))
