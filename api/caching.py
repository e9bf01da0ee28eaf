"""Validators and cache headers of the JSON API (cards, search): one build, one answer.

The ETag is strong and derived from the served build's fingerprint, the path
and the query, so it changes exactly when a new build is swapped in.
"""

from __future__ import annotations

import hashlib

from fastapi import Request
from pydantic import BaseModel
from starlette.responses import JSONResponse, Response

CACHE_CONTROL = "public, max-age=300"


def etag(request: Request) -> str:
    """A strong validator: the served build's fingerprint, the path and the query."""
    fingerprint = str(request.app.state.dataset.summary().get("fingerprint"))
    query = "&".join(sorted(f"{k}={v}" for k, v in request.query_params.multi_items()))
    seed = "|".join((fingerprint, request.url.path, query))
    return '"' + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32] + '"'


def not_modified(request: Request, tag: str) -> bool:
    """Does ``If-None-Match`` name this ETag (or ``*``)?"""
    match = request.headers.get("if-none-match")
    if match is None:
        return False
    tags = {t.strip().removeprefix("W/") for t in match.split(",")}
    return "*" in tags or tag in tags


def not_modified_response(tag: str) -> Response:
    return Response(status_code=304, headers={"ETag": tag, "Cache-Control": CACHE_CONTROL})


def json_response(body: BaseModel, tag: str) -> JSONResponse:
    return JSONResponse(body.model_dump(mode="json"), headers={"ETag": tag, "Cache-Control": CACHE_CONTROL})
