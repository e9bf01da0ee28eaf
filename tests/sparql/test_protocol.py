from urllib.parse import quote

import pytest

from sparql.errors import MalformedRequest, UnsupportedMediaType, UpdateRefused
from sparql.protocol import ProtocolRequest, read_request

G1, G2 = "http://example.org/g1", "http://example.org/g2"


def qs(**params: str) -> bytes:
    return "&".join(f"{k.replace('_', '-')}={quote(v, safe='')}" for k, v in params.items()).encode()


def test_get_with_dataset_and_format():
    raw = qs(query="ASK {}", default_graph_uri=G1, named_graph_uri=G2, format="json") + b"&named-graph-uri=" + quote(G1, safe="").encode()
    asked = read_request("GET", None, raw, b"")
    assert asked == ProtocolRequest("ASK {}", (G1,), (G2, G1), "json")
    assert asked.has_dataset


def test_get_without_query_asks_for_the_description():
    assert read_request("GET", None, b"", b"").query is None
    assert read_request("HEAD", None, b"format=ttl", b"").format == "ttl"


def test_post_form_and_direct():
    body = ("query=" + quote("SELECT * { ?s ?p ?o } # 中文", safe="")).encode()
    assert read_request("POST", "application/x-www-form-urlencoded", b"", body).query.endswith("中文")
    direct = read_request("POST", "application/sparql-query; charset=UTF-8", qs(default_graph_uri=G1), "ASK {}".encode())
    assert direct == ProtocolRequest("ASK {}", (G1,), ())


@pytest.mark.parametrize("method,ctype,query_string,body,error", [
    ("GET", None, b"query=ASK%20%7B%7D&query=ASK%20%7B%7D", b"", MalformedRequest),
    ("POST", "application/x-www-form-urlencoded", b"", b"query=ASK%20%7B%7D&query=SELECT%20*%20%7B%7D", MalformedRequest),
    ("POST", "application/x-www-form-urlencoded", b"query=ASK%20%7B%7D", b"query=ASK%20%7B%7D", MalformedRequest),
    ("POST", "application/sparql-query", b"query=ASK%20%7B%7D", b"ASK {}", MalformedRequest),
    ("POST", "application/x-www-form-urlencoded", b"", b"default-graph-uri=http%3A%2F%2Fe%2F", MalformedRequest),
    ("GET", None, b"query=", b"", MalformedRequest),
    ("GET", None, b"query=%FF%FE", b"", MalformedRequest),
    ("GET", None, b"query=ASK%20%7B%7D&default-graph-uri=not%20an%20iri", b"", MalformedRequest),
    ("POST", "application/sparql-query", b"", "ASK {}".encode("utf-16"), MalformedRequest),
    ("POST", "application/sparql-query; charset=UTF-16", b"", "ASK {}".encode("utf-16"), UnsupportedMediaType),
    ("POST", None, b"", b"query=ASK%20%7B%7D", UnsupportedMediaType),
    ("POST", "text/plain", b"", b"ASK {}", UnsupportedMediaType),
    ("GET", None, b"update=CLEAR%20ALL", b"", UpdateRefused),
    ("POST", "application/x-www-form-urlencoded", b"", b"update=CLEAR+ALL", UpdateRefused),
    ("POST", "application/sparql-update", b"", b"CLEAR ALL", UpdateRefused),
    ("POST", "application/sparql-query", b"using-graph-uri=http%3A%2F%2Fe%2F", b"ASK {}", UpdateRefused),
])
def test_refusals(method, ctype, query_string, body, error):
    with pytest.raises(error) as raised:
        read_request(method, ctype, query_string, body)
    assert str(raised.value)  # every refusal says why
