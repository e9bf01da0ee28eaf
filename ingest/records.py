"""The plain records every stage passes on: small, frozen, hashable.

Readers (``ingest.subtitles``, ``ingest.manifest``, ``ingest.holdings``,
``ingest.vocabulary``) produce them; extractors (``ingest.keywords``,
``ingest.knowledge``, ``ingest.matching``) consume them and produce the
derived records at the bottom of this module. ``kg`` turns them into RDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Cue:
    """One subtitle cue: seconds from the start of the lecture, display text.

    ``estimated`` is true when the source had no timing (plain transcripts) and
    the times were spread over the lecture by ``ingest.subtitles``.
    """

    start: float
    end: float
    text: str
    estimated: bool = False


@dataclass(frozen=True)
class Transcript:
    path: Path
    format: str  # "srt" | "vtt" | "txt"
    encoding: str  # codec name as Python spells it, e.g. "utf-8-sig", "gb18030"
    cues: tuple[Cue, ...]
    notes: tuple[str, ...] = ()  # what the reader skipped or assumed, one line each

    @property
    def text(self) -> str:
        return "\n".join(cue.text for cue in self.cues)


@dataclass(frozen=True)
class Lecture:
    """One row of the lecture manifest, validated."""

    id: str
    title: str
    subtitles: Path  # resolved, inside the source folder
    library: str
    speakers: tuple[str, ...] = ()
    series: str | None = None
    date: str | None = None  # ISO 8601 as given (date or date-time)
    duration: float | None = None  # seconds
    video: str | None = None
    description: str | None = None
    language: str = "zh"
    encoding: str | None = None
    source: str = ""  # "lectures.jsonl:3", for messages and provenance


@dataclass(frozen=True)
class Holding:
    """One book record, whatever format it came in."""

    id: str  # stable: 001, else LCCN, else ISBN
    title: str  # display title, vernacular (880) preferred
    format: str  # "marc21" | "unimarc" | "marcxml" | "csv"
    source: str  # "file.mrc#record 12"
    other_titles: tuple[str, ...] = ()  # romanised, parallel, remainder
    creators: tuple[str, ...] = ()
    publisher: str | None = None
    place: str | None = None
    year: str | None = None
    isbns: tuple[str, ...] = ()
    lccn: str | None = None
    subjects: tuple[str, ...] = ()
    clc: tuple[str, ...] = ()  # Chinese Library Classification notations
    lcc: tuple[str, ...] = ()  # Library of Congress classification
    call_number: str | None = None
    language: str | None = None  # ISO 639-2, e.g. "chi"
    series: str | None = None
    library: str = ""  # the library holding it (set by the build; readers leave it empty)


@dataclass(frozen=True)
class Concept:
    """A SKOS concept of a vocabulary that defines knowledge points."""

    iri: str
    scheme: str
    pref_labels: tuple[tuple[str, str], ...]  # (language tag or "", label)
    alt_labels: tuple[tuple[str, str], ...] = ()
    broader: tuple[str, ...] = ()
    notation: str | None = None

    def label(self) -> str:
        """The display label with the project's fallback: zh-Hans, zh, untagged, en, any."""
        for wanted in ("zh-hans", "zh", "", "en"):
            for lang, text in self.pref_labels:
                if lang.lower() == wanted:
                    return text
        return self.pref_labels[0][1] if self.pref_labels else self.iri


# --- derived records ---------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """Where in a lecture something is said (seconds), and in which cue."""

    start: float
    end: float
    cue: int
    estimated: bool = False


@dataclass(frozen=True)
class Keyword:
    label: str  # display form as first said
    key: str  # folded form (simplified, half-width, lower case): the identity
    weight: float  # 0..1, the lecture's best keyword is 1
    count: int
    spans: tuple[Span, ...]
    concept: str | None = None  # IRI when the keyword is also a vocabulary concept


@dataclass(frozen=True)
class KnowledgePoint:
    concept: str  # IRI
    label: str
    scheme: str
    spans: tuple[Span, ...]
    matched: tuple[str, ...] = ()  # the surface forms found in the text


@dataclass(frozen=True)
class HoldingLink:
    holding: str  # Holding.id
    score: float  # 0..1 relative to the lecture's best link
    raw_score: float  # BM25 sum, for provenance
    matched: tuple[str, ...]  # what matched: keyword keys and knowledge-point concept IRIs
    fields: tuple[str, ...] = ()  # which record fields matched: "title", "subject", …
    library: str = ""  # the library holding it (Holding.library)


@dataclass(frozen=True)
class Relation:
    other: tuple[str, str]  # (library, lecture id)
    score: float
    shared: tuple[str, ...]  # labels of the shared concepts, strongest first


@dataclass(frozen=True)
class Analysis:
    """Everything the per-lecture stages found in one lecture."""

    lecture: Lecture
    transcript: Transcript
    keywords: tuple[Keyword, ...] = ()
    knowledge_points: tuple[KnowledgePoint, ...] = ()
    holdings: tuple[HoldingLink, ...] = ()
    related: tuple[Relation, ...] = ()
