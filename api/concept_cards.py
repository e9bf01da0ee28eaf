"""``/api/concepts/{path}/card`` and ``/api/holdings/{library}/{id}/card``: the network beyond a lecture, as JSON.

A concept is named by its path under the base URI, whatever its shape:
``keyword/{label}`` (percent-encoded, e.g. ``keyword/%E4%B8%9D%E7%BB%B8%E4%B9%8B%E8%B7%AF``),
``thesaurus/{slug}``, ``clc/{notation}``; the card is the concept ``{base}{path}``.
Anything that is not a ``skos:Concept`` is a 404, as is anything that is not a
holding (``schema:Book``). The lists of lectures and holdings are complete and
carry ``total`` (``next`` is always null: nothing is paged or capped).
Responses carry the same strong ``ETag`` / 304 and ``Cache-Control`` as the
lecture card (``api.cards``).
"""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from api.cards import Formats, _with_reader_links
from api import caching
from api.errors import ApiError
from kg import concept_cards

router = APIRouter(tags=["cards"])


class Label(BaseModel):
    value: str
    language: str | None = Field(description="BCP 47 tag, null when untagged")


class Link(BaseModel):
    uri: str
    label: str | None


class ConceptLecture(BaseModel):
    id: str | None
    library: str | None
    uri: str
    title: str | None
    rank: int = Field(description="best kg:rank of the concept's assignments to this lecture, 1 = strongest")
    times: list[tuple[float, float]] = Field(description="[start_s, end_s] of every mention of the concept, in order")


class ConceptLectures(BaseModel):
    total: int
    next: str | None = Field(None, description="always null: the list is complete")
    items: list[ConceptLecture]


class ConceptHolding(BaseModel):
    uri: str
    title: str | None
    creators: list[str]
    year: str | None
    isbn: str | None
    call_number: str | None
    publisher: str | None
    score: float | None = Field(description="best kg:score of the holding links through this concept; null if none")
    via: list[str] = Field(description="'subject' (dcterms:subject) and/or 'link' (kg:HoldingLink kg:matchedKeyword)")
    links: dict[str, str] = Field(description="'record', and 'opac' / 'openurl' when configured")


class ConceptHoldings(BaseModel):
    total: int
    next: str | None = Field(None, description="always null: the list is complete")
    items: list[ConceptHolding]


class ConceptCard(BaseModel):
    uri: str
    label: str | None = Field(description="best label (zh-Hans → zh → untagged → en → any)")
    labels: list[Label] = Field(description="every skos:prefLabel")
    alt_labels: list[Label] = Field(description="every skos:altLabel")
    definition: str | None
    notation: str | None
    scheme: str | None
    types: list[str]
    broader: list[Link]
    narrower: list[Link]
    lectures: ConceptLectures
    holdings: ConceptHoldings
    formats: Formats


class Class(BaseModel):
    uri: str
    label: str | None
    notation: str | None


class HoldingLecture(BaseModel):
    id: str | None
    library: str | None
    uri: str
    title: str | None
    score: float
    matched: list[str] = Field(description="labels of the concepts that matched (kg:matchedKeyword)")


class HoldingLectures(BaseModel):
    total: int
    next: str | None = Field(None, description="always null: the list is complete")
    items: list[HoldingLecture]


class HoldingCard(BaseModel):
    uri: str
    id: str | None
    library: str | None
    title: str | None
    other_titles: list[str]
    creators: list[str]
    publisher: str | None
    place: str | None
    year: str | None
    isbn: str | None
    call_number: str | None
    language: str | None
    subjects: list[str] = Field(description="subject headings (dc:subject)")
    classes: list[Class] = Field(description="classes (dcterms:subject concepts)")
    lectures: HoldingLectures = Field(description="lectures that lead to the holding (kg:HoldingLink), best score first")
    links: dict[str, str] = Field(description="'record' (the holding's page), 'opac' (KG_OPAC_PATTERN), "
                                  "'openurl' (Z39.88-2004 link to KG_OPENURL_RESOLVER)")
    formats: Formats


def _formats(iri: str) -> Formats:
    return Formats(html=iri + ".html", turtle=iri + ".ttl", jsonld=iri + ".jsonld")


@router.get("/api/concepts/{path:path}/card", response_model=ConceptCard, summary="A concept's knowledge card",
            responses={404: {"description": "not a concept"}, 304: {"description": "not modified"}})
def concept_card(path: str, request: Request) -> Response:
    """``path`` is the concept's path under the base URI: ``keyword/{label}``, ``thesaurus/{slug}``, ``clc/{notation}``."""
    store, base = request.app.state.dataset.store(), request.app.state.minter.base
    iri = concept_cards.concept_iri(base, path)

    def check() -> None:
        if not concept_cards.is_concept(store, base, iri):
            raise ApiError(404, f"no concept '{path}' in this dataset")

    def answer() -> ConceptCard:
        found = concept_cards.concept_card(store, base, iri)  # UnknownResource → 404 (api.errors)
        holdings = [_with_reader_links(h, request) for h in found.holdings]
        fields = {f.name: getattr(found, f.name) for f in dataclasses.fields(found)}
        fields["lectures"] = ConceptLectures(total=len(found.lectures),
                                             items=[ConceptLecture(**dataclasses.asdict(x)) for x in found.lectures])
        fields["holdings"] = ConceptHoldings(total=len(holdings),
                                             items=[ConceptHolding(**dataclasses.asdict(x)) for x in holdings])
        for name in ("labels", "alt_labels", "broader", "narrower"):
            fields[name] = [dataclasses.asdict(x) for x in fields[name]]
        return ConceptCard(**fields, formats=_formats(iri))

    return caching.answer(request, answer, check)


@router.get("/api/holdings/{library}/{holding_id}/card", response_model=HoldingCard, summary="A holding's card",
            responses={404: {"description": "no such holding"}, 304: {"description": "not modified"}})
def holding_card(library: str, holding_id: str, request: Request) -> Response:
    store, base = request.app.state.dataset.store(), request.app.state.minter.base
    iri = request.app.state.minter.holding(library, holding_id)

    def check() -> None:
        if not concept_cards.is_holding(store, base, iri):
            raise ApiError(404, f"no holding '{holding_id}' of library '{library}' in this dataset")

    def answer() -> HoldingCard:
        found = _with_reader_links(concept_cards.holding_card(store, base, iri), request)  # UnknownResource → 404
        fields = {f.name: getattr(found, f.name) for f in dataclasses.fields(found)}
        fields["lectures"] = HoldingLectures(total=len(found.lectures),
                                             items=[HoldingLecture(**dataclasses.asdict(x)) for x in found.lectures])
        fields["classes"] = [dataclasses.asdict(x) for x in found.classes]
        return HoldingCard(**fields, formats=_formats(iri))

    return caching.answer(request, answer, check)
