"""The documentation page of our vocabulary, at its namespace ``{base}vocab/`` (``vocab.html``).

Classes, then properties, each under an anchor named by its local name, with
its IRI (which dereferences to its own page), its Chinese and English labels
and comments, and its kind, super-class or super-property, domain and range.
Built from the namespace's description, which holds the whole ontology (see
``kg.resource``). Raises ``kg.resource.UnknownResource`` when the store has no
ontology.
"""

from __future__ import annotations

from collections import defaultdict

import pyoxigraph as ox
from fastapi import Request

from api.namer import Namer, format_links
from api.negotiation import Format
from api.templating import templates
from kg import resource
from kg.labels import language_rank, preferred
from kg.namespaces import DCTERMS, OWL, RDF, RDFS

CLASSES = (OWL.Class, RDFS.Class)
PROPERTIES = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)
DETAILS = (RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range)


def render(request: Request, store: ox.Store, iri: str, formats: dict[Format, str]) -> bytes:
    """The vocabulary page. Raises UnknownResource when the store has no ontology."""
    base = request.app.state.minter.base
    description = resource.describe(store, base, iri)
    namer = Namer(base, description.labels())
    statements = _statements(description)
    ontology = statements.get(ox.NamedNode(iri), {})
    terms = [_term(node, values, namer) for node, values in sorted(statements.items(), key=lambda kv: kv[0].value)
             if node.value != iri]
    context = {
        "iri": iri, "title": _both(ontology.get(DCTERMS.title, [])), "description": _both(ontology.get(DCTERMS.description, [])),
        "classes": [t for t in terms if t["is_class"]], "properties": [t for t in terms if t["is_property"]],
        "formats": format_links(formats), "freshness": request.app.state.dataset.summary(),
    }
    return templates.env.get_template("vocab.html").render(context).encode("utf-8")


def _statements(description: resource.Description) -> dict[ox.NamedNode, dict[ox.NamedNode, list]]:
    found: dict[ox.NamedNode, dict[ox.NamedNode, list]] = defaultdict(lambda: defaultdict(list))
    for triple in description.triples:
        if isinstance(triple.subject, ox.NamedNode) and triple.subject.value.startswith(description.iri):
            found[triple.subject][triple.predicate].append(triple.object)
    return found


def _term(node: ox.NamedNode, values: dict[ox.NamedNode, list], namer: Namer) -> dict:
    kinds = values.get(RDF.type, [])
    return {
        "anchor": node.value.rsplit("/", 1)[-1], "iri": node.value,
        "label": _both(values.get(RDFS.label, [])), "comment": _both(values.get(RDFS.comment, [])),
        "kinds": [namer.property(k.value) for k in kinds if isinstance(k, ox.NamedNode)],
        "is_class": any(k in CLASSES for k in kinds), "is_property": any(k in PROPERTIES for k in kinds),
        "details": [{"property": namer.property(p.value), "values": [namer.node(v) for v in values[p]]}
                    for p in DETAILS if values.get(p)],
    }


def _both(literals: list) -> dict[str, str | None]:
    """The Chinese (zh-Hans, else zh) and the English text among ``literals``."""
    texts = [lit for lit in literals if isinstance(lit, ox.Literal)]
    chinese = preferred(lit for lit in texts if language_rank(lit.language or "") <= 1)
    english = preferred(lit for lit in texts if language_rank(lit.language or "") == 3)
    return {"zh": chinese.value if chinese else None, "en": english.value if english else None}
