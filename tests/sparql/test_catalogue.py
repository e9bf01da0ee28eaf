import pyoxigraph as ox
import pytest

from sparql import catalogue


def test_named_queries_load_by_name():
    assert "GROUP BY ?graph" in catalogue.load("service_description_counts")
    with pytest.raises(FileNotFoundError):
        catalogue.load("no_such_query")


def test_examples_carry_a_base_line_and_parse():
    examples = catalogue.examples("http://data.example.org/")
    assert len(examples) >= 5
    store = ox.Store()
    for example in examples:
        assert example.text.startswith("BASE <http://data.example.org/>\n")
        assert " · " in example.title and example.comment
        store.query(example.text, use_default_graph_as_union=True)  # parses and runs on an empty store
    with pytest.raises(ValueError):
        catalogue.examples("not an iri")
