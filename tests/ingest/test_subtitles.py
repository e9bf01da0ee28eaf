import math
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.errors import InputError, SubtitleError
from ingest.records import Cue, Transcript
from ingest.subtitles import detect_format, parse_subtitles, read_subtitles

DATA = Path(__file__).parents[1] / "data" / "subtitles"


def read(name: str, **options) -> Transcript:
    return read_subtitles(DATA / name, **options)


def timed(transcript: Transcript) -> list[tuple[float, float, str]]:
    return [(cue.start, cue.end, cue.text) for cue in transcript.cues]


def parse(text: str, name: str = "a.srt", **options) -> Transcript:
    return parse_subtitles(text, Path(name), **options)


def fails(name: str) -> SubtitleError:
    with pytest.raises(SubtitleError) as caught:
        read(name)
    assert name in str(caught.value)
    return caught.value


# --- encodings end to end ------------------------------------------------------------


@pytest.mark.parametrize(
    "name, encoding, first",
    [
        ("utf8_bom.srt", "utf-8-sig", "各位读者朋友，欢迎来到今天的公开课。"),
        ("utf16le_bom.srt", "utf-16", "各位读者朋友，欢迎来到今天的公开课。"),
        ("gb18030.srt", "gb18030", "各位读者朋友，欢迎来到今天的公开课。"),
        ("big5_traditional.srt", "big5", "各位讀者朋友，歡迎來到今天的公開課。"),
    ],
)
def test_reads_every_encoding_to_the_same_cues(name, encoding, first):
    transcript = read(name)
    assert (transcript.format, transcript.encoding, transcript.notes) == ("srt", encoding, ())
    assert [(c.start, c.end) for c in transcript.cues] == [(1.0, 4.0), (4.5, 8.0), (8.5, 12.0), (12.5, 16.0)]
    assert transcript.cues[0].text == first  # display text as written: no script conversion


def test_bom_in_the_middle_is_removed():
    transcript = read("bom_in_middle.srt")
    assert len(transcript.cues) == 5
    assert transcript.cues[-1] == Cue(17.0, 20.0, "谢谢大家。")
    assert all("\ufeff" not in cue.text for cue in transcript.cues)


def test_declared_encoding_is_passed_on():
    assert read("gb18030.srt", encoding="GBK").encoding == "gb18030"


# --- SRT -----------------------------------------------------------------------------------


def test_srt_markup_and_ass_overrides_are_stripped():
    assert timed(read("srt_markup.srt")) == [
        (1.0, 3.0, "片头字幕在上方"),
        (3.5, 6.0, "黄色的重点 内容"),
        (6.5, 9.0, "斜体与<三国演义> & <三国志>"),  # escaped and unknown "tags" are text
        (9.5, 12.0, "第一行\n第二行"),
    ]


def test_srt_tolerates_crlf_missing_numbers_dots_blank_lines_and_no_final_newline():
    transcript = read("srt_tolerant.srt")
    assert timed(transcript) == [
        (1.0, 2.0, "第一句"),
        (2.5, 4.0, "没有编号的第二句"),
        (4.5, 6.0, "第三句\n第三句的第二行"),
    ]
    assert transcript.notes == ()


def test_srt_with_carriage_returns_only():
    assert timed(read("srt_cr_only.srt")) == [(1.0, 2.0, "只用回车的第一句"), (3.0, 4.0, "第二句")]


def test_text_blocks_without_timing_are_attached_or_skipped_with_notes():
    transcript = read("text_blocks.srt")
    assert timed(transcript) == [
        (1.0, 3.0, "第一句\n后面空了一行的续句"),
        (4.0, 5.0, "第二句"),  # the "3" above the next timing line is its number, not text
        (6.0, 7.0, "漏了空行的第三句"),
    ]
    assert transcript.notes == (
        "line 1: text before the first cue skipped",
        "line 7: text without a timing line joined to the cue at line 4",
    )


def test_short_timestamps_and_fractions():
    transcript = parse("00:01,5 --> 00:02,25\nA\n\n1:00:00 --> 1:00:01\nB\n")
    assert timed(transcript) == [(1.5, 2.25, "A"), (3600.0, 3601.0, "B")]


# --- WebVTT --------------------------------------------------------------------------------


def test_vtt_header_blocks_ids_settings_and_tags():
    transcript = read("vtt_features.vtt")
    assert (transcript.format, transcript.notes) == ("vtt", ())
    assert timed(transcript) == [
        (1.0, 4.0, "大家好，欢迎来到公开课。"),
        (4.5, 8.0, "今天讲古籍保护：<善本> & 抄本。"),
        (8.5, 12.0, "天一阁是现存最早的私家藏书楼。"),  # ruby base kept, <rt> annotation dropped
        (3600.0, 3603.5, "The end."),
    ]


def test_vtt_ruby_without_closing_rt():
    transcript = parse("WEBVTT\n\n00:01.000 --> 00:02.000\n<ruby>漢<rt>かん</ruby>字\n", "a.vtt")
    assert transcript.cues[0].text == "漢字"


def test_vtt_without_header_is_read_with_a_note():
    transcript = parse("00:01.000 --> 00:02.000\n你好\n", "a.vtt")
    assert timed(transcript) == [(1.0, 2.0, "你好")]
    assert transcript.notes == ("line 1: no 'WEBVTT' header; read as WebVTT anyway",)


# --- format sniffing -------------------------------------------------------------------


def test_webvtt_content_wins_over_srt_name():
    transcript = read("webvtt_named.srt")
    assert transcript.format == "vtt" and timed(transcript) == [(1.0, 2.0, "名字是 srt，内容是 WebVTT")]


def test_srt_without_any_timing_is_a_plain_transcript():
    transcript = read("transcript_named.srt")
    assert transcript.format == "txt"
    assert transcript.notes[0] == "no timing line found: read as a plain transcript"
    assert [cue.text for cue in transcript.cues] == ["讲座文字稿", "今天我们来谈谈古籍的保护。古籍是中华文明的载体。"]
    assert all(cue.estimated for cue in transcript.cues)


@pytest.mark.parametrize(
    "text, name, fmt, expected",
    [
        ("WEBVTT\n\n00:01.000 --> 00:02.000\nx", "a.txt", None, "vtt"),
        ("1\n00:00:01,000 --> 00:00:02,000\nx", "a.txt", None, "srt"),
        ("说明\n\n1\n00:00:01,000 --> 00:00:02,000\nx", "a.txt", None, "txt"),
        ("说明\n\n1\n00:00:01,000 --> 00:00:02,000\nx", "a.srt", None, "srt"),
        ("1\n00:00:01,000 --> 00:00:02,000\nx", "a", None, "srt"),
        ("hello", "a.vtt", None, "vtt"),
        ("1\n00:00:01,000 --> 00:00:02,000\nx", "a.srt", "TXT", "txt"),
        ("x", "a.txt", "webvtt", "vtt"),
    ],
)
def test_detect_format(text, name, fmt, expected):
    assert detect_format(text, Path(name), fmt) == expected


def test_unknown_format_name():
    with pytest.raises(SubtitleError) as caught:
        parse("x", fmt="ass")
    assert "'ass'" in caught.value.message and caught.value.expected == "srt, vtt, txt"


# --- cleaning, merging, overlaps -------------------------------------------------------


def test_music_and_noise_only_cues_are_dropped():
    transcript = read("noise_cues.srt")
    assert timed(transcript) == [(10.0, 12.0, "谢谢大家"), (18.0, 20.0, "这本书（第三版）很重要")]
    assert transcript.notes == (
        "7 cue(s) without text (empty, or music/noise markers only) dropped: lines 2, 6, 10, 14, 22, 26, 30",
    )


@pytest.mark.parametrize("marker", ["[Music]", "(APPLAUSE)", "[BLANK_AUDIO]", "（笑）", "【背景音乐】", "♫"])
def test_noise_markers_are_removed_from_text(marker):
    transcript = parse(f"00:00:01,000 --> 00:00:02,000\n{marker} 好的\n\n00:00:03,000 --> 00:00:04,000\n{marker}\n")
    assert timed(transcript) == [(1.0, 2.0, "好的")]


def test_sentences_split_across_cues_are_merged():
    assert timed(read("broken_sentence.srt")) == [
        (1.0, 5.0, "今天我们要讨论的是中国古代的藏书制度。"),  # gap 0.2 s: merged
        (5.5, 7.0, "这个问题很重要。"),
        (7.2, 9.0, "因为藏书楼保存了"),  # next starts 1.5 s later: kept apart
        (10.5, 12.0, "大量的珍贵典籍。"),
        (12.1, 20.0, "宋代以后，私人藏书越来越多，"),  # merged would last 15.9 s: kept apart
        (20.2, 28.0, "形成了许多著名的藏书家族。"),
        (28.1, 33.0, "比如宁波的范氏，他们建造了著名的天一阁。"),  # three cues chained
    ]


def test_latin_text_is_merged_with_a_space():
    transcript = parse("00:00:01,000 --> 00:00:02,000\nThis is a\n\n00:00:02,100 --> 00:00:03,000\nsentence.\n\n"
                       "00:00:04,000 --> 00:00:05,000\nDone.\n")
    assert timed(transcript) == [(1.0, 3.0, "This is a sentence."), (4.0, 5.0, "Done.")]


def test_unpunctuated_speech_recognition_cues_are_kept_as_they_are():
    transcript = read("asr_unpunctuated.srt")
    assert [(c.start, c.end) for c in transcript.cues] == [(0.0, 12.0), (12.0, 29.0), (29.0, 59.0), (59.0, 80.5)]
    assert transcript.cues[3].text.endswith("该借哪本书")


def test_chinese_convention_subtitles_without_end_punctuation_are_not_merged():
    text = "".join(f"00:00:0{i},000 --> 00:00:0{i},900\n第{i}行 没有句号\n\n" for i in range(1, 6))
    assert len(parse(text).cues) == 5


def test_overlapping_cues_are_kept():
    assert timed(read("overlap.srt")) == [(1.0, 5.0, "甲：我先说两句"), (3.0, 6.0, "乙：我也插一句"), (5.5, 8.0, "甲：好的请讲")]


def test_a_small_step_back_in_time_is_sorted_into_place():
    assert timed(read("small_step_back.srt")) == [(9.5, 11.0, "其实先开口的"), (10.0, 12.0, "第二个说的")]


# --- errors and truncation --------------------------------------------------------------


def test_small_steps_back_cannot_add_up():
    text = "".join(f"00:00:{start:02d},000 --> 00:00:{start + 1:02d},000\n第{n}句\n\n" for n, start in enumerate([10, 9, 8]))
    with pytest.raises(SubtitleError) as caught:
        parse(text)
    assert caught.value.position == "line 7" and "before the cue at line 1" in caught.value.message


def test_bad_timing_line_names_file_line_and_expected_form():
    error = fails("bad_timestamp.srt")
    assert error.position == "line 6"
    assert "'00:00:03,000 -> 00:00:04,000'" in error.message
    assert error.expected == "'HH:MM:SS,mmm --> HH:MM:SS,mmm'"
    assert str(error).startswith(str(DATA / "bad_timestamp.srt") + ":line 6: ")


def test_bad_vtt_timing_line_expects_vtt_form():
    with pytest.raises(SubtitleError) as caught:
        parse("WEBVTT\n\n00:01.000 --> 00:02.000\nok\n\n00:03.000 --> 00:4.000\nbad\n", "talk.vtt")
    assert caught.value.position == "line 6" and "[HH:]MM:SS.mmm" in caught.value.expected


def test_minutes_over_59_are_an_error():
    error = fails("bad_minutes.srt")
    assert error.position == "line 2" and "must be under 60" in error.message


def test_cue_ending_before_it_starts():
    error = fails("end_before_start.srt")
    assert error.position == "line 6"
    assert "ends before it starts (00:00:05,000 --> 00:00:04,000)" in error.message


def test_time_going_backwards():
    error = fails("backwards_time.srt")
    assert error.position == "line 10"
    assert "time goes backwards" in error.message and "cue at line 6" in error.message
    assert "time order" in error.expected


@pytest.mark.parametrize("name, text", [("empty.srt", None), ("blank.srt", " \r\n\n\t\n")])
def test_empty_file(name, text, tmp_path):
    path = DATA / name if text is None else tmp_path / name
    if text is not None:
        path.write_text(text)
    with pytest.raises(SubtitleError) as caught:
        read_subtitles(path)
    assert caught.value.message == "the file is empty" and name in str(caught.value)


def test_truncated_last_cue_is_dropped_with_a_note():
    transcript = read("truncated.srt")
    assert timed(transcript) == [(1.0, 2.0, "完整的第一句"), (3.0, 4.0, "完整的第二句")]
    assert transcript.notes == ("line 10: the file ends in an incomplete cue (truncated?); dropped",)


def test_file_ending_in_a_cue_number_is_truncated():
    transcript = read("truncated_number.srt")
    assert timed(transcript) == [(1.0, 2.0, "完整的一句")]
    assert transcript.notes == ("line 5: the file ends in an incomplete cue (truncated?); dropped",)


def test_truncated_timing_line_right_after_text():
    transcript = parse("00:00:01,000 --> 00:00:02,000\n完整\n00:00:03,000 --> 00:0")
    assert timed(transcript) == [(1.0, 2.0, "完整")]


def test_file_without_any_cue_text():
    with pytest.raises(SubtitleError) as caught:
        parse("WEBVTT\n\nNOTE nothing here\n", "a.vtt")
    assert caught.value.message == "no cue with text found"
    with pytest.raises(SubtitleError):
        parse("1\n00:00:01,000 --> 00:00:02,000\n♪\n")


def test_missing_file_is_a_subtitle_error(tmp_path):
    with pytest.raises(SubtitleError) as caught:
        read_subtitles(tmp_path / "missing.srt")
    assert "cannot read" in caught.value.message


def test_binary_file_is_an_encoding_error():
    with pytest.raises(InputError) as caught:
        read("binary.srt")
    assert caught.value.kind == "encoding" and "binary" in caught.value.message


# --- plain transcripts -------------------------------------------------------------------


def test_plain_transcript_at_reading_speed():
    transcript = read("transcript.txt")
    assert transcript.format == "txt"
    sizes = [len(cue.text) for cue in transcript.cues]
    assert sizes == [6, 43, 59, 68, 5]  # the long paragraph in 1–3-sentence segments, "[掌声]" dropped
    assert transcript.cues[1].text.endswith("保护我们的历史记忆！")
    assert [cue.start for cue in transcript.cues] == [0.0, 1.333, 10.889, 24.0, 39.111]
    assert transcript.cues[-1].end == round(181 / 4.5, 3)
    assert all(cue.estimated for cue in transcript.cues)


def test_plain_transcript_spread_over_duration():
    transcript = read("transcript.txt", duration=181.0)
    times = [(c.start, c.end) for c in transcript.cues]
    assert times == [(0.0, 6.0), (6.0, 49.0), (49.0, 108.0), (108.0, 176.0), (176.0, 181.0)]  # 1 s per character
    assert "spread over the duration of 181 s" in transcript.notes[0]


@pytest.mark.parametrize("duration", [0.0, -5.0, math.nan, math.inf])
def test_unusable_duration_is_ignored(duration):
    transcript = parse("一句话。", "a.txt", duration=duration)
    assert transcript.cues[0].end == round(4 / 4.5, 3) and "ignored" in transcript.notes[0]


def test_ten_megabyte_single_line_is_split_in_linear_time(tmp_path):
    path = tmp_path / "huge.txt"
    path.write_text("我们今天讲一讲图书馆的历史和未来" * 230_000, encoding="utf-8")  # ~11 MB, no punctuation
    assert path.stat().st_size > 10_000_000
    began = time.perf_counter()
    transcript = read_subtitles(path, duration=3600.0)
    assert time.perf_counter() - began < 15
    assert len(transcript.cues) == math.ceil(16 * 230_000 / 120)
    assert max(len(cue.text) for cue in transcript.cues) == 120
    assert transcript.cues[-1].end == 3600.0


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_plain_transcript_lines_whatever_the_line_ends(newline):
    transcript = parse(newline.join(["第一段。", "", "第二段。"]), "a.txt")
    assert [cue.text for cue in transcript.cues] == ["第一段。", "第二段。"]


def test_bom_handed_to_the_parser_is_ignored():
    assert parse("\ufeffWEBVTT\n\n00:01.000 --> 00:02.000\n你\ufeff好\n", "a.srt").cues == (Cue(1.0, 2.0, "你好"),)


def test_long_latin_line_is_cut_at_spaces():
    transcript = parse("word " * 100, "a.txt")
    assert all(len(cue.text) <= 120 and not cue.text.endswith("wor") for cue in transcript.cues)
    assert " ".join(cue.text for cue in transcript.cues).split() == ["word"] * 100


# --- properties -------------------------------------------------------------------------------

LINES = st.sampled_from([
    "", "1", "2", "WEBVTT", "NOTE x", "STYLE", "00:00:01,000 --> 00:00:02,000", "00:00:03.000 --> 00:00:04.000 align:start",
    "00:05.000 --> 00:06.000", "00:00:02,000 --> 00:00:01,000", "00:00:00,000 -> 00:00:01,000", "00:61:00,000 --> 00:62:00,000",
    "<i>你好</i>", "{\\an8}字幕", "♪", "[音乐]", "&amp;&lt;", "<ruby>字<rt>zi</rt></ruby>", "。", "Hello,", "world.", " ",
])


def check(transcript: Transcript) -> None:
    assert transcript.cues and transcript.format in ("srt", "vtt", "txt")
    for cue in transcript.cues:
        assert 0 <= cue.start <= cue.end and math.isfinite(cue.end)
        assert cue.text.strip()


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(st.text(), st.lists(st.one_of(LINES, st.text(max_size=8)), max_size=30).map("\n".join)),
    st.sampled_from(["a.srt", "a.vtt", "a.txt", "a"]),
    st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
)
def test_any_text_parses_or_raises_an_input_error(text, name, duration):
    try:
        transcript = parse_subtitles(text, Path(name), duration=duration)
    except InputError:
        return
    check(transcript)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=300), st.lists(LINES, max_size=20).map(lambda ls: "\n".join(ls).encode("gb18030"))))
def test_any_bytes_read_or_raise_an_input_error(data, tmp_path):
    path = tmp_path / "any.srt"
    path.write_bytes(data)
    try:
        transcript = read_subtitles(path)
    except InputError:
        return
    check(transcript)


# --- real data ------------------------------------------------------------------------------------


@pytest.mark.realdata
def test_reads_every_podcast_srt(shared_datasets):
    files = sorted((shared_datasets / "pie_podcast_asr" / "srt").glob("*.srt"))
    assert len(files) == 225
    for path in files:
        transcript = read_subtitles(path)
        cues = transcript.cues
        assert (transcript.format, transcript.encoding, transcript.notes) == ("srt", "utf-8", ()), path.name
        # unpunctuated Whisper output: one cue per timing line, nothing merged or dropped
        assert len(cues) == path.read_text("utf-8").count(" --> ") > 0, path.name
        assert all(0 <= cue.start <= cue.end for cue in cues), path.name
        assert all(later.start >= earlier.start for earlier, later in zip(cues, cues[1:])), path.name
        assert cues[-1].end > 600, path.name  # hour-long episodes
