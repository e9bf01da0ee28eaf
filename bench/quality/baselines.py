"""What we compare against, on the same inputs: off-the-shelf or naive methods.

- keywords: ``jieba.analyse.extract_tags`` (jieba's default IDF) and
  ``jieba.analyse.textrank``, over title, description and subtitle text;
- related lectures: TF-IDF cosine over the raw text (jieba words, stopwords
  dropped, sublinear tf), and a random order (averaged over seeded shuffles);
- holdings: plain title-substring matching — a record scores the summed
  extract_tags weights of the lecture's top 10 terms found in its folded title;
- knowledge points: every vocabulary label found as a substring of the folded text.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from functools import lru_cache

from ingest.folding import fold, has_cjk
from ingest.records import Holding
from ingest.stopwords import stopwords


@lru_cache(maxsize=1)
def _analyse():
    import logging

    import jieba
    import jieba.analyse

    jieba.setLogLevel(logging.WARNING)
    return jieba.analyse


def jieba_tfidf(text: str, k: int) -> list[str]:
    return list(_analyse().extract_tags(text, topK=k))


def jieba_textrank(text: str, k: int) -> list[str]:
    return list(_analyse().textrank(text, topK=k))


def _words(text: str) -> list[str]:
    import jieba

    stop = stopwords()
    return [w for w in (fold(t) for t in jieba.cut(text)) if len(w) >= 2 and (has_cjk(w) or w.isalpha()) and w not in stop]


def tfidf_related(texts: dict[str, str], k: int) -> dict[str, list[str]]:
    """Every lecture's ``k`` nearest lectures by TF-IDF cosine."""
    counts = {key: Counter(_words(text)) for key, text in texts.items()}
    frequency = Counter(w for c in counts.values() for w in c)
    n = len(texts)
    vectors = {}
    for key, c in counts.items():
        vector = {w: (1 + math.log(tf)) * (math.log((1 + n) / (1 + frequency[w])) + 1) for w, tf in c.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        vectors[key] = {w: v / norm for w, v in vector.items()}
    ranked = {}
    for key, vector in vectors.items():
        scores = [(sum(v * other.get(w, 0.0) for w, v in vector.items()), o) for o, other in vectors.items() if o != key]
        ranked[key] = [o for _, o in sorted(scores, key=lambda p: (-p[0], p[1]))[:k]]
    return ranked


def random_related(keys: list[str], k: int, seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    return {key: rng.sample([o for o in keys if o != key], min(k, len(keys) - 1)) for key in keys}


def title_substring_holdings(text: str, holdings: dict[str, Holding], k: int) -> list[str]:
    terms = [(fold(t), w) for t, w in _analyse().extract_tags(text, topK=10, withWeight=True)]
    scores = []
    for hid, holding in holdings.items():
        title = fold(" ".join((holding.title,) + holding.other_titles))
        score = sum(w for t, w in terms if t in title)
        if score:
            scores.append((score, hid))
    return [hid for _, hid in sorted(scores, key=lambda p: (-p[0], p[1]))[:k]]


def substring_concepts(text: str, labels: dict[str, str]) -> list[str]:
    """Concept IRIs whose folded label occurs in the folded text, in order of first occurrence."""
    folded = fold(text)
    found = {}
    for label, iri in labels.items():
        at = folded.find(label)
        if at >= 0 and (iri not in found or at < found[iri]):
            found[iri] = at
    return sorted(found, key=lambda iri: (found[iri], iri))
