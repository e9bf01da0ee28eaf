"""Run every measure over the corpora and lay the figures out as one table."""

from __future__ import annotations

from pathlib import Path

from bench import corpora
from bench.quality import evaluate
from bench.quality.corpus import analyse
from kg.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEMO_VOCABULARY = ROOT / "data" / "vocab" / "demo-thesaurus.ttl"
LOC_RECORDS = Path("loc_chinese_marc") / "loc_booksall2016_part01_chi.mrc"


def evaluate_all(scratch: Path, shared: bool = True) -> dict:
    """All measures; the TED ones only when ``../shared/datasets`` is present and ``shared``."""
    settings = Settings.from_env(store=scratch / "store")
    results: dict = {"measures": evaluate_demo(settings)}
    datasets = corpora.shared_datasets()
    if shared and datasets:
        results["measures"].update(evaluate_ted(scratch, settings, datasets))
    else:
        results["skipped"] = "TED measures: ../shared/datasets not found"
    return results


def evaluate_demo(settings: Settings) -> dict[str, evaluate.Scores]:
    """Keywords, knowledge points and holdings against the judged demo gold files; related against series."""
    demo = analyse(ROOT / "data", settings)
    return {
        "keywords (demo, 18 lectures, gold sets)": evaluate.keywords(demo, evaluate.gold_keywords(evaluate.read_gold("demo_keywords.json"))),
        "knowledge points (demo, judged)": evaluate.knowledge_points(demo, evaluate.read_gold("demo_knowledge_points_judged.json"), settings.base_uri),
        "holdings (demo, judged)": evaluate.holdings(demo, evaluate.read_gold("demo_holdings_judged.json")),
        "related (demo, series as topic)": evaluate.related(demo, {a.lecture.id: {a.lecture.series or ""} for a in demo.analyses}),
    }


def evaluate_ted(scratch: Path, settings: Settings, datasets: Path) -> dict[str, evaluate.Scores]:
    """Related lectures of the 19 TED talks (with the 8,030 LoC records as holdings) against TED's topic tags."""
    source = corpora.ted_source(scratch / "ted", datasets)
    ted = analyse(source, settings, holdings=(datasets / LOC_RECORDS,), vocabularies=(DEMO_VOCABULARY,))
    return {"related (TED, 19 talks, topic tags)": evaluate.related(ted, corpora.ted_topics(datasets))}


def table(results: dict) -> str:
    lines = []
    for measure, systems in results["measures"].items():
        metrics = list(next(iter(systems.values())))
        lines.append(f"\n{measure}")
        lines.append(f"  {'system':<18}" + "".join(f"{m:>10}" for m in metrics))
        for system, values in systems.items():
            lines.append(f"  {system:<18}" + "".join(_cell(values.get(m)) for m in metrics))
    if "skipped" in results:
        lines.append(f"\n(skipped: {results['skipped']})")
    return "\n".join(lines)


def _cell(value: object) -> str:
    return f"{value:>10.3f}" if isinstance(value, float) else f"{value!s:>10}"
