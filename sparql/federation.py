"""SERVICE (federated query): the only way a query could make the server fetch a URL.

pyoxigraph evaluates ``SERVICE <endpoint> { … }`` by calling the endpoint
over HTTP, so every query is checked before it runs and a SERVICE call is
refused unless its endpoint is in the allowlist (``KG_SERVICE_ALLOWLIST``).
``FROM`` / ``FROM NAMED`` only select graphs of the store (pyoxigraph does
not fetch them) and ``LOAD`` is an update, refused anyway.

The check cannot rely on a tokenizer: ``<`` is both "less than" and the
start of an IRI, so ``FILTER(?a<?b)SERVICE#>`` hides a real SERVICE inside
what looks like an IRI. A query whose text contains the word "service" in
any case is therefore parsed with rdflib's SPARQL grammar and the SERVICE
patterns of the parse are checked; a query that rdflib cannot parse is
refused rather than guessed at. Queries without the word (nearly all) pay
one substring search.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from sparql.errors import ServiceRefused

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def mentions_service(query: str) -> bool:
    """True when the word "service" appears anywhere, also behind ``\\u`` escapes or odd case."""
    return "service" in query.casefold() or "service" in _unescape(query).casefold()


def check_services(query: str, allowlist: Iterable[str]) -> None:
    """Refuse a query that would call a SERVICE endpoint not in ``allowlist``.

    Raises ServiceRefused naming the endpoint (or saying why the query could
    not be checked).
    """
    if not mentions_service(query):
        return
    allowed = set(allowlist)
    for endpoint in services(query):
        if endpoint is None:
            raise ServiceRefused("SERVICE with a variable endpoint is refused: the endpoint must be an IRI "
                                 "in the allowlist")
        if endpoint not in allowed:
            listed = ", ".join(sorted(allowed)) if allowed else "none (federated queries are off)"
            raise ServiceRefused(f"SERVICE <{endpoint}> is refused: this endpoint calls only allow-listed "
                                 f"SPARQL endpoints (KG_SERVICE_ALLOWLIST: {listed})")


def services(query: str) -> list[str | None]:
    """The endpoints of every SERVICE pattern in ``query`` (None for a variable endpoint).

    Raises ServiceRefused when the query mentions "service" but cannot be parsed.
    """
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        algebra = translateQuery(parseQuery(query)).algebra
    except Exception as error:  # noqa: BLE001 - any failure means "could not be checked"
        raise ServiceRefused(f"the query mentions SERVICE but could not be checked ({type(error).__name__}); "
                             f"federated queries are refused unless their endpoint can be verified") from None
    return [_endpoint(node) for node in _service_patterns(algebra)]


def _service_patterns(node: object) -> Iterator[object]:
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            if item.name == "ServiceGraphPattern":
                yield item
            stack.extend(item.values())
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set)):
            stack.extend(item)


def _endpoint(pattern: object) -> str | None:
    from rdflib import URIRef

    term = pattern.get("term")  # type: ignore[attr-defined]
    return str(term) if isinstance(term, URIRef) else None


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)) if int(m.group(1) or m.group(2), 16) < 0x110000
                       else m.group(0), text)
