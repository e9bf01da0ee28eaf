"""``/api/search`` and ``/api/suggest``: search grouped by kind, and typeahead, over the served build.

Both read ``search.sqlite`` of the build being served (written by ``kg build``,
see ``kg.search``), read-only, one connection per request. Queries are folded
(traditional → simplified, full-width → half-width, case), so ``崑曲`` and
``昆曲`` find the same things. Every list has ``total`` and a ``next`` cursor;
``kind=`` pages through one group. Responses carry a strong ``ETag`` (the
served build's fingerprint and the URL; 304 on ``If-None-Match``) and
``Cache-Control: public, max-age=300``, and are cached by ETag (``api.caching``). An empty or over-long ``q``, a bad
``kind`` or cursor is a 400 in the API's JSON error shape; a build without an
index a 503. Over a remote store (``KG_STORE_ENDPOINT``) the index is read
from ``KG_STORE``'s copy of the build the endpoint serves; without such a copy
search is a 503 saying so.
"""

from __future__ import annotations


from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from api import caching, paging
from api.errors import ApiError
from ingest.folding import fold
from kg import search as index
from kg.libraries import InvalidLibrary, validate_id

router = APIRouter(prefix="/api", tags=["search"])
MAX_QUERY = 200
MAX_LIMIT = 100
KIND_NAMES = {"lecture": "lecture", "lectures": "lecture", "concept": "concept", "concepts": "concept",
              "holding": "holding", "holdings": "holding"}


class Hit(BaseModel):
    uri: str
    id: str | None = Field(description="the last segment of the URI (lecture or holding id, concept key or notation)")
    library: str | None = Field(description="the library of a lecture or holding")
    label: str | None
    score: float = Field(description="weighted overlap of the query's terms, plus a bonus when the label contains the query")
    snippet: str | None = Field(None, description="a lecture's description, a holding's creators and date, a concept's other labels")


class Group(BaseModel):
    total: int
    offset: int
    next: str | None = Field(description="cursor of the group's following page (use with kind=); null on the last page")
    items: list[Hit]


class Results(BaseModel):
    query: str
    folded: str = Field(description="the query as matched: simplified, half-width, lower case")
    groups: dict[str, Group] = Field(description="'lectures', 'concepts', 'holdings' (only the asked one with kind=)")


class Suggestion(Hit):
    kind: str = Field(description="lecture, concept or holding")


class Suggestions(BaseModel):
    query: str
    folded: str
    total: int
    next: str | None
    items: list[Suggestion]


@router.get("/search", response_model=Results, summary="Search lectures, concepts and holdings, grouped by kind",
            responses={400: {"description": "empty or over-long q, bad kind or cursor"}, 304: {"description": "not modified"}})
def search(request: Request,
           q: str = Query("", description=f"the query, simplified or traditional Chinese or other text (1–{MAX_QUERY} characters)"),
           kind: str | None = Query(None, description="only this group: lectures, concepts or holdings"),
           limit: int = Query(10, ge=1, le=MAX_LIMIT, description=f"items per group (1–{MAX_LIMIT})"),
           cursor: str | None = Query(None, description="the `next` value of a group's previous page"),
           library: str | None = Query(None, description="only this library's lectures and holdings (its share of the search)")) -> Response:
    text, start = checked_query(q), paging.offset(cursor)
    kinds = (checked_kind(kind),) if kind else index.KINDS
    if library is not None:
        try:
            validate_id(library)
        except InvalidLibrary as error:
            raise ApiError(400, str(error)) from None

    def answer() -> Results:
        pages = run(index.search, index_path(request), text, kinds, limit, start, library)
        groups = {index.GROUPS[k]: Group(total=p.total, offset=p.offset, next=p.next, items=[_hit(h) for h in p.items])
                  for k, p in pages.items()}
        return Results(query=text, folded=fold(text), groups=groups)

    return caching.answer(request, answer)


@router.get("/suggest", response_model=Suggestions, summary="Labels starting with what was typed, for typeahead",
            responses={400: {"description": "empty or over-long q, bad cursor"}, 304: {"description": "not modified"}})
def suggest(request: Request,
            q: str = Query("", description=f"what was typed so far (1–{MAX_QUERY} characters)"),
            limit: int = Query(10, ge=1, le=MAX_LIMIT, description=f"at most this many suggestions (1–{MAX_LIMIT})"),
            cursor: str | None = Query(None, description="the `next` value of the previous page")) -> Response:
    text, start = checked_query(q), paging.offset(cursor)

    def answer() -> Suggestions:
        page = run(index.suggest, index_path(request), text, limit, start)
        items = [Suggestion(kind=h.kind, **_hit(h).model_dump()) for h in page.items]
        return Suggestions(query=text, folded=fold(text), total=page.total, next=page.next, items=items)

    return caching.answer(request, answer)


def run(function, *args):
    """``function(*args)`` of ``kg.search``, its errors as ApiError 400 (bad query) or 503 (no index)."""
    try:
        return function(*args)
    except index.BadQuery as error:
        raise ApiError(400, str(error)) from None
    except index.IndexMissing as error:
        raise ApiError(503, str(error)) from None


def index_path(request: Request):
    """The search index of the build being served; ApiError 503 when this server has none."""
    dataset = request.app.state.dataset
    build = dataset.local_build()
    if build is None:  # a remote store, and no local copy of the build it serves
        raise ApiError(503, f"search reads the {index.INDEX_NAME} that 'kg build' writes beside the store; this "
                            f"server reads the SPARQL endpoint {dataset.endpoint} and KG_STORE "
                            f"({dataset.directory.root}) holds no copy of the build it serves (fingerprint "
                            f"{dataset.summary().get('fingerprint')}): copy or mount that build directory there")
    return build / index.INDEX_NAME


def _hit(hit: index.Hit) -> Hit:
    return Hit(uri=hit.uri, id=hit.id, library=hit.library, label=hit.label, score=hit.score, snippet=hit.snippet)


def checked_query(q: str) -> str:
    """``q`` stripped; ApiError 400 when empty or too long."""
    text = q.strip()
    if not text:
        raise ApiError(400, "q is empty: give the text to search for")
    if len(text) > MAX_QUERY:
        raise ApiError(400, f"q is {len(text)} characters long; at most {MAX_QUERY} are accepted")
    return text


def checked_kind(kind: str) -> str:
    """The index's name of a group (lectures → lecture); ApiError 400 for an unknown one."""
    try:
        return KIND_NAMES[kind.strip().lower()]
    except KeyError:
        raise ApiError(400, f"kind {kind!r} is not one of lectures, concepts, holdings") from None
