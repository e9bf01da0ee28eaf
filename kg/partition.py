"""How the dataset divides into the parts that are dumped and described.

Three kinds of part, each a ``void:Dataset``:

- the **whole** dataset (``{base}dataset``): every quad of the store;
- one part per **named graph** (its IRI is the graph name): ``graph/{library}``,
  ``graph/{library}/derived``, ``graph/vocabularies``, ``graph/meta``
  (and the default graph, if anything was ever put there);
- one part per contributing **library** (``{base}dataset#library-{id}``): its
  ``graph/{library}`` plus ``graph/{library}/derived``.

Each part knows the stem of its dump file names: ``opencourse-kg``,
``graph.nlc.derived``, ``library.nlc``. Library ids never contain ``.``
(``[a-z0-9][a-z0-9_-]*``), so joining graph-name segments with dots cannot
make two graphs share a file name; a graph outside our URI space, or with
other characters in its name, is named by a hash of its IRI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

import pyoxigraph as ox

from kg.uris import Minter, digest

WHOLE = "opencourse-kg"
SHARED_GRAPHS = ("vocabularies", "meta")  # graph/{name} that belong to no library
_PLAIN = re.compile(r"[A-Za-z0-9_-]+")

Graph = ox.NamedNode | ox.DefaultGraph


@dataclass(frozen=True)
class Part:
    """One dumped and described part of the dataset."""

    kind: str  # "whole" | "graph" | "library"
    iri: str  # the void:Dataset IRI
    stem: str  # dump file names are "{stem}.{extension}.gz"
    graphs: tuple[Graph, ...]  # what it holds; () for the whole dataset (= everything)
    library: str | None = None

    @property
    def title(self) -> str:
        if self.kind == "whole":
            return "公开课知识图谱 Open-course knowledge graph"
        if self.kind == "library":
            return f"图书馆 {self.library} 的讲座与派生数据 Lectures and derived links of library {self.library}"
        name = "默认图 default graph" if isinstance(self.graphs[0], ox.DefaultGraph) else self.graphs[0].value
        return f"命名图 Named graph {name}"


def dataset_iri(minter: Minter) -> str:
    """The IRI of the whole dataset (the same ``void:Dataset`` the build's meta graph describes)."""
    return minter.base + "dataset"


def parts(graphs: Iterable[Graph], minter: Minter) -> list[Part]:
    """The whole, then one part per graph (sorted by IRI), then one per library (sorted by id)."""
    ordered = sorted(set(graphs), key=lambda g: (isinstance(g, ox.NamedNode), getattr(g, "value", "")))
    found = [graph_part(g, minter) for g in ordered]
    libraries: dict[str, list[Graph]] = {}
    for graph in ordered:
        library = library_of(graph, minter)
        if library is not None:
            libraries.setdefault(library, []).append(graph)
    whole = Part("whole", dataset_iri(minter), WHOLE, ())
    by_library = [Part("library", f"{dataset_iri(minter)}#library-{lib}", f"library.{lib}", tuple(gs), lib)
                  for lib, gs in sorted(libraries.items())]
    return [whole, *found, *by_library]


def graph_part(graph: Graph, minter: Minter) -> Part:
    """The part holding exactly one graph."""
    if isinstance(graph, ox.DefaultGraph):
        return Part("graph", dataset_iri(minter) + "#default-graph", "default-graph", (graph,))
    return Part("graph", graph.value, _graph_stem(graph.value, minter), (graph,), library_of(graph, minter))


def library_of(graph: Graph, minter: Minter) -> str | None:
    """``nlc`` for ``graph/nlc`` and ``graph/nlc/derived``; None for shared and foreign graphs."""
    if isinstance(graph, ox.DefaultGraph):
        return None
    segments = minter.split(graph.value)
    if not segments or segments[0] != "graph" or len(segments) not in (2, 3):
        return None
    if len(segments) == 3 and segments[2] != "derived":
        return None
    library = segments[1]
    if library in SHARED_GRAPHS and len(segments) == 2:
        return None
    return library if _PLAIN.fullmatch(library) else None


def _graph_stem(iri: str, minter: Minter) -> str:
    segments = minter.split(iri)
    if segments and segments[0] == "graph" and len(segments) > 1 and all(_PLAIN.fullmatch(s) for s in segments):
        return ".".join(segments)
    return f"graph.{digest(iri)}"
