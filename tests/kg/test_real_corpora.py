"""The build on real corpora nobody here wrote (../shared/datasets; skipped when absent)."""

from __future__ import annotations

import pytest

from bench.corpora import ted_source
from ingest.stopwords import spoken_stopwords
from kg.pipeline import BuildInput, build
from kg.settings import Settings
from kg.store import StoreDirectory
from tests.kg.test_pipeline import FILLERS, ROOT, lecture_facts

pytestmark = [pytest.mark.slow, pytest.mark.realdata]


@pytest.fixture(scope="module")
def ted_build(shared_datasets, tmp_path_factory):
    root = tmp_path_factory.mktemp("ted")
    source = ted_source(root / "source", shared_datasets)
    holdings = shared_datasets / "loc_chinese_marc" / "loc_booksall2016_part01_chi.mrc"
    report = build(BuildInput(source, holdings=(holdings,), vocabularies=(ROOT / "data" / "vocab" / "demo-thesaurus.ttl",)),
                   Settings(store=root / "store"))
    return report, StoreDirectory(root / "store")


def test_ted_talks_with_all_loc_records_build_cleanly(ted_build):
    report, _ = ted_build
    assert report.problems == []
    assert report.counts["lectures"] == 19 and report.counts["holdings"] == 8030


def test_every_ted_talk_has_keywords_with_times_holdings_and_related(ted_build):
    _, store = ted_build
    facts = lecture_facts(store.open_read_only())
    assert len(facts) == 19
    stop = spoken_stopwords() | FILLERS
    for lecture, found in facts.items():
        assert len(found["keywords"]) >= 10 and all(m >= 1 for _, m in found["keywords"]), lecture
        top = {label for label, _ in found["keywords"][:10]}
        assert not top & stop, (lecture, top & stop)
        assert len(found["holdings"]) >= 5 and all(0 < s <= 1 and n >= 1 for s, n in found["holdings"]), lecture
        assert len(found["related"]) >= 3 and all(n >= 1 for n in found["related"]), lecture


def test_plain_transcript_times_are_marked_estimated(ted_build):
    _, store = ted_build
    rows = store.open_read_only().query(
        "ASK { ?m <http://127.0.0.1:8000/vocab/estimatedTime> true }", use_default_graph_as_union=True)
    assert bool(rows)
