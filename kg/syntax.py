"""The RDF syntaxes a resource document is written in, and writing triples in them.

``SYNTAXES`` maps a document extension to its ``pyoxigraph.RdfFormat`` (which
knows its media type), so no MIME table is kept by hand. Turtle, N-Triples and
RDF/XML are written by pyoxigraph; JSON-LD by rdflib, because pyoxigraph
writes expanded JSON-LD only and our documents carry a ``@context`` with our
prefixes (``kg:``, ``schema:``, ``skos:``, ``dcterms:``, ``oa:``, ``prov:`` …),
inline, so that no remote context is ever needed to read them.
"""

from __future__ import annotations

import json
from typing import Iterable

import pyoxigraph as ox

from kg.namespaces import PREFIXES

SYNTAXES: dict[str, ox.RdfFormat] = {
    "ttl": ox.RdfFormat.TURTLE,
    "jsonld": ox.RdfFormat.JSON_LD,
    "nt": ox.RdfFormat.N_TRIPLES,
    "rdf": ox.RdfFormat.RDF_XML,
}


def prefixes(base: str) -> dict[str, str]:
    """Our prefixes: ``kg:`` for ``{base}vocab/`` and the standard vocabularies of ``kg.namespaces``."""
    return {"kg": base + "vocab/", **PREFIXES}


def context(base: str) -> dict[str, str]:
    """The JSON-LD ``@context`` of our documents (prefix definitions only)."""
    return dict(sorted(prefixes(base).items()))


def write(triples: Iterable[ox.Triple], syntax: ox.RdfFormat, base: str) -> bytes:
    """``triples`` in ``syntax`` (one of ``SYNTAXES``), UTF-8.

    Raises ValueError for a syntax that is not one of ``SYNTAXES``.
    """
    if syntax not in SYNTAXES.values():
        raise ValueError(f"cannot write {syntax.name}; written: {', '.join(f.name for f in SYNTAXES.values())}")
    triples = list(triples)
    if syntax == ox.RdfFormat.JSON_LD:
        return _json_ld(triples, base)
    return ox.serialize(triples, format=syntax, prefixes=prefixes(base) if syntax != ox.RdfFormat.N_TRIPLES else None)


def _json_ld(triples: list[ox.Triple], base: str) -> bytes:
    """Compact JSON-LD with our inline ``@context`` (rdflib does the compaction)."""
    import rdflib  # lazily: only JSON-LD documents need it

    graph = rdflib.Graph()
    if triples:
        graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    text = graph.serialize(format="json-ld", context=context(base), auto_compact=True)
    document = json.loads(text)
    if not isinstance(document, dict) or "@context" not in document:  # an empty graph compacts to []
        document = {"@context": context(base), "@graph": document if isinstance(document, list) else []}
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
