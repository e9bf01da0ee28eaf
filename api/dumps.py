"""``/dumps/`` and ``/.well-known/void``: the dump files and the dataset's VoID + DCAT description.

- ``GET|HEAD /dumps/`` lists the current dump: HTML, or JSON when the client
  prefers ``application/json`` (``Vary: Accept``); the JSON twin is also at
  ``/dumps/index.json``. Without a dump it says so, and how to make one.
- ``GET|HEAD /dumps/{file}`` serves one file of the current dump with
  ``Content-Length``, a strong ``ETag`` (its SHA-256), ``Last-Modified``,
  ``Accept-Ranges: bytes``; ``If-None-Match`` / ``If-Modified-Since`` give 304,
  ``Range`` gives 206 (416 when unsatisfiable), ``If-Range`` is honoured.
  Only ``manifest.json`` and the files it lists are served: a name with a
  path separator or a dot segment is 400, anything else unknown is 404, and
  a symlink is never followed.
- ``GET|HEAD /.well-known/void`` is the VoID + DCAT description: Turtle unless
  ``Accept`` (or ``?format=ttl|nt|jsonld|rdf``, which wins) asks for
  N-Triples, JSON-LD or RDF/XML; 406 names what it can send. When the current
  dump comes from the build being served, it is that dump's ``void.ttl`` (with
  its distributions); otherwise it is made from the store, without
  distributions. Over a remote store without a local copy of its build
  (``KG_STORE_ENDPOINT``), "from the build being served" means "of the same
  fingerprint": the endpoint names its build by fingerprint only.

The ``.gz`` files are served as what they are — ``Content-Type:
application/gzip`` with ``Content-Disposition: attachment`` — and never with
``Content-Encoding: gzip``. The bytes on the wire are then the bytes on disk:
``Content-Length``, byte ranges (resuming a download) and the SHA-256 in the
manifest and in ``spdx:checksum`` all refer to the same thing, and no client
(browsers, httpx, requests) silently decompresses a file it then saves under a
``.gz`` name. What the file holds once decompressed is in the listing and the
VoID (``dcat:mediaType`` + ``dcat:compressFormat``). ``curl -O`` saves it as
is; rdflib reads it with ``gzip.open`` (see the page for the two lines).
"""

from __future__ import annotations

import hashlib
import re
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from api.errors import ApiError
from api.templating import templates
from kg import void
from kg.distribution import MANIFEST, VOID, BuildStamp, DumpDirectory, DumpError, DumpFile, NotPublished
from kg.store import StoreError
from sparql.media import parse_accept, quality

router = APIRouter(tags=["dumps"])

SYNTAXES = void.SYNTAXES  # Turtle first: the default
ALIASES = {"application/json": ox.RdfFormat.JSON_LD}  # plain JSON clients get JSON-LD
HOW_TO = "kg dump --store DIR --out DIR"
_RANGE = re.compile(r"(?P<first>\d+)-(?P<last>\d*)|-(?P<suffix>\d+)")
_described: dict[tuple[str, str], list[ox.Triple]] = {}  # (build directory, license) → description from the store


@router.api_route("/dumps", methods=["GET", "HEAD"], include_in_schema=False)
def dumps_without_slash() -> RedirectResponse:
    return RedirectResponse("/dumps/", status_code=308)


@router.api_route("/dumps/", methods=["GET", "HEAD"], summary="The dump files (HTML, or JSON by Accept)")
def listing(request: Request) -> Response:
    data = _listing(request)
    if _prefers_json(request.headers.get("accept", "")):
        return _json_listing(data, vary=True)
    response = templates.TemplateResponse(request, "dumps.html", {"listing": data, "freshness": _summary(request)})
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = ('</dumps/index.json>; rel="alternate"; type="application/json", '
                                '</.well-known/void>; rel="describedby"; type="text/turtle"')
    return response


@router.api_route("/dumps/index.json", methods=["GET", "HEAD"], summary="The dump files (JSON)")
def listing_json(request: Request) -> JSONResponse:
    return _json_listing(_listing(request), vary=False)


@router.api_route("/dumps/{name:path}", methods=["GET", "HEAD"], summary="One dump file (Range, ETag, HEAD)")
def dump_file(name: str, request: Request) -> Response:
    if _is_path(name):
        raise ApiError(400, "a dump file name has no path separators or dot segments; the files are listed at /dumps/")
    try:
        path, entry = _directory(request).lookup(name)
    except NotPublished:
        raise ApiError(404, f"{name} is not one of the dump files; they are listed at /dumps/") from None
    except DumpError as error:
        raise ApiError(503, "the dumps cannot be read right now", {"Retry-After": "60"}) from error
    info = path.stat()
    headers = {"ETag": _etag(path, entry), "Last-Modified": formatdate(info.st_mtime, usegmt=True),
               "Cache-Control": "public, max-age=300", "Link": '</.well-known/void>; rel="describedby"'}
    if _not_modified(request, headers["ETag"], info.st_mtime):
        return Response(status_code=304, headers=headers)
    compressed = entry is not None and entry.compress_format is not None
    media = entry.compress_format if compressed else (entry.media_type if entry else "application/json")
    return DumpFileResponse(path, media_type=media, headers=headers, stat_result=info,
                            filename=name if compressed else None)


class DumpFileResponse(FileResponse):
    """Starlette's file response (ranges, If-Range, 416, HEAD), minus its 400 for a Range it cannot read.

    RFC 9110 §14.2: a Range in another unit, or one that is not a valid
    ``bytes`` range set, is ignored and the whole file sent.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = scope.get("headers", [])
        asked = next((v.decode("latin-1") for k, v in headers if k == b"range"), None)
        if asked is not None and not _readable_range(asked):
            scope = {**scope, "headers": [(k, v) for k, v in headers if k != b"range"]}
        await super().__call__(scope, receive, send)


def _readable_range(value: str) -> bool:
    unit, _, ranges = value.partition("=")
    if unit.strip() != "bytes" or not ranges.strip():  # exactly what Starlette's parser accepts
        return False
    for spec in ranges.split(","):
        match = _RANGE.fullmatch(spec.strip())
        if match is None or (match["first"] and match["last"] and int(match["first"]) > int(match["last"])):
            return False
    return True


@router.api_route("/.well-known/void", methods=["GET", "HEAD"],
                  summary="VoID + DCAT description (Turtle; N-Triples, JSON-LD, RDF/XML by Accept or ?format=)")
def well_known_void(request: Request, format: str | None = None) -> Response:
    syntax = _chosen_syntax(request, format)
    data = void.serialize(_description(request), syntax)
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    headers = {"Vary": "Accept", "ETag": etag, "Link": '</dumps/>; rel="related"'}
    if _not_modified(request, etag, None):
        return Response(status_code=304, headers=headers)
    media = syntax.media_type + ("; charset=utf-8" if syntax is not ox.RdfFormat.RDF_XML else "")
    return Response(data, media_type=media, headers=headers)


# --- the listing ---------------------------------------------------------------------


def _listing(request: Request) -> dict[str, Any]:
    serving = _summary(request)
    current = request.app.state.dataset.build_path().name if serving else None
    try:
        manifest = _directory(request).manifest()
    except DumpError as error:
        raise ApiError(503, "the dumps cannot be read right now", {"Retry-After": "60"}) from error
    if manifest is None:
        return {"dump": None, "files": [], "void": "/.well-known/void", "current_build": current,
                "message": f"no dump has been made yet; make one with: {HOW_TO}", "how_to": HOW_TO}
    files = [_file_entry(f) for f in manifest.files]
    files.append({"name": MANIFEST, "url": f"/dumps/{MANIFEST}", "media_type": "application/json"})
    return {"dump": manifest.dump, "created": manifest.created, "build": manifest.stamp.build,
            "fingerprint": manifest.stamp.fingerprint, "finished": manifest.stamp.finished,
            "current_build": current, "stale": current is not None and not _serves(request, manifest.stamp),
            "void": "/.well-known/void", "manifest": f"/dumps/{MANIFEST}", "how_to": HOW_TO, "files": files}


def _file_entry(entry: DumpFile) -> dict[str, Any]:
    return {"name": entry.name, "url": f"/dumps/{entry.name}", "media_type": entry.media_type,
            "compress_format": entry.compress_format, "bytes": entry.bytes, "sha256": entry.sha256,
            "triples": entry.triples, "part": entry.part, "graphs": list(entry.graphs)}


def _json_listing(data: dict[str, Any], vary: bool) -> JSONResponse:
    headers = {"Link": '</dumps/>; rel="alternate"; type="text/html"'}
    if vary:
        headers["Vary"] = "Accept"
    return JSONResponse(data, headers=headers)


# --- the description -----------------------------------------------------------------


def _description(request: Request) -> list[ox.Triple]:
    """The dump's own ``void.ttl`` when it describes the build being served, else one made from the store."""
    dataset, settings = request.app.state.dataset, request.app.state.settings
    store, build = dataset.store(), dataset.build_path()
    try:
        current = _directory(request).current_dump()
        if current is not None and _serves(request, current[1].stamp):
            return list(ox.parse((current[0] / VOID).read_bytes(), ox.RdfFormat.TURTLE))
    except (DumpError, OSError, SyntaxError):
        pass  # an unreadable dump must not hide the dataset's description
    key = (str(build), settings.license)
    described = _described.get(key)
    if described is None:
        described = void.describe(store, BuildStamp.from_summary(build, dataset.summary()), settings.license)
        _described.clear()
        _described[key] = described
    return described


def _chosen_syntax(request: Request, format: str | None) -> ox.RdfFormat:
    """``?format=`` (an extension or a media type) wins over ``Accept``. Raises ApiError 400 / 406."""
    offered = ", ".join(s.media_type for s in SYNTAXES)
    if format:
        chosen = next((s for s in SYNTAXES if format in (s.file_extension, s.media_type)), None)
        if chosen is None:
            raise ApiError(400, f"format {format!r} is not offered; ask for one of ttl, nt, jsonld, rdf")
        return chosen
    chosen = negotiate(request.headers.get("accept", ""))
    if chosen is None:
        raise ApiError(406, f"none of the accepted types can be sent; available: {offered}", {"Vary": "Accept"})
    return chosen


def negotiate(accept: str) -> ox.RdfFormat | None:
    """The syntax the ``Accept`` header prefers (Turtle when it says nothing, None when nothing fits).

    Each syntax gets the q-value of the most specific range matching it;
    the highest wins, and ties go to the order of ``SYNTAXES``.
    """
    if not accept.strip():
        return SYNTAXES[0]
    ranges = parse_accept(accept)
    best, best_q = None, 0.0
    for syntax in SYNTAXES:
        q = quality(syntax.media_type, ranges, [alias for alias, s in ALIASES.items() if s is syntax])
        if q > best_q:
            best, best_q = syntax, q
    return best


# --- small pieces --------------------------------------------------------------------


def _directory(request: Request) -> DumpDirectory:
    return DumpDirectory(request.app.state.settings.dumps)


def _serves(request: Request, stamp: BuildStamp) -> bool:
    """Is ``stamp`` the build being served? By build id; by fingerprint over a remote store without a local copy."""
    dataset = request.app.state.dataset
    local = dataset.local_build()
    if local is not None:
        return stamp.build == local.name
    return stamp.fingerprint == dataset.summary().get("fingerprint")


def _summary(request: Request) -> dict[str, Any] | None:
    try:
        return request.app.state.dataset.summary()
    except StoreError:
        return None


def _prefers_json(accept: str) -> bool:
    ranges = parse_accept(accept) if accept.strip() else []
    return quality("application/json", ranges) > quality("text/html", ranges)


def _is_path(name: str) -> bool:
    """Does the name try to leave the directory (separators, dot segments, NUL, an absolute path)?"""
    return any(c in name for c in "/\\\x00") or name in (".", "..")


def _etag(path: Path, entry: DumpFile | None) -> str:
    if entry is not None:
        return f'"{entry.sha256}"'
    return '"' + hashlib.sha256(path.read_bytes()).hexdigest()[:32] + '"'  # manifest.json: a few kB


def _not_modified(request: Request, etag: str, modified: float | None) -> bool:
    """RFC 9110 §13.1.2/13.1.3: If-None-Match (weak comparison) wins over If-Modified-Since."""
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    if since and modified is not None:
        try:
            return int(modified) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False
    return False
