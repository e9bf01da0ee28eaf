"""Knowledge cards: what one lecture is about, read from the store for the JSON API.

A card gathers a lecture's metadata, its keywords and knowledge points (with
the moments each is said), the holdings it leads to (with the concepts that
matched) and the lectures related to it (with the labels they share). Lists
follow the ``kg:rank`` of the assignments, links and relations. Labels follow
the project's fallback (``kg.labels``: zh-Hans → zh → untagged → en → any).

Every query is a named ``.rq`` file in ``sparql/queries/`` (``card_*``), run
through ``kg.resource.query`` with values bound by ``substitutions=``; each is
one group starting from the bound variable, and the code, not the query,
walks from node to node. Errors: ``UnknownLecture`` (a ``LookupError``) when
the IRI is not a lecture; the store's own ``OSError``/``RuntimeError`` pass
through. This module knows nothing of HTTP.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

import pyoxigraph as ox

from kg.labels import label_of
from kg.namespaces import DC, DCTERMS, RDF, SCHEMA
from kg.resource import UnknownResource, query
from kg.uris import Minter

SHARED_SEPARATOR = " | "
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


class UnknownLecture(UnknownResource):
    """The IRI names no lecture (no ``schema:VideoObject``) in this dataset."""

    kind = "lecture"


@dataclass(frozen=True)
class Speaker:
    name: str | None
    uri: str


@dataclass(frozen=True)
class Concept:
    """A keyword or knowledge point of a lecture; ``times`` are ``(start, end)`` seconds."""

    label: str | None
    uri: str
    rank: int
    weight: float | None = None
    scheme: str | None = None
    times: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Holding:
    uri: str
    title: str | None
    creators: tuple[str, ...]
    year: str | None
    isbn: str | None
    call_number: str | None
    publisher: str | None
    score: float
    rank: int
    matched: tuple[str, ...]
    links: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Related:
    id: str | None
    library: str | None
    uri: str
    title: str | None
    score: float
    rank: int
    shared: tuple[str, ...]


@dataclass(frozen=True)
class Card:
    id: str | None
    library: str | None
    uri: str
    title: str | None
    speakers: tuple[Speaker, ...]
    series: str | None
    series_uri: str | None
    date: str | None
    duration: float | None
    video: str | None
    description: str | None
    keywords: tuple[Concept, ...]
    knowledge_points: tuple[Concept, ...]
    holdings: tuple[Holding, ...]
    related: tuple[Related, ...]


class Labels:
    """The best label of nodes, each looked up once (``card_labels.rq``).

    ``for_lecture`` fetches the labels of every node a lecture's card names in
    one query (``card_all_labels.rq``); a node it did not cover is still
    looked up on its own.
    """

    def __init__(self, store: ox.Store, base: str) -> None:
        self.store, self.base = store, base
        self._found: dict[str, str | None] = {}

    @classmethod
    def for_lecture(cls, store: ox.Store, base: str, lecture: ox.NamedNode) -> "Labels":
        labels = cls(store, base)
        labels._keep(query(store, "card_all_labels", base, lecture=lecture))
        return labels

    def __call__(self, node: ox.NamedNode | ox.BlankNode) -> str | None:
        key = str(node)
        if key not in self._found:
            self._keep(query(self.store, "card_labels", self.base, node=node))
            self._found.setdefault(key, None)  # no label at all
        return self._found[key]

    def _keep(self, rows: Iterable[ox.QuerySolution]) -> None:
        values: dict[str, dict[ox.NamedNode, list[ox.Literal]]] = defaultdict(lambda: defaultdict(list))
        for row in rows:
            values[str(row["node"])][row["labelling"]].append(row["label"])
        for key, found in values.items():
            label = label_of(found)
            self._found[key] = label.value if label is not None else None


def lecture_card(store: ox.Store, base: str, iri: str) -> Card:
    """The card of the lecture ``iri``. Raises UnknownLecture when it is not a lecture."""
    lecture = ox.NamedNode(iri)
    facts = _facts(store, base, lecture)
    if SCHEMA.VideoObject not in facts.get(RDF.type.value, []):
        raise UnknownLecture(iri)
    labels = Labels.for_lecture(store, base, lecture)
    keywords, points = concepts(store, base, lecture, labels)
    library, lecture_id = _identify(base, iri)
    series = _first(facts, SCHEMA.isPartOf)
    return Card(
        id=_text(_first(facts, DCTERMS.identifier)) or lecture_id, library=library, uri=iri,
        title=labels(lecture),
        speakers=tuple(Speaker(labels(p), p.value) for p in sorted(facts.get(SCHEMA.creator.value, []), key=str)
                       if isinstance(p, ox.NamedNode)),
        series=labels(series) if isinstance(series, ox.NamedNode) else _text(series),
        series_uri=series.value if isinstance(series, ox.NamedNode) else None,
        date=_text(_first(facts, SCHEMA.datePublished)), duration=duration_seconds(_text(_first(facts, SCHEMA.duration))),
        video=_text(_first(facts, SCHEMA.contentUrl)), description=_preferred_text(facts.get(SCHEMA.description.value, [])),
        keywords=keywords, knowledge_points=points,
        holdings=holdings(store, base, lecture, labels), related=related(store, base, iri, labels),
    )


def is_lecture(store: ox.Store, base: str, iri: str) -> bool:
    """Whether ``iri`` is a lecture (``schema:VideoObject``) in the store."""
    return SCHEMA.VideoObject in _facts(store, base, ox.NamedNode(iri)).get(RDF.type.value, [])


def concepts(store: ox.Store, base: str, lecture: ox.NamedNode, labels: Labels,
             ) -> tuple[tuple[Concept, ...], tuple[Concept, ...]]:
    """The lecture's (keywords, knowledge points), each in ``kg:rank`` order, with their times."""
    times = _mention_times(store, base, lecture)
    found: dict[str, dict[str, dict]] = {"KeywordAssignment": {}, "KnowledgePointAssignment": {}}
    for row in query(store, "card_assignments", base, lecture=lecture):
        kind = row["kind"].value.rsplit("/", 1)[-1]
        entry = found[kind].setdefault(row["assignment"].value, {"concept": row["concept"], "rank": int(row["rank"].value),
                                                                 "weight": _number(row["weight"]), "schemes": set()})
        if row["scheme"] is not None:
            entry["schemes"].add(row["scheme"].value)
    return tuple(tuple(
        Concept(labels(e["concept"]), e["concept"].value, e["rank"], e["weight"], min(e["schemes"], default=None),
                times.get(e["concept"].value, ()))
        for e in sorted(entries.values(), key=lambda e: (e["rank"], e["concept"].value)))
        for entries in found.values())


def _mention_times(store: ox.Store, base: str, lecture: ox.NamedNode) -> dict[str, tuple[tuple[float, float], ...]]:
    times: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in query(store, "card_mentions", base, lecture=lecture):
        times[row["concept"].value].append((float(row["start"].value), float(row["end"].value)))
    return {concept: tuple(sorted(set(spans))) for concept, spans in times.items()}


def holdings(store: ox.Store, base: str, lecture: ox.NamedNode, labels: Labels) -> tuple[Holding, ...]:
    """The holdings the lecture leads to, in ``kg:rank`` order, with the labels of the matched concepts."""
    links: dict[str, dict] = {}
    for row in query(store, "card_holding_links", base, lecture=lecture):
        entry = links.setdefault(row["link"].value, {"holding": row["holding"], "score": float(row["score"].value),
                                                     "rank": int(row["rank"].value), "matched": []})
        if row["matched"] is not None and (label := labels(row["matched"])) and label not in entry["matched"]:
            entry["matched"].append(label)
    facts: dict[str, dict[str, list[ox.Term]]] = defaultdict(lambda: defaultdict(list))
    if links:
        for row in query(store, "card_holdings", base, lecture=lecture):
            facts[row["holding"].value][row["property"].value].append(row["value"])
    ordered = sorted(links.values(), key=lambda e: (e["rank"], e["holding"].value))
    return tuple(holding_summary(base, e["holding"], facts[e["holding"].value], e["score"], e["rank"],
                                 tuple(e["matched"]), labels) for e in ordered)


def holding_facts(store: ox.Store, base: str, node: ox.NamedNode) -> dict[str, list[ox.Term]]:
    """What a holding's summary shows (``card_holding.rq``), by property IRI."""
    facts: dict[str, list[ox.Term]] = defaultdict(list)
    for row in query(store, "card_holding", base, holding=node):
        facts[row["property"].value].append(row["value"])
    return facts


def holding_summary(base: str, node: ox.NamedNode, facts: dict[str, list[ox.Term]], score: float, rank: int,
                    matched: tuple[str, ...], labels: Labels) -> Holding:
    """A holding's entry on a card, from its ``holding_facts`` (or the same rows of ``card_holdings.rq``)."""
    year = _text(_first(facts, SCHEMA.datePublished))
    match = re.search(r"\d{4}", year or "")
    return Holding(
        uri=node.value, title=labels(node), creators=tuple(sorted({v.value for v in facts.get(DC.creator.value, [])})),
        year=match.group(0) if match else year, isbn=_text(_first(facts, SCHEMA.isbn)),
        call_number=_text(_first(facts, ox.NamedNode(base + "vocab/callNumber"))),
        publisher=_text(_first(facts, DC.publisher)), score=score, rank=rank,
        matched=matched, links={"record": node.value + ".html"},
    )


def related(store: ox.Store, base: str, iri: str, labels: Labels | None = None) -> tuple[Related, ...]:
    """Every lecture related to ``iri``, in ``kg:rank`` order, with the labels they share (strongest first)."""
    labels = labels or Labels(store, base)
    found: dict[str, dict] = {}
    for row in query(store, "card_relations", base, lecture=ox.NamedNode(iri)):
        entry = found.setdefault(row["relation"].value, {"other": row["other"], "score": float(row["score"].value),
                                                         "rank": int(row["rank"].value), "ordered": None, "shared": set()})
        if row["ordered"] is not None:
            entry["ordered"] = row["ordered"].value
        if row["shared"] is not None:
            entry["shared"].add(row["shared"].value)
    return tuple(_related(base, e["other"], labels(e["other"]), e["score"], e["rank"], _shared(e["ordered"], e["shared"]))
                 for e in sorted(found.values(), key=lambda e: (e["rank"], e["other"].value)))


def _related(base: str, other: ox.NamedNode, title: str | None, score: float, rank: int,
             shared: tuple[str, ...]) -> Related:
    library, lecture_id = _identify(base, other.value)
    return Related(id=lecture_id, library=library, uri=other.value, title=title, score=score, rank=rank, shared=shared)


def _shared(ordered: str | None, labels: set[str]) -> tuple[str, ...]:
    """The ordered list from ``kg:sharedLabels``, then any ``kg:sharedLabel`` it lacks (sorted); each label once."""
    first = [label.strip() for label in (ordered or "").split(SHARED_SEPARATOR) if label.strip()]
    return tuple(dict.fromkeys(first + sorted(labels - set(first))))


def duration_seconds(value: str | None) -> float | None:
    """``PT8M43S`` → 523.0; None when absent or not an ISO 8601 duration of days/hours/minutes/seconds."""
    match = _DURATION.match(value or "")
    if not value or not match:
        return None
    days, hours, minutes, seconds = (float(part or 0) for part in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def _facts(store: ox.Store, base: str, lecture: ox.NamedNode) -> dict[str, list[ox.Term]]:
    facts: dict[str, list[ox.Term]] = defaultdict(list)
    for row in query(store, "card_lecture", base, lecture=lecture):
        facts[row["property"].value].append(row["value"])
    return facts


def _identify(base: str, iri: str) -> tuple[str | None, str | None]:
    """(library, id) of ``{base}lecture/{library}/{id}``, or (None, None) for another IRI."""
    parts = Minter(base).split(iri)
    return (parts[1], parts[2]) if parts and len(parts) == 3 and parts[0] == "lecture" else (None, None)


def _first(facts: dict[str, list[ox.Term]], prop: ox.NamedNode) -> ox.Term | None:
    return min(facts.get(prop.value, []), key=str, default=None)


def _text(term: ox.Term | None) -> str | None:
    return term.value if isinstance(term, (ox.Literal, ox.NamedNode)) else None


def _preferred_text(terms: list[ox.Term]) -> str | None:
    literals = [t for t in terms if isinstance(t, ox.Literal)]
    label = label_of({SCHEMA.name: literals}) if literals else None
    return label.value if label is not None else None


def _number(term: ox.Term | None) -> float | None:
    return float(term.value) if isinstance(term, ox.Literal) else None
