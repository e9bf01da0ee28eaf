"""``/``: the home page linking the doors, with its JSON twin ``/index.json``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from api.templating import templates

router = APIRouter(tags=["home"])


def _doors(request: Request) -> dict:
    settings, dataset = request.app.state.settings, request.app.state.dataset
    summary = dataset.summary()
    return {
        "title": "公开课知识图谱 opencourse-kg",
        "sparql": "/sparql",
        "browse": request.app.state.minter.base + "vocab/",
        "dumps": "/dumps/",
        "void": "/.well-known/void",
        "api_docs": "/docs",
        "openapi": "/openapi.json",
        "counts": summary.get("counts", {}),
        "built": summary.get("finished"),
        "library": settings.library,
    }


@router.get("/", response_class=HTMLResponse, summary="Home page (HTML)")
def home(request: Request) -> HTMLResponse:
    doors = _doors(request)
    response = templates.TemplateResponse(request, "home.html", {
        "settings": request.app.state.settings, "counts": doors["counts"], "browse": doors["browse"],
        "freshness": request.app.state.dataset.summary(),
    })
    response.headers["Link"] = '</index.json>; rel="alternate"; type="application/json"'
    return response


@router.get("/index.json", summary="Home page (JSON): links to every door and the dataset's counts")
def home_json(request: Request) -> JSONResponse:
    return JSONResponse(_doors(request), headers={"Link": '</>; rel="alternate"; type="text/html"'})


@router.get("/healthz", summary="Liveness: 200 when the current build can be opened")
def health(request: Request) -> dict:
    request.app.state.dataset.store()
    return {"status": "ok"}
