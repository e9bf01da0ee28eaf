"""MARC records (MARC21 and UNIMARC/CNMARC) mapped to ``Holding``: pure functions.

``ingest.holdings`` reads the files; this module only turns one parsed
``pymarc.Record`` into one ``Holding``, so it is tested without files.

Which fields fill which ``Holding`` field ("880 first": the vernacular 880
linked by $6 — ``880-02`` in the field, ``245-02/$1`` in the 880 — is used
for display, the romanised field is kept after it; an unlinked ``245-00`` 880
still stands for the 245):

============  ===============================================  ==========================================
Holding       MARC21                                           UNIMARC / CNMARC
============  ===============================================  ==========================================
id            001, else 010 $a (LCCN, normalised), else the    001, else the first valid ISBN, else the
              first valid ISBN, else a digest of title,         same digest
              creators and year (``digest-…``)
title         245 $a, $b (" : "), $n $p (". "); 880 first      200 $a (repeated $a joined " ; "), $h $i
other_titles  the romanised 245 when the 880 was used, 245 $b  200 $e, 200 $d, 500/510/512/513/516/517
              after "=" (parallel), 130/240/242/246 $a...      $a
creators      100/700 $a $b $c $q, 110/710 $a $b, 111/711 $a   700/701/702 $a, $b ("姓名" CJK parts run
              $c $d $n: all 880 forms (else romanised) in      together, else "a, b"), 710/711/712 $a. $b;
              field order, then the romanised ones              200 $f/$g only when there are none of them
publisher     260 $b, else 264 $b (ind2 1 preferred); 880 1st  210 $c, else 214 $c
place         260/264 $a; 880 first                            210/214 $a
year          first 4 digits of 260/264 $c, else 008/07-10     210/214 $d, else 100 $a/9-12
isbns         020 $a ($z ignored): qualifiers and hyphens      010 $a, same cleaning
              removed, 10 or 13 as given, check digit verified
lccn          010 $a, normalised (LC's rules)                  —
subjects      600/610/611/630/650/651, 880 first: heading      600/601/602/604/605/606/607/608: heading
              then $v $x $y $z, joined " -- "                  then $j $x $y $z; 610: each $a
clc           084 $a when 084 $2 is "clc" (any case)           690 $a
lcc           050 $a $b (each further $a on its own)           680 $a $b
call_number   090/099 $a $b, else the first LCC               905 $d "/" $e (class number / book number)
language      008/35-37, else 041 $a                           101 $a
series        490/440/830 $a. $n. $p ; $v, 880 first           225 $a. $h. $i ; $v, else 410 $a ; $v
============  ===============================================  ==========================================

Text is stripped of control characters (the non-sorting marks U+0088/U+0089,
U+0098/U+009C among them), whitespace-collapsed (U+3000 included) and trimmed
of trailing ISBD punctuation (`` /`` `` :`` `` ;`` ``=`` ``,`` ``.`` and
their full-width forms).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from pymarc import Field, Record

from ingest.errors import HoldingsError
from ingest.identifiers import clean_isbns, derive_id, normalise_lccn
from ingest.records import Holding

_SPACE = re.compile(r"\s+")
# C0/C1 controls but whitespace, among them the non-sort marks U+0088/U+0089 (UNIMARC), U+0098/U+009C (MARC21)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_SEPARATORS = " /:;=,\u3000：；／，＝、"
_PERIODS = ".．。"
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
_LINKAGE = re.compile(r"\s*(\d{3})-(\d{2})")
_LANGUAGE = re.compile(r"[a-z]{3}")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

_MARC21_NAMES = ("100", "110", "111", "700", "710", "711")
_MARC21_SUBJECTS = ("600", "610", "611", "630", "650", "651")
_MARC21_OTHER_TITLES = ("130", "240", "242", "246")
_UNIMARC_NAMES = ("700", "701", "702", "710", "711", "712")
_UNIMARC_SUBJECTS = ("600", "601", "602", "604", "605", "606", "607", "608")
_UNIMARC_OTHER_TITLES = ("500", "510", "512", "513", "516", "517")
_UNIMARC_MARKERS = frozenset(
    {"101", "102", "105", "106", "200", "210", "214", "215", "225", "606", "690", "701", "702", "711", "712", "801"})
_MARC21_MARKERS = frozenset({"008", "040", "050", "082", "245", "250", "260", "264", "490", "650", "651"})

Pair = tuple[Field | None, Field | None]  # (vernacular 880, romanised field)


# --- text --------------------------------------------------------------------


def trim_isbd(text: str) -> str:
    """Collapse whitespace and drop the ISBD punctuation that ends a MARC subfield.

    >>> trim_isbd("我对历史的看法\u3000 :")
    '我对历史的看法'
    """
    text = _SPACE.sub(" ", _CONTROL.sub("", text)).strip().lstrip(_SEPARATORS)
    while True:
        shorter = text.rstrip(_SEPARATORS)
        if shorter.endswith(tuple(_PERIODS)) and not shorter[:-1].endswith(tuple(_PERIODS)):
            shorter = shorter[:-1].rstrip(_SEPARATORS)
        if shorter == text:
            return text
        text = shorter


def unique(values: Iterable[str | None]) -> tuple[str, ...]:
    """Non-empty values in first-seen order, without repeats."""
    return tuple(dict.fromkeys(v for v in values if v))


def find_year(text: str | None) -> str | None:
    """The first stand-alone 4-digit number (full-width digits folded)."""
    found = _YEAR.search((text or "").translate(_FULLWIDTH_DIGITS))
    return found.group() if found else None


# --- format --------------------------------------------------------------------


def detect_flavour(tags: Iterable[str]) -> str:
    """``"unimarc"`` or ``"marc21"`` from the tags a record has.

    245 means MARC21 and 200 UNIMARC; otherwise the side with more of its
    characteristic tags wins (UNIMARC 101/210/690…, MARC21 008/260/650…), ties
    going to MARC21.
    """
    present = set(tags)
    if "245" in present or "200" not in present and "008" in present:
        return "marc21"
    if "200" in present:
        return "unimarc"
    return "unimarc" if len(present & _UNIMARC_MARKERS) > len(present & _MARC21_MARKERS) else "marc21"


def holding_from_record(record: Record, source: str) -> Holding:
    """Map a record of either flavour (``detect_flavour``). Raises HoldingsError."""
    tags = [field.tag for field in record.get_fields()]
    if detect_flavour(tags) == "unimarc":
        return holding_from_unimarc(record, source)
    return holding_from_marc21(record, source)


# --- fields --------------------------------------------------------------------


def _values(record: Record, tag: str, code: str) -> list[str]:
    return [v for field in record.get_fields(tag) for v in field.get_subfields(code)]


def _first(field: Field | None, *codes: str) -> str | None:
    values = field.get_subfields(*codes) if field is not None else []
    return trim_isbd(values[0]) or None if values else None


def _control(record: Record, tag: str) -> str:
    fields = record.get_fields(tag)
    return (fields[0].data or "") if fields and fields[0].is_control_field() else ""


def _linkage(field: Field) -> tuple[str, str] | None:
    """``$6`` as (tag, occurrence): ``880-02`` in a 245, ``245-02/$1`` in its 880."""
    values = field.get_subfields("6")
    found = _LINKAGE.match(values[0]) if values else None
    return (found.group(1), found.group(2)) if found else None


def _tag(field: Field) -> str:
    """The field's tag; for an 880, the tag of the field it stands for."""
    link = _linkage(field) if field.tag == "880" else None
    return link[0] if link else field.tag


@dataclass(frozen=True)
class Linked:
    """A MARC21 record with its 880 (vernacular) fields indexed by the tag they stand for."""

    record: Record
    vernacular: dict[str, list[tuple[str, Field]]]  # tag → [(occurrence, 880 field)] in record order

    @classmethod
    def of(cls, record: Record) -> Linked:
        index: dict[str, list[tuple[str, Field]]] = {}
        for field in record.get_fields("880"):
            link = _linkage(field)
            if link:
                index.setdefault(link[0], []).append((link[1], field))
        return cls(record, index)

    def pairs(self, *tags: str) -> list[Pair]:
        """Each field of ``tags`` with its linked 880, then the unlinked 880s of those tags."""
        alternates: dict[tuple[str, str], Field] = {}
        orphans: list[Field] = []
        for tag in tags:
            for occurrence, field in self.vernacular.get(tag, ()):
                if occurrence == "00" or (tag, occurrence) in alternates:
                    orphans.append(field)
                else:
                    alternates[(tag, occurrence)] = field
        pairs: list[Pair] = []
        for field in self.record.get_fields(*tags):
            link = _linkage(field)
            pairs.append((alternates.pop((field.tag, link[1]), None) if link else None, field))
        return pairs + [(field, None) for field in [*alternates.values(), *orphans]]


def linked_pairs(record: Record, tags: Sequence[str]) -> list[Pair]:
    """Each field of ``tags`` with its linked 880 (vernacular) field, then unlinked 880s of those tags."""
    return Linked.of(record).pairs(*tags)


def _displayed(pairs: Iterable[Pair], render: Callable[[Field], str]) -> tuple[str, ...]:
    """Vernacular (else romanised) forms in field order, then the romanised forms of linked fields."""
    pairs = list(pairs)
    first = [render(vern if vern is not None else roman) for vern, roman in pairs]  # type: ignore[arg-type]
    romanised = [render(roman) for vern, roman in pairs if vern is not None and roman is not None]
    return unique([*first, *romanised])


def _joined(field: Field, codes: str, separator: str = " ") -> str:
    """The subfields ``codes`` in record order: as written (inner punctuation kept) when joined
    by a space, each trimmed first for any other separator."""
    values = [s.value for s in field.subfields if s.code in codes and s.value.strip()]
    return trim_isbd(separator.join(values if separator == " " else map(trim_isbd, values)))


def _heading(field: Field, subdivisions: str, skip: str = "0123456789e4") -> str:
    """Heading then subdivisions, joined " -- "."""
    main = ""
    for sub in field.subfields:
        if sub.code not in subdivisions + skip and sub.value.strip():
            value = sub.value.strip()
            main = f"{main}{value}" if value[0] in ",." or not main else f"{main} {value}"
    parts = [trim_isbd(main)] + [trim_isbd(s.value) for s in field.subfields if s.code in subdivisions]
    return " -- ".join(p for p in parts if p)


# --- MARC21 --------------------------------------------------------------------


def _marc21_title(field: Field) -> tuple[str, list[str]]:
    """(title proper with remainder and parts, parallel titles) from a 245-like field."""
    title, parallels, previous = "", [], ""
    for sub in field.subfields:
        if sub.code not in "abnp" or not sub.value.strip():
            continue
        value = trim_isbd(sub.value)
        if sub.code == "b" and previous.rstrip().endswith(("=", "＝")):
            parallels.append(value)
        elif value:
            separator = {"b": " : ", "n": ". ", "p": ". "}.get(sub.code, " ")
            title = f"{title}{separator}{value}" if title else value
        previous = sub.value
    return title, parallels


def _marc21_name(field: Field) -> str:
    return _joined(field, {"10": "ab", "11": "acdn"}.get(_tag(field)[1:], "abcq"))


def _marc21_series(field: Field) -> str:
    name = _joined(field, "anp", ". ")
    number = _first(field, "v")
    return f"{name} ; {number}" if name and number else name


def _marc21_titles(linked: Linked, source: str) -> tuple[str, tuple[str, ...]]:
    """(display title, other titles). Raises HoldingsError when there is no title."""
    titles = linked.pairs("245")
    vern, roman = titles[0] if titles else (None, None)
    if vern is None and roman is not None:  # an unlinked 880 245 ($6 245-00) still stands for the 245
        vern = next((v for v, r in titles[1:] if r is None), None)
    title, other = _marc21_title(vern if vern is not None else roman) if titles else ("", [])
    if not title:
        raise HoldingsError(source, "record has no title", position="field 245",
                            expected="a 245 field with $a (or its 880 vernacular)")
    if vern is not None and roman is not None:
        romanised, parallels = _marc21_title(roman)
        other += [romanised, *parallels]
    other += _displayed(linked.pairs(*_MARC21_OTHER_TITLES), lambda f: _marc21_title(f)[0])
    return title, tuple(t for t in unique(other) if t != title)


def _marc21_publication(linked: Linked) -> tuple[str | None, str | None, str | None]:
    """(place, publisher, year) from 260, else 264 (ind2 1 preferred), vernacular first; year also 008/07-10."""
    pairs = linked.pairs("260") or linked.pairs("264")
    published = [p for p in pairs if any(f is not None and f.indicator2 == "1" for f in p)]
    vern, roman = (published or pairs or [(None, None)])[0]
    year = find_year(_first(roman, "c")) or find_year(_first(vern, "c"))
    fixed = _control(linked.record, "008")[7:11]
    return (_first(vern, "a") or _first(roman, "a"), _first(vern, "b") or _first(roman, "b"),
            year or (fixed if fixed.isdigit() else None))


def _marc21_lcc(record: Record) -> tuple[str, ...]:
    numbers: list[str] = []
    for field in record.get_fields("050"):
        classes, items = field.get_subfields("a"), field.get_subfields("b")
        if classes:
            numbers.append(trim_isbd(f"{classes[0]} {items[0]}" if items else classes[0]))
            numbers.extend(trim_isbd(c) for c in classes[1:])
    return unique(numbers)


def _marc21_clc(record: Record) -> tuple[str, ...]:
    return unique(trim_isbd(v) for f in record.get_fields("084")
                  if any(s.strip().lower() == "clc" for s in f.get_subfields("2")) for v in f.get_subfields("a"))


def _marc21_language(record: Record) -> str | None:
    code = _control(record, "008")[35:38]
    if _LANGUAGE.fullmatch(code):
        return code
    codes = _values(record, "041", "a")
    return codes[0].strip()[:3].lower() or None if codes else None


def holding_from_marc21(record: Record, source: str) -> Holding:
    """Map a MARC21 record; ``source`` is where it came from ("file.mrc#record 12").

    Raises HoldingsError when the record has no 245 $a (nor a vernacular 880 one).
    """
    linked = Linked.of(record)
    title, other_titles = _marc21_titles(linked, source)
    creators = _displayed(linked.pairs(*_MARC21_NAMES), _marc21_name)
    place, publisher, year = _marc21_publication(linked)
    isbns = clean_isbns(_values(record, "020", "a"))
    lccn = next((v for v in map(normalise_lccn, _values(record, "010", "a")) if v), None)
    lcc = _marc21_lcc(record)
    local = [c for c in (_joined(f, "ab") for f in record.get_fields("090", "099")) if c]
    series = _displayed(linked.pairs("490", "440", "830"), _marc21_series)
    return Holding(
        id=derive_id(_control(record, "001"), lccn, isbns, title, creators, year),
        title=title, format="marc21", source=source, other_titles=other_titles, creators=creators,
        publisher=publisher, place=place, year=year, isbns=isbns, lccn=lccn,
        subjects=_displayed(linked.pairs(*_MARC21_SUBJECTS), lambda f: _heading(f, "vxyz")),
        clc=_marc21_clc(record), lcc=lcc, call_number=(local or [*lcc, None])[0],
        language=_marc21_language(record), series=series[0] if series else None,
    )


# --- UNIMARC / CNMARC --------------------------------------------------------------


def _unimarc_title(field: Field) -> str:
    title = " ; ".join(trim_isbd(v) for v in field.get_subfields("a") if trim_isbd(v))
    for sub in field.subfields:
        if sub.code in "hi" and trim_isbd(sub.value):
            title = f"{title}. {trim_isbd(sub.value)}" if title else trim_isbd(sub.value)
    return title


def _unimarc_name(field: Field) -> str:
    entry, rest = _first(field, "a") or "", _first(field, "b") or ""
    if not rest:
        return entry
    if field.tag.startswith("71"):
        return f"{entry}. {_joined(field, 'b', '. ')}"
    return f"{entry}{rest}" if _CJK.match(entry[-1:]) and _CJK.match(rest) else f"{entry}, {rest}"


def _unimarc_series(record: Record) -> str | None:
    for field in record.get_fields("225", "410"):
        name = _joined(field, "a") if field.tag == "410" else _joined(field, "ahi", ". ")
        number = _first(field, "v")
        if name:
            return f"{name} ; {number}" if number else name
    return None


def _unimarc_call_number(record: Record) -> str | None:
    for field in record.get_fields("905"):
        parts = [p for p in (_first(field, "d"), _first(field, "e")) if p]
        if parts:
            return "/".join(parts)
    return None


def _unimarc_titles(record: Record, source: str) -> tuple[str, tuple[str, ...]]:
    """(title proper, other titles). Raises HoldingsError when there is no 200 $a."""
    fields = record.get_fields("200")
    title = _unimarc_title(fields[0]) if fields else ""
    if not title:
        raise HoldingsError(source, "record has no title", position="field 200",
                            expected="a 200 field with $a (UNIMARC title proper)")
    other = [trim_isbd(v) for f in fields for v in f.get_subfields("e", "d")]
    other += [trim_isbd(v) for tag in _UNIMARC_OTHER_TITLES for v in _values(record, tag, "a")]
    return title, tuple(t for t in unique(other) if t != title)


def _unimarc_publication(record: Record) -> tuple[str | None, str | None, str | None]:
    """(place, publisher, year) from 210, else 214; year also 100 $a/9-12."""
    publication = (record.get_fields("210") or record.get_fields("214") or [None])[0]
    general = (_values(record, "100", "a") or [""])[0][9:13]
    year = find_year(_first(publication, "d")) or (general if general.isdigit() else None)
    return _first(publication, "a"), _first(publication, "c"), year


def _unimarc_subjects(record: Record) -> tuple[str, ...]:
    headings = [_heading(f, "jxyz", skip="0123456789") for f in record.get_fields(*_UNIMARC_SUBJECTS)]
    return unique([*headings, *(trim_isbd(v) for v in _values(record, "610", "a"))])


def holding_from_unimarc(record: Record, source: str) -> Holding:
    """Map a UNIMARC / CNMARC record; ``source`` as for ``holding_from_marc21``.

    Raises HoldingsError when the record has no 200 $a.
    """
    title, other_titles = _unimarc_titles(record, source)
    creators = unique(_unimarc_name(f) for f in record.get_fields(*_UNIMARC_NAMES))
    if not creators:  # 200 $f/$g statements of responsibility only when no 7xx names
        creators = unique(trim_isbd(v) for f in record.get_fields("200") for v in f.get_subfields("f", "g"))
    place, publisher, year = _unimarc_publication(record)
    isbns = clean_isbns(_values(record, "010", "a"))
    languages = [v.strip().lower() for v in _values(record, "101", "a") if v.strip()]
    return Holding(
        id=derive_id(_control(record, "001"), None, isbns, title, creators, year),
        title=title, format="unimarc", source=source, other_titles=other_titles, creators=creators,
        publisher=publisher, place=place, year=year, isbns=isbns, subjects=_unimarc_subjects(record),
        clc=unique(trim_isbd(v) for v in _values(record, "690", "a")),
        lcc=unique(_joined(f, "ab") for f in record.get_fields("680")),
        call_number=_unimarc_call_number(record),
        language=languages[0] if languages else None, series=_unimarc_series(record),
    )
