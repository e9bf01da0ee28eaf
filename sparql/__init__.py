"""SPARQL queries and protocol: named ``.rq`` queries, protocol handling, limits."""
