"""Domain errors raised while reading input files.

The hierarchy::

    InputError                 a file (or one record in it) cannot be used
    ├── EncodingError          bytes that decode in no accepted encoding
    ├── SubtitleError          SRT / WebVTT / transcript structure is broken
    ├── ManifestError          lectures.jsonl / lectures.csv row is invalid
    ├── HoldingsError          a MARC / MARCXML / CSV book record is broken
    └── VocabularyError        a SKOS file cannot be parsed or has no concepts

Every error knows *where* (``path`` plus ``position``: "line 12", "record 3 at
byte 10432", "field 245") and *what is accepted* (``expected``), so the build
can print one clear line and go on with the rest.
"""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """A problem with one input file or one record inside it."""

    kind = "input"

    def __init__(
        self,
        path: Path | str,
        message: str,
        *,
        position: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.message = message
        self.position = position
        self.expected = expected
        super().__init__(self.describe())

    def __reduce__(self):  # picklable across worker processes, keyword arguments included
        return _rebuild, (type(self), self.path, self.message, self.position, self.expected)

    def describe(self) -> str:
        """One line: ``file:position: message (expected: …)``."""
        where = str(self.path) + (f":{self.position}" if self.position else "")
        text = f"{where}: {self.message}"
        return f"{text} (expected: {self.expected})" if self.expected else text


def _rebuild(kind: type, path: Path, message: str, position: str | None, expected: str | None) -> InputError:
    return kind(path, message, position=position, expected=expected)


class EncodingError(InputError):
    kind = "encoding"


class SubtitleError(InputError):
    kind = "subtitle"


class ManifestError(InputError):
    kind = "manifest"


class HoldingsError(InputError):
    kind = "holdings"


class VocabularyError(InputError):
    kind = "vocabulary"
