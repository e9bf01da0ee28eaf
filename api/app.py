"""The FastAPI application: the doors onto one dataset.

Routers, each in its own module:

- ``api.home``       ``/`` home page (and ``/index.json``), ``/healthz``
- ``api.sparql_door`` ``/sparql`` (SPARQL 1.1 Protocol, service description, query page)
- ``api.resources``  every URI under the base dereferences: 303 → ``.html`` ``.ttl`` ``.jsonld`` ``.nt`` ``.rdf``
- ``api.dumps``      ``/dumps/`` and ``/.well-known/void``
- ``api.cards``      ``/api/lectures/{library}/{id}/card`` and ``…/related``: knowledge cards for course websites
- ``api.concept_cards`` ``/api/concepts/{path}/card`` and ``/api/holdings/{library}/{id}/card``
- ``api.search``     ``/api/search`` and ``/api/suggest``: search grouped by kind, typeahead
- ``api.search_page`` ``/search``: the search page for people
- ``api.network``    ``/api/network?uri=``: a lecture's, concept's or holding's neighbourhood for the network view
- ``api.libraries`` ``/libraries/``, ``/libraries/{lib}/`` (pages, VoID), ``/api/libraries/{lib}/whoami``
- ``api.publishing`` ``PUT``/``DELETE /api/libraries/{lib}/lectures/{id}``, ``POST …/holdings``: libraries publish
- ``api.feed``       ``/feed``, ``/libraries/{lib}/feed``: the ActivityStreams change feed
- ``api.widget``     ``/widget/{library}/{id}`` (iframe-able card page) and ``/demo/widget`` (demo host page)

Starting the app imports neither jieba nor spaCy.
"""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api import caching, errors, sparql_door, traffic
from kg import __version__
from kg.dataset import Dataset, RemoteDataset, open_dataset
from kg.settings import Settings
from kg.uris import Minter

STATIC = Path(__file__).parent / "static"
ROUTERS = ("api.home", "api.sparql_door", "api.dumps", "api.cards", "api.search", "api.search_page", "api.concept_cards", "api.network", "api.widget", "api.libraries", "api.publishing", "api.feed", "api.resources")  # resources last: it catches the URI space


def create_app(settings: Settings | None = None, dataset: Dataset | RemoteDataset | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    app = FastAPI(
        title="opencourse-kg",
        version=__version__,
        description="Public-lecture metadata as linked data: SPARQL, dereferenceable URIs, dumps and a JSON API.",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.dataset = dataset or open_dataset(settings.store, settings.store_endpoint, settings.base_uri,
                                                settings.query_timeout)
    app.state.minter = Minter(settings.base_uri)
    app.state.responses = caching.ResponseCache()  # JSON answers by ETag (api.caching)
    errors.install(app)
    app.add_middleware(sparql_door.QueryDoor)  # innermost: /sparql queries skip the routing, all else goes on
    app.add_middleware(
        traffic.Cors, allow_origins=["*"], allow_methods=["GET", "HEAD", "POST", "OPTIONS"], allow_headers=["*"],
        expose_headers=["Link", "Location", "Content-Location", "ETag", "Last-Modified", "Vary", "X-Result-Limit",
                        "X-Result-Count", "X-Query-Timeout", "X-Query-Size-Limit"],
    )
    app.add_middleware(traffic.RateLimit, limit=settings.rate_limit, exempt=settings.rate_limit_exempt)
    app.add_middleware(traffic.HeaderLimit)
    app.add_middleware(traffic.AccessLog, full_addresses=bool(settings.log_full_addresses))  # outermost: sees 429s too
    _log_access_to_stderr()
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for name in ROUTERS:
        app.include_router(importlib.import_module(name).router)
    return app


def _log_access_to_stderr() -> None:
    """One line per request on stderr (``api.traffic.AccessLog``), once per process."""
    access = logging.getLogger("kg.access")
    if not access.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        access.propagate = False


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` and worker processes: settings from ``KG_*``."""
    return create_app(Settings.from_env())
