"""SKOS vocabularies that define knowledge points: read into ``Concept`` records.

Accepted files: Turtle (``.ttl``), N-Triples (``.nt``), RDF/XML (``.rdf``,
``.xml``, ``.owl``), JSON-LD (``.jsonld``), TriG and N-Quads. Relative IRIs
resolve against ``base`` (the demo thesaurus is written with relative IRIs so
its concepts live under the deployment's base URI). Only ``skos:Concept``
resources with at least one ``skos:prefLabel`` become concepts.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox

from ingest.errors import VocabularyError
from ingest.records import Concept

SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".rdf": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML, ".owl": ox.RdfFormat.RDF_XML, ".jsonld": ox.RdfFormat.JSON_LD,
    ".trig": ox.RdfFormat.TRIG, ".nq": ox.RdfFormat.N_QUADS,
}


def read_vocabulary(path: Path, base: str) -> list[Concept]:
    """Concepts of one SKOS file. Raises VocabularyError naming file and line."""
    triples = _parse(path, base)
    types: dict[str, set[str]] = defaultdict(set)
    values: dict[tuple[str, str], list[ox.Term]] = defaultdict(list)
    for subject, predicate, obj in triples:
        if predicate == RDF_TYPE and isinstance(obj, ox.NamedNode):
            types[subject].add(obj.value)
        elif predicate.startswith(SKOS):
            values[(subject, predicate[len(SKOS):])].append(obj)
    concepts = [
        _concept(iri, values) for iri, kinds in types.items()
        if SKOS + "Concept" in kinds and values.get((iri, "prefLabel"))
    ]
    if not concepts:
        raise VocabularyError(path, "no skos:Concept with a skos:prefLabel", expected="a SKOS concept scheme")
    return sorted(concepts, key=lambda c: c.iri)


def rdf_format(path: Path) -> ox.RdfFormat:
    """The RDF syntax of a vocabulary file, by extension. Raises VocabularyError."""
    fmt = _FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise VocabularyError(path, f"unknown RDF file type {Path(path).suffix!r}", expected=", ".join(sorted(_FORMATS)))
    return fmt


def _parse(path: Path, base: str) -> list[tuple[str, str, ox.Term]]:
    fmt = rdf_format(path)
    try:
        with path.open("rb") as data:
            return [
                (q.subject.value, q.predicate.value, q.object)
                for q in ox.parse(data, fmt, base_iri=base)
                if isinstance(q.subject, ox.NamedNode)
            ]
    except SyntaxError as error:
        position = f"line {error.lineno}" if getattr(error, "lineno", None) else None
        raise VocabularyError(path, f"not valid {fmt.name}: {error.msg}", position=position, expected="a well-formed RDF file") from None
    except OSError as error:
        raise VocabularyError(path, f"cannot read: {error.strerror}") from None


def _concept(iri: str, values: dict[tuple[str, str], list[ox.Term]]) -> Concept:
    def labels(name: str) -> tuple[tuple[str, str], ...]:
        return tuple(sorted((o.language or "", o.value) for o in values.get((iri, name), []) if isinstance(o, ox.Literal)))

    def iris(name: str) -> tuple[str, ...]:
        return tuple(sorted(o.value for o in values.get((iri, name), []) if isinstance(o, ox.NamedNode)))

    schemes = iris("inScheme") or iris("topConceptOf")
    notations = [o.value for o in values.get((iri, "notation"), []) if isinstance(o, ox.Literal)]
    return Concept(
        iri=iri,
        scheme=schemes[0] if schemes else "",
        pref_labels=labels("prefLabel"),
        alt_labels=labels("altLabel") + labels("hiddenLabel"),
        broader=iris("broader"),
        notation=min(notations) if notations else None,
    )


def close_matches(path: Path, base: str) -> dict[str, tuple[str, ...]]:
    """``skos:closeMatch`` / ``exactMatch`` targets of each concept (for CLC links)."""
    found: dict[str, set[str]] = defaultdict(set)
    for subject, predicate, obj in _parse(path, base):
        if predicate in (SKOS + "closeMatch", SKOS + "exactMatch") and isinstance(obj, ox.NamedNode):
            found[subject].add(obj.value)
    return {k: tuple(sorted(v)) for k, v in found.items()}
