"""A small SPARQL tokenizer: enough to see a query's form, dataset clause and nesting.

It is not a parser and is not trusted with security decisions (``SERVICE``
is checked by ``sparql.federation`` with a real parser). It reads IRIs,
strings, comments, variables, prefixed names and bare words the way the
SPARQL 1.1 grammar spells them; an ambiguous ``<`` (less-than or IRI) is
read as an IRI when it can be, which only ever makes answers here less
precise, never the query run differently.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Iterator

_NAME = r"[A-Za-z_\u00B7\u00C0-\U000EFFFF]"
_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               | '''(?:[^'\\]|\\.|'(?!''))*'''
               | "(?:[^"\\\n\r]|\\.)*"
               | '(?:[^'\\\n\r]|\\.)*')
    | (?P<var>[?$](?:[0-9]|""" + _NAME + r""")(?:[\w\u00B7\u00C0-\U000EFFFF])*)
    | (?P<name>(?:""" + _NAME + r"""(?:[\w.\-\u00B7\u00C0-\U000EFFFF]*[\w\-\u00B7\u00C0-\U000EFFFF])?)?
               :(?:[^\s{}()\[\],;"'<>#^|/=!*+?]|\\.)*
              | """ + _NAME + r"""[\w\-\u00B7\u00C0-\U000EFFFF]*)
    | (?P<open>[({\[])
    | (?P<close>[)}\]])
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"})
QUERY_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})


@dataclass(frozen=True)
class Token:
    kind: str  # iri, string, var, name, open, close, other
    text: str

    @property
    def keyword(self) -> str | None:
        """The upper-cased word when this is a bare word (a keyword or ``a``), else None."""
        return self.text.upper() if self.kind == "name" and ":" not in self.text else None


def tokens(text: str) -> Iterator[Token]:
    """The tokens of ``text``, without white space and comments. Never raises."""
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in ("space", "comment"):
            yield Token(kind, match.group())


@dataclass(frozen=True)
class Outline:
    """What one pass over a query shows: its ``form`` (as ``form()``), bracket ``nesting`` and dataset clause."""
    form: str | None
    nesting: int
    has_dataset_clause: bool


def outline(text: str) -> Outline:
    """``form``, ``nesting`` and ``has_dataset_clause`` of ``text`` in one pass (remembered for recent texts)."""
    return _outline(text) if len(text) <= _REMEMBERED_SIZE else _read_outline(text)


_REMEMBERED_SIZE = 8192  # texts up to this length are remembered (at most 256 of them)


@functools.lru_cache(maxsize=256)
def _outline(text: str) -> Outline:
    return _read_outline(text)


def _read_outline(text: str) -> Outline:
    keyword: str | None = None
    decided, skip = False, 0
    depth = deepest = 0
    dataset = False
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "space" or kind == "comment":
            continue
        word = None
        if kind == "open":
            depth += 1
            deepest = max(deepest, depth)
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "name":
            word = match.group()
            word = None if ":" in word else word.upper()
            dataset = dataset or word == "FROM"
        if not decided:
            if skip:
                skip -= 1
            elif word == "BASE":
                skip = 1
            elif word == "PREFIX":
                skip = 2
            else:
                keyword, decided = word, True
    return Outline(keyword, deepest, dataset)


def form(text: str) -> str | None:
    """The first keyword after the prologue (``BASE``/``PREFIX`` lines), upper-cased.

    ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE`` for a query; an update
    keyword such as ``INSERT`` or ``LOAD`` for an update; None when the text
    starts with something else.
    """
    stream = tokens(text)
    for token in stream:
        keyword = token.keyword
        if keyword == "BASE":
            next(stream, None)
        elif keyword == "PREFIX":
            next(stream, None)
            next(stream, None)
        else:
            return keyword
    return None


def has_dataset_clause(text: str) -> bool:
    """True when the query names its own dataset (``FROM`` or ``FROM NAMED``)."""
    return any(token.keyword == "FROM" for token in tokens(text))


def nesting(text: str) -> int:
    """The deepest nesting of ``(``, ``{`` and ``[`` in the query."""
    depth = deepest = 0
    for token in tokens(text):
        if token.kind == "open":
            depth += 1
            deepest = max(deepest, depth)
        elif token.kind == "close":
            depth = max(0, depth - 1)
    return deepest
