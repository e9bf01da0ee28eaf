import pyoxigraph as ox
import pytest

from sparql import media
from sparql.errors import MalformedRequest, NotAcceptable


def test_accept_q_values_and_specificity():
    accept = "application/sparql-results+xml;q=0.5, application/sparql-results+json;q=0.9, */*;q=0.1"
    assert media.choose(accept, None).results == ox.QueryResultsFormat.JSON
    assert media.choose("text/csv, */*;q=0", None) == media.Choice(ox.QueryResultsFormat.CSV, None)
    # the most specific range decides: text/* is wanted but text/csv explicitly not
    assert media.choose("text/*, text/csv;q=0", None).results == ox.QueryResultsFormat.TSV


def test_defaults_and_aliases():
    assert media.choose(None, None) == media.Choice(ox.QueryResultsFormat.JSON, ox.RdfFormat.TURTLE)
    assert media.choose("*/*", None) == media.Choice(ox.QueryResultsFormat.JSON, ox.RdfFormat.TURTLE)
    assert media.choose("application/json", None) == media.Choice(ox.QueryResultsFormat.JSON, ox.RdfFormat.JSON_LD)
    assert media.choose("text/xml", None) == media.Choice(ox.QueryResultsFormat.XML, ox.RdfFormat.RDF_XML)
    assert media.choose("text/plain", None) == media.Choice(None, ox.RdfFormat.N_TRIPLES)


def test_explicit_format_beats_accept():
    assert media.choose("application/sparql-results+xml", "json").results == ox.QueryResultsFormat.JSON
    assert media.choose("text/turtle", "csv") == media.Choice(ox.QueryResultsFormat.CSV, None)
    assert media.choose(None, "ttl") == media.Choice(None, ox.RdfFormat.TURTLE)
    assert media.choose(None, "application/ld+json").graph == ox.RdfFormat.JSON_LD
    assert media.choose(None, "text/tab-separated-values").results == ox.QueryResultsFormat.TSV


def test_unknown_format_and_nothing_acceptable_say_what_can_be_sent():
    with pytest.raises(MalformedRequest, match="unknown format 'yaml'.*json"):
        media.choose(None, "yaml")
    with pytest.raises(NotAcceptable, match="application/sparql-results\\+json.*text/turtle"):
        media.choose("image/png", None)


def test_service_description_negotiation():
    assert media.choose_description(None, None) == ox.RdfFormat.TURTLE
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert media.choose_description(browser, None) == media.HTML
    assert media.choose_description("application/ld+json", None) == ox.RdfFormat.JSON_LD
    assert media.choose_description(browser, "ttl") == ox.RdfFormat.TURTLE
    with pytest.raises(NotAcceptable, match="text/turtle"):
        media.choose_description("application/sparql-results+json", None)
    with pytest.raises(NotAcceptable, match="not an RDF syntax"):
        media.choose_description(None, "csv")


def test_content_type_names_utf8_for_text():
    assert media.content_type("text/turtle") == "text/turtle; charset=utf-8"
    assert media.content_type("text/csv; charset=utf-8") == "text/csv; charset=utf-8"
    assert media.content_type("application/sparql-results+json") == "application/sparql-results+json"
