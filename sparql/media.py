"""Media types ↔ result formats, and content negotiation (``Accept`` with q-values, ``format=``).

The formats are pyoxigraph's own objects, which know their media type and
file extension, so there is no hand-kept MIME table; only a few aliases
that clients send are added (``application/json``, ``text/xml``…).

- SELECT and ASK answers: ``QueryResultsFormat`` JSON, XML, CSV, TSV;
- CONSTRUCT and DESCRIBE answers (and the service description): ``RdfFormat``
  Turtle, N-Triples, RDF/XML, JSON-LD.

An explicit ``format`` parameter beats ``Accept``. Among equally acceptable
formats the first one listed above wins, so ``*/*`` gets JSON or Turtle.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Sequence

import pyoxigraph as ox

from sparql.errors import MalformedRequest, NotAcceptable

RESULT_FORMATS: tuple[ox.QueryResultsFormat, ...] = (
    ox.QueryResultsFormat.JSON, ox.QueryResultsFormat.XML, ox.QueryResultsFormat.CSV, ox.QueryResultsFormat.TSV)
GRAPH_FORMATS: tuple[ox.RdfFormat, ...] = (
    ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES, ox.RdfFormat.RDF_XML, ox.RdfFormat.JSON_LD)
HTML = "text/html"

_RESULT_ALIASES = {"application/json": ox.QueryResultsFormat.JSON, "application/xml": ox.QueryResultsFormat.XML,
                   "text/xml": ox.QueryResultsFormat.XML}
_GRAPH_ALIASES = {"application/x-turtle": ox.RdfFormat.TURTLE, "text/plain": ox.RdfFormat.N_TRIPLES,
                  "application/json": ox.RdfFormat.JSON_LD, "application/xml": ox.RdfFormat.RDF_XML,
                  "text/xml": ox.RdfFormat.RDF_XML}
# format= names besides each format's own file extension (srj, srx, csv, tsv, ttl, nt, rdf, jsonld)
_NAMES: dict[str, tuple[ox.QueryResultsFormat | None, ox.RdfFormat | None]] = {
    "json": (ox.QueryResultsFormat.JSON, ox.RdfFormat.JSON_LD),
    "xml": (ox.QueryResultsFormat.XML, ox.RdfFormat.RDF_XML),
    "csv": (ox.QueryResultsFormat.CSV, None),
    "tsv": (ox.QueryResultsFormat.TSV, None),
    "turtle": (None, ox.RdfFormat.TURTLE),
    "ntriples": (None, ox.RdfFormat.N_TRIPLES), "n-triples": (None, ox.RdfFormat.N_TRIPLES),
    "rdfxml": (None, ox.RdfFormat.RDF_XML), "rdf+xml": (None, ox.RdfFormat.RDF_XML),
    "json-ld": (None, ox.RdfFormat.JSON_LD),
}
for _f in RESULT_FORMATS:
    _NAMES.setdefault(_f.file_extension, (_f, None))
for _g in GRAPH_FORMATS:
    _NAMES.setdefault(_g.file_extension, (None, _g))


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float

    @property
    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*")

    def matches(self, media_type: str) -> bool:
        kind, _, sub = media_type.partition("/")
        return self.type in ("*", kind) and self.subtype in ("*", sub)


@dataclass(frozen=True)
class Choice:
    """The format to use for each kind of answer; None where the client accepts none."""
    results: ox.QueryResultsFormat | None
    graph: ox.RdfFormat | None


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; a missing or empty header accepts everything."""
    ranges = []
    for item in (header or "*/*").split(","):
        kind, *params = [part.strip() for part in item.split(";")]
        if "/" not in kind:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(1.0, max(0.0, float(value)))
                except ValueError:
                    q = 0.0
        main, _, sub = kind.lower().partition("/")
        ranges.append(MediaRange(main, sub, q))
    return ranges or [MediaRange("*", "*", 1.0)]


def quality(media_type: str, ranges: Sequence[MediaRange], aliases: Sequence[str] = ()) -> float:
    """How much the client wants ``media_type``: the q of the most specific range matching it.

    With ``aliases`` (other names of the same format, e.g. ``application/json``
    for JSON-LD) the most specific range matching any of the names decides, so
    ``text/html;q=0`` refuses HTML even though ``*/*`` matches its alias.
    """
    matching = [r for name in (media_type, *aliases) for r in ranges if r.matches(name)]
    return max(matching, key=lambda r: r.specificity).q if matching else 0.0


def negotiate(offers: Sequence[str], accept: str | None) -> str | None:
    """The offer the client wants most (ties: the earlier offer), or None when it accepts none."""
    ranges = parse_accept(accept)
    best, best_q = None, 0.0
    for offer in offers:
        q = quality(offer, ranges)
        if q > best_q:
            best, best_q = offer, q
    return best


def essence(fmt: ox.QueryResultsFormat | ox.RdfFormat) -> str:
    """The format's media type without parameters (``text/csv``, not ``text/csv; charset=utf-8``)."""
    return fmt.media_type.split(";")[0].strip()


def _result_offers() -> list[str]:
    return [essence(f) for f in RESULT_FORMATS] + list(_RESULT_ALIASES)


def _graph_offers() -> list[str]:
    return [essence(f) for f in GRAPH_FORMATS] + list(_GRAPH_ALIASES)


def result_format(media_type: str) -> ox.QueryResultsFormat | None:
    """The results format of a media type (parameters ignored), or None."""
    key = media_type.split(";")[0].strip().lower()
    return _RESULT_ALIASES.get(key) or next((f for f in RESULT_FORMATS if essence(f) == key), None)


def graph_format(media_type: str) -> ox.RdfFormat | None:
    """The RDF format of a media type (parameters ignored), or None."""
    key = media_type.split(";")[0].strip().lower()
    return _GRAPH_ALIASES.get(key) or next((f for f in GRAPH_FORMATS if essence(f) == key), None)


def named(name: str) -> Choice:
    """The formats a ``format=`` value names: a short name (``json``, ``ttl``…) or a media type.

    Raises MalformedRequest listing the accepted names.
    """
    key = name.strip().lower()
    if "/" in key:
        choice = Choice(result_format(key), graph_format(key))
        if choice.results or choice.graph:
            return choice
    elif key in _NAMES:
        return Choice(*_NAMES[key])
    raise MalformedRequest(f"unknown format {name!r}; use one of {', '.join(sorted(_NAMES))} or a media type "
                           f"({', '.join(offered())})")


def choose(accept: str | None, explicit: str | None) -> Choice:
    """The formats for a query's answer, from ``format=`` if given, else from ``Accept``.

    Raises MalformedRequest for an unknown ``format`` value and NotAcceptable
    when the client accepts no format of either kind. (Answers for the usual,
    short headers are remembered: clients send the same few again and again.)
    """
    if len(accept or "") + len(explicit or "") <= 512:
        return _remembered_choice(accept, explicit)
    return _choose(accept, explicit)


@functools.lru_cache(maxsize=256)
def _remembered_choice(accept: str | None, explicit: str | None) -> Choice:
    return _choose(accept, explicit)


def _choose(accept: str | None, explicit: str | None) -> Choice:
    if explicit:
        return named(explicit)
    results, graph = negotiate(_result_offers(), accept), negotiate(_graph_offers(), accept)
    choice = Choice(result_format(results) if results else None, graph_format(graph) if graph else None)
    if choice.results is None and choice.graph is None:
        raise NotAcceptable(f"no answer format matches Accept: {accept}; this endpoint can send "
                            f"{', '.join(offered())}")
    return choice


def choose_description(accept: str | None, explicit: str | None) -> ox.RdfFormat | str:
    """The format of the service description: an ``RdfFormat``, or ``HTML`` for the query page.

    Raises MalformedRequest for an unknown ``format`` value and NotAcceptable
    naming the formats offered.
    """
    if explicit and explicit.strip().lower() in ("html", HTML):
        return HTML
    if explicit:
        choice = named(explicit)
        if choice.graph is None:
            raise NotAcceptable(f"the service description is RDF; format={explicit} is not an RDF syntax "
                                f"(use one of {', '.join(offered('graph'))} or html)")
        return choice.graph
    best = negotiate(_graph_offers() + [HTML], accept)
    if best is None:
        raise NotAcceptable(f"no format matches Accept: {accept}; the service description can be sent as "
                            f"{', '.join(offered('graph') + [HTML])}")
    return HTML if best == HTML else graph_format(best)  # type: ignore[return-value]


def offered(kind: str | None = None) -> list[str]:
    """The media types that can be sent: for ``"results"`` (SELECT/ASK), ``"graph"`` or both."""
    results = [essence(f) for f in RESULT_FORMATS] if kind in (None, "results") else []
    return results + ([essence(f) for f in GRAPH_FORMATS] if kind in (None, "graph") else [])


def content_type(media_type: str) -> str:
    """The ``Content-Type`` for an answer of ``media_type`` (UTF-8 named for text types)."""
    if media_type.startswith("text/") and "charset=" not in media_type:
        return media_type + "; charset=utf-8"
    return media_type
