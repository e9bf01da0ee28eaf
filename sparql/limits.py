"""The limits every SPARQL request runs under, and the checks made before a query runs.

The limits come from settings (``KG_QUERY_TIMEOUT``, ``KG_RESULT_LIMIT``,
``KG_QUERY_SIZE_LIMIT``, ``KG_SERVICE_ALLOWLIST``), are declared to clients in
response headers, and are named in every error they cause. A result over
the limit is an error, never a truncated answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sparql import lexer
from sparql.errors import QueryTooComplex, QueryTooLarge, UpdateRefused

MAX_NESTING = 64  # brackets deep; far beyond hand-written queries, far below what crashes a parser


@dataclass(frozen=True)
class Limits:
    timeout: float = 30.0  # seconds of evaluation before the worker running it is killed
    result_limit: int = 100_000  # rows (SELECT) or triples (CONSTRUCT/DESCRIBE)
    query_size: int = 64_000  # bytes of query text (UTF-8)
    nesting: int = MAX_NESTING
    service_allowlist: tuple[str, ...] = ()  # endpoints SERVICE may call

    def headers(self) -> dict[str, str]:
        """The limits as response header values (``X-Query-Timeout`` in seconds)."""
        return {"X-Query-Timeout": f"{self.timeout:g}", "X-Result-Limit": str(self.result_limit),
                "X-Query-Size-Limit": str(self.query_size)}


def check_query(text: str, limits: Limits) -> lexer.Outline:
    """Refuse, before it runs, a query that is too large, too deeply nested or an update; else its outline.

    Raises QueryTooLarge, QueryTooComplex or UpdateRefused.
    """
    size = len(text.encode("utf-8"))
    if size > limits.query_size:
        raise QueryTooLarge(f"the query is {size} bytes; at most {limits.query_size} are accepted "
                            f"(limit set by KG_QUERY_SIZE_LIMIT)")
    seen = lexer.outline(text)
    keyword = seen.form
    if keyword in lexer.UPDATE_KEYWORDS:
        raise UpdateRefused(f"this is a SPARQL Update ({keyword}); this endpoint is read-only and answers "
                            f"queries only (SELECT, ASK, CONSTRUCT, DESCRIBE)")
    if seen.nesting > limits.nesting:
        raise QueryTooComplex(f"the query nests brackets {seen.nesting} deep; at most {limits.nesting} are accepted")
    return seen
