"""The Chinese Thesaurus sample of ``../shared/datasets`` as a SKOS vocabulary, for measuring
knowledge points on real corpora with a vocabulary nobody here wrote.

``chinese_thesaurus_terms.jsonl`` (791 descriptors of the 汉语主题词表, ISTIC; licence unclear,
so it is read from ``../shared`` at run time and the Turtle made from it goes to a scratch
directory, never into the repository) becomes: one ``skos:Concept`` per descriptor and per
term its relations name, ``prefLabel`` the descriptor (and ``@en`` its English label),
``altLabel`` its non-preferred synonyms (UF), ``skos:broader`` from BT and, inverted, from NT,
``skos:related`` from RT, and ``skos:closeMatch`` to the CLC classes it is filed under
(``TP311.561 软件工具`` → ``clc/TP311.561``), as the demo thesaurus links its concepts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

TERMS = Path("chinese_thesaurus_sample") / "chinese_thesaurus_terms.jsonl"
SCHEME = "ct/"


@dataclass
class Descriptor:
    label: str
    english: str = ""
    synonyms: list[str] = field(default_factory=list)
    broader: set[str] = field(default_factory=set)
    related: set[str] = field(default_factory=set)
    classes: list[str] = field(default_factory=list)


def read_terms(datasets: Path) -> dict[str, Descriptor]:
    """Descriptor label → descriptor, with the terms BT/NT/RT name added (label only)."""
    found: dict[str, Descriptor] = {}

    def get(label: str) -> Descriptor:
        return found.setdefault(label, Descriptor(label))

    for line in (datasets / TERMS).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        term = get(row["term"])
        term.english = row.get("english") or ""
        term.synonyms = [s for s in row.get("synonyms_UF", []) if s and s != term.label]
        term.broader.update(row.get("broader_BT", []))
        term.related.update(row.get("related_RT", []))
        term.classes = [c.split()[0] for c in row.get("clc_categories", []) if c.split()]
        for narrower in row.get("narrower_NT", []):
            get(narrower).broader.add(term.label)
        for other in term.broader | term.related:
            get(other)
    return found


def iri(label: str) -> str:
    return SCHEME + quote(label, safe="")


def write_skos(datasets: Path, out: Path) -> Path:
    """Write the sample as Turtle (relative IRIs: the concepts live under the build's base URI)."""
    terms = read_terms(datasets)
    lines = ["@prefix skos: <http://www.w3.org/2004/02/skos/core#> .", "",
             f"<{SCHEME}> a skos:ConceptScheme ; skos:prefLabel \"汉语主题词表（样本）\"@zh .", ""]
    for label, term in sorted(terms.items()):
        facts = ["a skos:Concept", f"skos:inScheme <{SCHEME}>", f"skos:prefLabel {_literal(label, 'zh')}"]
        if term.english:
            facts.append(f"skos:prefLabel {_literal(term.english, 'en')}")
        facts += [f"skos:altLabel {_literal(s, 'zh')}" for s in term.synonyms]
        facts += [f"skos:broader <{iri(b)}>" for b in sorted(term.broader) if b != label]
        facts += [f"skos:related <{iri(r)}>" for r in sorted(term.related) if r != label]
        facts += [f"skos:closeMatch <clc/{quote(c, safe='.')}>" for c in term.classes]
        lines.append(f"<{iri(label)}> " + " ;\n    ".join(facts) + " .")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def _literal(text: str, language: str) -> str:
    return json.dumps(text, ensure_ascii=False) + "@" + language


def neighbours(terms: dict[str, Descriptor]) -> dict[str, set[str]]:
    """Descriptor label → the labels one step away in the thesaurus: itself, its non-preferred
    synonyms (UF), its broader (BT) and its narrower (NT) terms."""
    found: dict[str, set[str]] = {label: {label, *term.synonyms, *term.broader} for label, term in terms.items()}
    for label, term in terms.items():
        for broader in term.broader:
            found.setdefault(broader, {broader}).add(label)
    return found
