"""Book identifiers: ISBN cleaning and check digits, LCCN normalisation, the stable holding id."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

_ISBN_CANDIDATE = re.compile(r"[0-9][0-9-]*[0-9Xx]")


def clean_isbn(raw: str) -> str | None:
    """The first ISBN-10 or ISBN-13 in ``raw`` with a valid check digit, hyphens removed.

    >>> clean_isbn("7-101-00304-4 (pbk.)")
    '7101003044'
    """
    for candidate in _ISBN_CANDIDATE.findall(raw):
        digits = candidate.replace("-", "").upper()
        if has_isbn_checksum(digits):
            return digits
    return None


def has_isbn_checksum(digits: str) -> bool:
    """True when ``digits`` is a 10- or 13-character ISBN whose check digit is right."""
    if len(digits) == 10 and digits[:9].isdigit() and (digits[9].isdigit() or digits[9] == "X"):
        values = [10 if c == "X" else int(c) for c in digits]
        return sum((10 - i) * v for i, v in enumerate(values)) % 11 == 0
    if len(digits) == 13 and digits.isdigit():
        return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(digits)) % 10 == 0
    return False


def clean_isbns(raws: Iterable[str]) -> tuple[str, ...]:
    """The valid ISBNs of several subfields, each once, in order; invalid ones are left out."""
    return tuple(dict.fromkeys(isbn for isbn in map(clean_isbn, raws) if isbn))


def normalise_lccn(raw: str) -> str | None:
    """LC's LCCN normalisation: no blanks, nothing from "/", the part after "-" padded to 6 digits.

    >>> normalise_lccn("   00049912 "), normalise_lccn("n 78-890351")
    ('00049912', 'n78890351')
    """
    text = "".join(raw.split()).split("/")[0]
    if "-" in text:
        head, _, tail = text.partition("-")
        text = head + tail.zfill(6) if tail.isdigit() else head + tail
    return text or None


def derive_id(explicit: str | None, lccn: str | None, isbns: Sequence[str], title: str,
              creators: Sequence[str], year: str | None) -> str:
    """The stable id: the record's own, else LCCN, else the first ISBN, else a content digest."""
    for candidate in (explicit, lccn, isbns[0] if isbns else None):
        if candidate and candidate.strip():
            return candidate.strip()
    digest = hashlib.sha1("\x1f".join([title, *creators, year or ""]).encode("utf-8")).hexdigest()
    return f"digest-{digest[:16]}"
