"""kg.labels: the one language fallback, zh-Hans → zh → untagged → en → any."""

import pyoxigraph as ox
import pytest

from kg.labels import curie, label_of, preferred, standard_term
from kg.namespaces import PREFIXES, RDFS, SCHEMA, SKOS


def lit(value: str, language: str | None = None) -> ox.Literal:
    return ox.Literal(value, language=language) if language else ox.Literal(value)


@pytest.mark.parametrize("available, expected", [
    ([lit("Ming", "en"), lit("明朝", "zh-Hans"), lit("明", "zh"), lit("Ming untagged")], "明朝"),
    ([lit("Ming", "en"), lit("明", "zh"), lit("Ming untagged")], "明"),
    ([lit("Ming", "en"), lit("Ming untagged"), lit("Mingu", "ja")], "Ming untagged"),
    ([lit("Mingu", "ja"), lit("Ming", "en")], "Ming"),
    ([lit("Mingu", "ja")], "Mingu"),
    ([lit("明朝", "zh-hans-cn"), lit("明", "zh-Hant")], "明朝"),  # case-insensitive, subtags count as their prefix
])
def test_the_fallback_order(available, expected):
    assert preferred(available).value == expected
    assert preferred(reversed(available)).value == expected


def test_language_decides_before_the_property():
    found = {RDFS.label: [lit("Ming dynasty", "en")], SCHEMA.name: [lit("明代", "zh")], SKOS.prefLabel: [lit("Ming", "en")]}
    assert label_of(found).value == "明代"
    assert label_of({SKOS.prefLabel: [lit("首选", "zh")], SCHEMA.name: [lit("名称", "zh")]}).value == "首选"
    assert label_of({}) is None and preferred([]) is None


def test_curies_and_standard_term_names():
    assert curie("http://schema.org/name", PREFIXES) == "schema:name"
    assert curie("http://schema.org/a/b", PREFIXES) is None
    assert standard_term("http://www.w3.org/2004/02/skos/core#broader") == ("上位概念", "broader")
    assert standard_term("http://example.org/unknown") is None
