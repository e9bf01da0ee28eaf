"""The project's ontology, JSON-LD context and SHACL shapes: data, not logic.

The Turtle files use IRIs relative to ``{base}vocab/`` so that every term
dereferences on the deployment that serves it; ``kg.ontology`` parses them
against the configured base URI.
"""
