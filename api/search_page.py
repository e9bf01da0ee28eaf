"""``/search``: the search page for people — the JSON API's answer (``/api/search``) as HTML.

Results come grouped by kind (lectures, concepts, holdings) so a reader sees a
scene of related material, each group with its total and a link to its next
page; the box suggests labels as one types (``/static/search.js`` asks
``/api/suggest``). Without ``q`` the page is just the box. Simplified and
traditional queries find the same things (the index and the query are folded).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api import search as search_api
from api.errors import ApiError
from api.paging import offset
from api.templating import templates
from ingest.folding import fold
from kg import search as index

router = APIRouter(tags=["search"])
PAGE_SIZE = 10
NAMES = {"lecture": "讲座 Lectures", "concept": "关键词与知识点 Keywords and knowledge points", "holding": "馆藏 Holdings"}


@router.get("/search", response_class=HTMLResponse, summary="Search page (HTML): results grouped by kind")
def search_page(request: Request,
                q: str = Query("", description="what to look for"),
                kind: str | None = Query(None, description="only this group (lectures, concepts, holdings), to page through it"),
                cursor: str | None = Query(None, description="the next page of the group")) -> HTMLResponse:
    text = q.strip()
    groups: list[dict] = []
    problem = None
    if text:
        try:
            kinds = (search_api.checked_kind(kind),) if kind else index.KINDS
            found = search_api.run(index.search, search_api.index_path(request), search_api.checked_query(text), kinds,
                                   PAGE_SIZE, offset(cursor))
        except ApiError as error:
            if error.status != 400:
                raise
            problem = error.detail
        else:
            groups = [_group(text, k, found[k]) for k in kinds]
    context = {"q": text, "folded": fold(text) if text else "", "groups": groups, "problem": problem,
               "kind": kind, "freshness": request.app.state.dataset.summary()}
    return templates.TemplateResponse(request, "search.html", context, status_code=400 if problem else 200)


def _group(text: str, kind: str, page: index.Page) -> dict:
    more = "/search?" + urlencode({"q": text, "kind": index.GROUPS[kind], "cursor": page.next}) if page.next else None
    return {"kind": kind, "name": NAMES[kind], "total": page.total, "offset": page.offset, "items": page.items,
            "next": more, "all": "/search?" + urlencode({"q": text})}
