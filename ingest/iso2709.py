"""ISO 2709 framing: records cut from a byte stream, with their offsets, checked and decoded.

``read_records`` walks a binary stream record by record (never the whole file)
and yields ``(byte offset, pymarc.Record | Fault)``. A record's length comes
from leader/0-4; when that length is not digits, or does not end on the
end-of-record byte 0x1D, the record is a ``Fault`` and reading resumes after
the next 0x1D, so one bad record costs only itself. Before pymarc sees a
record its leader (base address at 12-16) and every directory entry (tag,
length, start; each field inside the record and ending in 0x1E) are checked.

Characters: leader/09 ``a`` means UTF-8; so do data bytes that are valid UTF-8
with multi-byte characters (records that forgot the flag). Otherwise a given
``encoding`` is used; else MARC21 is MARC-8 (EACC CJK included) and UNIMARC
GB 18030; Latin-1 is the last resort, and undecodable UTF-8 becomes U+FFFD
(a MARC-8 multi-byte character cut off by the end of its field becomes a space;
pymarc's report of it on stderr, which names neither file nor record, is silenced).
A MARC-8 decoding that is mostly stray diacritics (a file in a local code page
such as cp1251) is a ``Fault`` naming the remedy.
"""

from __future__ import annotations

import contextlib
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from pymarc import Record
from pymarc.exceptions import PymarcException

from ingest.marc import detect_flavour

LEADER = ("a 24-byte ASCII leader with the record length at 0-4 (5 digits, counting the final 0x1D) "
          "and the base address of data at 12-16 (5 digits)")
DIRECTORY = ("12-byte directory entries (3-character tag, 4-digit length, 5-digit start) ending in 0x1E, "
             "each field inside the record and ending in 0x1E")

_END_OF_RECORD = 0x1D
_END_OF_FIELD = 0x1E
_PADDING = b" \t\r\n\x00\x1a"
_BLOCK = 1 << 16


@dataclass(frozen=True)
class Fault:
    """Why one record cannot be used, and what would have been accepted."""

    message: str
    expected: str


class _Broken(Exception):
    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.message)
        self.fault = fault


def looks_like_iso2709(head: bytes) -> bool:
    """True when the first bytes of a file (padding stripped) start like a record or hold a 0x1D."""
    start = head.lstrip(_PADDING)
    return start[:5].isdigit() and start[12:17].isdigit() or bytes([_END_OF_RECORD]) in head


def read_records(handle: io.BufferedReader, encoding: str | None = None) -> Iterator[tuple[int, Record | Fault]]:
    """(byte offset where the record starts, its Record or its Fault), in file order."""
    for offset, chunk, fault in _split(handle):
        yield offset, fault if fault is not None else parse_record(chunk, encoding)


def parse_record(chunk: bytes, encoding: str | None = None) -> Record | Fault:
    """One record's bytes (final 0x1D included) as a Record, or the Fault that stops it."""
    try:
        return _decode(chunk, encoding)
    except _Broken as error:
        return error.fault
    except (PymarcException, ValueError, IndexError) as error:
        return Fault(f"record cannot be parsed: {error}", f"{LEADER}; {DIRECTORY}")


def _split(handle: io.BufferedReader) -> Iterator[tuple[int, bytes, Fault | None]]:
    """(byte offset, record bytes, problem) for each record; resynchronises on 0x1D after a bad length."""
    while True:
        while (byte := handle.peek(1)[:1]) and byte in _PADDING:
            handle.read(1)
        offset = handle.tell()
        head = handle.read(24)
        if not head:
            return
        length = int(head[:5]) if head[:5].isdigit() else 0
        chunk = head + handle.read(length - 24) if length > 24 else head
        if length > 24 and len(chunk) == length and chunk.find(_END_OF_RECORD) == length - 1:
            yield offset, chunk, None
            continue
        handle.seek(offset)
        size, terminated = _skip_record(handle)
        if not head[:5].isdigit():
            message = f"record length (leader/0-4) is {head[:5]!r}, not 5 digits"
        elif not terminated:
            message = f"leader says {length} bytes but only {size} remain, without an end-of-record byte (0x1D)"
        else:
            message = f"leader says {length} bytes but the record ends (0x1D) after {size}"
        yield offset, b"", Fault(message, LEADER)


def _skip_record(handle: io.BufferedReader) -> tuple[int, bool]:
    """Read through the next end-of-record byte: (bytes consumed, whether one was found)."""
    size = 0
    while block := handle.read(_BLOCK):
        end = block.find(_END_OF_RECORD)
        if end >= 0:
            handle.seek(end + 1 - len(block), io.SEEK_CUR)
            return size + end + 1, True
        size += len(block)
    return size, False


def _directory(chunk: bytes) -> list[str]:
    """The tags of a record whose leader and directory are sound. Raises _Broken."""
    if not chunk[:24].isascii():
        raise _Broken(Fault(f"leader is not ASCII: {chunk[:24]!r}", LEADER))
    if not chunk[12:17].isdigit():
        raise _Broken(Fault(f"base address of data (leader/12-16) is {chunk[12:17]!r}, not 5 digits", LEADER))
    base = int(chunk[12:17])
    if not 24 < base < len(chunk) or chunk[base - 1] != _END_OF_FIELD:
        raise _Broken(Fault(f"base address {base} does not follow the directory's 0x1E", LEADER))
    directory = chunk[24:base - 1]
    if len(directory) % 12 or not directory:
        raise _Broken(Fault(f"directory is {len(directory)} bytes, not a multiple of 12", DIRECTORY))
    tags = []
    for index in range(0, len(directory), 12):
        entry = directory[index:index + 12]
        tag, number = entry[:3], index // 12 + 1
        if not (tag.isalnum() and tag.isascii() and entry[3:12].isdigit()):
            raise _Broken(Fault(f"directory entry {number} is {entry!r}", DIRECTORY))
        end = base + int(entry[7:12]) + int(entry[3:7])
        if end > len(chunk) - 1 or chunk[end - 1] != _END_OF_FIELD:
            message = f"directory entry {number} (field {tag.decode()}) points outside its field"
            raise _Broken(Fault(message, DIRECTORY))
        tags.append(tag.decode())
    return tags


def _decode(chunk: bytes, encoding: str | None) -> Record:
    """Parse a record, choosing its character set (see the module docstring). Raises _Broken."""
    flavour = detect_flavour(_directory(chunk))
    utf8 = {"force_utf8": True, "utf8_handling": "replace"}
    data = chunk[int(chunk[12:17]):]
    if chunk[9:10] == b"a" or not data.isascii() and _is_utf8(data):
        attempts = [utf8]
    elif encoding is not None:
        attempts = [{"file_encoding": encoding if encoding != "iso8859-1" else "latin-1"}]
    elif flavour == "marc21":
        attempts = [{}, utf8]  # pymarc's default: MARC-8
    else:
        attempts = [{"file_encoding": "gb18030"}]
    failure = None
    for options in [*attempts, {"file_encoding": "latin-1"}]:
        try:
            with contextlib.redirect_stderr(io.StringIO()):  # pymarc reports cut-off MARC-8 on stderr; a space replaces it
                record = Record(chunk, to_unicode=True, hide_utf8_warnings=True, **options)
        except UnicodeDecodeError as error:
            failure = error
            continue
        if not options and _is_garbled(record):
            raise _Broken(Fault("the text decodes as neither UTF-8 nor MARC-8 (mostly stray diacritics); "
                                "is the file in a local code page?",
                                "UTF-8 (leader/09 'a') or MARC-8 text, or read_holdings(path, encoding=…)"))
        return record
    raise _Broken(Fault(f"a field cannot be decoded ({failure.reason if failure else 'unknown'}), "
                        "not even as Latin-1: its indicators or subfield codes are not ASCII, "
                        "or a record flagged UTF-8 (leader/09 'a') has non-UTF-8 control fields",
                        "ASCII indicators and subfield codes; UTF-8 or MARC-8 text"))


def _is_garbled(record: Record) -> bool:
    """True when MARC-8 decoding left more than one combining mark per five letters."""
    text = "".join(s.value for field in record.get_fields() if not field.is_control_field()
                   for s in field.subfields)
    marks = sum(1 for c in text if unicodedata.combining(c))
    letters = sum(1 for c in text if c.isalpha())
    return marks * 5 > letters + marks


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
