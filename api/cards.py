"""``/api/lectures/{library}/{id}/card`` and ``…/related``: knowledge cards as JSON for course websites.

The card gathers what ``kg.cards`` reads from the store; lists follow
``kg:rank``. ``related`` pages through every related lecture (``total``,
``items``, ``next`` cursor; nothing is silently capped). Responses carry a
strong ``ETag`` (the served build's fingerprint and the URL) answered with 304
on ``If-None-Match``, and ``Cache-Control: public, max-age=300``. An unknown
lecture is a 404 in the API's JSON error shape; a bad cursor or limit a 400.
Answers are cached by ETag (``api.caching``).

``/api/lectures/{id}/card`` and ``/api/lectures/{id}/related`` (without the
library) answer for the library given as ``?library=``, by default the
server's own (``KG_LIBRARY``): a course website of one library needs only the
lecture id.
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from api import caching, paging
from api.auth import registry
from api.errors import ApiError
from kg import cards
from kg.libraries import LibraryError
from kg.openurl import opac_link, openurl_link

router = APIRouter(prefix="/api/lectures", tags=["cards"])
MAX_LIMIT = 100
HoldingRecord = TypeVar("HoldingRecord")


class Speaker(BaseModel):
    name: str | None = Field(description="the speaker's label (zh-Hans → zh → untagged → en → any)")
    uri: str


class Concept(BaseModel):
    label: str | None
    uri: str
    rank: int = Field(description="kg:rank of the assignment, 1 = strongest")
    weight: float | None = Field(None, description="kg:weight of a keyword assignment")
    scheme: str | None = Field(None, description="skos:inScheme of the concept")
    times: list[tuple[float, float]] = Field(description="[start_s, end_s] of every mention, in order")


class Holding(BaseModel):
    uri: str
    title: str | None
    creators: list[str]
    year: str | None
    isbn: str | None
    call_number: str | None
    publisher: str | None
    score: float
    rank: int
    matched: list[str] = Field(description="labels of the concepts that matched (kg:matchedKeyword)")
    links: dict[str, str] = Field(description="where a reader gets the book: 'record' (the holding's page), "
                                  "'opac' (KG_OPAC_PATTERN), 'openurl' (Z39.88-2004 link to KG_OPENURL_RESOLVER)")


class Related(BaseModel):
    id: str | None
    library: str | None
    uri: str
    title: str | None
    score: float
    rank: int
    shared: list[str] = Field(description="labels the two lectures share, strongest first")


class Formats(BaseModel):
    html: str
    turtle: str
    jsonld: str


class Card(BaseModel):
    id: str | None
    library: str | None
    uri: str
    title: str | None
    speakers: list[Speaker]
    series: str | None
    series_uri: str | None
    date: str | None
    duration: float | None = Field(description="seconds")
    video: str | None
    description: str | None
    keywords: list[Concept]
    knowledge_points: list[Concept]
    holdings: list[Holding]
    related: list[Related]
    formats: Formats


class RelatedPage(BaseModel):
    lecture: str
    total: int
    limit: int
    cursor: str | None
    next: str | None = Field(description="cursor of the following page; null on the last page")
    items: list[Related]


@router.get("/{library}/{lecture_id}/card", response_model=Card, summary="A lecture's knowledge card",
            responses={404: {"description": "no such lecture"}, 304: {"description": "not modified"}})
def card(library: str, lecture_id: str, request: Request) -> Response:
    store, iri = _lecture(request, library, lecture_id)

    def answer() -> Card:
        found = cards.lecture_card(store, request.app.state.minter.base, iri)  # UnknownResource → 404 (api.errors)
        found = dataclasses.replace(found, holdings=tuple(_with_reader_links(h, request) for h in found.holdings))
        return Card(**dataclasses.asdict(found), formats=Formats(html=iri + ".html", turtle=iri + ".ttl", jsonld=iri + ".jsonld"))

    return caching.answer(request, answer, check=lambda: _must_exist(request, store, iri, library, lecture_id))


@router.get("/{lecture_id}/card", response_model=Card, summary="A lecture's knowledge card (library by query)",
            responses={404: {"description": "no such lecture"}, 304: {"description": "not modified"}})
def card_of_library(lecture_id: str, request: Request,
                    library: str | None = Query(None, description="the lecture's library (default: KG_LIBRARY)")) -> Response:
    return card(library or request.app.state.settings.library, lecture_id, request)


def _with_reader_links(holding: HoldingRecord, request: Request) -> HoldingRecord:
    """Add the OPAC and OpenURL links of the library holding the book.

    A registered library's own ``--opac-pattern`` / ``--openurl-resolver``
    (``kg library add``) for its holdings, else the settings' (KG_OPAC_PATTERN,
    KG_OPENURL_RESOLVER). ``holding`` is any dataclass with ``uri``, ``title``,
    ``creators``, ``isbn``, ``publisher``, ``year`` and ``links``
    (``kg.cards.Holding``, ``kg.concept_cards.ConceptHolding``, ``kg.concept_cards.HoldingCard``).
    """
    parts = request.app.state.minter.split(holding.uri) or ("",)
    opac, resolver = _reader_services(request, parts[1] if len(parts) == 3 and parts[0] == "holding" else None)
    extra = {
        "opac": opac_link(opac, parts[-1], holding.isbn),
        "openurl": openurl_link(resolver, holding.title, holding.creators, holding.isbn, holding.publisher, holding.year),
    }
    return dataclasses.replace(holding, links={**holding.links, **{k: v for k, v in extra.items() if v}})


def _reader_services(request: Request, library: str | None) -> tuple[str, str]:
    """(OPAC pattern, OpenURL resolver) for the holdings of ``library``: its registered ones, else the settings'."""
    settings = request.app.state.settings
    try:
        registered = registry(request).get(library) if library else None
    except LibraryError:
        registered = None  # an unreadable registry costs the links, not the card
    if registered is None:
        return settings.opac_pattern, settings.openurl_resolver
    return registered.opac_pattern or settings.opac_pattern, registered.openurl_resolver or settings.openurl_resolver


@router.get("/{library}/{lecture_id}/related", response_model=RelatedPage, summary="Lectures related to a lecture, paged",
            responses={404: {"description": "no such lecture"}, 400: {"description": "bad cursor or limit"}})
def related(library: str, lecture_id: str, request: Request,
            limit: int = Query(20, ge=1, le=MAX_LIMIT, description=f"items per page (1–{MAX_LIMIT})"),
            cursor: str | None = Query(None, description="the `next` value of the previous page")) -> Response:
    store, iri = _lecture(request, library, lecture_id)
    start = paging.offset(cursor)

    def answer() -> RelatedPage:
        everything = cards.related(store, request.app.state.minter.base, iri)
        end = start + limit
        return RelatedPage(lecture=iri, total=len(everything), limit=limit, cursor=cursor,
                           next=str(end) if end < len(everything) else None,
                           items=[Related(**dataclasses.asdict(r)) for r in everything[start:end]])

    return caching.answer(request, answer, check=lambda: _must_exist(request, store, iri, library, lecture_id))


@router.get("/{lecture_id}/related", response_model=RelatedPage, summary="Lectures related to a lecture (library by query)",
            responses={404: {"description": "no such lecture"}, 400: {"description": "bad cursor or limit"}})
def related_of_library(lecture_id: str, request: Request,
                       library: str | None = Query(None, description="the lecture's library (default: KG_LIBRARY)"),
                       limit: int = Query(20, ge=1, le=MAX_LIMIT, description=f"items per page (1–{MAX_LIMIT})"),
                       cursor: str | None = Query(None, description="the `next` value of the previous page")) -> Response:
    return related(library or request.app.state.settings.library, lecture_id, request, limit, cursor)


def _lecture(request: Request, library: str, lecture_id: str):
    """(store, lecture IRI) of the served build, unchecked (see ``_must_exist``)."""
    return request.app.state.dataset.store(), request.app.state.minter.lecture(library, lecture_id)


def known_lecture(request: Request, library: str, lecture_id: str):
    """(store, lecture IRI) of the served build; ApiError 404 when it has no such lecture."""
    store, iri = _lecture(request, library, lecture_id)
    _must_exist(request, store, iri, library, lecture_id)
    return store, iri


def _must_exist(request: Request, store, iri: str, library: str, lecture_id: str) -> None:
    """ApiError 404 when the store has no such lecture."""
    if not cards.is_lecture(store, request.app.state.minter.base, iri):
        raise ApiError(404, f"no lecture '{lecture_id}' of library '{library}' in this dataset")
