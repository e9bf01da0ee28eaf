"""Which document a client gets: extension, then ``?format=``, then ``Accept``.

The formats are HTML for people and the RDF syntaxes of ``kg.syntax`` (their
media types come from ``pyoxigraph.RdfFormat``). ``Accept`` is read as RFC 9110
says: q-values, ``type/*`` and ``*/*`` ranges, the most specific range decides
a type's quality, ``q=0`` refuses; ties go to the server's order (HTML first,
so a client that states no preference gets a page). ``application/json``
counts as JSON-LD and ``application/xhtml+xml`` as HTML.

Errors: ``NotAcceptable`` (nothing offered is acceptable, or an unknown
``?format=``); its message names what is offered.
"""

from __future__ import annotations

from dataclasses import dataclass

from kg.syntax import SYNTAXES
from sparql.media import parse_accept, quality


@dataclass(frozen=True)
class Format:
    """A document format: its extension, media type, other media types it answers to, and a name."""

    extension: str
    media_type: str
    name: str
    aliases: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        """The Content-Type header value (UTF-8 for the text formats we write)."""
        return f"{self.media_type}; charset=utf-8"


HTML = Format("html", "text/html", "HTML", ("application/xhtml+xml",))
FORMATS: tuple[Format, ...] = (HTML, *(
    Format(ext, fmt.media_type, fmt.name, ("application/json",) if ext == "jsonld" else ())
    for ext, fmt in SYNTAXES.items()))


class NotAcceptable(ValueError):
    """Nothing the server offers is acceptable to the client."""

    def __init__(self, asked: str) -> None:
        self.asked = asked
        super().__init__(f"cannot answer {asked}; offered: {offered()}")


def offered() -> str:
    """What the server offers, for 406 messages: media types and ``?format=`` values."""
    return ", ".join(f.media_type for f in FORMATS) + " (or ?format=" + "|".join(f.extension for f in FORMATS) + ")"


def by_extension(extension: str) -> Format | None:
    """The format of a document extension (``ttl``), or None."""
    return next((f for f in FORMATS if f.extension == extension), None)


def from_parameter(value: str) -> Format:
    """The format named by ``?format=``: an extension (``ttl``) or a media type. Raises NotAcceptable."""
    wanted = value.strip().lower()
    for candidate in FORMATS:
        if wanted in (candidate.extension, candidate.media_type, *candidate.aliases):
            return candidate
    raise NotAcceptable(f"?format={value}")


def negotiate(accept: str | None) -> Format:
    """The best format for an ``Accept`` header (absent or empty: HTML). Raises NotAcceptable."""
    ranges = parse_accept(accept)
    best, best_quality = None, 0.0
    for candidate in FORMATS:
        q = quality(candidate.media_type, ranges, candidate.aliases)
        if q > best_quality:
            best, best_quality = candidate, q
    if best is None:
        raise NotAcceptable(f"Accept: {accept}")
    return best
