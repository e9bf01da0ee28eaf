"""Cursors of the JSON API's lists: opaque to clients, an offset to us."""

from __future__ import annotations

from api.errors import ApiError


def offset(cursor: str | None) -> int:
    """The offset a ``next`` cursor stands for. Raises ApiError 400 for a cursor this API never gave out."""
    if cursor is None:
        return 0
    if not cursor.isdigit() or len(cursor) > 9:
        raise ApiError(400, f"cursor {cursor!r} is not one this API gave out (expected the 'next' value of a page)")
    return int(cursor)
