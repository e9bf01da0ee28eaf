"""The named queries: every query the server runs is a ``.rq`` file in ``sparql/queries/``.

``load("service_description_counts")`` returns the text of
``sparql/queries/service_description_counts.rq``; values go in with
pyoxigraph's ``substitutions=``, never by editing the text.

``examples(base)`` returns the example queries shown on the query page
(``sparql/queries/examples/*.rq``). They name the project's own terms with
relative IRIs (``PREFIX kg: <vocab/>``) under a ``BASE`` line made from the
served base URI, a validated IRI, so each example runs unchanged anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pyoxigraph as ox


@dataclass(frozen=True)
class Example:
    name: str  # file stem, e.g. "1-lecture-keywords"
    title: str  # "中文 · English"
    comment: str  # the other leading comment lines
    text: str  # the query, with its BASE line


@lru_cache(maxsize=None)
def load(name: str) -> str:
    """The text of ``sparql/queries/{name}.rq``. Raises FileNotFoundError for an unknown name."""
    return resources.files("sparql").joinpath("queries", f"{name}.rq").read_text(encoding="utf-8")


def examples(base: str) -> list[Example]:
    """The example queries, in file-name order, each starting with ``BASE <base>``.

    Raises ValueError when ``base`` is not an IRI.
    """
    line = f"BASE {ox.NamedNode(base)}\n"
    folder = resources.files("sparql").joinpath("queries", "examples")
    found = sorted((entry for entry in folder.iterdir() if entry.name.endswith(".rq")), key=lambda e: e.name)
    return [_example(entry.name[:-3], entry.read_text(encoding="utf-8"), line) for entry in found]


def _example(name: str, text: str, base_line: str) -> Example:
    comments = [line[1:].strip() for line in text.splitlines() if line.startswith("#")]
    title = next((c.split(":", 1)[1].strip() for c in comments if c.lower().startswith("title:")), name)
    comment = " ".join(c for c in comments if not c.lower().startswith("title:"))
    body = "\n".join(line for line in text.splitlines() if not line.lower().startswith("# title:"))
    return Example(name, title, comment, base_line + body.strip() + "\n")
