"""The derived connections a reader wants beside a description.

Read from the qualified nodes the pipeline writes (``kg:KeywordAssignment``,
``kg:KnowledgePointAssignment``, ``kg:Mention``, ``kg:HoldingLink``,
``kg:LectureRelation``):

- a lecture's keywords and knowledge points, with the times each is said;
- the holdings a lecture leads to, with score and matched keywords;
- the lectures related to a lecture, with the labels they share;
- the lectures that mention a concept (keyword, thesaurus or CLC class);
- the lectures that lead to a holding.

Each function runs one named query (``sparql/queries/resource_*.rq``) and
returns small frozen records in display order. Store errors pass through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import pyoxigraph as ox

from kg.resource import query


@dataclass(frozen=True)
class Moment:
    """Where in the video something is said, in seconds."""

    start: float
    end: float

    @property
    def fragment(self) -> str:
        """The Media Fragments time range, e.g. ``t=120.5,135``."""
        return f"t={self.start:g},{self.end:g}"


@dataclass(frozen=True)
class ConceptUse:
    """A keyword or knowledge point of a lecture, with its rank and the times it is said."""

    concept: str
    knowledge_point: bool
    rank: int
    weight: float | None
    moments: tuple[Moment, ...] = ()


@dataclass(frozen=True)
class ScoredLink:
    """A scored link between a lecture and something else (a holding, another lecture)."""

    lecture: str
    target: str
    score: float
    rank: int
    evidence: tuple[str, ...] = field(default=())  # matched keyword IRIs, or shared labels


@dataclass(frozen=True)
class LectureUse:
    """A lecture that mentions a concept: the concept's rank there, its video and the times."""

    lecture: str
    rank: int
    video: str | None
    moments: tuple[Moment, ...] = ()


def lecture_concepts(store: ox.Store, base: str, lecture: str) -> list[ConceptUse]:
    """Keywords (first) and knowledge points of ``lecture``, by rank, each with its moments."""
    uses: dict[tuple[bool, str], dict] = {}
    moments: dict[str, list[Moment]] = {}
    for row in query(store, "resource_lecture_concepts", base, lecture=ox.NamedNode(lecture)):
        if row["kind"] is None:  # a mention row
            _add_moment(moments.setdefault(row["concept"].value, []), row)
            continue
        knowledge = row["kind"].value.endswith("KnowledgePointAssignment")
        uses.setdefault((knowledge, row["concept"].value), {
            "concept": row["concept"].value, "knowledge_point": knowledge, "rank": _int(row["rank"]),
            "weight": _float(row["weight"])})
    ordered = sorted(uses.values(), key=lambda u: (u["knowledge_point"], u["rank"]))
    return [ConceptUse(**u, moments=tuple(moments.get(u["concept"], ()))) for u in ordered]


def lecture_holdings(store: ox.Store, base: str, lecture: str) -> list[ScoredLink]:
    """The holdings ``lecture`` leads to, best first; evidence: the matched keyword IRIs."""
    rows = query(store, "resource_lecture_holdings", base, lecture=ox.NamedNode(lecture))
    return _scored(((lecture, row["holding"].value, row) for row in rows), "matched")


def holding_lectures(store: ox.Store, base: str, holding: str) -> list[ScoredLink]:
    """The lectures that lead to ``holding``, best score first; evidence: matched keyword IRIs."""
    rows = query(store, "resource_holding_lectures", base, holding=ox.NamedNode(holding))
    links = _scored(((row["lecture"].value, holding, row) for row in rows), "matched")
    return sorted(links, key=lambda link: (-link.score, link.lecture))


def lecture_related(store: ox.Store, base: str, lecture: str) -> list[ScoredLink]:
    """Lectures related to ``lecture``, best first; evidence: the shared labels, strongest first."""
    links = []
    for row in query(store, "resource_lecture_related", base, lecture=ox.NamedNode(lecture)):
        shared = tuple(p.strip() for p in row["shared"].value.split(" | ")) if row["shared"] else ()
        links.append(ScoredLink(lecture, row["other"].value, _float(row["score"]) or 0.0, _int(row["rank"]), shared))
    return sorted(links, key=lambda link: link.rank)


def concept_lectures(store: ox.Store, base: str, concept: str) -> list[LectureUse]:
    """The lectures that mention ``concept``, in IRI order, each with its moments."""
    uses: dict[str, dict] = {}
    moments: dict[str, list[Moment]] = {}
    for row in query(store, "resource_concept_lectures", base, concept=ox.NamedNode(concept)):
        if row["rank"] is None:  # a mention row
            _add_moment(moments.setdefault(row["lecture"].value, []), row)
            continue
        video = row["video"]
        uses.setdefault(row["lecture"].value, {
            "lecture": row["lecture"].value, "rank": _int(row["rank"]),
            "video": video.value if isinstance(video, ox.NamedNode) else None})
    ordered = sorted(uses.values(), key=lambda u: u["lecture"])
    return [LectureUse(**u, moments=tuple(moments.get(u["lecture"], ()))) for u in ordered]


def _scored(rows: Iterable[tuple[str, str, ox.QuerySolution]], evidence: str) -> list[ScoredLink]:
    grouped: dict[tuple[str, str], dict] = {}
    for lecture, target, row in rows:
        link = grouped.setdefault((lecture, target), {
            "lecture": lecture, "target": target, "score": _float(row["score"]) or 0.0,
            "rank": _int(row["rank"]), "evidence": []})
        if row[evidence] is not None and row[evidence].value not in link["evidence"]:
            link["evidence"].append(row[evidence].value)
    ordered = sorted(grouped.values(), key=lambda link: link["rank"])
    return [ScoredLink(**{**link, "evidence": tuple(link["evidence"])}) for link in ordered]


def _add_moment(moments: list[Moment], row: ox.QuerySolution) -> None:
    start, end = _float(row["start"]), _float(row["end"])
    if start is not None and end is not None and Moment(start, end) not in moments:
        moments.append(Moment(start, end))


def _int(term: ox.Literal | None) -> int:
    return int(term.value) if term is not None else 0


def _float(term: ox.Literal | None) -> float | None:
    try:
        return float(term.value) if term is not None else None
    except ValueError:
        return None
