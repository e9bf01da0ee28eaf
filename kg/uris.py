"""Every URI the project mints, from stable source identifiers, in one place.

A rebuild of the same input gives the same URIs. Path segments are
percent-encoded UTF-8 (RFC 3987 → RFC 3986): ``keyword/丝绸之路`` becomes
``keyword/%E4%B8%9D%E7%BB%B8%E4%B9%8B%E8%B7%AF``, so the IRI in the graph, the
``Location`` header and the link in a page are the same string.

Layout under the base URI::

    lecture/{library}/{id}            a lecture (schema:VideoObject)
    series/{library}/{name}           a lecture series (schema:CreativeWorkSeries)
    person/{name}                     a speaker
    library/{library}                 a contributing library
    holding/{library}/{id}            a book record of that library's catalogue
    keyword/{folded label}            a keyword concept (shared by all libraries)
    clc/{notation}                    a Chinese Library Classification class
    mention/{library}/{id}/{hash}     a time-coded mention (oa:Annotation)
    link/{library}/{id}/{holding}     a scored lecture → holding link
    relation/{library}/{id}/{hash}    a scored lecture → lecture relation
    activity/{hash}                   a build (prov:Activity)
    graph/{library}                   named graph: a library's own data
    graph/{library}/derived           named graph: what the pipeline derived for it
    graph/vocabularies                named graph: CLC, thesauri, our ontology
    graph/meta                        named graph: dataset description, provenance
    vocab/{term}                      a term of our ontology
    scheme/keywords, scheme/clc       concept schemes
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote, unquote

_SAFE = "-._~!$&'()*+,;=:@"  # pchar minus "/" (RFC 3986 §3.3)


def segment(value: str) -> str:
    """Percent-encode one path segment (UTF-8), leaving RFC 3986 pchars alone."""
    return quote(value, safe=_SAFE)


def digest(*parts: object) -> str:
    """A short stable hash of the parts, for resources without a natural key."""
    return hashlib.sha1("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:12]


class Minter:
    """Mints the project's URIs under one base URI (ending with ``/``)."""

    def __init__(self, base: str) -> None:
        self.base = base if base.endswith("/") else base + "/"

    def _uri(self, *segments: str) -> str:
        return self.base + "/".join(segment(s) for s in segments)

    def lecture(self, library: str, lecture_id: str) -> str:
        return self._uri("lecture", library, lecture_id)

    def series(self, library: str, name: str) -> str:
        return self._uri("series", library, name)

    def person(self, name: str) -> str:
        return self._uri("person", name)

    def library(self, library: str) -> str:
        return self._uri("library", library)

    def holding(self, library: str, holding_id: str) -> str:
        return self._uri("holding", library, holding_id)

    def keyword(self, key: str) -> str:
        return self._uri("keyword", key)

    def clc(self, notation: str) -> str:
        return self._uri("clc", notation)

    def mention(self, library: str, lecture_id: str, concept: str, start: float) -> str:
        return self._uri("mention", library, lecture_id, digest(concept, f"{start:.3f}"))

    def link(self, library: str, lecture_id: str, holding_id: str) -> str:
        return self._uri("link", library, lecture_id, holding_id)

    def relation(self, library: str, lecture_id: str, other: tuple[str, str]) -> str:
        return self._uri("relation", library, lecture_id, digest(*other))

    def publication(self, library: str, activity: str) -> str:
        return self._uri("publication", library, activity)

    def activity(self, fingerprint: str) -> str:
        return self._uri("activity", fingerprint)

    def graph(self, name: str, *rest: str) -> str:
        return self._uri("graph", name, *rest)

    def term(self, name: str) -> str:
        return self._uri("vocab", name)

    def scheme(self, name: str) -> str:
        return self._uri("scheme", name)

    @property
    def vocab(self) -> str:
        return self.base + "vocab/"

    def split(self, uri: str) -> tuple[str, ...] | None:
        """The decoded path segments of one of our URIs, or None if it is not ours."""
        if not uri.startswith(self.base):
            return None
        return tuple(unquote(part) for part in uri[len(self.base):].split("/"))
