import pytest

from sparql.errors import QueryTooComplex, QueryTooLarge, UpdateRefused
from sparql.limits import Limits, check_query


def test_limits_are_declared_as_headers():
    assert Limits(timeout=5, result_limit=10, query_size=100).headers() == {
        "X-Query-Timeout": "5", "X-Result-Limit": "10", "X-Query-Size-Limit": "100"}


def test_size_counts_utf8_bytes():
    check_query("ASK { ?s ?p '中' }", Limits(query_size=20))
    with pytest.raises(QueryTooLarge, match="KG_QUERY_SIZE_LIMIT"):
        check_query("ASK { ?s ?p '中文中文' }", Limits(query_size=20))


def test_updates_inside_a_query_are_refused():
    with pytest.raises(UpdateRefused, match="read-only.*INSERT|INSERT.*read-only"):
        check_query("PREFIX ex: <http://e/> INSERT DATA { ex:a ex:b ex:c }", Limits())
    with pytest.raises(UpdateRefused, match="LOAD"):
        check_query("LOAD <http://example.org/data.ttl>", Limits())


def test_deep_nesting_is_refused_before_it_reaches_the_parser():
    check_query("SELECT (" + "(" * 40 + "1" + ")" * 40 + " AS ?x) {}", Limits())
    with pytest.raises(QueryTooComplex, match="nests brackets 5001 deep"):
        check_query("SELECT (" + "(" * 5000 + "1" + ")" * 5000 + " AS ?x) {}", Limits())
