from urllib.parse import parse_qsl, urlsplit

from kg.openurl import opac_link, openurl_link


def test_openurl_is_a_z3988_book_context_with_utf8_values():
    link = openurl_link("https://resolver.example.org/openurl", "郑和下西洋", ("郑鹤声",), "9787101000000", "中华书局", "2005")
    url = urlsplit(link)
    assert url.netloc == "resolver.example.org" and "%E9%83%91" in url.query and " " not in link
    assert parse_qsl(url.query) == [
        ("url_ver", "Z39.88-2004"), ("ctx_ver", "Z39.88-2004"), ("rft_val_fmt", "info:ofi/fmt:kev:mtx:book"),
        ("rft.btitle", "郑和下西洋"), ("rft.au", "郑鹤声"), ("rft.isbn", "9787101000000"),
        ("rft.pub", "中华书局"), ("rft.date", "2005")]


def test_openurl_keeps_the_resolver_query_and_leaves_out_missing_values():
    link = openurl_link("https://dd.example.edu/go?sid=kg", "A & B", ())
    assert link.startswith("https://dd.example.edu/go?sid=kg&url_ver=") and "rft.btitle=A%20%26%20B" in link
    assert "rft.au" not in link and "rft.isbn" not in link
    assert openurl_link("", "t") is None and openurl_link("https://r/", None) is None


def test_opac_pattern_fills_percent_encoded_values():
    assert opac_link("https://opac.example.org/record/{id}", "ocm 12/3", None) == "https://opac.example.org/record/ocm%2012%2F3"
    assert opac_link("https://opac.example.org/isbn/{isbn}", "x", "9787101000000").endswith("/isbn/9787101000000")
    assert opac_link("https://opac.example.org/isbn/{isbn}", "x", None) is None
    assert opac_link("", "x", "1") is None
