"""The HTML page of a resource: its description made readable (``resource.html``).

- name and type by the label fallback of ``kg.labels`` (zh-Hans → zh → no tag → en → any);
- every property named by our ontology's ``rdfs:label`` or ``kg.labels.STANDARD_TERMS``;
- values as links with labels, literals with their language; hash parts
  (``#target``, ``#KeywordAssignment-3``) each in a section whose ``id`` is the fragment;
- what points here, grouped by property, ``PAGE_SIZE`` per page with counts
  ("1–50 / 312") and previous/next links (``?inverse=…&inverse_page=…``);
- panels from ``kg.connections`` for lectures, concepts and holdings, and
  their network view (``/api/network``, drawn by ``/static/network.js``);
- the schema.org part of the description as embedded JSON-LD, for search engines.

Only ``http(s)`` IRIs become links (``Namer.href``); the templates are
autoescaped. The vocabulary namespace has its own page (``api.vocabulary_page``).
Errors: ``ApiError`` 400 for a bad ``inverse`` or ``inverse_page``;
``kg.resource.UnknownResource`` passes through.
"""

from __future__ import annotations

import json
from math import ceil
from typing import Iterable
from urllib.parse import quote, urlencode

import pyoxigraph as ox
from fastapi import Request
from markupsafe import Markup

from api import network, vocabulary_page
from api.errors import ApiError
from api.namer import Namer, format_links
from api.negotiation import Format
from api.templating import templates
from kg import connections, resource
from kg.labels import LABEL_PROPERTIES
from kg.namespaces import RDF, SCHEMA, SKOS
from kg.resource import Description, Node

PAGE_SIZE = 50
_SCHEMA = str(SCHEMA)


def render(request: Request, store: ox.Store, iri: str, formats: dict[Format, str]) -> bytes:
    """The page of ``iri``. Raises UnknownResource, ApiError 400 (bad paging)."""
    base = request.app.state.minter.base
    if iri == base + "vocab/":
        return vocabulary_page.render(request, store, iri, formats)
    description = resource.describe(store, base, iri)
    inverse = _inverse(request, store, base, iri)
    panels = _panels(store, base, description)
    namer = Namer(base, _labels(store, base, description, inverse, panels))
    context = {
        "iri": iri, "title": namer.node(ox.NamedNode(iri)), "types": [namer.property(t.value) for t in description.types()],
        "sections": _sections(description, namer), "inverse": _inverse_view(inverse, namer),
        "inverse_focus": "inverse" in request.query_params,
        "panels": _panels_view(panels, namer), "formats": format_links(formats), "schema_org": schema_org(description, namer),
        "freshness": request.app.state.dataset.summary(), "network": _network(iri, panels),
    }
    return templates.env.get_template("resource.html").render(context).encode("utf-8")


def _sections(description: Description, namer: Namer) -> list[dict]:
    """The resource's own properties, then one section per hash part / blank node (``id``: the fragment)."""
    sections = []
    for subject in (ox.NamedNode(description.iri), *description.parts):
        fragment = subject.value.partition("#")[2] if isinstance(subject, ox.NamedNode) else f"_{subject.value}"
        sections.append({"id": fragment, "node": namer.node(subject), "rows": _rows(description, subject, namer)})
    return sections


def _rows(description: Description, subject: Node, namer: Namer) -> list[dict]:
    """One row per property of ``subject``, its values sorted by what the reader sees."""
    rows: dict[str, dict] = {}
    for triple in description.about(subject):
        row = rows.setdefault(triple.predicate.value, {"property": namer.property(triple.predicate.value), "values": []})
        row["values"].append(namer.node(triple.object))
    for row in rows.values():
        row["values"].sort(key=lambda value: value["text"])
    return sorted(rows.values(), key=_row_order)


def _row_order(row: dict) -> tuple[int, str]:
    """``rdf:type`` first, then the names, then the rest by CURIE (or IRI)."""
    iri = row["property"]["iri"]
    rank = 0 if iri == RDF.type.value else 1 if iri in {p.value for p in LABEL_PROPERTIES} else 2
    return rank, row["property"]["curie"] or iri


def _page_number(request: Request) -> int:
    raw = request.query_params.get("inverse_page", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise ApiError(400, f"inverse_page must be a whole number from 1 (got {raw!r})", {"Vary": "Accept"})
    return int(raw)


def _inverse(request: Request, store: ox.Store, base: str, iri: str) -> list[resource.InversePage]:
    """One page of subjects per property pointing here (only ``?inverse=`` if given)."""
    focus, number = request.query_params.get("inverse"), _page_number(request)
    groups = resource.inverse_counts(store, base, iri)
    if focus is not None:
        groups = [g for g in groups if g.property.value == focus] or [resource.InverseGroup(_property(focus), 0)]
    offset = (number - 1) * PAGE_SIZE
    return [resource.inverse_page(store, base, iri, g.property, offset, PAGE_SIZE, g.count) for g in groups]


def _property(value: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(value)
    except ValueError:
        raise ApiError(400, f"inverse must be the IRI of a property (got {value!r})", {"Vary": "Accept"}) from None


def _inverse_view(pages: list[resource.InversePage], namer: Namer) -> list[dict]:
    views = []
    for page in pages:
        number, last_page = page.offset // PAGE_SIZE + 1, max(1, ceil(page.count / PAGE_SIZE))
        views.append({
            "property": namer.property(page.property.value), "count": page.count,
            "first": page.offset + 1 if page.subjects else 0, "last": page.offset + len(page.subjects),
            "items": [namer.node(s) for s in page.subjects], "page": number, "pages": last_page,
            "next": _page_link(page.property, number + 1) if number < last_page else None,
            "previous": _page_link(page.property, min(number - 1, last_page)) if number > 1 else None,
        })
    return views


def _page_link(prop: ox.NamedNode, number: int) -> str:
    return "?" + urlencode({"inverse": prop.value, "inverse_page": number})


def _panels(store: ox.Store, base: str, description: Description) -> dict:
    """The connections shown beside the description, by the resource's types."""
    iri, types = description.iri, set(description.types())
    panels: dict = {}
    if SCHEMA.VideoObject in types:
        panels["concepts"] = connections.lecture_concepts(store, base, iri)
        panels["holdings"] = connections.lecture_holdings(store, base, iri)
        panels["related"] = connections.lecture_related(store, base, iri)
        videos = [t.object.value for t in description.about(ox.NamedNode(iri)) if t.predicate == SCHEMA.contentUrl]
        panels["video"] = videos[0] if videos else None
    if SKOS.Concept in types:
        panels["lectures"] = connections.concept_lectures(store, base, iri)
    if SCHEMA.Book in types:
        panels["leads"] = connections.holding_lectures(store, base, iri)
    return panels


def _network(iri: str, panels: dict) -> dict | None:
    """Where the network view of a lecture, concept or holding page gets its data; None for other pages."""
    if not {"concepts", "lectures", "leads"} & panels.keys():
        return None
    return {"src": "/api/network?uri=" + quote(iri, safe=""), "available": network.available()}


def _panel_nodes(panels: dict) -> Iterable[str]:
    for use in panels.get("concepts", ()):
        yield use.concept
    for link in (*panels.get("holdings", ()), *panels.get("leads", ())):
        yield from (link.lecture, link.target, *link.evidence)
    for link in panels.get("related", ()):
        yield link.target
    for use in panels.get("lectures", ()):
        yield use.lecture


def _labels(store: ox.Store, base: str, description: Description, inverse: list[resource.InversePage],
            panels: dict) -> dict[str, ox.Literal]:
    """Labels of every node and property the page names: the description's own, then looked up."""
    known = description.labels()
    wanted: set[str] = {t.predicate.value for t in description.triples}
    wanted |= {p.property.value for p in inverse}
    wanted |= {s.value for p in inverse for s in p.subjects if isinstance(s, ox.NamedNode)}
    wanted |= set(_panel_nodes(panels))
    missing = [ox.NamedNode(iri) for iri in wanted - set(known)]
    return {**known, **resource.labels(store, base, missing)}


def _panels_view(panels: dict, namer: Namer) -> dict:
    view: dict = {}
    video = panels.get("video")
    if "concepts" in panels:
        view["keywords"] = [_use(u, namer, video) for u in panels["concepts"] if not u.knowledge_point]
        view["knowledge_points"] = [_use(u, namer, video) for u in panels["concepts"] if u.knowledge_point]
        view["holdings"] = [_scored(link, namer, link.target) for link in panels["holdings"]]
        view["related"] = [{**_scored(link, namer, link.target), "shared": link.evidence} for link in panels["related"]]
    if "lectures" in panels:
        view["lectures"] = [{"lecture": namer.node(ox.NamedNode(u.lecture)), "rank": u.rank,
                             "moments": _moments(u.moments, namer, u.video)} for u in panels["lectures"]]
    if "leads" in panels:
        view["leads"] = [_scored(link, namer, link.lecture) for link in panels["leads"]]
    return view


def _use(use: connections.ConceptUse, namer: Namer, video: str | None) -> dict:
    return {"concept": namer.node(ox.NamedNode(use.concept)), "rank": use.rank, "weight": use.weight,
            "moments": _moments(use.moments, namer, video)}


def _scored(link: connections.ScoredLink, namer: Namer, shown: str) -> dict:
    matched = [namer.node(ox.NamedNode(e)) for e in link.evidence if "://" in e]
    return {"node": namer.node(ox.NamedNode(shown)), "score": link.score, "rank": link.rank, "matched": matched}


def _moments(moments: Iterable[connections.Moment], namer: Namer, video: str | None) -> list[dict]:
    target = namer.href(video) if video else None
    return [{"text": f"{_clock(m.start)}–{_clock(m.end)}", "href": f"{target}#{m.fragment}" if target else None}
            for m in moments]


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{rest:02d}" if minutes >= 60 else f"{minutes}:{rest:02d}"


def schema_org(description: Description, namer: Namer) -> Markup:
    """The schema.org statements about the resource as JSON-LD, safe inside ``<script>``."""
    iri = description.iri
    node: dict = {"@context": {"@vocab": _SCHEMA}, "@id": iri}
    types = [t.value[len(_SCHEMA):] for t in description.types() if t.value.startswith(_SCHEMA)]
    if types:
        node["@type"] = types if len(types) > 1 else types[0]
    for triple in description.about(ox.NamedNode(iri)):
        if triple.predicate.value.startswith(_SCHEMA) and not isinstance(triple.object, ox.BlankNode):
            node.setdefault(triple.predicate.value[len(_SCHEMA):], []).append(_schema_value(triple.object, namer))
    title = namer.labels.get(iri)
    if "name" not in node and title is not None:
        node["name"] = [_schema_value(title, namer)]
    node = {key: value[0] if isinstance(value, list) and len(value) == 1 else value for key, value in node.items()}
    text = json.dumps(node, ensure_ascii=False, indent=1)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _schema_value(term: ox.NamedNode | ox.Literal, namer: Namer) -> dict | str:
    if isinstance(term, ox.NamedNode):
        label = namer.labels.get(term.value)
        return {"@id": term.value, "name": label.value} if label else {"@id": term.value}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    if term.datatype.value.endswith("#string"):
        return term.value
    return {"@value": term.value, "@type": term.datatype.value}
