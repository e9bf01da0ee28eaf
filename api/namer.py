"""Naming things on a page: labels for nodes and properties, safe links, literals.

``Namer`` turns RDF terms into the small dicts the templates show: a label by
the fallback of ``kg.labels`` (or a short form of the IRI), an ``href`` only
for ``http(s)`` IRIs (never ``javascript:`` or other schemes from the data),
a literal's language and datatype. Raises nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from urllib.parse import unquote, urlsplit

import pyoxigraph as ox

from api.negotiation import Format
from kg.labels import curie, standard_term
from kg.syntax import prefixes
from kg.resource import Node

LONG_TEXT = 280


@dataclass(frozen=True)
class Namer:
    """Names nodes, properties and literals for one page, from the labels found for it."""

    base: str
    labels: dict[str, ox.Literal]

    @cached_property
    def prefixes(self) -> dict[str, str]:
        """Our prefixes (``kg:`` and the standard ones) for CURIEs."""
        return prefixes(self.base)

    def href(self, iri: str) -> str | None:
        """The link target for an IRI from the data: only http(s) IRIs become links."""
        return iri if urlsplit(iri).scheme.lower() in ("http", "https") else None

    def short(self, iri: str) -> str:
        """An IRI without label: ours relative to the base and decoded, else a CURIE, else itself."""
        if iri.startswith(self.base) and iri != self.base:
            return unquote(iri[len(self.base):])
        return curie(iri, self.prefixes) or iri

    def node(self, term: Node | ox.Literal) -> dict:
        """A value for the template: a link (with label) or a literal (with language and datatype)."""
        if isinstance(term, ox.Literal):
            return self.literal(term)
        if isinstance(term, ox.BlankNode):
            return {"text": f"_:{term.value}", "href": None, "iri": None, "lang": None}
        label, standard = self.labels.get(term.value), standard_term(term.value)
        text = label.value if label else (standard[0] if standard else self.short(term.value))
        return {"text": text, "href": self.href(term.value), "iri": term.value, "lang": label.language if label else None}

    def literal(self, term: ox.Literal) -> dict:
        datatype = term.datatype.value
        shown = None if term.language or datatype.endswith(("#string", "#langString")) else datatype
        return {"text": term.value, "lang": term.language, "datatype": shown and (curie(shown, self.prefixes) or shown),
                "long": len(term.value) > LONG_TEXT, "literal": True}

    def property(self, iri: str) -> dict:
        """A property (or type) name: our ontology's label, the built-in table, else its CURIE."""
        label, standard = self.labels.get(iri), standard_term(iri)
        text = label.value if label else (standard[0] if standard else self.short(iri))
        english = standard[1] if standard and not label else None
        return {"text": text, "english": english, "href": self.href(iri), "iri": iri, "curie": curie(iri, self.prefixes)}


def format_links(formats: dict[Format, str]) -> list[dict]:
    """The links to every format of a document, for the page footer."""
    return [{"name": f.name, "extension": f.extension, "media_type": f.media_type, "href": href}
            for f, href in formats.items()]
