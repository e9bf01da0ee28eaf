"""Stopwords for keyword extraction: stopwordsiso's Chinese list plus spoken fillers.

The spoken list (``spoken_stopwords.txt``) is the project's own: fillers and
discourse markers of lectures and speech-recognition text (嗯, 那个, 就是说…),
generic time words and pronouns.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import stopwordsiso

from ingest.folding import fold


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """All stopwords, folded (simplified, half-width, lower case)."""
    words = set(stopwordsiso.stopwords("zh")) | set(stopwordsiso.stopwords("en")) | spoken_stopwords()
    return frozenset(fold(w) for w in words if w.strip())


@lru_cache(maxsize=1)
def spoken_stopwords() -> frozenset[str]:
    text = resources.files("ingest").joinpath("spoken_stopwords.txt").read_text(encoding="utf-8")
    lines = (line for line in text.splitlines() if not line.startswith("#"))
    return frozenset(word for line in lines for word in line.split())
