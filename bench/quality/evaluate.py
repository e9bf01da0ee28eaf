"""Each measure: our figure beside the baselines', on the same inputs and the same gold data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from bench.quality import baselines
from bench.quality.corpus import Corpus
from bench.quality.metrics import mean, ndcg_at, precision_at, prf_at
from ingest.folding import fold

GOLD = Path(__file__).resolve().parents[1] / "gold"
RANDOM_SEEDS = 200

Scores = dict[str, dict[str, float]]  # system → metric → value
Runs = dict[str, dict[str, list[str]]]  # system → lecture → ranked keywords (folded)
Gold = dict[str, list[frozenset[str]]]  # lecture → gold entries


def read_gold(name: str) -> dict:
    data = json.loads((GOLD / name).read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def gold_keywords(raw: dict[str, list]) -> Gold:
    """Lecture → gold entries; an entry is a term or a list of equivalent forms, folded."""
    return {lecture: [frozenset(fold(f) for f in ([e] if isinstance(e, str) else e)) for e in entries]
            for lecture, entries in raw.items()}


KEYWORD_METRICS = {
    "P": "precision@k: hits / k",
    "R": "recall@k, standard: hits / |gold|",
    "F1": "F1@k from P@k and the standard R@k",
    "Rc": "R-precision-style recall@k: hits / min(k, |gold|) (1.0 for a perfect top k even when the gold set is larger)",
    "F1c": "F1@k from P@k and Rc@k (the harness's F1 before the standard recall was added)",
}


def keywords(corpus: Corpus, gold: Gold) -> Scores:
    """P, R, F1 (and the capped Rc, F1c) at 5 and 10 of ours and both jieba baselines, averaged over the gold lectures."""
    return keyword_scores([(keyword_runs(corpus, gold), gold)])


def keyword_runs(corpus: Corpus, gold: Gold) -> Runs:
    """The top 10 keywords of ours and both jieba baselines for every gold lecture."""
    by_id = corpus.by_id()
    missing = sorted(set(gold) - set(by_id))
    if missing:
        raise RuntimeError(f"gold lectures not in the corpus: {missing}")
    return {system: {lecture: extract(lecture) for lecture in gold} for system, extract in _keyword_systems(corpus).items()}


def _keyword_systems(corpus: Corpus) -> dict[str, Callable[[str], list[str]]]:
    """Lecture id → its top 10 keywords (folded), for ours and both jieba baselines."""
    by_id = corpus.by_id()
    return {
        "ours": lambda lecture: [k.key for k in by_id[lecture].keywords][:10],
        "jieba tf-idf": lambda lecture: [fold(t) for t in baselines.jieba_tfidf(_full_text(corpus, lecture), 10)],
        "jieba textrank": lambda lecture: [fold(t) for t in baselines.jieba_textrank(_full_text(corpus, lecture), 10)],
    }


def keyword_scores(parts: list[tuple[Runs, Gold]]) -> Scores:
    """Scores pooled over the lectures of every part (macro average: every lecture weighs the same)."""
    scores: Scores = {}
    for system in parts[0][0]:
        scores[system] = {}
        for k in (5, 10):
            results = [prf_at(runs[system][lecture], entries, k) for runs, gold in parts for lecture, entries in gold.items()]
            for name, field in (("P", "precision"), ("R", "recall"), ("F1", "f1"), ("Rc", "recall_capped"), ("F1c", "f1_capped")):
                scores[system][f"{name}@{k}"] = round(mean(getattr(r, field) for r in results), 4)
    return scores


def keyword_ceiling(golds: list[Gold]) -> dict[str, float]:
    """F1@5 and F1@10 of a perfect top k (the gold entries themselves, in their order), pooled as
    ``keyword_scores`` pools: the most any system can score on these gold sets. With gold sets of
    about 24 entries a perfect top 5 has recall 5/24, so F1@5 stays near 0.36."""
    ceiling = {}
    for k in (5, 10):
        results = [prf_at([next(iter(entry)) for entry in entries], entries, k) for gold in golds for entries in gold.values()]
        ceiling[f"F1@{k}"] = round(mean(r.f1 for r in results), 4)
    return ceiling


def _full_text(corpus: Corpus, lecture: str) -> str:
    return f"{corpus.contexts[lecture]}\n{corpus.texts[lecture]}"


def related(corpus: Corpus, topics: dict[str, set[str]], k: int = 5) -> Scores:
    """precision@k and nDCG@k: two lectures are relevant to each other when they share a topic label."""
    keys = sorted(topics)
    ours = {a.lecture.id: [r.other[1] for r in a.related] for a in corpus.analyses}
    tfidf = baselines.tfidf_related({key: corpus.texts[key] for key in keys}, k)
    scores = {"ours": _related_scores(ours, topics, k), "tf-idf cosine": _related_scores(tfidf, topics, k)}
    runs = [_related_scores(baselines.random_related(keys, k, seed), topics, k) for seed in range(RANDOM_SEEDS)]
    scores["random"] = {metric: round(mean(run[metric] for run in runs), 4) for metric in runs[0]}
    return scores


def _related_scores(ranked: dict[str, list[str]], topics: dict[str, set[str]], k: int) -> dict[str, float]:
    precisions, ndcgs = [], []
    for lecture, labels in topics.items():
        relevant = {other for other, theirs in topics.items() if other != lecture and labels & theirs}
        if not relevant:
            continue
        found = ranked.get(lecture, [])
        precisions.append(precision_at(found, relevant.__contains__, k))
        ndcgs.append(ndcg_at(found, relevant, k))
    return {f"P@{k}": round(mean(precisions), 4), f"nDCG@{k}": round(mean(ndcgs), 4)}


def holdings(corpus: Corpus, judged: dict[str, dict[str, dict]], k: int = 5) -> Scores:
    """precision@k of holdings links on the judged sample; unjudged links are counted, not assumed."""
    by_id = corpus.by_id()
    systems = {
        "ours": lambda lecture: [link.holding for link in by_id[lecture].holdings],
        "title substring": lambda lecture: baselines.title_substring_holdings(_full_text(corpus, lecture), corpus.holdings, k),
    }
    return {system: _judged_precision({lecture: pick(lecture)[:k] for lecture in judged}, judged, "relevant", k)
            for system, pick in systems.items()}


def knowledge_points(corpus: Corpus, judged: dict[str, dict[str, dict]], base: str) -> Scores:
    """Precision of vocabulary matches (every match of a judged lecture), ours and plain substring matching."""
    by_id = corpus.by_id()
    labels = _labels(corpus)
    systems = {
        "ours": lambda lecture: [p.concept for p in by_id[lecture].knowledge_points],
        "label substring": lambda lecture: baselines.substring_concepts(corpus.texts[lecture], labels),
    }
    found = {system: {lecture: [_relative(iri, base) for iri in pick(lecture)] for lecture in judged}
             for system, pick in systems.items()}
    return {system: _judged_precision(items, judged, "correct", None) for system, items in found.items()}


def judged_keywords(corpus: Corpus, judged: dict[str, dict[str, dict]]) -> Scores:
    """P@5 and P@10 of ours and jieba ``extract_tags`` on judged episodes (no gold sets: judged pools)."""
    systems = _keyword_systems(corpus)
    scores: Scores = {}
    for system in ("ours", "jieba tf-idf"):  # the judged pools hold these two systems' terms
        found = {lecture: systems[system](lecture) for lecture in judged}
        at_5 = _judged_precision({lecture: terms[:5] for lecture, terms in found.items()}, judged, "relevant", 5)
        at_10 = _judged_precision(found, judged, "relevant", 10)
        scores[system] = {"P@5": at_5["P@5"], "P@10": at_10["P@10"], "unjudged": at_10["unjudged"]}
    return scores


def thesaurus_points(corpus: Corpus, gold: Gold, near: dict[str, set[str]]) -> Scores:
    """Knowledge points from the Chinese Thesaurus sample against the blind keyword gold sets.

    A point counts as *on topic* when its label, one of its synonyms (UF), or a broader (BT) or
    narrower (NT) term of it is a gold keyword of the talk. The gold sets list what a talk is about
    in about 24 terms, so the share is a lower bound of precision, useful to compare systems;
    ``on topic`` (the count) shows whether a system gains the share by dropping good points.
    """
    by_id = corpus.by_id()
    labels = _labels(corpus)
    label_of = {iri: concept.label() for iri, concept in corpus.concepts.items()}
    systems = {
        "ours": lambda lecture: [p.concept for p in by_id[lecture].knowledge_points],
        "label substring": lambda lecture: baselines.substring_concepts(corpus.texts[lecture], labels),
    }
    scores: Scores = {}
    for system, pick in systems.items():
        shares, items, on_topic = [], 0, 0
        for lecture, entries in gold.items():
            forms = frozenset().union(*entries)
            found = [label_of[iri] for iri in pick(lecture)]
            hits = sum(1 for label in found if {fold(f) for f in near.get(label, {label})} & forms)
            shares.append(hits / len(found) if found else 0.0)
            items, on_topic = items + len(found), on_topic + hits
        scores[system] = {"on-topic share": round(mean(shares), 4), "items": items, "on topic": on_topic}
    return scores


def _labels(corpus: Corpus) -> dict[str, str]:
    from ingest.knowledge import KnowledgeMatcher

    return KnowledgeMatcher(list(corpus.concepts.values()), corpus.segmenter).labels()


def _relative(iri: str, base: str) -> str:
    return iri[len(base):] if iri.startswith(base) else iri


def _judged_precision(items: dict[str, list[str]], judged: dict[str, dict[str, dict]], key: str, k: int | None) -> dict[str, float]:
    """Share of judged-good items (per lecture, averaged); ``k`` fixes the denominator as for P@k."""
    shares, unjudged, total = [], 0, 0
    for lecture, found in items.items():
        verdicts = [judged[lecture].get(item, {}).get(key) for item in found]
        unjudged += sum(1 for v in verdicts if v is None)
        total += len(found)
        known = [v for v in verdicts if v is not None]
        denominator = k if k else len(known)
        if denominator:
            shares.append(sum(known) / denominator)
    name = f"P@{k}" if k else "precision"
    return {name: round(mean(shares), 4), "items": total, "unjudged": unjudged}
