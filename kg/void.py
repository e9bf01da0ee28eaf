"""The dataset described in VoID and DCAT: its parts, their sizes, their dump files.

``describe(store, stamp, license, files)`` gives the triples of the
description served at ``/.well-known/void`` and written as ``void.ttl``::

    <{base}.well-known/void> a void:DatasetDescription ; foaf:primaryTopic <{base}dataset> .
    <{base}dataset> a void:Dataset, dcat:Dataset ;            # the whole dataset
        dcterms:modified "<build finished>"^^xsd:dateTime ; dcterms:license <license> ;
        void:triples 79166 ; void:sparqlEndpoint <{base}sparql> ; void:uriSpace "{base}" ;
        void:exampleResource <lecture/…> ; void:dataDump <{base}dumps/opencourse-kg.nq.gz> ;
        void:subset <{base}graph/nlc>, …, <{base}dataset#library-nlc> ;
        dcat:distribution <{base}dumps/#opencourse-kg.nq.gz> .
    <{base}dumps/#opencourse-kg.nq.gz> a dcat:Distribution ;
        dcat:downloadURL <{base}dumps/opencourse-kg.nq.gz> ;
        dcat:mediaType <https://www.iana.org/assignments/media-types/application/n-quads> ;
        dcat:compressFormat <https://www.iana.org/assignments/media-types/application/gzip> ;
        dcat:byteSize "123"^^xsd:nonNegativeInteger ;
        spdx:checksum [ a spdx:Checksum ; spdx:algorithm spdx:checksumAlgorithm_sha256 ;
                        spdx:checksumValue "…"^^xsd:hexBinary ] .

Media types are IANA IRIs typed ``dcterms:MediaType``, as DCAT 3 recommends,
for both ``dcat:mediaType`` and ``dcat:compressFormat``. ``void:triples`` of
the whole dataset is the number of quads (what the N-Quads dump holds); of a
library, the sum of its two graphs. Without ``files`` (nothing dumped yet)
the description has no distributions and no ``void:dataDump``.

Every query is a named ``.rq`` file in ``sparql/queries/`` (``void_*``).
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from importlib import resources
from typing import Iterable, Sequence

import pyoxigraph as ox

from kg.distribution import BuildStamp, DumpFile
from kg.namespaces import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, SCHEMA, VOID, XSD, Namespace
from kg.partition import Graph, Part, dataset_iri, parts
from kg.uris import Minter

SPDX = Namespace("http://spdx.org/rdf/terms#")
IANA = "https://www.iana.org/assignments/media-types/"
SYNTAXES = (ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES, ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML)
PREFIXES = {"void": str(VOID), "dcat": str(DCAT), "dcterms": str(DCTERMS), "spdx": str(SPDX), "xsd": str(XSD),
            "foaf": str(FOAF), "prov": str(PROV), "rdf": str(RDF), "schema": str(SCHEMA)}


def describe(store: ox.Store, stamp: BuildStamp, license: str, files: Sequence[DumpFile] = (),
             counts: dict[Graph, int] | None = None) -> list[ox.Triple]:
    """The VoID + DCAT description of the store's dataset and of ``files``.

    ``counts`` (triples per graph) are counted from the store unless given.
    Raises OSError when the store cannot be read.
    """
    minter = Minter(stamp.base_uri)
    counts = graph_triples(store) if counts is None else counts
    by_part: dict[str, list[DumpFile]] = defaultdict(list)
    for dump in files:
        by_part[dump.part or ""].append(dump)
    triples = _document(minter)
    whole = ox.NamedNode(dataset_iri(minter))
    for part in parts(counts, minter):
        size = sum(counts.values()) if part.kind == "whole" else sum(counts.get(g, 0) for g in part.graphs)
        triples += _part(part, size, stamp, license, minter, example_resources(store, part))
        if part.kind != "whole":
            triples.append(ox.Triple(whole, VOID.subset, ox.NamedNode(part.iri)))
        for dump in by_part.get(part.iri, ()):
            triples += _distribution(ox.NamedNode(part.iri), dump, minter, stamp, license)
    if stamp.feed_position is not None:  # harvesters go on from here in the change feed (kg.feed)
        position = ox.Literal(str(stamp.feed_position), datatype=XSD.integer)
        triples.append(ox.Triple(whole, ox.NamedNode(minter.term("feedPosition")), position))
        triples.append(ox.Triple(whole, RDFS.seeAlso, ox.NamedNode(minter.base + "feed")))
    return triples


def serialize(triples: Iterable[ox.Triple], format: ox.RdfFormat = ox.RdfFormat.TURTLE) -> bytes:
    """The description as bytes in ``format``: Turtle, N-Triples, JSON-LD or RDF/XML.

    Raises ValueError for another format (N-Quads and TriG would say nothing more).
    """
    if format not in SYNTAXES:
        raise ValueError(f"cannot write the description as {format.name}; written: {', '.join(f.name for f in SYNTAXES)}")
    by_subject: dict[ox.NamedNode | ox.BlankNode, dict[ox.Triple, None]] = {}
    for triple in triples:  # each subject's triples together, in first-seen order, without repeats
        by_subject.setdefault(triple.subject, {})[triple] = None
    grouped = [t for group in by_subject.values() for t in group]
    return ox.serialize(grouped, None, format, prefixes=PREFIXES if format is not ox.RdfFormat.N_TRIPLES else None)


def graph_triples(store: ox.Store) -> dict[Graph, int]:
    """Triples per graph: every non-empty named graph, and the default graph if it is not empty."""
    counts: dict[Graph, int] = {row["graph"]: int(row["triples"].value) for row in store.query(_query("void_graph_triples"))}
    default = next(iter(store.query(_query("void_default_triples"))))["triples"]
    if int(default.value):
        counts[ox.DefaultGraph()] = int(default.value)
    return counts


def example_resources(store: ox.Store, part: Part) -> list[ox.NamedNode]:
    """Up to three lectures of the part (none for a part without lectures), in the store's index order."""
    if part.kind == "whole":
        rows = store.query(_query("void_example_resources"), use_default_graph_as_union=True)
    else:
        rows = store.query(_query("void_example_resources"), default_graph=list(part.graphs))
    return [row["resource"] for row in rows]


@lru_cache(maxsize=None)
def _query(name: str) -> str:
    """The text of ``sparql/queries/{name}.rq`` (read as a file: ``kg`` does not import ``sparql``)."""
    return resources.files("sparql").joinpath("queries", f"{name}.rq").read_text(encoding="utf-8")


def _document(minter: Minter) -> list[ox.Triple]:
    document, dataset = ox.NamedNode(minter.base + ".well-known/void"), ox.NamedNode(dataset_iri(minter))
    return [
        ox.Triple(document, RDF.type, VOID.DatasetDescription),
        ox.Triple(document, DCTERMS.title, ox.Literal("公开课知识图谱的 VoID 与 DCAT 描述", language="zh-Hans")),
        ox.Triple(document, DCTERMS.title, ox.Literal("VoID and DCAT description of the open-course knowledge graph",
                                                      language="en")),
        ox.Triple(document, FOAF.primaryTopic, dataset),
    ]


def _part(part: Part, size: int, stamp: BuildStamp, license: str, minter: Minter,
          examples: Sequence[ox.NamedNode]) -> list[ox.Triple]:
    node = ox.NamedNode(part.iri)
    out = [
        ox.Triple(node, RDF.type, VOID.Dataset),
        ox.Triple(node, RDF.type, DCAT.Dataset),
        ox.Triple(node, DCTERMS.title, ox.Literal(part.title)),
        ox.Triple(node, DCTERMS.modified, ox.Literal(stamp.finished, datatype=XSD.dateTime)),
        ox.Triple(node, DCTERMS.license, ox.NamedNode(license)),
        ox.Triple(node, VOID.triples, ox.Literal(str(size), datatype=XSD.integer)),
    ]
    out += [ox.Triple(node, VOID.exampleResource, example) for example in examples]
    if part.library:
        out.append(ox.Triple(node, DCTERMS.publisher, ox.NamedNode(minter.library(part.library))))
    if part.kind == "whole":
        out += [
            ox.Triple(node, VOID.sparqlEndpoint, ox.NamedNode(minter.base + "sparql")),
            ox.Triple(node, VOID.uriSpace, ox.Literal(minter.base)),
            ox.Triple(node, PROV.wasGeneratedBy, ox.NamedNode(minter.activity(stamp.fingerprint))),
            ox.Triple(node, DCTERMS.identifier, ox.Literal(stamp.build)),
        ]
    return out


def _distribution(part: ox.NamedNode, dump: DumpFile, minter: Minter, stamp: BuildStamp,
                  license: str) -> list[ox.Triple]:
    node = ox.NamedNode(f"{minter.base}dumps/#{dump.name}")
    download = ox.NamedNode(f"{minter.base}dumps/{dump.name}")
    checksum = ox.BlankNode()
    media = _media_type(dump.media_type)
    out = [
        ox.Triple(part, VOID.dataDump, download),
        ox.Triple(part, DCAT.distribution, node),
        ox.Triple(node, RDF.type, DCAT.Distribution),
        ox.Triple(node, DCTERMS.title, ox.Literal(dump.name)),
        ox.Triple(node, DCAT.downloadURL, download),
        ox.Triple(node, DCAT.accessURL, ox.NamedNode(minter.base + "dumps/")),
        ox.Triple(node, DCAT.mediaType, media),
        ox.Triple(media, RDF.type, DCTERMS.MediaType),
        ox.Triple(node, DCAT.byteSize, ox.Literal(str(dump.bytes), datatype=XSD.nonNegativeInteger)),
        ox.Triple(node, DCTERMS.license, ox.NamedNode(license)),
        ox.Triple(node, DCTERMS.modified, ox.Literal(stamp.finished, datatype=XSD.dateTime)),
        ox.Triple(node, SPDX.checksum, checksum),
        ox.Triple(checksum, RDF.type, SPDX.Checksum),
        ox.Triple(checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256),
        ox.Triple(checksum, SPDX.checksumValue, ox.Literal(dump.sha256, datatype=XSD.hexBinary)),
    ]
    if dump.compress_format:
        compress = _media_type(dump.compress_format)
        out += [ox.Triple(node, DCAT.compressFormat, compress), ox.Triple(compress, RDF.type, DCTERMS.MediaType)]
    return out


def _media_type(media_type: str) -> ox.NamedNode:
    return ox.NamedNode(IANA + media_type)
