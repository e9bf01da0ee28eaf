"""Write the tiny holdings fixtures of this folder (run: ``.venv/bin/python tests/data/holdings/make_fixtures.py``).

Every record here is invented for the tests; none is copied from ../shared.
The output is deterministic, so re-running leaves the files unchanged.

- ``marc21.mrc``            two MARC21 records: 1 with 880 vernacular 100/245/260/490/700, qualified and
                            invalid ISBNs, 084 $2 clc, LCSH with subdivisions; 2 plain, with 264 and 090
- ``cnmarc.mrc``            one CNMARC/UNIMARC record (UTF-8): 001 010 100 101 200 210 225 606 690 701 702 905
- ``cnmarc_gb18030.mrc``    the same record encoded in GB 18030 (as many Chinese systems export it)
- ``broken_leader.mrc``     one record whose length (leader/0-4) is not digits
- ``broken_directory.mrc``  one record whose 245 directory entry points past the end of the record
- ``bad_between_good.mrc``  good, wrong leader length, good
- ``holdings.marcxml``      the MARC21 vernacular record and the CNMARC record as namespaced MARCXML
- ``generic.csv``           the generic column set (with a row lacking id and title)
- ``loc_columns.csv``       the LOC export's column set
- ``not_marc.mrc``          text, not MARC
"""

from __future__ import annotations

from pathlib import Path

from pymarc import Field, Indicators, Record, Subfield
from pymarc.marcxml import record_to_xml

HERE = Path(__file__).parent


def _field(tag: str, indicators: str, *pairs: str) -> Field:
    subfields = [Subfield(code=pairs[i], value=pairs[i + 1]) for i in range(0, len(pairs), 2)]
    return Field(tag=tag, indicators=Indicators(*indicators), subfields=subfields)


def marc21_vernacular() -> Record:
    record = Record(leader="00000cam a2200000 a 4500")
    record.add_field(
        Field(tag="001", data="  fx0001 "),
        Field(tag="008", data="990101s1998    cc            000 1 chi d"),
        _field("010", "  ", "a", "   98000001 "),
        _field("020", "  ", "a", "7-101-00304-4 (pbk.)"),
        _field("020", "  ", "a", "9787020002207"),
        _field("020", "  ", "a", "1234567890 (invalid check digit)"),
        _field("020", "  ", "z", "9787101003048"),
        _field("050", "00", "a", "PL2727.S2", "b", "C36 1998"),
        _field("084", "  ", "a", "I242.47", "2", "CLC"),
        _field("100", "1 ", "6", "880-01", "a", "Cao, Xueqin,", "d", "ca. 1717-1763."),
        _field("245", "10", "6", "880-02", "a", "Hong lou meng :", "b", "ba shi hui jiao ben /",
               "c", "Cao Xueqin zhu."),
        _field("260", "  ", "6", "880-03", "a", "Beijing :", "b", "Ren min wen xue chu ban she,", "c", "1998."),
        _field("490", "0 ", "6", "880-04", "a", "Zhongguo gu dian wen xue du ben cong shu ;", "v", "5"),
        _field("600", "10", "a", "Cao, Xueqin,", "d", "ca. 1717-1763.", "t", "Hong lou meng."),
        _field("650", " 0", "a", "Chinese fiction", "y", "Qing dynasty, 1644-1912",
               "v", "Criticism, interpretation, etc."),
        _field("700", "1 ", "6", "880-05", "a", "Gao, E,", "d", "ca. 1738-ca. 1815."),
        _field("880", "1 ", "6", "100-01/$1", "a", "曹雪芹,", "d", "ca. 1717-1763."),
        _field("880", "10", "6", "245-02/$1", "a", "红楼梦 :", "b", "八十回校本 /", "c", "曹雪芹著."),
        _field("880", "  ", "6", "260-03/$1", "a", "北京\u3000:", "b", "人民文学出版社,", "c", "1998."),
        _field("880", "0 ", "6", "490-04/$1", "a", "中国古典文学读本丛书 ;", "v", "5"),
        _field("880", "1 ", "6", "700-05/$1", "a", "高鹗,", "d", "ca. 1738-ca. 1815."),
    )
    return record


def marc21_plain() -> Record:
    record = Record(leader="00000nam a2200000 i 4500")
    record.add_field(
        Field(tag="001", data="fx0002"),
        Field(tag="008", data="200315s2019    enk           000 0 eng d"),
        _field("020", "  ", "a", "020161622X"),
        _field("041", "1 ", "a", "eng", "h", "chi"),
        _field("090", "  ", "a", "TP311.56", "b", "H91"),
        _field("110", "2 ", "a", "Palace Museum (Beijing, China).", "b", "Department of Ceramics."),
        _field("245", "10", "a", "Porcelain of Jingdezhen =", "b", "Jingdezhen ci qi /", "c", "edited by the museum."),
        _field("264", " 0", "a", "London", "c", "℗2018"),
        _field("264", " 1", "a", "London :", "b", "Example Press,", "c", "[2019]"),
        _field("650", " 0", "a", "Porcelain, Chinese", "z", "China", "z", "Jingdezhen", "x", "History."),
        _field("651", " 0", "a", "Jingdezhen (China)", "x", "Antiquities."),
    )
    return record


def cnmarc() -> Record:
    record = Record(leader="00000nam0 2200000   450 ")
    record.add_field(
        Field(tag="001", data="CAL 012004002367"),
        _field("010", "  ", "a", "978-7-101-01152-4", "d", "CNY25.00"),
        _field("100", "  ", "a", "20040223d2004    em y0chiy50      ea"),
        _field("101", "0 ", "a", "chi"),
        _field("200", "1 ", "a", "红楼梦", "e", "脂评汇校本", "f", "曹雪芹著", "g", "高鹗续"),
        _field("210", "  ", "a", "北京", "c", "中华书局", "d", "2004"),
        _field("225", "2 ", "a", "中国古典小说名著", "v", "3"),
        _field("606", "0 ", "a", "红楼梦", "x", "研究"),
        _field("606", "0 ", "a", "章回小说", "y", "中国", "z", "清代"),
        _field("610", "0 ", "a", "红学", "a", "脂砚斋"),
        _field("690", "  ", "a", "I207.411", "v", "4"),
        _field("701", " 0", "a", "曹雪芹", "4", "著"),
        _field("702", " 0", "a", "高鹗", "4", "续"),
        _field("905", "  ", "a", "NLC", "d", "I207.411", "e", "12"),
    )
    return record


def iso2709(record: Record, encoding: str) -> bytes:
    """A record's ISO 2709 bytes in any encoding (pymarc writes UTF-8 only), leader/09 left blank."""
    data = [field.as_marc(encoding=encoding) for field in record.fields]
    directory, start = b"", 0
    for field, raw in zip(record.fields, data, strict=True):
        directory += f"{field.tag}{len(raw):04d}{start:05d}".encode("ascii")
        start += len(raw)
    base = 24 + len(directory) + 1
    leader = str(record.leader)
    length = base + start + 1
    head = f"{length:05d}{leader[5:9]} {leader[10:12]}{base:05d}{leader[17:]}".encode("ascii")
    return head + directory + b"\x1e" + b"".join(data) + b"\x1d"


def write() -> None:
    first, second = marc21_vernacular().as_marc(), marc21_plain().as_marc()
    (HERE / "marc21.mrc").write_bytes(first + second)
    (HERE / "cnmarc.mrc").write_bytes(cnmarc().as_marc())
    (HERE / "cnmarc_gb18030.mrc").write_bytes(iso2709(cnmarc(), "gb18030"))
    (HERE / "broken_leader.mrc").write_bytes(b"01a3x" + second[5:])
    base = int(second[12:17])
    entry = next(i for i in range(24, base - 1, 12) if second[i:i + 3] == b"245")  # say 245 starts past the end
    (HERE / "broken_directory.mrc").write_bytes(second[:entry + 7] + b"99999" + second[entry + 12:])
    wrong_length = f"{len(second) - 7:05d}".encode() + second[5:]
    (HERE / "bad_between_good.mrc").write_bytes(first + wrong_length + cnmarc().as_marc())
    records = b"".join(record_to_xml(r) for r in (marc21_vernacular(), cnmarc()))
    (HERE / "holdings.marcxml").write_bytes(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">'
        + records + b"</collection>\n")
    (HERE / "generic.csv").write_text(
        "id,title,creators,publisher,year,isbn,subjects,clc,call_number,language\n"
        "g1,论语译注,杨伯峻|孔子,中华书局,1980,7-101-00304-4|9787020002207 (pbk.)|123,儒家|论语 -- 研究,B222.2,B222.2/12,chi\n"
        ",,无名氏,,,,,,,\n"
        ",老子校释,朱谦之,中华书局,1984年,,道家,B223.1,,chi\n"
        "g4,,,,,,,,,\n", encoding="utf-8")
    (HERE / "loc_columns.csv").write_text(
        "lccn,isbn,title_vernacular,title_romanized,responsibility_vernacular,authors_vernacular,authors_romanized,"
        "place_vernacular,publisher_vernacular,year,country_008,lcc,lcsh,series_vernacular\n"
        "98000001,9787020002207,红楼梦,Hong lou meng,曹雪芹著,曹雪芹|高鹗,\"Cao, Xueqin|Gao, E\",北京,"
        "人民文学出版社,1998,cc,PL2727.S2 C36 1998,\"Chinese fiction -- Qing dynasty, 1644-1912.|Cao, Xueqin, "
        "ca. 1717-1763.\",中国古典文学读本丛书\n"
        "n 78-890351,,\"敦煌\n石窟\",Dunhuang shi ku,,,,,,1980,cc,,Cave temples -- China -- Dunhuang.,\n",
        encoding="utf-8")
    (HERE / "not_marc.mrc").write_text("This is a plain text file, not a MARC record.\n", encoding="utf-8")


if __name__ == "__main__":
    write()
