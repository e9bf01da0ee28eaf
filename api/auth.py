"""Who is calling: a contributing library, by the API token ``kg library add`` gave it.

``require_library`` is a FastAPI dependency for routes with a ``{lib}`` path
parameter (``Depends(require_library)``). It reads ``Authorization: Bearer
<token>`` and answers, in the API's error shape (``api.errors``):

- no ``Authorization``, another scheme, or a token no library holds → 401
  with ``WWW-Authenticate: Bearer realm="opencourse-kg"`` (plus
  ``error="invalid_token"`` when a token was given, RFC 6750 §3);
- a valid token of another library → 403 (``error="insufficient_scope"``);
- the token of ``{lib}`` → the registered ``kg.libraries.Library``.

Tokens are compared by their SHA-256 (``kg.libraries.Registry.authenticate``).
Each decision is logged on ``kg.access.auth`` (so it goes where the access log goes) with the library asked for and, for a
403, the library the token belongs to; the token itself is never logged, nor
any part of it.
"""

from __future__ import annotations

import logging

from fastapi import Request

from api.errors import ApiError
from kg.libraries import Library, LibraryError, Registry

log = logging.getLogger("kg.access.auth")  # beside the access log: on stderr, one line per decision
REALM = 'Bearer realm="opencourse-kg"'


def registry(request: Request) -> Registry:
    """The registry beside the builds of the store being served (``KG_STORE``)."""
    return Registry(request.app.state.settings.store)


def require_library(lib: str, request: Request) -> Library:
    """The library ``lib`` when the request carries its token. Raises ApiError 401 / 403 (503: unreadable registry)."""
    token = _bearer(request.headers.get("authorization"))
    if token is None:
        log.info("auth: 401 for library %s: no bearer token", lib)
        raise ApiError(401, "this request needs the library's API token: Authorization: Bearer <token> "
                            "(issued by 'kg library add' or 'kg library new-token')", {"WWW-Authenticate": REALM})
    try:
        owner = registry(request).authenticate(token)
    except LibraryError as error:
        log.error("auth: the library registry cannot be read: %s", error)
        raise ApiError(503, "the library registry cannot be read right now", {"Retry-After": "30"}) from None
    if owner is None:
        log.info("auth: 401 for library %s: unknown or revoked token", lib)
        raise ApiError(401, "the token is not valid (unknown or revoked)",
                       {"WWW-Authenticate": f'{REALM}, error="invalid_token"'})
    if owner.id != lib:
        log.info("auth: 403 for library %s: the token is library %s's", lib, owner.id)
        raise ApiError(403, f"this token belongs to another library and cannot act for {lib!r}",
                       {"WWW-Authenticate": f'{REALM}, error="insufficient_scope"'})
    log.info("auth: granted for library %s", lib)
    return owner


def _bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive), or None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token
