"""ingest.holdings (with ingest.marc, ingest.iso2709, ingest.identifiers): MARC21, UNIMARC, MARCXML, CSV.

The fixtures in tests/data/holdings are written by make_fixtures.py there
(invented records); real-data tests read ../shared/datasets and skip without it.
"""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymarc import Field, Indicators, Record, Subfield

from ingest.errors import HoldingsError
from ingest.folding import has_cjk
from ingest.holdings import holding_from_marc21, holding_from_row, holding_from_unimarc, read_holdings
from ingest.identifiers import clean_isbn, clean_isbns, derive_id, has_isbn_checksum, normalise_lccn
from ingest.iso2709 import Fault, read_records
from ingest.marc import detect_flavour, trim_isbd
from ingest.records import Holding

DATA = Path(__file__).parents[1] / "data" / "holdings"


def _read(path: Path, **options: str) -> tuple[list[Holding], list[HoldingsError]]:
    items = list(read_holdings(path, **options))
    assert all(isinstance(item, (Holding, HoldingsError)) for item in items)
    return ([i for i in items if isinstance(i, Holding)], [i for i in items if isinstance(i, HoldingsError)])


def _field(tag: str, indicators: str, *pairs: str) -> Field:
    subfields = [Subfield(code=pairs[i], value=pairs[i + 1]) for i in range(0, len(pairs), 2)]
    return Field(tag=tag, indicators=Indicators(*indicators), subfields=subfields)


def _record(*fields: Field, leader: str = "00000cam a2200000 a 4500") -> Record:
    record = Record(leader=leader)
    record.add_field(*fields)
    return record


# --- MARC21 ------------------------------------------------------------------------------


def test_marc21_prefers_880_vernacular_and_keeps_romanised() -> None:
    holdings, errors = _read(DATA / "marc21.mrc")
    assert errors == []
    book = holdings[0]
    assert book.id == "fx0001"  # 001 stripped, before the LCCN
    assert book.format == "marc21" and book.source == "marc21.mrc#record 1"
    assert book.title == "红楼梦 : 八十回校本"
    assert book.other_titles == ("Hong lou meng : ba shi hui jiao ben",)
    assert book.creators == ("曹雪芹", "高鹗", "Cao, Xueqin", "Gao, E")
    assert (book.place, book.publisher, book.year) == ("北京", "人民文学出版社", "1998")
    assert book.series == "中国古典文学读本丛书 ; 5"
    assert book.language == "chi"


def test_marc21_identifiers_classes_and_subjects() -> None:
    book = _read(DATA / "marc21.mrc")[0][0]
    assert book.isbns == ("7101003044", "9787020002207")  # "(pbk.)" and hyphens gone; bad check digit and $z out
    assert book.lccn == "98000001"
    assert book.clc == ("I242.47",)  # 084 $2 "CLC", any case
    assert book.lcc == ("PL2727.S2 C36 1998",)
    assert book.call_number == "PL2727.S2 C36 1998"
    assert book.subjects == (
        "Cao, Xueqin, ca. 1717-1763. Hong lou meng",
        "Chinese fiction -- Qing dynasty, 1644-1912 -- Criticism, interpretation, etc",
    )


def test_marc21_without_880_uses_264_publication_090_and_parallel_title() -> None:
    book = _read(DATA / "marc21.mrc")[0][1]
    assert book.title == "Porcelain of Jingdezhen"
    assert book.other_titles == ("Jingdezhen ci qi",)  # 245 $b after "=" is a parallel title
    assert book.creators == ("Palace Museum (Beijing, China). Department of Ceramics",)
    assert (book.place, book.publisher, book.year) == ("London", "Example Press", "2019")  # 264 ind2 1
    assert book.call_number == "TP311.56 H91"  # 090 beats 050
    assert book.isbns == ("020161622X",)
    assert book.subjects == ("Porcelain, Chinese -- China -- Jingdezhen -- History",
                             "Jingdezhen (China) -- Antiquities")
    assert book.language == "eng"


def test_holding_from_marc21_pairs_an_unlinked_880_with_the_245() -> None:
    record = _record(
        Field(tag="008", data="990101s1999    cc            000 0 chi d"),
        _field("245", "10", "a", "Xin jing ; Jin gang jing /", "c", "[bian wen Ping Chang]."),
        _field("880", "10", "6", "245-00/$1", "a", "心經 ; 金剛經 /", "c", "[编文平常]."),
        _field("260", "  ", "a", "Beijing :", "b", "Dong fang chu ban she,", "c", "民國88"),
    )
    book = holding_from_marc21(record, "memory#1")
    assert book.title == "心經 ; 金剛經"
    assert book.other_titles == ("Xin jing ; Jin gang jing",)
    assert book.year == "1999"  # no 4 digits in $c: 008/07-10
    assert book.id.startswith("digest-")  # no 001, LCCN or ISBN: a stable content digest
    assert book.id == holding_from_marc21(record, "elsewhere#9").id


def test_holding_from_marc21_without_title_raises() -> None:
    record = _record(Field(tag="001", data="x1"), _field("650", " 0", "a", "Tea"))
    with pytest.raises(HoldingsError, match="no title") as caught:
        holding_from_marc21(record, "memory#1")
    assert "245" in caught.value.expected


# --- UNIMARC / CNMARC --------------------------------------------------------------------


def test_unimarc_record_is_detected_and_mapped() -> None:
    holdings, errors = _read(DATA / "cnmarc.mrc")
    assert errors == []
    book = holdings[0]
    assert book.format == "unimarc"
    assert book.id == "CAL 012004002367"
    assert book.title == "红楼梦" and book.other_titles == ("脂评汇校本",)
    assert book.creators == ("曹雪芹", "高鹗")  # 701/702; 200 $f/$g only when there are none
    assert (book.place, book.publisher, book.year) == ("北京", "中华书局", "2004")
    assert book.isbns == ("9787101011524",)
    assert book.subjects == ("红楼梦 -- 研究", "章回小说 -- 中国 -- 清代", "红学", "脂砚斋")
    assert book.clc == ("I207.411",)
    assert book.call_number == "I207.411/12"  # 905 $d / $e
    assert book.series == "中国古典小说名著 ; 3"
    assert book.language == "chi"


def test_unimarc_in_gb18030_reads_like_utf8() -> None:
    utf8, gb = _read(DATA / "cnmarc.mrc")[0][0], _read(DATA / "cnmarc_gb18030.mrc")[0][0]
    assert dataclasses.replace(gb, source=utf8.source) == utf8


def test_holding_from_unimarc_falls_back_to_200_responsibility() -> None:
    record = _record(
        _field("100", "  ", "a", "20040223d2003    em y0chiy50      ea"),
        _field("200", "1 ", "a", "\x88The \x89茶经", "f", "陆羽著", "g", "沈冬梅校注"),
        leader="00000nam0 2200000   450 ",
    )
    book = holding_from_unimarc(record, "memory#1")
    assert book.title == "The 茶经"  # non-sort marks U+0088/U+0089 removed
    assert book.creators == ("陆羽著", "沈冬梅校注")
    assert book.year == "2003"  # 100 $a/9-12


@pytest.mark.parametrize(("tags", "flavour"), [
    (["001", "008", "245", "650"], "marc21"),
    (["001", "010", "100", "200", "690"], "unimarc"),
    (["001", "100", "101", "210", "606"], "unimarc"),
    (["001", "100", "260", "650"], "marc21"),
    (["001"], "marc21"),
])
def test_detect_flavour(tags: list[str], flavour: str) -> None:
    assert detect_flavour(tags) == flavour


# --- broken ISO 2709 ---------------------------------------------------------------------


def test_broken_leader_is_yielded_with_record_number_and_offset() -> None:
    holdings, errors = _read(DATA / "broken_leader.mrc")
    assert holdings == [] and len(errors) == 1
    error = errors[0]
    assert error.path == DATA / "broken_leader.mrc"
    assert error.position == "record 1 at byte 0"
    assert "01a3x" in error.message and "24-byte" in error.expected and "0-4" in error.expected


def test_broken_directory_is_yielded() -> None:
    holdings, errors = _read(DATA / "broken_directory.mrc")
    assert holdings == [] and len(errors) == 1
    assert errors[0].position == "record 1 at byte 0"
    assert "directory entry" in errors[0].message and "245" in errors[0].message
    assert "12-byte directory entries" in errors[0].expected


def test_good_records_survive_a_bad_one_between_them() -> None:
    first = len(_read_first_record(DATA / "marc21.mrc"))
    items = list(read_holdings(DATA / "bad_between_good.mrc"))
    assert [type(i) for i in items] == [Holding, HoldingsError, Holding]
    assert (items[0].id, items[2].id) == ("fx0001", "CAL 012004002367")
    assert items[2].source == "bad_between_good.mrc#record 3"
    assert items[1].position == f"record 2 at byte {first}"
    assert "leader says" in items[1].message
    assert "bad_between_good.mrc:record 2 at byte" in items[1].describe()


def _read_first_record(path: Path) -> bytes:
    data = path.read_bytes()
    return data[:int(data[:5])]


def test_truncated_last_record_and_padding(tmp_path: Path) -> None:
    good = _read_first_record(DATA / "marc21.mrc")
    path = tmp_path / "batch.mrc"
    path.write_bytes(good + b"\r\n" + good + b"\n" + good[:100])
    items = list(read_holdings(path))
    assert [type(i) for i in items] == [Holding, Holding, HoldingsError]
    assert items[2].position == f"record 3 at byte {2 * len(good) + 3}"
    assert "without an end-of-record" in items[2].message


def test_broken_base_address_is_named(tmp_path: Path) -> None:
    good = _read_first_record(DATA / "marc21.mrc")
    path = tmp_path / "base.dat"
    path.write_bytes(good[:12] + b"0001x" + good[17:])
    (error,) = list(read_holdings(path))
    assert isinstance(error, HoldingsError) and "base address" in error.message


def test_reading_streams_in_bounded_reads() -> None:
    """A big file is read block by block, never whole."""
    good = _read_first_record(DATA / "marc21.mrc")

    class Spy(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data, self.at, self.largest = data, 0, 0

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return True

        def tell(self) -> int:
            return self.at

        def seek(self, offset: int, whence: int = 0) -> int:
            self.at = offset if whence == 0 else (self.at + offset if whence == 1 else len(self.data) + offset)
            return self.at

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            chunk = self.data[self.at:self.at + len(buffer)]
            self.largest = max(self.largest, len(buffer))
            buffer[:len(chunk)] = chunk
            self.at += len(chunk)
            return len(chunk)

    data = good * 3000  # ~3.4 MB
    spy = Spy(data)
    records = list(read_records(io.BufferedReader(spy, buffer_size=8192)))
    assert len(records) == 3000 and not any(isinstance(r, Fault) for _, r in records)
    assert [offset for offset, _ in records[:3]] == [0, len(good), 2 * len(good)]
    assert spy.largest < 100_000


def test_local_code_page_needs_encoding(tmp_path: Path) -> None:
    record = _record(Field(tag="001", data="ru1"),
                     Field(tag="008", data="050101s2005    ru            000 0 rus d"),
                     _field("245", "10", "a", "Основы гидравлического расчета /", "c", "Ильина Т. Н."),
                     _field("100", "1 ", "a", "Ильина, Татьяна Николаевна"))
    data = [f.as_marc(encoding="cp1251") for f in record.fields]
    directory = b"".join(f"{f.tag}{len(d):04d}{sum(map(len, data[:i])):05d}".encode()
                         for i, (f, d) in enumerate(zip(record.fields, data, strict=True)))
    base = 24 + len(directory) + 1
    body = directory + b"\x1e" + b"".join(data) + b"\x1d"
    path = tmp_path / "1251.mrc"
    path.write_bytes(f"{24 + len(body):05d}cam  22{base:05d} a 4500".encode() + body)
    (garbled,) = list(read_holdings(path))
    assert isinstance(garbled, HoldingsError) and "code page" in garbled.message
    (book,) = list(read_holdings(path, encoding="cp1251"))
    assert isinstance(book, Holding) and book.title == "Основы гидравлического расчета"
    assert book.creators == ("Ильина, Татьяна Николаевна",)


# --- MARCXML -----------------------------------------------------------------------------


def test_marcxml_gives_the_same_holdings_as_iso2709() -> None:
    holdings, errors = _read(DATA / "holdings.marcxml")
    assert errors == [] and [h.format for h in holdings] == ["marcxml", "marcxml"]
    iso = [_read(DATA / "marc21.mrc")[0][0], _read(DATA / "cnmarc.mrc")[0][0]]
    for xml, binary in zip(holdings, iso, strict=True):
        assert dataclasses.replace(xml, format=binary.format, source=binary.source) == binary
    assert holdings[1].source == "holdings.marcxml#record 2"


def test_marcxml_without_namespace_and_with_a_bad_field(tmp_path: Path) -> None:
    path = tmp_path / "plain.xml"
    path.write_text(
        "<collection><record><leader>00000cam a2200000 a 4500</leader>"
        "<controlfield tag='001'>x1</controlfield>"
        "<datafield tag='245' ind1='1' ind2='0'><subfield code='a'>茶经 /</subfield></datafield></record>"
        "<record><leader>00000cam a2200000 a 4500</leader><datafield tag='24' ind1=' ' ind2=' '>"
        "<subfield code='a'>x</subfield></datafield></record></collection>", encoding="utf-8")
    items = list(read_holdings(path))
    assert isinstance(items[0], Holding) and (items[0].id, items[0].title) == ("x1", "茶经")
    assert isinstance(items[1], HoldingsError) and items[1].position == "record 2"


def test_marcxml_cut_short_yields_an_error_after_the_good_records(tmp_path: Path) -> None:
    text = (DATA / "holdings.marcxml").read_text(encoding="utf-8")
    path = tmp_path / "cut.marcxml"
    path.write_text(text[:text.index("</record>") + 30], encoding="utf-8")
    items = list(read_holdings(path))
    assert isinstance(items[0], Holding) and isinstance(items[-1], HoldingsError)
    assert re.fullmatch(r"line \d+, column \d+", items[-1].position or "")


def test_xml_that_is_not_marc_raises(tmp_path: Path) -> None:
    broken, empty = tmp_path / "broken.xml", tmp_path / "empty.xml"
    broken.write_text("<html><body>", encoding="utf-8")
    empty.write_text("<collection/>", encoding="utf-8")
    for path in (broken, empty):
        with pytest.raises(HoldingsError):
            list(read_holdings(path))


# --- CSV ---------------------------------------------------------------------------------


def test_generic_csv_columns_and_bad_rows() -> None:
    items = list(read_holdings(DATA / "generic.csv"))
    assert [type(i) for i in items] == [Holding, HoldingsError, Holding, HoldingsError]
    book = items[0]
    assert (book.id, book.title, book.format, book.source) == ("g1", "论语译注", "csv", "generic.csv#line 2")
    assert book.creators == ("杨伯峻", "孔子")
    assert book.isbns == ("7101003044", "9787020002207")  # "123" is no ISBN
    assert book.subjects == ("儒家", "论语 -- 研究")
    assert (book.clc, book.call_number, book.language, book.year) == (("B222.2",), "B222.2/12", "chi", "1980")
    assert items[1].position == "line 3" and "neither id nor title" in items[1].message
    assert items[2].id.startswith("digest-") and items[2].year == "1984"
    assert items[3].position == "line 5" and "no title" in items[3].message


def test_loc_export_columns() -> None:
    holdings, errors = _read(DATA / "loc_columns.csv")
    assert errors == []
    first, second = holdings
    assert (first.id, first.title, first.other_titles) == ("98000001", "红楼梦", ("Hong lou meng",))
    assert first.creators == ("曹雪芹", "高鹗", "Cao, Xueqin", "Gao, E")
    assert first.subjects == ("Chinese fiction -- Qing dynasty, 1644-1912", "Cao, Xueqin, ca. 1717-1763")
    assert (first.lcc, first.call_number, first.series) == (("PL2727.S2 C36 1998",), "PL2727.S2 C36 1998",
                                                            "中国古典文学读本丛书")
    assert (second.id, second.title, second.source) == ("n78890351", "敦煌 石窟", "loc_columns.csv#line 3")


def test_holding_from_row_is_pure() -> None:
    book = holding_from_row({"title": "茶经", "isbn": "9787020002207", "year": "约2010年"}, "x.csv#line 2")
    assert (book.id, book.year) == ("9787020002207", "2010")
    with pytest.raises(HoldingsError):
        holding_from_row({"id": "a", "title": " "}, "x.csv#line 3")


def test_csv_without_a_title_column_raises(tmp_path: Path) -> None:
    path = tmp_path / "books.csv"
    path.write_text("name,author\n茶经,陆羽\n", encoding="utf-8")
    with pytest.raises(HoldingsError, match="no title column"):
        read_holdings(path)


# --- whole files that cannot be read -----------------------------------------------------


def test_unreadable_files_raise_at_the_call(tmp_path: Path) -> None:
    (tmp_path / "empty.mrc").write_bytes(b"")
    (tmp_path / "books.json").write_text("[]", encoding="utf-8")
    cases = [(DATA / "not_marc.mrc", "not MARC"), (tmp_path / "empty.mrc", "empty"),
             (tmp_path / "books.json", "unknown extension"), (tmp_path / "missing.mrc", "cannot read")]
    for path, message in cases:
        with pytest.raises(HoldingsError, match=message) as caught:
            read_holdings(path)  # raised before iterating
        assert caught.value.path == path
    with pytest.raises(HoldingsError, match="unknown encoding"):
        read_holdings(DATA / "marc21.mrc", encoding="no-such-codec")


# --- text and identifiers ----------------------------------------------------------------


@pytest.mark.parametrize(("raw", "clean"), [
    ("Tou dai zhi ying kui /", "Tou dai zhi ying kui"),
    ("我对历史的看法\u3000 :", "我对历史的看法"),
    ("黎东方史学丛议．", "黎东方史学丛议"),
    ("Wu, Zhengde.", "Wu, Zhengde"),
    ("Li, Dongfang,", "Li, Dongfang"),
    ("To be continued...", "To be continued..."),
    ("  = Parallel  title ;", "Parallel title"),
])
def test_trim_isbd(raw: str, clean: str) -> None:
    assert trim_isbd(raw) == clean


def _isbn13(body: str) -> str:
    return body + str(-sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body)) % 10)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12), st.sampled_from(["", " (pbk.)", " : CNY25.00"]))
def test_isbn13_with_hyphens_and_qualifiers_is_kept_as_digits(body: str, qualifier: str) -> None:
    isbn = _isbn13(body)
    hyphenated = f"{isbn[:3]}-{isbn[3]}-{isbn[4:7]}-{isbn[7:12]}-{isbn[12]}"
    assert clean_isbn(hyphenated + qualifier) == isbn
    wrong = isbn[:12] + str((int(isbn[12]) + 1) % 10)
    assert clean_isbn(wrong) is None and not has_isbn_checksum(wrong)


def test_isbn10_check_digit_x_and_duplicates() -> None:
    assert clean_isbns(["020161622X", "0-201-61622-x (pbk.)", "0201616220"]) == ("020161622X",)


@pytest.mark.parametrize(("raw", "lccn"), [
    ("   00049912 ", "00049912"), ("n 78-890351", "n78890351"), ("85-2 ", "85000002"),
    ("  2001000002/AC/r932", "2001000002"), ("   ", None),
])
def test_normalise_lccn(raw: str, lccn: str | None) -> None:
    assert normalise_lccn(raw) == lccn


def test_derive_id_order() -> None:
    assert derive_id(" 001 ", "lccn", ["isbn"], "t", [], None) == "001"
    assert derive_id(None, "lccn", ["isbn"], "t", [], None) == "lccn"
    assert derive_id("", None, ["isbn"], "t", [], None) == "isbn"
    assert derive_id(None, None, [], "t", ["a"], "2000") != derive_id(None, None, [], "t", ["b"], "2000")


# --- real data (../shared/datasets) ------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.slow
def test_loc_chinese_records_all_read(shared_datasets: Path) -> None:
    holdings, errors = _read(shared_datasets / "loc_chinese_marc" / "loc_booksall2016_part01_chi.mrc")
    assert errors == [] and len(holdings) == 8030
    assert sum(has_cjk(h.title) for h in holdings) >= 8000
    assert len({h.id for h in holdings}) == 8030
    assert sum(bool(h.isbns) for h in holdings) >= 7300
    assert sum(bool(h.lcc) for h in holdings) >= 8000
    assert all(h.language == "chi" and h.format == "marc21" for h in holdings)
    assert sum(any(has_cjk(c) for c in h.creators) for h in holdings) >= 6000


@pytest.mark.realdata
def test_loc_sample_marcxml_matches_iso2709(shared_datasets: Path) -> None:
    folder = shared_datasets / "loc_chinese_marc"
    iso, xml = _read(folder / "loc_chi_sample200.mrc"), _read(folder / "loc_chi_sample200.marcxml")
    assert iso[1] == [] and xml[1] == [] and len(iso[0]) == 200
    assert [(h.id, h.title) for h in iso[0]] == [(h.id, h.title) for h in xml[0]]
    assert all(has_cjk(h.title) and h.isbns for h in iso[0])


@pytest.mark.realdata
def test_loc_csv_export_reads(shared_datasets: Path) -> None:
    holdings, errors = _read(shared_datasets / "loc_chinese_marc" / "loc_chi_records.csv")
    assert errors == [] and len(holdings) == 8030
    assert holdings[0].id == "00049912" and holdings[0].title == "頭戴之硬盔"
    assert sum(has_cjk(h.title) for h in holdings) >= 8000


@pytest.mark.realdata
def test_marc_edge_cases_give_holdings_or_clear_errors(shared_datasets: Path) -> None:
    folder = shared_datasets / "marc_edge_cases"
    files = sorted(p for p in folder.iterdir() if p.suffix in {".dat", ".xml", ".json"})
    assert len(files) >= 12
    outcome = {}
    for path in files:
        try:
            holdings, errors = _read(path)
        except HoldingsError as error:
            assert error.path == path and error.expected
            outcome[path.name] = "raised"
            continue
        assert all(e.position and e.expected for e in errors)
        outcome[path.name] = (len(holdings), len(errors))
    assert outcome["batch.json"] == "raised"  # MARC-in-JSON is not an accepted format
    assert outcome["1251.dat"] == (0, 6)  # a cp1251 file is not MARC-8: clear errors, no garbage
    for name in ("marc.dat", "test.dat", "batch.xml", "utf8.xml", "multi_isbn.dat", "marc8.dat",
                 "bad_eacc_encoding.dat", "diacritic.dat", "testunimarc.dat",
                 "utf8_with_leader_flag.dat", "utf8_without_leader_flag.dat"):
        holdings_count, error_count = outcome[name]
        assert holdings_count >= 1 and error_count == 0, name


@pytest.mark.realdata
def test_marc_edge_case_details(shared_datasets: Path) -> None:
    folder = shared_datasets / "marc_edge_cases"
    (unimarc,) = _read(folder / "testunimarc.dat")[0]
    assert unimarc.format == "unimarc" and unimarc.title == "L'altra faccia della spirale"
    assert unimarc.creators[0] == "Asimov, Isaac" and unimarc.isbns == ("8804406828",)
    assert (unimarc.place, unimarc.publisher, unimarc.year) == ("Milano", "A. Mondadori", "1996")
    assert unimarc.language == "ita"
    (eacc,) = _read(folder / "bad_eacc_encoding.dat")[0]
    assert eacc.title == "米国の統治の仕組"  # MARC-8 EACC decoded
    flagged, unflagged = (_read(folder / f"utf8_{n}_leader_flag.dat")[0][0] for n in ("with", "without"))
    assert flagged.title == unflagged.title == _read(folder / "marc8.dat")[0][0].title
    assert flagged.creators == unflagged.creators
    (multi,) = _read(folder / "multi_isbn.dat")[0]
    assert multi.isbns == ("0914378287", "0914378295", "0914378260")
    russian = _read(folder / "1251.dat", encoding="cp1251")[0]
    assert len(russian) == 6 and russian[1].title == "Психологический тренинг с подростками"


def test_csv_row_with_bad_bytes_is_an_error_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "books.csv"
    path.write_bytes("id,title\na1,茶经\n".encode() + b"a2,\xff\xfe\n" + "a3,\"敦煌\n石窟\"\na4,茶史\n".encode())
    items = list(read_holdings(path))
    assert [type(i) for i in items] == [Holding, HoldingsError, Holding, Holding]
    assert items[1].position == "line 3" and "0xff" in items[1].message
    assert (items[2].title, items[2].source, items[3].source) == ("敦煌 石窟", "books.csv#line 4", "books.csv#line 6")


def test_gb18030_csv_with_encoding(tmp_path: Path) -> None:
    path = tmp_path / "books.csv"
    path.write_bytes("id,title,subjects\nb1,茶经,茶|茶文化\n".encode("gb18030"))
    (undecodable,) = list(read_holdings(path))
    assert isinstance(undecodable, HoldingsError) and "line 2 is not UTF-8" in undecodable.message
    (book,) = list(read_holdings(path, encoding="gb18030"))
    assert isinstance(book, Holding) and (book.title, book.subjects) == ("茶经", ("茶", "茶文化"))


@pytest.mark.filterwarnings("ignore::pymarc.exceptions.BadSubfieldCodeWarning")
def test_random_corruption_never_escapes_as_a_traceback(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Flip bytes in every fixture format: each file gives holdings, yielded errors or one raised HoldingsError."""
    folder = tmp_path_factory.mktemp("fuzz")
    sources = [DATA / "marc21.mrc", DATA / "cnmarc_gb18030.mrc", DATA / "holdings.marcxml", DATA / "generic.csv"]

    bytes_that_matter = st.sampled_from([0x00, 0x1D, 0x1E, 0x1F, 0x30, 0x3C, 0x22, 0x2C, 0x0A, 0x80, 0xFF])
    flips = st.lists(st.tuples(st.floats(0, 1, exclude_max=True), bytes_that_matter), min_size=1, max_size=6)

    @settings(max_examples=300, deadline=None)
    @given(st.sampled_from(sources), flips)
    def check(source: Path, flips: list[tuple[float, int]]) -> None:
        data = bytearray(source.read_bytes())
        for where, byte in flips:
            data[int(where * len(data))] = byte
        path = folder / source.name
        path.write_bytes(bytes(data))
        try:
            items = list(read_holdings(path))
        except HoldingsError as error:
            assert error.path == path
            return
        assert all(isinstance(i, Holding) or (isinstance(i, HoldingsError) and i.position) for i in items)

    check()


# --- the demo catalogue (data/holdings/loc_demo.mrc, made by bench/select_demo_holdings.py) --


DEMO = Path(__file__).parents[2] / "data" / "holdings" / "loc_demo.mrc"


def test_demo_catalogue_reads_cleanly() -> None:
    if not DEMO.is_file():
        pytest.skip(f"{DEMO} not built (python -m bench.select_demo_holdings)")
    holdings, errors = _read(DEMO)
    assert errors == [] and len(holdings) >= 1200
    assert len({h.id for h in holdings}) == len(holdings)
    titles = " ".join(h.title for h in holdings)
    for topic in ("红楼梦", "论语", "敦煌", "茶", "鲁迅", "瓷", "地震"):
        assert topic in titles, topic


@pytest.mark.realdata
@pytest.mark.slow
def test_demo_selection_is_deterministic_and_unchanged(shared_datasets: Path, tmp_path: Path) -> None:
    from bench.select_demo_holdings import main

    source = shared_datasets / "loc_chinese_marc" / "loc_booksall2016_part01_chi.mrc"
    first, second = tmp_path / "a.mrc", tmp_path / "b.mrc"
    main(["--source", str(source), "--out", str(first)])
    if DEMO.is_file():  # the committed catalogue is what the script makes today
        assert first.read_bytes() == DEMO.read_bytes()
    else:
        main(["--source", str(source), "--out", str(second)])
        assert first.read_bytes() == second.read_bytes()
    original = source.read_bytes()
    data, at = first.read_bytes(), 0
    while at < len(data):  # every selected record is a byte-for-byte copy of one in the source
        length = int(data[at:at + 5])
        assert data[at:at + length] in original
        at += length
