"""Run every measure over the corpora and lay the figures out as one table."""

from __future__ import annotations

from pathlib import Path

from bench import corpora
from bench.quality import evaluate, thesaurus
from bench.quality.corpus import analyse
from kg.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEMO_VOCABULARY = ROOT / "data" / "vocab" / "demo-thesaurus.ttl"
LOC_RECORDS = Path("loc_chinese_marc") / "loc_booksall2016_part01_chi.mrc"


KEYWORDS_DEMO = "keywords (demo, 18 lectures, gold sets)"
KEYWORDS_TED = "keywords (TED, 19 talks, blind gold sets)"
KEYWORDS_POOLED = "keywords (demo + TED pooled, 37 lectures)"
KeywordPart = tuple[evaluate.Runs, evaluate.Gold]


def evaluate_all(scratch: Path, shared: bool = True) -> dict:
    """All measures; the TED ones only when ``../shared/datasets`` is present and ``shared``."""
    settings = Settings.from_env(store=scratch / "store")
    measures, demo_keywords = analyse_demo(settings)
    results: dict = {"measures": measures, "keyword metrics": evaluate.KEYWORD_METRICS}
    golds = {KEYWORDS_DEMO: [demo_keywords[1]]}
    datasets = corpora.shared_datasets()
    if shared and datasets:
        ted_measures, ted_keywords = analyse_ted(scratch, settings, datasets)
        measures.update(ted_measures)
        measures[KEYWORDS_POOLED] = evaluate.keyword_scores([demo_keywords, ted_keywords])
        golds.update({KEYWORDS_TED: [ted_keywords[1]], KEYWORDS_POOLED: [demo_keywords[1], ted_keywords[1]]})
        measures[KEYWORDS_PIE] = evaluate_pie(scratch, settings, datasets)
    else:
        results["skipped"] = "TED and podcast measures: ../shared/datasets not found"
    results["measures"] = dict(sorted(measures.items(), key=lambda item: not item[0].startswith("keywords")))
    results["keyword gains"] = {measure: keyword_gains(scores) for measure, scores in results["measures"].items() if measure.startswith("keywords")}
    results["keyword ceilings"] = {measure: perfect_top_k(measures[measure], gold) for measure, gold in golds.items()}
    return results


def perfect_top_k(scores: evaluate.Scores, golds: list[evaluate.Gold]) -> dict[str, float | dict[str, float]]:
    """F1@5 and F1@10 of a perfect top k on these gold sets, and how far above each baseline that is."""
    ceiling: dict[str, float | dict[str, float]] = dict(evaluate.keyword_ceiling(golds))
    ceiling["perfect vs baselines on F1@5"] = {baseline: round(ceiling["F1@5"] / values["F1@5"] - 1, 4)  # type: ignore[operator]
                                               for baseline, values in scores.items() if baseline != "ours" and values["F1@5"]}
    return ceiling


def evaluate_demo(settings: Settings) -> dict[str, evaluate.Scores]:
    """Keywords, knowledge points and holdings against the judged demo gold files; related against series."""
    return analyse_demo(settings)[0]


def analyse_demo(settings: Settings) -> tuple[dict[str, evaluate.Scores], KeywordPart]:
    demo = analyse(ROOT / "data", settings)
    gold = evaluate.gold_keywords(evaluate.read_gold("demo_keywords.json"))
    runs = evaluate.keyword_runs(demo, gold)
    return {
        KEYWORDS_DEMO: evaluate.keyword_scores([(runs, gold)]),
        "knowledge points (demo, judged)": evaluate.knowledge_points(demo, evaluate.read_gold("demo_knowledge_points_judged.json"), settings.base_uri),
        "holdings (demo, judged)": evaluate.holdings(demo, evaluate.read_gold("demo_holdings_judged.json")),
        "related (demo, series as topic)": evaluate.related(demo, {a.lecture.id: {a.lecture.series or ""} for a in demo.analyses}),
    }, (runs, gold)


def evaluate_ted(scratch: Path, settings: Settings, datasets: Path) -> dict[str, evaluate.Scores]:
    """Keywords of the 19 TED talks against the blind gold sets (``bench/gold/ted_keywords.json``), and
    related lectures (with the 8,030 LoC records as holdings) against TED's topic tags."""
    return analyse_ted(scratch, settings, datasets)[0]


def analyse_ted(scratch: Path, settings: Settings, datasets: Path) -> tuple[dict[str, evaluate.Scores], KeywordPart]:
    source = corpora.ted_source(scratch / "ted", datasets)
    ted = analyse(source, settings, holdings=(datasets / LOC_RECORDS,), vocabularies=(DEMO_VOCABULARY,))
    gold = evaluate.gold_keywords(evaluate.read_gold("ted_keywords.json"))
    runs = evaluate.keyword_runs(ted, gold)
    return {
        KEYWORDS_TED: evaluate.keyword_scores([(runs, gold)]),
        "related (TED, 19 talks, topic tags)": evaluate.related(ted, corpora.ted_topics(datasets)),
        POINTS_THESAURUS: thesaurus_points(scratch, settings, datasets, source, gold),
    }, (runs, gold)


KEYWORDS_PIE = "keywords (PIE podcasts, speech recognition, 10 of 225 episodes, judged pools)"


def evaluate_pie(scratch: Path, settings: Settings, datasets: Path) -> evaluate.Scores:
    """Keywords of the 225 podcast episodes (the corpus IDF needs them all), judged on 10."""
    pie = analyse(corpora.pie_source(scratch / "pie", datasets), settings)
    judged = evaluate.read_gold("pie_keywords_judged.json")
    return evaluate.judged_keywords(pie, judged)


POINTS_THESAURUS = "knowledge points (TED, 汉语主题词表 sample as the vocabulary, against the blind keyword gold)"


def thesaurus_points(scratch: Path, settings: Settings, datasets: Path, source: Path, gold: evaluate.Gold) -> dict[str, dict[str, float]]:
    """The TED talks analysed again with the Chinese Thesaurus sample as their only vocabulary: a
    real thesaurus, which names everyday things (今天, 方法) beside subjects."""
    skos = thesaurus.write_skos(datasets, scratch / "chinese-thesaurus-sample.ttl")
    ted = analyse(source, settings, vocabularies=(skos,))
    return evaluate.thesaurus_points(ted, gold, thesaurus.neighbours(thesaurus.read_terms(datasets)))


def keyword_gains(scores: evaluate.Scores, metrics: tuple[str, ...] = ("F1@5", "F1c@5", "F1@10")) -> dict[str, dict[str, float | None]]:
    """Relative improvement of ours over each baseline (0.5 = +50 %), per metric."""
    ours = scores["ours"]
    metrics = tuple(m for m in metrics if m in ours) or tuple(m for m in ours if m.startswith("P@"))  # judged pools: P@k
    return {metric: {baseline: (round(ours[metric] / values[metric] - 1, 4) if values[metric] else None)
                     for baseline, values in scores.items() if baseline != "ours"} for metric in metrics}


def table(results: dict) -> str:
    lines = []
    for measure, systems in results["measures"].items():
        metrics = list(next(iter(systems.values())))
        lines.append(f"\n{measure}")
        lines.append(f"  {'system':<18}" + "".join(f"{m:>10}" for m in metrics))
        for system, values in systems.items():
            lines.append(f"  {system:<18}" + "".join(_cell(values.get(m)) for m in metrics))
        for metric, gains in results.get("keyword gains", {}).get(measure, {}).items():
            lines.append(f"  ours vs baselines on {metric}: " + ", ".join(
                f"{baseline} {'n/a' if gain is None else f'{gain:+.0%}'}" for baseline, gain in gains.items()))
        ceiling = results.get("keyword ceilings", {}).get(measure)
        if ceiling:
            lines.append(f"  a perfect top k (the gold itself) would score F1@5 {ceiling['F1@5']:.3f}, F1@10 {ceiling['F1@10']:.3f}: "
                         + ", ".join(f"{baseline} {gain:+.0%}" for baseline, gain in ceiling["perfect vs baselines on F1@5"].items())
                         + " on F1@5")
    if "keyword metrics" in results:
        lines.append("\nkeyword metrics: " + "; ".join(f"{name}: {text}" for name, text in results["keyword metrics"].items()))
    if "skipped" in results:
        lines.append(f"\n(skipped: {results['skipped']})")
    return "\n".join(lines)


def _cell(value: object) -> str:
    return f"{value:>10.3f}" if isinstance(value, float) else f"{value!s:>10}"
