"""Chinese word segmentation with jieba, one private dictionary per segmenter.

Part-of-speech tags come from jieba's dictionary (and the tags given with user
words), not from ``jieba.posseg``: posseg re-runs an HMM over every sentence and
measured 6.6× slower than ``cut`` on the podcast corpus, while the dictionary
tag is what posseg returns for every in-dictionary word anyway. Words jieba
finds with its HMM (new names, transliterations) get the tag ``"x"`` when they
are not in the dictionary; keyword extraction treats them as noun candidates.

jieba is imported lazily: the server never loads it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import IO, TYPE_CHECKING, Iterable, Sequence

from ingest.errors import InputError

if TYPE_CHECKING:
    import jieba


class Segmenter:
    """Segments folded text; knows each word's part of speech.

    ``user_words`` are (word, tag) pairs added with a high frequency so that
    vocabulary labels and subject headings come out as one token.
    ``lexicons`` are extra jieba dictionaries ("word [freq] [tag]" per line,
    THUOCL's "word<TAB>df" works too).
    """

    USER_FREQUENCY = 200_000

    def __init__(self, user_words: Iterable[tuple[str, str]] = (), lexicons: Sequence[Path] = ()) -> None:
        self._user_words = tuple(user_words)
        self._lexicons = tuple(lexicons)
        self._tokenizer: "jieba.Tokenizer | None" = None
        self._tags: dict[str, str] = {}

    @property
    def tokenizer(self) -> "jieba.Tokenizer":
        """The jieba tokenizer, built on first use (about a second)."""
        if self._tokenizer is None:
            self._tokenizer = self._build()
        return self._tokenizer

    def words(self, text: str) -> list[str]:
        return [w for w in self.tokenizer.cut(text) if w.strip()]

    def tagged(self, text: str) -> list[tuple[str, str]]:
        """Words of ``text`` with their dictionary part-of-speech tag."""
        return [(w, self.tag(w)) for w in self.words(text)]

    def tag(self, word: str) -> str:
        """The dictionary part-of-speech tag of a word; ``"x"`` for words not in the dictionary."""
        if self._tokenizer is None:
            self._tokenizer = self._build()  # the tags are read with the dictionary
        return self._tags.get(word, "x")

    def _build(self) -> "jieba.Tokenizer":
        import jieba

        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        with tokenizer.get_dict_file() as dictionary:
            self._tags = _dictionary_tags(dictionary)
        for path in self._lexicons:
            for word, frequency, tag in _lexicon_entries(path):
                tokenizer.add_word(word, frequency)
                self._tags.setdefault(word, tag)
        for word, tag in self._user_words:
            if len(word) > 1:
                tokenizer.add_word(word, self.USER_FREQUENCY)
                self._tags[word] = tag
        return tokenizer


def _dictionary_tags(lines: IO[bytes]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for line in lines:
        parts = line.decode("utf-8").split()
        if len(parts) >= 3:
            tags[parts[0]] = parts[2]
    return tags


def _lexicon_entries(path: Path) -> Iterable[tuple[str, int, str]]:
    """Read a jieba- or THUOCL-style lexicon. Raises InputError if unreadable."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(path, f"cannot read lexicon: {error}", expected="a UTF-8 file, 'word [frequency] [tag]' per line") from None
    for line in lines:
        parts = line.split()
        if not parts or len(parts[0]) < 2:
            continue
        frequency = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 5
        yield parts[0], max(frequency, 5), parts[2] if len(parts) > 2 else "nz"
