"""Ranking metrics: precision, recall and F1 at k against a gold set; nDCG with binary gains."""

from __future__ import annotations

import math
from typing import Callable, Iterable, NamedTuple, Sequence


class PRF(NamedTuple):
    """Precision, recall and F1 of a top k against gold entries.

    ``recall`` is the standard one, hits / |gold|; ``f1`` is built from it.
    ``recall_capped`` (R-precision style) is hits / min(k, |gold|): a perfect
    top k scores 1 even when the gold set is larger; ``f1_capped`` is built from it.
    """

    precision: float
    recall: float
    f1: float
    recall_capped: float
    f1_capped: float


def prf_at(ranked: Sequence[str], gold: Iterable[frozenset[str]], k: int) -> PRF:
    """Precision, recall (standard and capped) and F1 of the first ``k`` items against gold entries.

    A gold entry is a set of equivalent forms (a term and its variants); an item
    hits an entry when it equals one of its forms, and each entry is hit once.
    """
    entries = list(gold)
    hit: set[int] = set()
    for item in ranked[:k]:
        for number, forms in enumerate(entries):
            if number not in hit and item in forms:
                hit.add(number)
                break
    precision = len(hit) / k
    recall = len(hit) / len(entries) if entries else 0.0
    capped = len(hit) / min(k, len(entries)) if entries else 0.0
    return PRF(precision, recall, _f1(precision, recall), capped, _f1(precision, capped))


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def ndcg_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """nDCG@k with gain 1 for a relevant item; the ideal ranks min(k, |relevant|) relevant items first."""
    dcg = sum(1 / math.log2(rank + 2) for rank, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def precision_at(ranked: Sequence[str], relevant: Callable[[str], bool], k: int) -> float:
    return sum(1 for item in ranked[:k] if relevant(item)) / k


def mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0
