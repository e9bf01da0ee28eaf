from kg.uris import Minter, segment

M = Minter("http://127.0.0.1:8000/")


def test_non_ascii_segments_are_percent_encoded_utf8():
    assert M.keyword("丝绸之路") == "http://127.0.0.1:8000/keyword/%E4%B8%9D%E7%BB%B8%E4%B9%8B%E8%B7%AF"
    assert M.split(M.keyword("丝绸之路")) == ("keyword", "丝绸之路")


def test_slashes_spaces_and_reserved_characters_cannot_break_the_path():
    uri = M.holding("nlc", "a/b c?d#e%")
    assert uri == "http://127.0.0.1:8000/holding/nlc/a%2Fb%20c%3Fd%23e%25"
    assert M.split(uri) == ("holding", "nlc", "a/b c?d#e%")
    assert segment("K248.1") == "K248.1"


def test_minting_is_stable():
    assert M.mention("nlc", "a", "http://x/k", 12.5) == Minter("http://127.0.0.1:8000").mention("nlc", "a", "http://x/k", 12.5)
    assert M.mention("nlc", "a", "http://x/k", 12.5) != M.mention("nlc", "a", "http://x/k", 13.0)
    assert M.split("http://elsewhere/x") is None
