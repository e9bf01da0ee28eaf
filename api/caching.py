"""Validators, cache headers and the answer cache of the JSON API (cards, network, search): one build, one answer.

The ETag is strong and derived from the served build's fingerprint, the path
and the query, so it changes exactly when a new build is swapped in. Because
the build is immutable, the ETag also names the answer's bytes: the
``ResponseCache`` keeps encoded answers by ETag (least recently used first out,
bounded in bytes), so a card is computed from the store once per build and
process, and later requests cost what serving bytes costs. A new build means
new ETags; the old answers age out.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Callable

from fastapi import Request
from pydantic import BaseModel
from starlette.responses import Response

CACHE_CONTROL = "public, max-age=300"
DEFAULT_CACHE_BYTES = 64 * 1024 * 1024


class ResponseCache:
    """Encoded answers by ETag, least recently used dropped first once over ``max_bytes``. Thread-safe."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._answers: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tag: str) -> bytes | None:
        with self._lock:
            body = self._answers.get(tag)
            if body is not None:
                self._answers.move_to_end(tag)
            return body

    def put(self, tag: str, body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        with self._lock:
            if tag in self._answers:
                return
            self._answers[tag] = body
            self.size += len(body)
            while self.size > self.max_bytes:
                _, dropped = self._answers.popitem(last=False)
                self.size -= len(dropped)

    def __len__(self) -> int:
        return len(self._answers)


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


def answer(request: Request, make: Callable[[], BaseModel], check: Callable[[], None] | None = None) -> Response:
    """The JSON answer for this request: 304, the cached bytes, or ``make()`` encoded and cached.

    The order keeps each step honest: a cached answer proves the resource exists
    in this build; otherwise ``check()`` raises (ApiError 404…) before
    ``If-None-Match`` is looked at, so ``*`` never matches something absent.
    Errors are not cached.
    """
    tag = etag(request)
    cache: ResponseCache = request.app.state.responses
    body = cache.get(tag)
    if body is None and check is not None:
        check()
    if not_modified(request, tag):
        return not_modified_response(tag)
    if body is None:
        body = json.dumps(make().model_dump(mode="json"), ensure_ascii=False, allow_nan=False,
                          separators=(",", ":")).encode("utf-8")
        cache.put(tag, body)
    return Response(body, media_type="application/json", headers={"ETag": tag, "Cache-Control": CACHE_CONTROL})
