import pytest

from sparql.errors import ServiceRefused
from sparql.federation import check_services, mentions_service, services

ALLOWED = "http://sparql.example.org/sparql"


def test_queries_without_service_are_not_parsed():
    assert not mentions_service("SELECT * WHERE { ?s ?p ?o }")
    check_services("SELECT * WHERE { ?s ?p ?o }", ())


def test_service_anywhere_is_found():
    query = ("PREFIX e: <http://other.example/> SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE SILENT e:ep { ?s ?p ?o } }"
             f" FILTER EXISTS {{ SERVICE <{ALLOWED}> {{ }} }} }}")
    assert sorted(services(query)) == ["http://other.example/ep", ALLOWED]
    with pytest.raises(ServiceRefused, match="other.example/ep"):
        check_services(query, (ALLOWED,))


def test_allowlisted_service_passes_and_variables_never_do():
    check_services(f"SELECT * WHERE {{ SERVICE <{ALLOWED}> {{ ?s ?p ?o }} }}", (ALLOWED,))
    with pytest.raises(ServiceRefused, match="variable"):
        check_services("SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }", (ALLOWED,))


def test_words_that_only_look_like_service_are_allowed():
    query = ("PREFIX sd: <http://www.w3.org/ns/sparql-service-description#> "
             "SELECT ?service WHERE { ?service a sd:Service FILTER(CONTAINS(STR(?service), 'service')) }")
    check_services(query, ())


def test_a_service_hidden_from_a_tokenizer_is_still_refused():
    # "<?b)SERVICE#>" reads as an IRI to a tokenizer, but pyoxigraph sees FILTER(?a < ?b) SERVICE <…>
    sneaky = "SELECT * WHERE { BIND(1 AS ?a) BIND(2 AS ?b) FILTER(?a<?b)SERVICE#>\n<http://evil.example/>{} }"
    with pytest.raises(ServiceRefused):
        check_services(sneaky, ())
    with pytest.raises(ServiceRefused):
        check_services("SELECT * WHERE { \\u0053ERVICE <http://evil.example/> {} }", ())
    with pytest.raises(ServiceRefused):
        check_services("SELECT * WHERE { SeRvIcE <http://evil.example/> {} }", ())
