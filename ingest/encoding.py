"""Bytes of a subtitle file → text, with the codec that decoded them.

Accepted encodings, and how ``decode`` finds one when none is declared:

1. a byte-order mark: UTF-8 (``utf-8-sig``), UTF-16 LE or BE (``utf-16``);
2. UTF-16 without a BOM, recognised by its NUL bytes: ASCII characters (digits,
   ``-->``, newlines) leave a NUL in every other byte, on the odd offsets for
   little-endian and the even ones for big-endian. Chinese-only UTF-16 text
   without a BOM has too few NULs to be recognised; declare it;
3. anything else holding NUL or other control bytes (more than 1 % of the
   bytes) is binary data, not a subtitle file;
4. strict UTF-8 (``utf-8``). A multi-byte character cut off by the end of the
   file (a truncated download) is dropped rather than failing the file;
5. GB18030 and Big5 (``big5``, else its supersets ``cp950`` and
   ``big5hkscs``), both decoded strictly. GB18030 decodes almost any byte
   string, Big5 text included, so the two readings are scored: the share of
   their non-ASCII characters that are *common* in that encoding's own sense,
   i.e. GB2312 level-1 hanzi plus punctuation rows for GB18030, Big5's
   "frequently used" block (A440–C67E) plus its symbol rows for Big5. Real
   text scores above 0.9 in its own encoding and about 0.3–0.6 in the other.
   Big5 wins only when it scores higher. A winner scoring under 0.3 (with at
   least 32 non-ASCII characters to judge by) is mojibake, e.g. corrupted UTF-8,
   and is refused.

A declared encoding is honoured: ``GBK``, ``gb2312``, ``cp936``… read as
``gb18030`` (their superset), ``cp950``/``big5-tw``… as the Big5 family, any
spelling Python knows for UTF-8/UTF-16 as that. Other codecs are refused.

UTF-16 text (with a BOM or without) holding three or more unassigned or
private-use characters is refused: that is what UTF-8 or GB18030 bytes become
when read as UTF-16, i.e. files in different encodings joined into one.

Every U+FEFF (a BOM, also one pasted into the middle of the text by joining
files) is removed. Failures raise ``EncodingError`` with the byte offset of the
first bad byte and the accepted encodings.
"""

from __future__ import annotations

import codecs
import unicodedata
from functools import cache
from pathlib import Path

from ingest.errors import EncodingError

ACCEPTED = "UTF-8 (with or without BOM), UTF-16 LE/BE (with BOM), GB18030 (GBK, GB2312), Big5"
_BOMS = (
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
)
_BIG5 = ("big5", "cp950", "big5hkscs")
_FAMILIES: dict[str, tuple[str, ...]] = {
    "utf-8": ("utf-8",), "utf-8-sig": ("utf-8",),
    "utf-16": ("utf-16",), "utf-16-le": ("utf-16-le",), "utf-16-be": ("utf-16-be",),
    "gb18030": ("gb18030",), "gbk": ("gb18030",), "gb2312": ("gb18030",),
    "big5": _BIG5, "cp950": ("cp950", "big5hkscs"), "big5hkscs": ("big5hkscs",),
}
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])
_BINARY_SHARE = 0.01
_SAMPLE = 100_000
MIN_SCORE = 0.3
_MIN_JUDGED = 32
_NEWLINE = b"\n"
_MISREAD = 3  # unassigned or private-use characters that make a UTF-16 reading wrong


def decode(data: bytes, path: Path, declared: str | None = None) -> tuple[str, str]:
    """Return ``(text, codec)`` for the bytes of ``path``.

    ``declared`` (a codec name from the manifest) skips detection. Raises
    ``EncodingError`` for an unknown or refused codec name, for bytes invalid in
    the declared or every detected encoding (naming the first bad byte), and
    for binary data.
    """
    if declared is not None:
        text, codec = _decode_declared(data, path, declared)
    else:
        text, codec = _detect(data, path)
    return text.replace("\ufeff", ""), codec


def normalise_codec(declared: str, path: Path) -> str:
    """The codec name Python uses for ``declared`` (``"GBK"`` → ``"gbk"``), if it is one we accept.

    Raises ``EncodingError`` listing the accepted encodings otherwise.
    """
    try:
        name = codecs.lookup(declared.strip()).name
    except (LookupError, ValueError):
        raise EncodingError(path, f"unknown encoding {declared!r}", expected=ACCEPTED) from None
    if name not in _FAMILIES:
        raise EncodingError(path, f"encoding {declared!r} is not accepted for subtitles", expected=ACCEPTED)
    return name


# --- declared -------------------------------------------------------------------


def _decode_declared(data: bytes, path: Path, declared: str) -> tuple[str, str]:
    name = normalise_codec(declared, path)
    if name in ("utf-8", "utf-8-sig") and data.startswith(codecs.BOM_UTF8):
        return _strict(data, path, 3, "utf-8", f"the declared encoding is {declared!r}"), "utf-8-sig"
    if name == "utf-16" and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        name = _utf16_order(data) or "utf-16-le"
    family = _FAMILIES.get(name, (name,))
    return _first_decoding(data, path, family, f"the declared encoding is {declared!r}")


def _first_decoding(data: bytes, path: Path, family: tuple[str, ...], why: str) -> tuple[str, str]:
    """Decode with the first codec of ``family`` that accepts every byte."""
    for codec in family[:-1]:
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return _strict(data, path, 0, family[-1], why), family[-1]


def _strict(data: bytes, path: Path, skip: int, codec: str, why: str) -> str:
    """``data[skip:]`` decoded, or the error naming the first bad byte (counted from the file start)."""
    try:
        return data[skip:].decode(codec)
    except UnicodeDecodeError as error:
        raise _undecodable(data, path, {codec: error.start + skip}, why) from None


# --- detection ----------------------------------------------------------------------


def _detect(data: bytes, path: Path) -> tuple[str, str]:
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            text = _strict(data, path, len(bom), codec, f"the file starts with a {codec} byte-order mark")
            return _check_utf16(text, data, path, len(bom), codec), name
    order = _utf16_order(data)
    if order:
        try:
            return _check_utf16(data.decode(order), data, path, 0, order), order
        except UnicodeDecodeError:
            pass  # not UTF-16 after all: judged as binary below
        except EncodingError:
            if _utf16_start(data, data.index(0)) is None:
                raise  # UTF-16 first, then another encoding
            # else another encoding first, then UTF-16: _refuse_binary names where it starts
    _refuse_binary(data, path)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        if error.reason == "unexpected end of data" and error.end == len(data) and error.start > 0:
            return data[: error.start].decode("utf-8"), "utf-8"
        return _decode_chinese(data, path, error.start)


def _check_utf16(text: str, data: bytes, path: Path, skip: int, codec: str) -> str:
    """``text`` read as UTF-16, unless it holds unassigned or private-use characters: what UTF-8 (or
    other 8-bit) text becomes when read as UTF-16, e.g. a UTF-8 file joined to a UTF-16 one."""
    if codec == "utf-8":
        return text
    odd = [i for i, ch in enumerate(text[:_SAMPLE]) if unicodedata.category(ch) in ("Co", "Cn")]
    if len(odd) < _MISREAD:
        return text
    offset = skip + len(text[: odd[0]].encode(codec))
    line = text[: odd[0]].count("\n") + 1
    raise EncodingError(
        path,
        f"mixed encodings: read as {codec}, the text turns into unassigned or private-use characters "
        f"({len(odd)} of them) from byte {offset} (line {line}) on; is text in another encoding (UTF-8?) "
        "joined to it?",
        position=f"byte {offset}",
        expected=f"one encoding for the whole file: {ACCEPTED}",
    )


def _utf16_order(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when the NUL bytes fall on one side only."""
    sample = data[: _SAMPLE * 2]
    sample = sample[: len(sample) // 2 * 2]
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0::2].count(0) / half, sample[1::2].count(0) / half
    if odd >= 0.1 and odd >= 4 * even + 0.02:
        return "utf-16-le"
    if even >= 0.1 and even >= 4 * odd + 0.02:
        return "utf-16-be"
    return None


def _refuse_binary(data: bytes, path: Path) -> None:
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if controls and controls > _BINARY_SHARE * len(data):
        first = next(i for i, byte in enumerate(data) if byte in _CONTROL_BYTES)
        start = _utf16_start(data, first)
        if start is not None:
            raise EncodingError(
                path,
                f"mixed encodings: the file turns into UTF-16 at byte {start} (line "
                f"{data.count(_NEWLINE, 0, start) + 1}) after text in another encoding; files joined?",
                position=f"byte {start}",
                expected=f"one encoding for the whole file: {ACCEPTED}",
            )
        raise EncodingError(
            path,
            f"looks like binary data, not text: {controls / len(data):.0%} of the bytes are NUL or "
            f"control bytes (the first at byte {first}, 0x{data[first]:02x})",
            position=f"byte {first}",
            expected=f"a text file in {ACCEPTED}",
        )


def _utf16_start(data: bytes, first_control: int) -> int | None:
    """Where UTF-16 text begins after bytes that are not UTF-16 (a byte-order mark, or the byte before
    the first NUL), if the file is such a join."""
    candidates = (data.find(codecs.BOM_UTF16_LE), data.find(codecs.BOM_UTF16_BE), first_control - 1)
    return next((start for start in candidates if start > 0 and _utf16_order(data[start:])), None)


def _decode_chinese(data: bytes, path: Path, utf8_failure: int) -> tuple[str, str]:
    failures = {"utf-8": utf8_failure}
    readings: list[tuple[float, int, str, str]] = []
    for family in (("gb18030",), _BIG5):
        for codec in family:
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as error:
                failures[family[0]] = max(failures.get(family[0], 0), error.start)
                continue
            score, judged = _score(text, codec)
            readings.append((score, judged, text, codec))
            break
    if not readings:
        raise _undecodable(data, path, failures, "")
    score, judged, text, codec = max(readings, key=lambda r: (r[0], r[3] == "gb18030"))
    if score < MIN_SCORE and judged >= _MIN_JUDGED:
        raise _undecodable(
            data, path, failures, f"{codec} reads it only as nonsense ({score:.0%} common Chinese characters)"
        )
    return text, codec


def _score(text: str, codec: str) -> tuple[float, int]:
    """Share of non-ASCII, non-space characters common in ``codec``'s own sense."""
    common = _common_big5() if codec in _BIG5 else _common_gb()
    judged = [ch for ch in text[:_SAMPLE] if ch > "\x7f" and not ch.isspace()]
    if not judged:
        return 1.0, 0
    return sum(ch in common for ch in judged) / len(judged), len(judged)


@cache
def _common_gb() -> frozenset[str]:
    """GB2312 punctuation/full-width rows (A1–A3) and level-1 hanzi (B0–D7)."""
    return _characters("gb2312", [*range(0xA1, 0xA4), *range(0xB0, 0xD8)], range(0xA1, 0xFF))


@cache
def _common_big5() -> frozenset[str]:
    """Big5 symbol rows (A1–A3) and frequently used hanzi (A440–C67E)."""
    trails = [*range(0x40, 0x7F), *range(0xA1, 0xFF)]
    return _characters("big5", [*range(0xA1, 0xC6)], trails) | _characters("big5", [0xC6], range(0x40, 0x7F))


def _characters(codec: str, leads: list[int], trails: range | list[int]) -> frozenset[str]:
    found = set()
    for lead in leads:
        for trail in trails:
            try:
                found.add(bytes((lead, trail)).decode(codec))
            except UnicodeDecodeError:
                continue
    return frozenset(found)


def _mixed_hint(data: bytes, codec: str, offset: int) -> str:
    """A hint when the bad byte is part of a byte-order mark, or ends valid UTF-8 with non-ASCII text:
    files in different encodings were joined, or text pasted in."""
    for bom, name in ((codecs.BOM_UTF8, "UTF-8"), (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
        if data.find(bom, max(0, offset - len(bom) + 1), offset + len(bom)) >= 0:
            return f"a {name} byte-order mark in the middle of the file: files in different encodings joined?"
    if codec != "utf-8" or data[:offset].isascii():
        return ""
    return f"the {offset} bytes before it are valid UTF-8: is text in another encoding (GBK?) mixed in?"


def _undecodable(data: bytes, path: Path, failures: dict[str, int], why: str) -> EncodingError:
    """The error naming the first bad byte of the encoding that got furthest, and the others'."""
    codec, offset = max(failures.items(), key=lambda item: item[1])
    others = ", ".join(f"{c} fails at byte {o}" for c, o in failures.items() if c != codec)
    byte = f"0x{data[offset]:02x}" if offset < len(data) else "end of file"
    line = "" if codec.startswith("utf-16") else f", line {data.count(_NEWLINE, 0, offset) + 1}"
    clauses = [f"cannot decode: byte {offset} ({byte}{line}) is not valid {codec}", others, why,
               _mixed_hint(data, codec, offset)]
    return EncodingError(
        path,
        "; ".join(clause for clause in clauses if clause),
        position=f"byte {offset}",
        expected=f"{ACCEPTED}, or an encoding declared in the manifest",
    )
