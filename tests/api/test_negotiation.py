"""api.negotiation: Accept with q-values and ranges, ?format= values, 406 messages."""

import pytest

from api.negotiation import NotAcceptable, by_extension, from_parameter, negotiate


@pytest.mark.parametrize("accept, extension", [
    (None, "html"), ("", "html"), ("*/*", "html"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"),
    ("text/turtle", "ttl"), ("application/ld+json;q=0.5, text/turtle;q=0.9", "ttl"),
    ("application/rdf+xml, */*;q=0.1", "rdf"), ("application/n-triples;charset=utf-8", "nt"),
    ("text/*;q=0.5, application/ld+json", "jsonld"), ("text/*", "html"),
    ("*/*;q=0.5, text/html;q=0", "ttl"),  # the most specific range decides; q=0 refuses
    ("application/json", "jsonld"), ("TEXT/TURTLE", "ttl"), ("text/turtle;q=bogus, application/n-triples", "nt"),
])
def test_accept_is_read_as_rfc_9110_says(accept, extension):
    assert negotiate(accept).extension == extension


@pytest.mark.parametrize("accept", ["image/png", "text/html;q=0, text/turtle;q=0, application/*;q=0", "garbage"])
def test_nothing_acceptable_names_what_is_offered(accept):
    if accept == "garbage":  # no valid range at all reads as no preference
        assert negotiate(accept).extension == "html"
        return
    with pytest.raises(NotAcceptable, match="offered: text/html, text/turtle, application/ld\\+json"):
        negotiate(accept)


def test_format_parameter_takes_extensions_and_media_types():
    assert from_parameter("ttl").extension == "ttl" and from_parameter("application/rdf+xml").extension == "rdf"
    assert from_parameter(" JSONLD ").extension == "jsonld"
    with pytest.raises(NotAcceptable, match=r"\?format=png"):
        from_parameter("png")
    assert by_extension("nt").media_type == "application/n-triples" and by_extension("exe") is None
