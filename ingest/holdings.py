"""A library's holdings (book records) read from MARC, MARCXML or CSV files.

``read_holdings(path)`` streams one ``Holding`` per record: files are read
record by record, never whole, so a 250 MB catalogue costs the memory of one
record. Formats, by extension and then by the first bytes:

==============================  ===================================================
extension                       format
==============================  ===================================================
``.mrc`` ``.iso`` ``.marc``     ISO 2709, MARC21 or UNIMARC/CNMARC (told apart per
``.dat``                        record by its tags: 245/008 MARC21, 200/101/210/690
                                UNIMARC; see ``ingest.marc.detect_flavour``)
``.xml`` ``.marcxml``           MARCXML (``<collection>``/``<record>``, namespaced
                                or not), parsed incrementally
``.csv``                        CSV with a header row (UTF-8 unless ``encoding=``),
                                described below
==============================  ===================================================

A ``.xml`` that holds ISO 2709 (or the reverse) is read as what it holds.
ISO 2709 framing, resynchronisation after a bad record and the choice of
character set (UTF-8, MARC-8, GB 18030 for UNIMARC, or ``encoding=``) are
``ingest.iso2709``'s; the field mapping is ``ingest.marc``'s.

CSV columns (one row per book; several values in one cell are separated by
``|``; unknown columns are ignored; either column set, or a mix, is accepted):

=========================================  ==========================================
column (generic / LOC export alias)        Holding field
=========================================  ==========================================
``id``                                     id (else ``lccn``, else first ISBN, else
                                           a digest of title, creators and year)
``title`` / ``title_vernacular``           title (``title_romanized`` when neither)
``title_romanized``                        other_titles
``creators`` / ``authors_vernacular`` +    creators
``authors_romanized``
``publisher`` / ``publisher_vernacular``   publisher
``place`` / ``place_vernacular``           place
``year``                                   year (the first 4 digits)
``isbn``                                   isbns (cleaned, checksum-verified)
``lccn``                                   lccn (normalised)
``subjects`` / ``lcsh``                    subjects
``clc``                                    clc
``lcc``                                    lcc
``call_number``                            call_number (else the first ``lcc``)
``language``                               language
``series`` / ``series_vernacular``         series
=========================================  ==========================================

``responsibility_vernacular`` and ``country_008`` (LOC export) are accepted but
not used. A row without a title (whether or not it has an id) is a
HoldingsError; so is a row with bytes that are not in the file's encoding
(the other rows are still read).

Errors: a file that cannot be read at all (unknown extension, unreadable,
empty, not MARC, a CSV without a title column) raises ``HoldingsError`` when
``read_holdings`` is called (MARCXML that is not well-formed before its first
record, or has no record, raises when iterated). A record that cannot be used is *yielded* as a
``HoldingsError`` naming the file and the position ("record 3 at byte 10432",
"line 12") and what was expected, and reading goes on with the next record.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import BinaryIO
from xml.etree import ElementTree

from pymarc import Field, Indicators, Record, Subfield

from ingest.errors import HoldingsError
from ingest.identifiers import clean_isbns, derive_id, normalise_lccn
from ingest.iso2709 import LEADER, Fault, looks_like_iso2709, read_records
from ingest.marc import find_year, holding_from_marc21, holding_from_record, holding_from_unimarc, trim_isbd, unique
from ingest.records import Holding

__all__ = [
    "EXTENSIONS", "holding_from_marc21", "holding_from_record", "holding_from_row", "holding_from_unimarc",
    "read_holdings", "sniff_format",
]

EXTENSIONS = {".mrc": "iso2709", ".iso": "iso2709", ".marc": "iso2709", ".dat": "iso2709",
              ".xml": "marcxml", ".marcxml": "marcxml", ".csv": "csv"}
ACCEPTED = "ISO 2709 (.mrc .iso .marc .dat), MARCXML (.xml .marcxml) or CSV (.csv)"
TITLE_COLUMNS = ("title", "title_vernacular", "title_romanized")
_SNIFF = 100_000
_MARC_CHILDREN = {"leader", "controlfield", "datafield"}


def read_holdings(path: Path, *, encoding: str | None = None) -> Iterator[Holding | HoldingsError]:
    """Stream the holdings of one file: a Holding per record, a HoldingsError per unusable one.

    ``encoding`` names the codec of a file in a local code page (``"cp1251"``,
    ``"gb18030"``): it then decodes every ISO 2709 record not flagged UTF-8, and
    the CSV (default UTF-8). MARCXML declares its own encoding.
    Raises HoldingsError at once when the file cannot be read at all.
    """
    if encoding is not None:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise HoldingsError(path, f"unknown encoding {encoding!r}", expected="a Python codec name") from None
    kind = sniff_format(path, encoding=encoding)
    if kind == "marcxml":
        return _read_marcxml(path)
    return _read_csv(path, encoding) if kind == "csv" else _read_iso2709(path, encoding)


def sniff_format(path: Path, *, encoding: str | None = None) -> str:
    """``"iso2709"``, ``"marcxml"`` or ``"csv"`` from the extension and the first bytes.

    Raises HoldingsError for an unknown extension, an unreadable or empty file,
    content that is neither ISO 2709 nor XML, and a CSV without a title column.
    """
    kind = EXTENSIONS.get(path.suffix.lower())
    if kind is None:
        raise HoldingsError(path, f"unknown extension {path.suffix or '(none)'!r}", expected=ACCEPTED)
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF)
    except OSError as error:
        raise HoldingsError(path, f"cannot read: {error.strerror}") from None
    if kind == "csv":
        _check_header(path, head, encoding or "utf-8")
        return kind
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n\x00\x1a")
    if not start:
        raise HoldingsError(path, "empty file: no records", expected=ACCEPTED)
    if start.startswith(b"<"):
        return "marcxml"
    if looks_like_iso2709(head):
        return "iso2709"
    raise HoldingsError(path, f"not MARC: the file starts with {start[:24]!r}", expected=f"{ACCEPTED}; {LEADER}")


# --- ISO 2709 ----------------------------------------------------------------------


def _read_iso2709(path: Path, encoding: str | None) -> Iterator[Holding | HoldingsError]:
    with path.open("rb") as handle:
        for number, (offset, record) in enumerate(read_records(handle, encoding), start=1):
            position = f"record {number} at byte {offset}"
            if isinstance(record, Fault):
                yield HoldingsError(path, record.message, position=position, expected=record.expected)
                continue
            try:
                holding: Holding | HoldingsError = holding_from_record(record, f"{path.name}#record {number}")
            except HoldingsError as error:
                holding = HoldingsError(path, error.message, position=f"{position}, {error.position}",
                                        expected=error.expected)
            yield holding


# --- MARCXML -----------------------------------------------------------------------


def _read_marcxml(path: Path) -> Iterator[Holding | HoldingsError]:
    number, open_elements = 0, []
    with path.open("rb") as handle:
        try:
            for event, element in ElementTree.iterparse(handle, events=("start", "end")):
                if event == "start":
                    open_elements.append(element)
                    continue
                open_elements.pop()
                if _local(element.tag) != "record" or not any(_local(c.tag) in _MARC_CHILDREN for c in element):
                    continue
                number += 1
                yield _holding_from_element(element, path, number)
                if open_elements:
                    open_elements[-1].remove(element)
        except (ElementTree.ParseError, LookupError) as error:
            problem = _xml_problem(path, error)
            if number == 0:
                raise problem from None  # nothing of the file could be read
            yield problem
            return
    if number == 0:
        raise HoldingsError(path, "no MARCXML records found", expected="<record> elements with <leader>, "
                            "<controlfield> and <datafield> children (namespace optional)")


def _xml_problem(path: Path, error: ElementTree.ParseError | LookupError) -> HoldingsError:
    expected = "well-formed MARCXML (<collection> of <record>) in an encoding Python knows"
    if isinstance(error, LookupError):  # the XML declaration names an unknown encoding
        return HoldingsError(path, f"XML cannot be decoded: {error}", position="line 1", expected=expected)
    line, column = error.position
    reason = str(error).split(": line ")[0]
    return HoldingsError(path, f"XML is not well-formed: {reason}", position=f"line {line}, column {column}",
                         expected=expected)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _holding_from_element(element: ElementTree.Element, path: Path, number: int) -> Holding | HoldingsError:
    position = f"record {number}"
    leader, fields = " " * 24, []
    for child in element:
        name, tag = _local(child.tag), (child.get("tag") or "").strip()
        if name == "leader":
            leader = (child.text or "").ljust(24)[:24]
        elif name in ("controlfield", "datafield") and len(tag) != 3:
            return HoldingsError(path, f"<{name}> with tag {tag!r}", position=position,
                                 expected="a 3-character tag attribute")
        elif name == "controlfield":
            fields.append(Field(tag=tag, data=child.text or ""))
        elif name == "datafield":
            subfields = [Subfield(code=(s.get("code") or " ")[:1], value=s.text or "")
                         for s in child if _local(s.tag) == "subfield"]
            indicators = Indicators((child.get("ind1") or " ")[:1], (child.get("ind2") or " ")[:1])
            fields.append(Field(tag=tag, indicators=indicators, subfields=subfields))
    try:
        holding = holding_from_record(Record(leader=leader, fields=fields), f"{path.name}#record {number}")
    except HoldingsError as error:
        return HoldingsError(path, error.message, position=f"{position}, {error.position}", expected=error.expected)
    return dataclasses.replace(holding, format="marcxml")


# --- CSV ---------------------------------------------------------------------------


def _check_header(path: Path, head: bytes, encoding: str) -> None:
    first = head.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0]
    try:
        columns = {c.strip().lower() for c in next(csv.reader([first.decode(encoding)]), [])}
    except UnicodeDecodeError:
        raise HoldingsError(path, f"CSV header is not {encoding}", position="line 1",
                            expected="a UTF-8 CSV, or read_holdings(path, encoding=…)") from None
    if not columns & set(TITLE_COLUMNS):
        raise HoldingsError(path, f"CSV header has no title column (found: {', '.join(sorted(columns))})",
                            position="line 1",
                            expected="id,title,creators,publisher,year,isbn,subjects,clc,call_number,language "
                                     "or the LOC export's lccn,isbn,title_vernacular,title_romanized,…")


def _read_csv(path: Path, encoding: str | None) -> Iterator[Holding | HoldingsError]:
    codec, undecodable = encoding or "utf-8-sig", {}
    with path.open("rb") as handle:
        reader = csv.DictReader(_decoded_lines(handle, codec, undecodable))
        last = 1
        try:
            for row in reader:
                line, last = last + 1, reader.line_num
                yield _row_holding(path, row, line, [undecodable[n] for n in range(line, last + 1) if n in undecodable])
        except csv.Error as error:
            yield HoldingsError(path, f"CSV cannot be read further: {error}", position=f"line {last + 1}",
                                expected="a CSV with a header row and quoted multi-line cells")


def _decoded_lines(handle: BinaryIO, codec: str, undecodable: dict[int, str]) -> Iterator[str]:
    """Lines as text; a line that does not decode comes through with U+FFFD and is noted by number."""
    for number, raw in enumerate(handle, start=1):
        try:
            yield raw.decode(codec)
        except UnicodeDecodeError as error:
            name = "UTF-8" if codec == "utf-8-sig" else codec
            undecodable[number] = f"line {number} is not {name} (byte {raw[error.start]:#04x} at {error.start})"
            yield raw.decode(codec, "replace")


def _row_holding(path: Path, row: Mapping[str | None, str | None], line: int,
                 undecodable: list[str]) -> Holding | HoldingsError:
    if undecodable:
        return HoldingsError(path, "; ".join(undecodable), position=f"line {line}",
                             expected="UTF-8 text, or read_holdings(path, encoding=…) for another codec")
    cells = {k.strip().lower(): (v or "").strip() for k, v in row.items() if isinstance(k, str)}
    try:
        return holding_from_row(cells, f"{path.name}#line {line}")
    except HoldingsError as error:
        return HoldingsError(path, error.message, position=f"line {line}", expected=error.expected)


def _cell(row: Mapping[str, str], *names: str) -> str | None:
    """The first non-empty of the named cells, whitespace collapsed."""
    return next((" ".join(row[n].split()) for n in names if row.get(n, "").strip()), None)


def _cells(row: Mapping[str, str], *names: str) -> list[str]:
    """The ``|``-separated values of the named cells, whitespace collapsed."""
    return [" ".join(v.split()) for n in names for v in row.get(n, "").split("|") if v.strip()]


def holding_from_row(row: Mapping[str, str], source: str) -> Holding:
    """Map one CSV row (lower-case column names, see the module docstring).

    Raises HoldingsError when the row has no title (nor id).
    """
    title = _cell(row, "title", "title_vernacular") or _cell(row, "title_romanized")
    explicit = _cell(row, "id")
    if not title:
        message = "row has no title" if explicit else "row has neither id nor title"
        raise HoldingsError(source, message, expected="a non-empty title (or title_vernacular) column")
    creators = unique(_cells(row, "creators") or _cells(row, "authors_vernacular", "authors_romanized"))
    year = find_year(_cell(row, "year"))
    isbns = clean_isbns(_cells(row, "isbn", "isbns"))
    lccn = normalise_lccn(_cell(row, "lccn") or "")
    lcc = unique(_cells(row, "lcc"))
    return Holding(
        id=derive_id(explicit, lccn, isbns, title, creators, year),
        title=title,
        format="csv",
        source=source,
        other_titles=tuple(t for t in unique(_cells(row, "title_romanized")) if t != title),
        creators=creators,
        publisher=_cell(row, "publisher", "publisher_vernacular"),
        place=_cell(row, "place", "place_vernacular"),
        year=year,
        isbns=isbns,
        lccn=lccn,
        subjects=unique(trim_isbd(s) for s in _cells(row, "subjects", "lcsh")),
        clc=unique(_cells(row, "clc")),
        lcc=lcc,
        call_number=_cell(row, "call_number") or (lcc[0] if lcc else None),
        language=_cell(row, "language"),
        series=_cell(row, "series", "series_vernacular"),
    )
