"""Contributing libraries ("branch stations"): their registry beside the builds, and what the store says of each.

**The registry** is one JSON file, ``{store root}/libraries.json``, beside
``builds/`` and ``current``, so it survives every rebuild::

    {"version": 1,
     "libraries": {"sh-lib": {"id": "sh-lib", "name": "上海图书馆", "homepage": "https://…",
                              "opac_pattern": "https://opac…/{id}", "openurl_resolver": "",
                              "created": "2026-11-21T08:00:00Z",
                              "token_sha256": "9f…", "token_issued": "2026-…Z", "token_revoked": null}}}

It is rewritten whole (temporary file, fsync, ``os.replace``) under an
exclusive ``flock`` on ``{root}/.libraries.lock``, so readers (the server)
always see one complete version and never need the lock. An API token is 32
random bytes (``secrets.token_urlsafe``, prefixed ``kgl_``), shown once by
``kg library add`` / ``kg library new-token``; only its SHA-256 is kept (a
fast hash is enough for a random secret of 256 bits: there is nothing to
guess), and a presented token is compared with ``hmac.compare_digest``.
Revoking forgets the hash.

Library ids are path segments and graph names (``graph/{id}``): the manifest's
rule, ``[a-z0-9][a-z0-9_-]{0,63}``, minus ``vocabularies`` and ``meta``
(shared graphs).

**What the store says** (``sparql/queries/library_*.rq``): the libraries with
their lecture and holding counts (``in_store``), and one library's lectures,
series and most-linked books (``profile``).

Errors::

    LibraryError              the registry cannot do what was asked
    ├── InvalidLibrary        a bad id, homepage or pattern (also a ValueError)
    ├── UnknownLibrary        no such library in the registry (also a LookupError)
    ├── LibraryExists         ``add`` of an id already registered
    └── RegistryBusy          another process is writing the registry
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pyoxigraph as ox

from kg.cards import Labels
from kg.overview import Entry, Listing
from kg.resource import query
from kg.store import exclusive_lock
from kg.uris import Minter

REGISTRY = "libraries.json"
TOKEN_PREFIX = "kgl_"
RESERVED = ("vocabularies", "meta")
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # as ingest/manifest.py: ids are graph names and path segments


class LibraryError(Exception):
    """The registry cannot do what was asked."""


class InvalidLibrary(LibraryError, ValueError):
    """A library id, homepage or URL pattern that is not accepted; the message says what is."""


class UnknownLibrary(LibraryError, LookupError):
    def __init__(self, library: str) -> None:
        self.library = library
        super().__init__(f"no library {library!r} is registered (see 'kg library list')")


class LibraryExists(LibraryError):
    def __init__(self, library: str) -> None:
        super().__init__(f"library {library!r} is already registered; 'kg library new-token {library}' issues a new token")


class RegistryBusy(LibraryError):
    """Another process holds the registry's lock."""


@dataclass(frozen=True)
class Library:
    """One registered library. ``token_sha256`` is None when it has no token (revoked)."""

    id: str
    name: str
    homepage: str = ""
    opac_pattern: str = ""
    openurl_resolver: str = ""
    created: str = ""
    token_sha256: str | None = None
    token_issued: str | None = None
    token_revoked: str | None = None

    @property
    def token_state(self) -> str:
        """``present``, ``revoked`` or ``none``."""
        if self.token_sha256:
            return "present"
        return "revoked" if self.token_revoked else "none"


def validate_id(library: str) -> str:
    """The id itself when it may name a library. Raises InvalidLibrary saying what is accepted."""
    if not isinstance(library, str) or not _ID.fullmatch(library) or library in RESERVED:
        raise InvalidLibrary(f"{library!r} is not a library id: 1–64 of a-z 0-9 _ -, starting with a letter or digit, "
                             f"not {' or '.join(RESERVED)}")
    return library


def hash_token(token: str) -> str:
    """The hex SHA-256 of a token: what the registry keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Registry:
    """The libraries registered under a store root. Reads are lock-free; writes lock and replace the file."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.path = self.root / REGISTRY

    def all(self) -> list[Library]:
        """Every registered library, by id. Raises LibraryError when the file is unreadable."""
        return [self._read()[key] for key in sorted(self._read())]

    def get(self, library: str) -> Library | None:
        return self._read().get(library)

    def add(self, library: str, name: str, homepage: str = "", opac_pattern: str = "",
            openurl_resolver: str = "") -> tuple[Library, str]:
        """Register a library; returns it and its new token (shown once, never stored).

        Raises InvalidLibrary, LibraryExists, RegistryBusy.
        """
        validate_id(library)
        if not name.strip():
            raise InvalidLibrary("a library needs a name (--name)")
        _check_url("homepage", homepage)
        _check_url("openurl resolver", openurl_resolver)
        if opac_pattern and ("{id}" not in opac_pattern and "{isbn}" not in opac_pattern):
            raise InvalidLibrary("an OPAC pattern names the record with {id} and/or {isbn}, "
                                 "e.g. https://opac.example.org/record/{id}")
        _check_url("OPAC pattern", opac_pattern)
        token = _new_token()
        with self._writing() as libraries:
            if library in libraries:
                raise LibraryExists(library)
            now = _now()
            libraries[library] = Library(library, name.strip(), homepage, opac_pattern, openurl_resolver, now,
                                         hash_token(token), now, None)
            return libraries[library], token

    def new_token(self, library: str) -> str:
        """Replace the library's token with a new one (the old one stops working). Raises UnknownLibrary."""
        token = _new_token()
        with self._writing() as libraries:
            found = self._known(libraries, library)
            libraries[library] = replace(found, token_sha256=hash_token(token), token_issued=_now(), token_revoked=None)
        return token

    def revoke_token(self, library: str) -> Library:
        """Forget the library's token: requests with it are refused from now on. Raises UnknownLibrary."""
        with self._writing() as libraries:
            found = self._known(libraries, library)
            libraries[library] = replace(found, token_sha256=None, token_revoked=_now())
            return libraries[library]

    def authenticate(self, token: str) -> Library | None:
        """The library whose token this is, or None. Every stored hash is compared in constant time."""
        presented = hash_token(token)
        owner = None
        for library in self._read().values():
            if library.token_sha256 and hmac.compare_digest(presented, library.token_sha256):
                owner = library
        return owner

    # --- the file ---------------------------------------------------------------------

    def _read(self) -> dict[str, Library]:
        """The file as it is now (read each time: it is small, and a revoked token must stop working at once)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise LibraryError(f"{self.path}: the library registry cannot be read ({error})") from None
        try:
            return {key: Library(**value) for key, value in data["libraries"].items()}
        except (KeyError, TypeError, AttributeError) as error:
            raise LibraryError(f"{self.path}: the library registry cannot be read ({error})") from None

    def _writing(self) -> "_Writing":
        return _Writing(self)

    @staticmethod
    def _known(libraries: dict[str, Library], library: str) -> Library:
        if library not in libraries:
            raise UnknownLibrary(library)
        return libraries[library]

    def _write(self, libraries: dict[str, Library]) -> None:
        data = {"version": 1, "libraries": {key: asdict(libraries[key]) for key in sorted(libraries)}}
        temporary = self.path.with_name(f".{REGISTRY}.{os.getpid()}.tmp")
        with temporary.open("w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False, indent=2)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, self.path)


class _Writing:
    """``with registry._writing() as libraries:`` — lock, read, let the block change the dict, write it back."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def __enter__(self) -> dict[str, Library]:
        self.registry.root.mkdir(parents=True, exist_ok=True)
        self.lock = exclusive_lock(self.registry.root / ".libraries.lock",
                                   RegistryBusy(f"{self.registry.root}: another process is changing the library registry"))
        self.lock.__enter__()
        try:
            self.libraries = dict(self.registry._read())
        except BaseException:
            self.lock.__exit__(None, None, None)
            raise
        return self.libraries

    def __exit__(self, kind, error, traceback) -> None:
        try:
            if kind is None:
                self.registry._write(self.libraries)
        finally:
            self.lock.__exit__(kind, error, traceback)


def _new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _check_url(what: str, value: str) -> None:
    if value and not value.startswith(("http://", "https://")):
        raise InvalidLibrary(f"the {what} {value!r} is not an http(s) URL")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# --- what the store says about libraries ---------------------------------------------------


@dataclass(frozen=True)
class Holdings:
    """A library in the store: its id, URI, name there, and how many lectures and holdings it has."""

    id: str
    uri: str
    name: str | None
    lectures: int
    holdings: int


@dataclass(frozen=True)
class Profile:
    """One library's lectures (newest first), series (largest first) and most-linked books."""

    lectures: Listing
    series: Listing
    books: Listing


def in_store(store: ox.Store, base: str) -> dict[str, Holdings]:
    """The libraries the store describes (``schema:Library`` with a ``dcterms:identifier``), by id."""
    labels = Labels(store, base)
    found = {}
    for row in query(store, "library_list", base):
        library = row["id"].value
        found[library] = Holdings(library, row["library"].value, labels(row["library"]),
                                  int(row["lectures"].value), int(row["holdings"].value))
    return found


def profile(store: ox.Store, base: str, library: str, limit: int = 100, books: int = 12) -> Profile:
    """What a library's page lists; each list knows its total. Raises InvalidLibrary for a bad id."""
    node = ox.NamedNode(Minter(base).library(validate_id(library)))
    labels = Labels(store, base)

    def listing(name: str, most: int, count: str | None = None, date: str | None = None) -> Listing:
        rows = list(query(store, name, base, library=node))
        items = tuple(Entry(row[0].value, labels(row[0]),
                            int(row[count].value) if count and row[count] is not None else None,
                            row[date].value[:10] if date and row[date] is not None else None)
                      for row in rows[:most])
        return Listing(len(rows), items)

    return Profile(lectures=listing("library_lectures", limit, date="date"),
                   series=listing("library_series", limit, count="lectures"),
                   books=listing("library_books", books, count="lectures"))
