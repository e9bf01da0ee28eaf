"""SPARQL queries and protocol: named ``.rq`` queries, protocol handling, limits.

No HTTP framework here (only ``api/`` imports FastAPI); everything is plain
functions and small classes over pyoxigraph:

- ``catalogue``   the named queries (``queries/*.rq``) and the query page's examples
- ``protocol``    SPARQL 1.1 Protocol requests read and checked (GET, form POST, direct POST)
- ``media``       result formats ↔ media types, ``Accept`` / ``format=`` negotiation
- ``limits``      the limits (time, result size, query size, nesting) and the pre-run checks
- ``lexer``       a small tokenizer: query form, dataset clause, nesting depth
- ``federation``  SERVICE: refused unless its endpoint is allow-listed
- ``worker``      the query worker process (evaluate, count, serialise)
- ``executor``    the pool of worker processes with a hard timeout
- ``description`` the SPARQL 1.1 Service Description with VoID counts
- ``errors``      the domain errors (mapped to HTTP statuses in ``api.sparql_door``)
"""
