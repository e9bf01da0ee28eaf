"""``/api/network?uri=``: the neighbourhood of a lecture, concept or holding, for the network view.

The pages of lectures, concepts and holdings draw it with Cytoscape.js
(``/static/network.js``; the library comes from npm and is served from
``/static/node_modules``). The facts are the cards' (see ``kg.network``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from api import caching
from api.errors import ApiError
from kg import network

router = APIRouter(prefix="/api", tags=["network"])
MAX_LIMIT = 50
CYTOSCAPE = Path(__file__).parent / "static" / "node_modules" / "cytoscape" / "dist" / "cytoscape.min.js"


class Node(BaseModel):
    uri: str
    label: str | None
    kind: str = Field(description="lecture, keyword, knowledge_point, concept, holding or class")


class Edge(BaseModel):
    source: str
    target: str
    kind: str = Field(description="keyword, knowledge_point, holding (lecture → holding), related (lecture → lecture), "
                                  "matched (holding → concept it was matched on), shared (related lecture → shared concept), "
                                  "mentions (lecture → concept), about (holding → concept), broader, narrower, class")
    weight: float | None = Field(None, description="keyword weight, link or relation score, 1/rank of a mention")


class Network(BaseModel):
    center: str
    nodes: list[Node] = Field(description="the centre first")
    edges: list[Edge]
    totals: dict[str, int] = Field(description="neighbours of each kind before the cut at `limit`")
    limit: int


@router.get("/network", response_model=Network, summary="The network around a lecture, concept or holding",
            responses={404: {"description": "not a lecture, concept or holding of this dataset"},
                       400: {"description": "uri is not an absolute IRI"},
                       304: {"description": "not modified"}})
def neighbourhood(request: Request,
                  uri: str = Query(..., description="the IRI of a lecture, concept (keyword, thesaurus, CLC class) or holding"),
                  limit: int = Query(network.DEFAULT_LIMIT, ge=1, le=MAX_LIMIT,
                                     description=f"neighbours of each kind, best first (1–{MAX_LIMIT})")) -> Response:
    store = request.app.state.dataset.store()
    try:
        ox.NamedNode(uri)
    except ValueError:
        raise ApiError(400, f"uri {uri!r} is not an absolute IRI (expected e.g. {request.app.state.minter.base}lecture/…)") from None

    def answer() -> Network:
        found = network.neighbourhood(store, request.app.state.minter.base, uri, limit)  # NotInNetwork → 404 (api.errors)
        return Network(center=found.center, nodes=[Node(**dataclasses.asdict(n)) for n in found.nodes],
                       edges=[Edge(**dataclasses.asdict(e)) for e in found.edges], totals=found.totals, limit=limit)

    return caching.answer(request, answer, check=lambda: network.check(store, request.app.state.minter.base, uri))


def available() -> bool:
    """Is Cytoscape.js installed (``npm ci --prefix api/static``)? Without it pages show no network view."""
    return CYTOSCAPE.is_file()
