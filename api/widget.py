"""``/widget/{library}/{id}``: the knowledge card as an iframe-able page; ``/demo/widget``: a host page using it.

Both pages load only ``/static/widget.js`` and ``/static/site.css`` from this
server (no third-party requests). The component, ``<kg-lecture-card>``, fetches
``/api/lectures/{library}/{id}/card``; clicking a keyword's time dispatches a
``kg-seek`` event and, inside an iframe, posts ``{type: "kg-seek", seconds,
label, lecture}`` to the parent window. An unknown lecture is a 404.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.cards import known_lecture
from api.templating import templates
from kg import cards

router = APIRouter(tags=["widget"])
DEMO_LECTURE = ("nlc", "mingdai-01")


def _title(request: Request, library: str, lecture_id: str) -> str:
    store, iri = known_lecture(request, library, lecture_id)  # 404 when unknown
    try:
        return cards.lecture_card(store, request.app.state.minter.base, iri).title or lecture_id
    except cards.UnknownLecture:
        return lecture_id


@router.get("/widget/{library}/{lecture_id}", response_class=HTMLResponse, summary="A lecture's card as an iframe-able page")
def widget(library: str, lecture_id: str, request: Request) -> HTMLResponse:
    title = _title(request, library, lecture_id)
    return templates.TemplateResponse(request, "widget.html", {"library": library, "lecture": lecture_id, "title": title})


@router.get("/demo/widget", response_class=HTMLResponse, summary="Demo host page: an HTML5 video beside the card widget")
def demo(request: Request, library: str = Query(DEMO_LECTURE[0]), lecture: str = Query(DEMO_LECTURE[1])) -> HTMLResponse:
    title = _title(request, library, lecture)
    return templates.TemplateResponse(request, "widget_demo.html", {
        "library": library, "lecture": lecture, "title": title, "freshness": request.app.state.dataset.summary()})
