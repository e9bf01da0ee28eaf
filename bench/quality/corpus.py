"""Run the build's stages 1–7 in process (no store) and keep what the metrics need.

The same functions ``kg build`` calls, in the same order, so the figures are
those of the pipeline, not of a re-implementation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest.knowledge import KnowledgeMatcher
from ingest.manifest import read_manifest
from ingest.records import Analysis, Concept, Holding
from ingest.segmenter import Segmenter
from kg import analysis, inputs, pipeline
from kg.related import build_graph, relate
from kg.settings import Settings
from kg.uris import Minter


@dataclass
class Corpus:
    """One corpus, analysed: lectures with keywords, knowledge points, holdings and related lectures."""

    analyses: list[Analysis]
    holdings: dict[str, Holding]
    concepts: dict[str, Concept]
    segmenter: Segmenter
    texts: dict[str, str] = field(default_factory=dict)  # lecture id → full subtitle text
    contexts: dict[str, str] = field(default_factory=dict)  # lecture id → title and description

    def by_id(self) -> dict[str, Analysis]:
        return {a.lecture.id: a for a in self.analyses}


def analyse(source: Path, settings: Settings, holdings: tuple[Path, ...] = (), vocabularies: tuple[Path, ...] = ()) -> Corpus:
    """Stages 1–7 of ``kg.pipeline.build`` over ``source``. Raises RuntimeError on input problems."""
    request = pipeline.BuildInput(source, holdings=holdings, vocabularies=vocabularies)
    report = pipeline.BuildReport(store=settings.store)
    lectures, problems = read_manifest(source, settings.library)
    lectures.sort(key=lambda lecture: (lecture.library, lecture.id))
    concepts, matches, _ = inputs.read_vocabularies(inputs.vocabulary_files(request), settings.base_uri, report)
    records = inputs.read_holdings_files(inputs.holdings_files(request), report, lambda *a: None)
    segmenter = Segmenter(inputs.user_words(concepts, records), settings.lexicons)
    minter = Minter(settings.base_uri)
    speakable = inputs.speakable_classes(minter)
    matcher = KnowledgeMatcher(concepts + speakable, segmenter)
    analysed = analysis.analyse_all(lectures, segmenter, matcher, settings.workers, report, lambda *a: None)
    if problems or report.problems:
        raise RuntimeError(f"{source}: {[p.describe() for p in problems + report.problems]}")
    analyses = analysis.rank_all(analysed, matcher.labels(), settings.keywords_per_lecture)
    analyses = pipeline._link_all(analyses, records, concepts, segmenter, settings)  # stage 6 as the build runs it
    titles = {h.id: h.title for h in records}
    broader = pipeline._broader_lookup(concepts + speakable, matches, minter)
    related = relate(build_graph(pipeline._facts(a, titles, broader) for a in analyses), settings.related_per_lecture)
    analyses = [replace(a, related=related.get((a.lecture.library, a.lecture.id), ())) for a in analyses]
    return Corpus(
        analyses=analyses,
        holdings={h.id: h for h in records},
        concepts={c.iri: c for c in concepts + speakable},
        segmenter=segmenter,
        texts={a.lecture.id: "\n".join(c.text for c in a.transcript.cues) for a in analyses},
        contexts={a.lecture.id: f"{a.lecture.title} {a.lecture.description or ''}" for a in analyses},
    )
