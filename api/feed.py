"""The change feed: ActivityStreams 2.0 collections of what each build created, changed and removed.

- ``GET /feed`` and ``/libraries/{lib}/feed``: an ``OrderedCollection`` of
  Create / Update / Delete activities on lectures and holdings (``kg.feed``,
  recorded by every ``kg build``), pages at ``…/feed/page/{n}`` (oldest first,
  newest page last, as the LD4 Entity Metadata Management API does), each
  activity at ``/feed/activity/{id}``. ``application/activity+json``, or
  ``application/ld+json; profile="https://www.w3.org/ns/activitystreams"``
  when ``Accept`` prefers JSON-LD. The context is named, never fetched.
  A full page never changes (cached a day); the last page and the collection
  for a minute. An unreadable log is a 503.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from api import libraries
from api.errors import ApiError
from kg.feed import Activity, Feed, FeedError
from sparql.media import parse_accept, quality

router = APIRouter(tags=["feed"])
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
AS_JSON = "application/activity+json"
AS_JSONLD = f'application/ld+json; profile="{AS_CONTEXT}"'
OBJECT_TYPES = {"lecture": "Video", "holding": "Document"}
PAST = {"Create": "created", "Update": "changed", "Delete": "removed"}


@router.api_route("/feed", methods=["GET", "HEAD"], summary="Change feed of the whole dataset (ActivityStreams 2.0)")
def feed(request: Request) -> Response:
    return _as_response(request, _collection(request, None), "public, max-age=60")


@router.api_route("/feed/page/{number}", methods=["GET", "HEAD"], summary="One page of the change feed, oldest first")
def feed_page(number: int, request: Request) -> Response:
    return _page_response(request, None, number)


@router.api_route("/feed/activity/{number}", methods=["GET", "HEAD"], summary="One activity of the change feed")
def feed_activity(number: int, request: Request) -> Response:
    feed = _feed(request)
    found = guarded(lambda: feed.activity(number) if 1 <= number <= feed.total() else None)  # SQLite ints are 64-bit
    if found is None:
        raise ApiError(404, f"no activity {number} in the change feed; it is at /feed")
    return _as_response(request, {"@context": AS_CONTEXT, **_activity(request, found)}, "public, max-age=86400")


@router.api_route("/libraries/{lib}/feed", methods=["GET", "HEAD"], summary="Change feed of one library (ActivityStreams 2.0)")
def library_feed(lib: str, request: Request) -> Response:
    libraries.known(request, lib)
    return _as_response(request, _collection(request, lib), "public, max-age=60")


@router.api_route("/libraries/{lib}/feed/page/{number}", methods=["GET", "HEAD"], summary="One page of a library's change feed")
def library_feed_page(lib: str, number: int, request: Request) -> Response:
    libraries.known(request, lib)
    return _page_response(request, lib, number)


def _collection(request: Request, lib: str | None) -> dict[str, Any]:
    feed = _feed(request)
    total, pages = guarded(lambda: (feed.total(lib), feed.pages(lib)))
    collection = {"@context": AS_CONTEXT, "id": _feed_iri(request, lib), "type": "OrderedCollection",
                  "summary": f"Changes to {'library ' + lib + chr(39) + 's' if lib else 'the'} lectures and holdings, build by build",
                  "totalItems": total}
    if pages:
        collection["first"] = {"id": _feed_iri(request, lib, 1), "type": "OrderedCollectionPage"}
        collection["last"] = {"id": _feed_iri(request, lib, pages), "type": "OrderedCollectionPage"}
    return collection


def _page_response(request: Request, lib: str | None, number: int) -> Response:
    feed = _feed(request)
    pages = guarded(lambda: feed.pages(lib))
    if not 1 <= number <= pages:
        raise ApiError(404, f"the feed has {pages} page(s); page {number} does not exist")
    activities = guarded(lambda: feed.page(number, lib))
    page = {"@context": AS_CONTEXT, "id": _feed_iri(request, lib, number), "type": "OrderedCollectionPage",
            "partOf": _feed_iri(request, lib), "startIndex": (number - 1) * feed.page_size}
    if number > 1:
        page["prev"] = {"id": _feed_iri(request, lib, number - 1), "type": "OrderedCollectionPage"}
    if number < pages:
        page["next"] = {"id": _feed_iri(request, lib, number + 1), "type": "OrderedCollectionPage"}
    page["orderedItems"] = [_activity(request, a) for a in activities]
    full = len(activities) == feed.page_size  # a full page never changes again
    return _as_response(request, page, "public, max-age=86400" if full else "public, max-age=60")


def _activity(request: Request, activity: Activity) -> dict[str, Any]:
    minter = request.app.state.minter
    return {"id": f"{minter.base}feed/activity/{activity.id}", "type": activity.type, "published": activity.published,
            "summary": f"{activity.kind} {PAST[activity.type]} in build {activity.build}",
            "actor": {"id": minter.library(activity.library), "type": "Organization"},
            "object": {"id": activity.object, "type": OBJECT_TYPES.get(activity.kind, "Object")}}


def _feed_iri(request: Request, lib: str | None, page: int | None = None) -> str:
    path = f"libraries/{lib}/feed" if lib else "feed"
    return request.app.state.minter.base + path + (f"/page/{page}" if page else "")


def _as_response(request: Request, document: dict[str, Any], cache: str) -> Response:
    ranges = parse_accept(request.headers.get("accept"))
    media = AS_JSONLD if quality("application/ld+json", ranges) > quality(AS_JSON, ranges) else AS_JSON
    return JSONResponse(document, media_type=media, headers={"Vary": "Accept", "Cache-Control": cache})


def _feed(request: Request) -> Feed:
    return Feed(request.app.state.settings.store)


def guarded(read):
    """``read()`` of the feed log; ApiError 503 when it cannot be read."""
    try:
        return read()
    except FeedError as error:
        raise ApiError(503, "the change feed cannot be read right now", {"Retry-After": "30"}) from error
