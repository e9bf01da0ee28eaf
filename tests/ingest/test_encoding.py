import codecs
import json
import unicodedata
from pathlib import Path

import opencc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.encoding import decode
from ingest.errors import EncodingError

DATA = Path(__file__).parents[1] / "data" / "subtitles"
FIRST_LINE = "各位读者朋友，欢迎来到今天的公开课。"


def decode_fixture(name: str, declared: str | None = None) -> tuple[str, str]:
    path = DATA / name
    return decode(path.read_bytes(), path, declared)


@pytest.mark.parametrize(
    "name, codec, line",
    [
        ("utf8_bom.srt", "utf-8-sig", FIRST_LINE),
        ("utf16le_bom.srt", "utf-16", FIRST_LINE),
        ("utf16be_bom.srt", "utf-16", FIRST_LINE),
        ("utf16le_nobom.srt", "utf-16-le", FIRST_LINE),
        ("gb18030.srt", "gb18030", FIRST_LINE),
        ("big5_traditional.srt", "big5", "各位讀者朋友，歡迎來到今天的公開課。"),
        ("gb18030_traditional.srt", "gb18030", "各位讀者朋友，歡迎來到今天的公開課。"),
    ],
)
def test_detects_the_encoding_of_real_text(name, codec, line):
    text, found = decode_fixture(name)
    assert found == codec
    assert text.splitlines()[2] == line
    assert "\ufeff" not in text and text.startswith("1")


def test_plain_ascii_and_empty_input_are_utf8():
    assert decode(b"1\n00:00:01,000 --> 00:00:02,000\nhello\n", Path("a.srt")) == (
        "1\n00:00:01,000 --> 00:00:02,000\nhello\n", "utf-8")
    assert decode(b"", Path("a.srt")) == ("", "utf-8")


def test_removes_a_bom_in_the_middle_of_the_text():
    text, codec = decode_fixture("bom_in_middle.srt")
    assert codec == "utf-8-sig"
    assert "\ufeff" not in text and "\n5\n00:00:17,000" in text


def test_utf8_cut_inside_the_last_character_keeps_the_rest():
    data = "你好世界".encode()[:-1]
    assert decode(data, Path("a.txt")) == ("你好世", "utf-8")


@pytest.mark.parametrize(
    "declared, codec",
    [("GBK", "gb18030"), ("gb2312", "gb18030"), ("cp936", "gb18030"), ("GB18030", "gb18030"), ("euc-cn", "gb18030")],
)
def test_declared_gb_names_read_as_gb18030(declared, codec):
    text, found = decode_fixture("gb18030.srt", declared)
    assert found == codec and FIRST_LINE in text


@pytest.mark.parametrize("declared, codec", [("big5", "big5"), ("Big5-TW", "big5"), ("cp950", "cp950")])
def test_declared_big5_names(declared, codec):
    text, found = decode_fixture("big5_traditional.srt", declared)
    assert found == codec and "歡迎來到" in text


def test_declared_utf8_on_a_bom_file_strips_the_bom():
    assert decode_fixture("utf8_bom.srt", "UTF8")[1] == "utf-8-sig"
    assert not decode_fixture("utf8_bom.srt", "utf-8")[0].startswith("\ufeff")


def test_declared_utf16_without_bom_uses_the_nul_pattern():
    data = "1\n00:00:01,000 --> 00:00:02,000\n你好\n".encode("utf-16-be")
    assert decode(data, Path("a.srt"), "utf-16") == ("1\n00:00:01,000 --> 00:00:02,000\n你好\n", "utf-16-be")


def test_declared_encoding_is_honoured_even_when_detection_would_differ():
    # GB18030 bytes of a Big5 file: nonsense, but the manifest said so
    text, codec = decode_fixture("big5_traditional.srt", "gbk")
    assert codec == "gb18030" and "歡迎" not in text


def test_bytes_invalid_in_the_declared_encoding_name_the_offset():
    data = (DATA / "gb18030.srt").read_bytes()
    with pytest.raises(EncodingError) as caught:
        decode(data, Path("lecture.srt"), "utf-8")
    error = caught.value
    first_bad = next(i for i, b in enumerate(data) if b >= 0x80)
    assert error.position == f"byte {first_bad}"
    assert "lecture.srt" in str(error) and "'utf-8'" in str(error) and "GB18030" in error.expected


@pytest.mark.parametrize("declared", ["klingon", "", "latin-1", "shift_jis"])
def test_unknown_or_refused_codec_names_list_the_accepted_ones(declared):
    with pytest.raises(EncodingError) as caught:
        decode(b"abc", Path("a.srt"), declared)
    assert repr(declared) in caught.value.message
    assert "UTF-8" in caught.value.expected and "Big5" in caught.value.expected and "GB18030" in caught.value.expected


def test_undecodable_bytes_name_the_first_bad_byte():
    data = (DATA / "invalid_utf8.srt").read_bytes()
    with pytest.raises(EncodingError) as caught:
        decode(data, DATA / "invalid_utf8.srt")
    error = caught.value
    assert error.position == f"byte {data.index(0xFF)}"
    assert "invalid_utf8.srt:byte" in str(error) and "0xff" in error.message and "not valid utf-8" in error.message
    assert "gb18030 fails at byte" in error.message and "Big5" in error.expected


def test_bytes_only_gb18030_accepts_as_nonsense_are_refused():
    with pytest.raises(EncodingError) as caught:
        decode_fixture("shift_jis.srt")
    assert "gb18030 reads it only as nonsense" in caught.value.message


def test_binary_data_is_refused():
    with pytest.raises(EncodingError) as caught:
        decode_fixture("binary.srt")
    error = caught.value
    assert "binary" in error.message and error.position == "byte 6" and "text file" in error.expected


def test_a_stray_nul_byte_is_not_binary():
    text, codec = decode(b"1\n00:00:01,000 --> 00:00:02,000\n" + "讲座".encode() * 40 + b"\x00\n", Path("a.srt"))
    assert codec == "utf-8" and text.count("\x00") == 1


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_decode_or_raise_encoding_error(data):
    try:
        text, codec = decode(data, Path("x.srt"))
    except EncodingError as error:
        assert error.position and error.position.startswith("byte ")
        return
    assert isinstance(text, str) and "\ufeff" not in text
    assert codec in {"utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "gb18030", "big5", "cp950", "big5hkscs"}


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufeff")))
def test_utf8_text_round_trips(text):
    assert decode(text.encode("utf-8"), Path("x.srt")) == (text, "utf-8")
    assert decode(codecs.BOM_UTF8 + text.encode("utf-8"), Path("x.srt")) == (text, "utf-8-sig")
    if sum(unicodedata.category(ch) in ("Co", "Cn") for ch in text) < 3:  # else refused as mixed encodings
        assert decode(text.encode("utf-16"), Path("x.srt")) == (text, "utf-16")


@pytest.mark.realdata
def test_tells_gb18030_from_big5_on_real_lecture_text(shared_datasets):
    """Every TED talk transcript, simplified in GB18030 and converted to traditional in Big5."""
    to_traditional = opencc.OpenCC("s2t")
    talks = [json.loads(line) for line in (shared_datasets / "ted_zh_dev" / "talks.jsonl").read_text("utf-8").splitlines()]
    assert len(talks) == 19
    for talk in talks:
        for part in (talk["text_zh"][:400], talk["text_zh"][:4000]):
            assert decode(part.encode("gb18030"), Path("t.srt")) == (part, "gb18030")
            traditional = to_traditional.convert(part).encode("big5", errors="ignore")
            assert decode(traditional, Path("t.srt"))[1] == "big5"


# --- files in two encodings joined into one ---------------------------------------------------------

CUES = "1\n00:00:01,000 --> 00:00:02,000\n各位读者朋友，欢迎来到今天的公开课。\n\n"


@pytest.mark.parametrize("head_bom", [b"", codecs.BOM_UTF16_LE])
def test_utf8_text_joined_after_utf16_is_refused_not_read_as_nonsense(head_bom):
    utf16 = head_bom + CUES.encode("utf-16-le")
    with pytest.raises(EncodingError) as caught:
        decode(utf16 + CUES.encode("utf-8"), Path("x.srt"))
    assert caught.value.position == f"byte {len(utf16)}" and "mixed encodings" in caught.value.message


@pytest.mark.parametrize("odd", [b"", b"x"])  # the UTF-16 part starting at an even or an odd offset
def test_utf16_joined_after_utf8_names_where_it_starts(odd):
    utf8 = CUES.encode("utf-8") + odd
    with pytest.raises(EncodingError) as caught:
        decode(utf8 + CUES.encode("utf-16"), Path("x.srt"))
    assert caught.value.position == f"byte {len(utf8)}"
    assert f"turns into UTF-16 at byte {len(utf8)} (line 5)" in caught.value.message


def test_undecodable_byte_names_its_line_and_hints_at_mixing():
    data = CUES.encode("utf-8") + CUES.encode("gb18030")
    with pytest.raises(EncodingError) as caught:
        decode(data, Path("x.srt"))
    first_bad = len(CUES.encode("utf-8")) + CUES.encode("gb18030").index(b"\xb8")
    assert caught.value.position == f"byte {first_bad}" and ", line 7)" in caught.value.message
    assert "valid UTF-8: is text in another encoding (GBK?) mixed in?" in caught.value.message
    with pytest.raises(EncodingError) as caught:
        decode(CUES.encode("gb18030") + codecs.BOM_UTF8 + CUES.encode("utf-8"), Path("x.srt"))
    assert "UTF-8 byte-order mark in the middle" in caught.value.message
