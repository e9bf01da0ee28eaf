"""The standard vocabularies the graph uses, as pyoxigraph term factories."""

from __future__ import annotations

from functools import lru_cache

import pyoxigraph as ox


class Namespace:
    """``SCHEMA.name`` → ``NamedNode('http://schema.org/name')``.

    Not a ``str`` subclass on purpose: ``DCTERMS.title`` must be the term, not
    ``str.title``.
    """

    def __init__(self, base: str) -> None:
        self._base = base

    def __str__(self) -> str:
        return self._base

    def __getattr__(self, name: str) -> ox.NamedNode:
        if name.startswith("__"):
            raise AttributeError(name)
        return _node(self._base + name)

    def __getitem__(self, name: str) -> ox.NamedNode:
        return _node(self._base + name)


@lru_cache(maxsize=4096)
def _node(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
SCHEMA = Namespace("http://schema.org/")
DCTERMS = Namespace("http://purl.org/dc/terms/")
DC = Namespace("http://purl.org/dc/elements/1.1/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
OA = Namespace("http://www.w3.org/ns/oa#")
PROV = Namespace("http://www.w3.org/ns/prov#")
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")

PREFIXES = {
    "rdf": str(RDF), "rdfs": str(RDFS), "xsd": str(XSD), "owl": str(OWL), "schema": str(SCHEMA),
    "dcterms": str(DCTERMS), "dc": str(DC), "skos": str(SKOS), "oa": str(OA), "prov": str(PROV),
    "void": str(VOID), "dcat": str(DCAT), "foaf": str(FOAF),
}

MEDIA_FRAGMENTS = _node("http://www.w3.org/TR/media-frags/")
