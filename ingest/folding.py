"""Fold text for matching: traditional → simplified, full-width → half-width, case.

The folded form is the *identity* of a term (``Keyword.key``, index keys); the
original text is always kept for display. Simplified ↔ traditional is not
one-to-one (发 ← 發/髮), so folding goes one way only, with OpenCC's ``t2s``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_SPACES = re.compile(r"\s+")
_T2S = opencc.OpenCC("t2s")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def fold(text: str) -> str:
    """Return the matching form of ``text``.

    >>> fold("崑曲　ＡＢＣ１２３")
    '昆曲 abc123'
    """
    text = unicodedata.normalize("NFKC", text)
    text = _T2S.convert(text)
    return _SPACES.sub(" ", text).strip().lower()


@lru_cache(maxsize=200_000)
def fold_term(term: str) -> str:
    """``fold`` for short, often repeated strings (tokens, labels)."""
    return fold(term)


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None
