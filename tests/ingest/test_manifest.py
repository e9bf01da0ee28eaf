import json
from pathlib import Path

import pytest

from ingest.errors import ManifestError
from ingest.manifest import read_manifest


def write(folder: Path, rows: list, name: str = "lectures.jsonl") -> Path:
    (folder / "subs").mkdir(exist_ok=True)
    (folder / "subs" / "a.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\n你好\n", encoding="utf-8")
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


GOOD = {"id": "a1", "title": "讲座", "subtitles": "subs/a.srt"}


def test_reads_every_documented_field(tmp_path):
    row = dict(GOOD, speakers=["王明远"], series="经典导读", date="2024-05-01", duration="PT12M30S",
               video="https://lectures.example.org/v/a1.mp4", library="sh-lib", description="说明",
               language="zh-Hans", encoding="GBK")
    lectures, problems = read_manifest(write(tmp_path, [row]), "nlc")
    assert problems == []
    (lecture,) = lectures
    assert lecture.speakers == ("王明远",) and lecture.duration == 750.0 and lecture.library == "sh-lib"
    assert lecture.encoding == "gbk" and lecture.language == "zh-Hans" and lecture.source == "lectures.jsonl:1"
    assert lecture.subtitles == (tmp_path / "subs" / "a.srt").resolve()


def test_defaults_library_and_language(tmp_path):
    (lecture,), _ = read_manifest(write(tmp_path, [GOOD]), "nlc")
    assert (lecture.library, lecture.language, lecture.duration) == ("nlc", "zh", None)


@pytest.mark.parametrize(
    "row, field, expected",
    [
        ({"title": "x", "subtitles": "subs/a.srt"}, "'id': missing", "a non-empty string"),
        (dict(GOOD, title=""), "'title': missing", "a non-empty string"),
        (dict(GOOD, subtitles="subs/none.srt"), "does not exist", "an existing subtitle file"),
        (dict(GOOD, subtitles="../../etc/passwd"), "outside the source folder", "relative to the manifest"),
        (dict(GOOD, subtitles="/etc/passwd"), "outside the source folder", "relative to the manifest"),
        (dict(GOOD, duration="long"), "'duration'", "ISO 8601"),
        (dict(GOOD, date="01/05/2024"), "'date'", "ISO 8601"),
        (dict(GOOD, speakers="王明远"), None, None),
        (dict(GOOD, speakers=[1, 2]), "'speakers'", "a list of names"),
        (dict(GOOD, video="javascript:alert(1)"), "'video'", "http(s) URL"),
        (dict(GOOD, library="Bad Lib"), "'library'", "library id"),
        (dict(GOOD, library="meta"), "'library'", "not 'vocabularies' or 'meta'"),
        (dict(GOOD, encoding="klingon"), "unknown encoding", "gb18030"),
        (dict(GOOD, id="a/b"), "not a usable id", "without '/'"),
        (dict(GOOD, title=["list"]), "'title': a list", "a string"),
    ],
)
def test_bad_rows_are_reported_with_file_line_and_field(tmp_path, row, field, expected):
    lectures, problems = read_manifest(write(tmp_path, [GOOD | {"id": "ok"}, row]), "nlc")
    if field is None:  # accepted: a single name is a one-speaker list
        assert len(lectures) == 2 and problems == []
        return
    assert [l.id for l in lectures] == ["ok"]
    (problem,) = problems
    assert isinstance(problem, ManifestError)
    text = problem.describe()
    assert "lectures.jsonl:line 2" in text and field in text and expected in text


def test_invalid_json_and_duplicates(tmp_path):
    lectures, problems = read_manifest(write(tmp_path, [GOOD, "{not json", GOOD, "[1]"]), "nlc")
    assert len(lectures) == 1
    messages = [p.describe() for p in problems]
    assert "line 2" in messages[0] and "invalid JSON" in messages[0]
    assert "line 3" in messages[1] and "duplicate id 'a1' (first at lectures.jsonl:1)" in messages[1]
    assert "line 4" in messages[2] and "not an object" in messages[2]


def test_csv_has_the_same_columns(tmp_path):
    write(tmp_path, [], name="unused.jsonl")
    (tmp_path / "lectures.csv").write_text(
        "id,title,subtitles,speakers,duration\nc1,讲座,subs/a.srt,甲|乙,90\nc2,,subs/a.srt,,\n", encoding="utf-8")
    lectures, problems = read_manifest(tmp_path, "nlc")
    assert [(l.id, l.speakers, l.duration) for l in lectures] == [("c1", ("甲", "乙"), 90.0)]
    assert "lectures.csv:line 3" in problems[0].describe()


def test_no_manifest_is_a_clear_error(tmp_path):
    with pytest.raises(ManifestError, match="no lecture manifest found.*lectures.jsonl or lectures.csv"):
        read_manifest(tmp_path, "nlc")


def test_input_errors_survive_pickling_between_processes():
    import pickle

    error = ManifestError("a.jsonl", "field 'id': missing", position="line 3", expected="a non-empty string")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ManifestError and copy.describe() == error.describe() == str(copy)


# --- inputs that used to escape as a bare exception, and line-level reading -----------------------------


@pytest.mark.parametrize(
    "line, fragment",
    [
        ('{"id": "b", "title": "t", "subtitles": "subs/a.srt", "speakers": "[broken"}', "'[broken' is not a JSON list"),
        ('{"id": "b", "title": "t", "subtitles": "subs/a.srt", "duration": 1' + "0" * 400 + "}", "is not a duration"),
        ('{"id": "b", "title": "t", "subtitles": "subs/a.srt", "duration": 1e400}', "a number (inf) is not a duration"),
        ('{"id": "b", "title": "t", "subtitles": "subs/a.srt", "duration": "P1' + "0" * 400 + 'D"}', "is not a duration"),
        ('{"id": "b", "title": "t", "subtitles": "subs/a.srt", "duration": 1' + "0" * 5000 + "}", "invalid JSON: Exceeds the limit"),
        ("[" * 100_000 + "]" * 100_000, "invalid JSON: maximum recursion depth"),
        ('{"id": "b", "title": "t", "subtitles": "subs/a\\u0000.srt"}', "cannot be used as a path (embedded null byte)"),
        ('{"id": "b", "title": "t", "subtitles": "' + "x" * 5000 + '"}', "cannot be used as a path (File name too long)"),
        ('{"id": "b", "title": "t", "subtitles": "subs/a.srt", "encoding": "utf\\u00008"}', "unknown encoding"),
    ],
)
def test_hostile_values_are_row_errors_not_exceptions(tmp_path, line, fragment):
    lectures, problems = read_manifest(write(tmp_path, [GOOD, line]), "nlc")
    assert [l.id for l in lectures] == ["a1"]
    (problem,) = problems
    assert problem.position == "line 2" and fragment in problem.message and len(problem.describe()) < 400


def test_symlink_loop_and_symlink_outside_are_row_errors(tmp_path):
    write(tmp_path, [])
    (tmp_path / "subs" / "loop.srt").symlink_to("loop.srt")
    (tmp_path / "outside.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\n外\n", encoding="utf-8")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "subs").mkdir()
    (tmp_path / "src" / "subs" / "link.srt").symlink_to(tmp_path / "outside.srt")
    (tmp_path / "src" / "subs" / "loop.srt").symlink_to("loop.srt")
    rows = [dict(GOOD, subtitles="subs/link.srt"), dict(GOOD, id="a2", subtitles="subs/loop.srt")]
    (tmp_path / "src" / "lectures.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    lectures, problems = read_manifest(tmp_path / "src", "nlc")
    assert lectures == []
    assert "line 1" in problems[0].describe() and "points outside the source folder" in problems[0].message
    assert "line 2" in problems[1].describe() and "cannot be used as a path" in problems[1].message


def test_lines_end_only_at_newlines_and_undecodable_lines_cost_only_themselves(tmp_path):
    write(tmp_path, [dict(GOOD, title="第一行\u2028第二行\x85第三行")])  # Unicode line separators inside a title
    path = tmp_path / "lectures.jsonl"
    bad = json.dumps(dict(GOOD, id="a2", title="国标码"), ensure_ascii=False).encode("gb18030")
    path.write_bytes(path.read_bytes() + bad + b"\r\n" + json.dumps(dict(GOOD, id="a3")).encode() + b"\r\n")
    lectures, problems = read_manifest(tmp_path, "nlc")
    assert [(l.id, l.source) for l in lectures] == [("a1", "lectures.jsonl:1"), ("a3", "lectures.jsonl:3")]
    assert lectures[0].title == "第一行\u2028第二行\x85第三行"
    (problem,) = problems
    assert problem.position.startswith("line 2, byte ") and "not UTF-8" in problem.message


@pytest.mark.parametrize("name, data", [("lectures.jsonl", b""), ("lectures.jsonl", b"\xef\xbb\xbf\n  \n"),
                                        ("lectures.csv", b"id,title,subtitles\n")])
def test_a_manifest_without_rows_is_one_error(tmp_path, name, data):
    write(tmp_path, [], name="unused.txt")
    (tmp_path / name).write_bytes(data)
    lectures, problems = read_manifest(tmp_path, "nlc")
    assert lectures == [] and [p.position for p in problems] == ["line 1"]
    assert "has no rows" in problems[0].message


def test_csv_rows_are_numbered_by_their_first_line_and_a_huge_cell_costs_only_its_row(tmp_path):
    write(tmp_path, [], name="unused.txt")
    (tmp_path / "lectures.csv").write_text(
        'id,title,subtitles\nc1,"两行\n标题",subs/a.srt\n\nc2,"' + "长" * 200_000 + '",subs/a.srt\nc3,,subs/a.srt\nc4,t,subs/a.srt\n',
        encoding="utf-8")
    lectures, problems = read_manifest(tmp_path, "nlc")
    assert [(l.id, l.source) for l in lectures] == [("c1", "lectures.csv:2"), ("c4", "lectures.csv:7")]
    assert [p.position for p in problems] == ["line 5", "line 6"]
    assert "field larger than field limit" in problems[0].message and "'title': missing" in problems[1].message
