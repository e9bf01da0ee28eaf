"""What can go wrong with a SPARQL request, as domain errors (no HTTP here).

Every error's message says what was wrong and what is accepted; ``api/``
maps the classes to HTTP statuses in one table (``api.sparql_door``)::

    SparqlError                  base class
    ├── MalformedRequest         the protocol request is wrong (two queries, no query, bad encoding)   400
    ├── QuerySyntaxError         the query text does not parse                                          400
    ├── ServiceRefused           SERVICE to an endpoint not in the allowlist                            400
    ├── QueryTooComplex          nested deeper than the parser can safely follow                        400
    ├── QueryFailed              the query parsed but its evaluation failed (e.g. an unbound SERVICE)   400
    ├── UpdateRefused            SPARQL Update sent to this read-only endpoint                          403
    ├── NotAcceptable            no result format the client accepts; names what can be sent           406
    ├── UnsupportedMediaType     a POST body type or charset the protocol does not allow                415
    ├── QueryTooLarge            query text over the size limit                                         413
    ├── ResultTooLarge           result over the row/triple limit (never truncated silently)           413
    ├── WorkerFailed             the worker process died or the store could not be opened              500
    ├── Busy                     every query worker stayed busy for too long                            503
    └── QueryTimeout             the query ran past the time limit and was stopped                      504

All are plain ``Exception`` subclasses with one message argument, so they
cross process boundaries (pickle) unchanged.
"""

from __future__ import annotations


class SparqlError(Exception):
    """Base class; ``str(error)`` is the message for the client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MalformedRequest(SparqlError):
    pass


class QuerySyntaxError(SparqlError):
    pass


class ServiceRefused(SparqlError):
    pass


class QueryTooComplex(SparqlError):
    pass


class QueryFailed(SparqlError):
    pass


class UpdateRefused(SparqlError):
    pass


class NotAcceptable(SparqlError):
    pass


class UnsupportedMediaType(SparqlError):
    pass


class QueryTooLarge(SparqlError):
    pass


class ResultTooLarge(SparqlError):
    pass


class WorkerFailed(SparqlError):
    pass


class Busy(SparqlError):
    pass


class QueryTimeout(SparqlError):
    pass
