"""The SPARQL 1.1 Service Description of the endpoint, with VoID statistics, as RDF triples.

Nodes are hash IRIs under the endpoint (``…/sparql#service``,
``…/sparql#dataset``, ``…/sparql#graph-1``), so the description has no blank
nodes and reads the same in every syntax. It says:

- the endpoint, the languages (SPARQL 1.0 and 1.1 Query; no Update), every
  result format, the union default graph and, only when SERVICE is allowed
  somewhere, basic federated query;
- the default dataset: a default graph that is the union of all graphs, and
  each named graph with its name and ``void:triples``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Mapping

import pyoxigraph as ox

from sparql import media

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DCTERMS_TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
RDFS_SEE_ALSO = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
PREFIXES = {"sd": SD, "void": VOID, "dcterms": "http://purl.org/dc/terms/",
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "formats": "http://www.w3.org/ns/formats/"}


def sd(name: str) -> ox.NamedNode:
    return ox.NamedNode(SD + name)


def void(name: str) -> ox.NamedNode:
    return ox.NamedNode(VOID + name)


@dataclass(frozen=True)
class Statistics:
    """Triples in the default graph (the union) and in each named graph, by graph IRI.

    ``total`` is None, and ``graphs`` empty, when they could not be counted within the limits.
    """
    total: int | None
    graphs: Mapping[str, int]


def describe(endpoint: str, statistics: Statistics, *, federated: bool = False, title: str | None = None,
             dataset: str | None = None, comment: str | None = None) -> list[ox.Triple]:
    """The service description of ``endpoint`` (an absolute IRI). Raises ValueError if it is not one.

    Triples come grouped by subject, so Turtle writes each node once.
    """
    triples = list(_triples(endpoint, statistics, federated, title, dataset, comment))
    order = {subject: n for n, subject in enumerate(dict.fromkeys(t.subject for t in triples))}
    return sorted(triples, key=lambda t: order[t.subject])


def _triples(endpoint: str, statistics: Statistics, federated: bool, title: str | None,
             dataset: str | None, comment: str | None) -> Iterator[ox.Triple]:
    service, data = ox.NamedNode(endpoint + "#service"), ox.NamedNode(endpoint + "#dataset")
    default = ox.NamedNode(endpoint + "#default-graph")
    yield ox.Triple(service, RDF_TYPE, sd("Service"))
    yield ox.Triple(service, sd("endpoint"), ox.NamedNode(endpoint))
    for language in ("SPARQL10Query", "SPARQL11Query"):
        yield ox.Triple(service, sd("supportedLanguage"), sd(language))
    for fmt in (*media.RESULT_FORMATS, *media.GRAPH_FORMATS):
        yield ox.Triple(service, sd("resultFormat"), ox.NamedNode(fmt.iri))
    yield ox.Triple(service, sd("feature"), sd("UnionDefaultGraph"))
    if federated:
        yield ox.Triple(service, sd("feature"), sd("BasicFederatedQuery"))
    if title:
        yield ox.Triple(service, DCTERMS_TITLE, ox.Literal(title))
    if comment:
        yield ox.Triple(service, RDFS_COMMENT, ox.Literal(comment, language="en"))
    yield ox.Triple(service, sd("defaultDataset"), data)
    yield ox.Triple(data, RDF_TYPE, sd("Dataset"))
    yield ox.Triple(data, RDF_TYPE, void("Dataset"))
    yield ox.Triple(data, void("sparqlEndpoint"), ox.NamedNode(endpoint))
    if statistics.total is not None:
        yield ox.Triple(data, void("triples"), _integer(statistics.total))
    if dataset:
        yield ox.Triple(data, RDFS_SEE_ALSO, ox.NamedNode(dataset))
    yield ox.Triple(data, sd("defaultGraph"), default)
    yield ox.Triple(default, RDF_TYPE, sd("Graph"))
    if statistics.total is not None:
        yield ox.Triple(default, void("triples"), _integer(statistics.total))
    for number, (name, count) in enumerate(sorted(statistics.graphs.items()), start=1):
        named, graph = ox.NamedNode(f"{endpoint}#named-graph-{number}"), ox.NamedNode(f"{endpoint}#graph-{number}")
        yield ox.Triple(data, sd("namedGraph"), named)
        yield ox.Triple(named, RDF_TYPE, sd("NamedGraph"))
        yield ox.Triple(named, sd("name"), ox.NamedNode(name))
        yield ox.Triple(named, sd("graph"), graph)
        yield ox.Triple(graph, RDF_TYPE, sd("Graph"))
        yield ox.Triple(graph, void("triples"), _integer(count))


def _integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=XSD_INTEGER)
