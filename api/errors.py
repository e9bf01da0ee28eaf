"""Every failure becomes one of three shapes, chosen by what the client accepts.

- API clients (``application/json``, and every ``/api/`` path): ::

      {"error": {"status": 404, "title": "Not Found", "detail": "…"}}

- browsers (``text/html``): a plain page saying the same;
- SPARQL clients (``/sparql``) and everyone else: ``text/plain``.

Domain errors are mapped to statuses here and nowhere else. An unexpected
exception is logged with its traceback and answered with a 500 that says
nothing about the server's internals.
"""

from __future__ import annotations

import html
import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from ingest.errors import InputError
from kg.publications import PublishError
from kg.resource import UnknownResource
from kg.store import StoreError

log = logging.getLogger("kg.server")


class ApiError(Exception):
    """An error with an HTTP status, raised by route code; ``headers`` go into the response."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        self.status, self.detail, self.headers = status, detail, headers or {}
        super().__init__(detail)


def error_response(request: Request, status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """The error in the shape the client asked for."""
    title = HTTPStatus(status).phrase
    accept = request.headers.get("accept", "")
    path = request.url.path
    headers = dict(headers or {})
    if path.startswith("/api/") or ("application/json" in accept and "text/html" not in accept):
        return JSONResponse({"error": {"status": status, "title": title, "detail": detail}}, status, headers=headers)
    if "text/html" in accept and not path.startswith("/sparql"):
        page = (f"<!doctype html><html lang=\"zh-Hans\"><head><meta charset=\"utf-8\"><title>{status} {title}</title>"
                f"<link rel=\"stylesheet\" href=\"/static/site.css\"></head><body><main><h1>{status} {html.escape(title)}</h1>"
                f"<p>{html.escape(detail)}</p><p><a href=\"/\">首页 Home</a></p></main></body></html>")
        return HTMLResponse(page, status, headers=headers)
    return PlainTextResponse(f"{status} {title}: {detail}\n", status, headers=headers)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> Response:
        return error_response(request, error.status, error.detail, error.headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        return error_response(request, error.status_code, str(error.detail), getattr(error, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return error_response(request, 400, problems)

    @app.exception_handler(StoreError)
    async def store_error(request: Request, error: StoreError) -> Response:
        log.error("store unavailable: %s", error)
        return error_response(request, 503, "the dataset is not available yet (no finished build)", {"Retry-After": "30"})

    @app.exception_handler(UnknownResource)
    async def unknown_resource(request: Request, error: UnknownResource) -> Response:
        return error_response(request, 404, str(error))

    @app.exception_handler(InputError)
    async def input_error(request: Request, error: InputError) -> Response:
        if isinstance(error, PublishError):  # its path names the part of the upload, never a server path
            return error_response(request, 400, error.describe())
        return error_response(request, 400, f"{error.message}" + (f" (expected: {error.expected})" if error.expected else ""))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "the server failed to answer this request; it has been logged")
