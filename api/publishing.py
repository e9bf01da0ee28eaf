"""Branch libraries publish over HTTP, each with its own token (``api.auth``) into its own graph.

- ``PUT /api/libraries/{lib}/lectures/{id}``: ``multipart/form-data`` with a
  ``record`` part (the lecture's manifest record as JSON: the fields of
  ``lectures.jsonl``; ``id``/``library`` may be left out, ``subtitles`` is
  ignored) and a ``subtitles`` file part (SRT, WebVTT or plain text, any
  encoding ``kg build`` reads). 201 when new, 200 when it replaced the
  library's earlier version; ``Location`` is the lecture's URI.
- ``DELETE /api/libraries/{lib}/lectures/{id}``: 200, or 404 when the
  library has not published that lecture over HTTP.
- ``POST /api/libraries/{lib}/holdings``: a ``file`` part with MARC21/UNIMARC
  (ISO 2709), MARCXML or CSV records; they join the library's holdings
  (a record with the same id replaces the earlier one). 201.

Each answers once the build with the change has been swapped in: its body
names the build and the change feed's position, and the lecture's card,
pages, SPARQL and feed show it from then on. Readers never see half of it:
the build is made aside and swapped in whole (``kg.store``), with the
published sources it was made from (``kg.publications``).

Errors, in the API's shape: 400 for an upload that cannot be used (what,
where — part, field, line or byte — and what is accepted; the same readers
as ``kg build``), 413 for a body over ``KG_PUBLISH_MAX_BYTES`` (+ 1 MB for
the record and the form), 401/403 as ``api.auth``, 503 when the build failed
or did not finish in ``KG_PUBLISH_TIMEOUT`` seconds (the store is then as it
was), 409 when publishing needs the store directory but the server reads a
remote endpoint.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from api.auth import require_library
from api.errors import ApiError
from kg import publications
from kg.dataset import Dataset
from kg.libraries import Library
from kg.publisher import PublishFailed, Publisher

router = APIRouter(tags=["publishing"])
log = logging.getLogger("kg.access.publish")
FORM_ALLOWANCE = 1_000_000  # bytes of a body besides the file: the record, the form's boundaries


@router.put("/api/libraries/{lib}/lectures/{lecture_id}", status_code=201,
            summary="Publish or replace a lecture: multipart record (JSON) + subtitles (file)")
async def put_lecture(lib: str, lecture_id: str, request: Request,
                      library: Library = Depends(require_library)) -> JSONResponse:
    store = _local_store(request)
    form = await _form(request)
    record, subtitles = form.get("record"), form.get("subtitles")
    if record is None or not isinstance(subtitles, UploadFile):
        raise ApiError(400, "a publish is multipart/form-data with a 'record' part (JSON) and a 'subtitles' file part")
    record_bytes = await record.read() if isinstance(record, UploadFile) else record.encode("utf-8")
    data = await subtitles.read()
    existed = publications.is_published(store.build_path() / publications.FOLDER, lib, lecture_id)
    change = await run_in_threadpool(publications.stage_lecture, request.app.state.settings.store, lib, lecture_id,
                                     record_bytes, data, subtitles.filename or "", _limit(request))
    answer = await _publish(request, change, f"put lecture {lecture_id!r} ({len(data):,} bytes)")
    uri = request.app.state.minter.lecture(lib, lecture_id)
    body = {"library": lib, "id": lecture_id, "lecture": uri, "cues": change.cues,
            "card": f"/api/lectures/{_path(lib)}/{_path(lecture_id)}/card", **_landed(answer)}
    return JSONResponse(body, status_code=200 if existed else 201, headers={"Location": uri})


@router.delete("/api/libraries/{lib}/lectures/{lecture_id}", summary="Withdraw a lecture the library published")
async def delete_lecture(lib: str, lecture_id: str, request: Request,
                         library: Library = Depends(require_library)) -> JSONResponse:
    store = _local_store(request)
    if not publications.is_published(store.build_path() / publications.FOLDER, lib, lecture_id):
        raise ApiError(404, f"library {lib!r} has not published a lecture {lecture_id!r} over this API")
    answer = await _publish(request, publications.DeleteLecture(lib, lecture_id), f"delete lecture {lecture_id!r}")
    return JSONResponse({"library": lib, "id": lecture_id, "deleted": request.app.state.minter.lecture(lib, lecture_id),
                         **_landed(answer)})


@router.post("/api/libraries/{lib}/holdings", status_code=201,
             summary="Add holdings records: multipart 'file' (MARC21/UNIMARC, MARCXML or CSV)")
async def post_holdings(lib: str, request: Request, library: Library = Depends(require_library)) -> JSONResponse:
    _local_store(request)
    form = await _form(request)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ApiError(400, "holdings are uploaded as multipart/form-data with a 'file' part")
    data = await upload.read()
    change = await run_in_threadpool(publications.stage_holdings, request.app.state.settings.store, lib, data,
                                     upload.filename or "", _limit(request))
    answer = await _publish(request, change, f"add {change.records} holdings ({len(data):,} bytes)")
    return JSONResponse({"library": lib, "records": change.records, **_landed(answer)}, status_code=201)


# --- the steps every write takes ---------------------------------------------------------------------


def _local_store(request: Request) -> Dataset:
    dataset = request.app.state.dataset
    if not isinstance(dataset, Dataset):
        raise ApiError(409, "publishing writes to the store directory (KG_STORE); this server reads a remote "
                            "endpoint (KG_STORE_ENDPOINT): publish through a server that has the store")
    return dataset


def _limit(request: Request) -> int:
    return request.app.state.settings.publish_max_bytes


async def _form(request: Request):
    """The multipart form, refused with 413 as soon as the body passes the limit (never read whole first)."""
    limit = _limit(request) + FORM_ALLOWANCE
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"the upload is {int(declared):,} bytes; at most {limit:,} are accepted")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ApiError(415, "uploads are multipart/form-data")
    body, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"the upload is over {limit:,} bytes, the most accepted")
        body.append(chunk)
    request._body = b"".join(body)  # Starlette's form parser reads it from here
    try:
        return await request.form(max_files=2, max_fields=10, max_part_size=publications.MAX_RECORD_BYTES)
    except Exception as error:  # the multipart parser's own errors: a broken form, not a server fault
        raise ApiError(400, f"the multipart form cannot be read: {str(error)[:200]}") from None


async def _publish(request: Request, change: publications.Change, what: str) -> dict[str, Any]:
    """Hand the change to the server's publisher and wait for its build; 503 when it does not land."""
    publisher: Publisher = _publisher(request)
    settings = request.app.state.settings
    library = change.library
    try:
        answer = await asyncio.wait_for(asyncio.wrap_future(publisher.submit(change)), settings.publish_timeout)
    except asyncio.TimeoutError:
        log.error("publish: library %s: %s: no build within %s s", library, what, settings.publish_timeout)
        raise ApiError(503, f"the build did not finish within {settings.publish_timeout:.0f} s; it may still land "
                            "(watch the feed)", {"Retry-After": "60"}) from None
    except PublishFailed as failed:
        log.error("publish: library %s: %s: failed: %s", library, what, failed.message)
        raise ApiError(503, f"not published: {failed.message}", {"Retry-After": "30"}) from None
    log.info("publish: library %s: %s: build %s", library, what, answer.get("build"))
    request.app.state.dataset.notice_swap()  # this process answers from the new build at once
    return answer


def _publisher(request: Request) -> Publisher:
    state = request.app.state
    if getattr(state, "publisher", None) is None:
        state.publisher = Publisher(state.settings)
    return state.publisher


def _landed(answer: dict[str, Any]) -> dict[str, Any]:
    return {"build": answer.get("build"), "feed_position": answer.get("feed"),
            "build_seconds": round(sum(answer.get("seconds", {}).values()), 3)}


def _path(segment: str) -> str:
    return quote(segment, safe="")
