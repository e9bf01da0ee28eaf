"""The Chinese Thesaurus sample read as SKOS (``bench.quality.thesaurus``), as the pipeline reads it."""

import pytest

from bench.quality import thesaurus
from ingest.vocabulary import read_vocabulary

pytestmark = pytest.mark.realdata
BASE = "http://example.org/kg/"


def test_the_sample_becomes_concepts_with_synonyms_broader_terms_and_clc_classes(shared_datasets, tmp_path):
    skos = thesaurus.write_skos(shared_datasets, tmp_path / "ct.ttl")
    concepts = {c.label(): c for c in read_vocabulary(skos, BASE)}
    assert len(concepts) >= 791  # the descriptors, and the terms their BT, NT and RT name
    three_d = concepts["三维技术"]
    assert ("en", "3D technology") in three_d.pref_labels
    assert {"3D技术", "3D"} <= {label for _, label in three_d.alt_labels}  # UF
    assert BASE + thesaurus.iri("工具软件") in concepts["Linux加载程序"].broader  # BT
    assert BASE + thesaurus.iri("三维技术") in concepts["三维建模"].broader  # NT of 三维技术, inverted
    assert "TN27" in skos.read_text(encoding="utf-8")  # closeMatch to its CLC class


def test_neighbours_are_one_thesaurus_step_away(shared_datasets):
    near = thesaurus.neighbours(thesaurus.read_terms(shared_datasets))
    assert {"三维技术", "3D", "三维建模"} <= near["三维技术"]
    assert "三维技术" in near["三维建模"]
