"""What the home page invites readers to explore: series, the most connected concepts, recent lectures.

Three small queries (``sparql/queries/overview_*.rq``), labels by the usual
fallback (``kg.cards.Labels``). Every list says how many there are in all.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from kg.cards import Labels
from kg.resource import query


@dataclass(frozen=True)
class Entry:
    uri: str
    label: str | None
    count: int | None = None  # lectures in a series, lectures a concept is assigned to
    date: str | None = None


@dataclass(frozen=True)
class Listing:
    total: int
    items: tuple[Entry, ...]


@dataclass(frozen=True)
class Overview:
    series: Listing
    connected: Listing
    recent: Listing


def overview(store: ox.Store, base: str, limit: int = 12) -> Overview:
    labels = Labels(store, base)

    def listing(name: str, count: str | None = None, date: str | None = None) -> Listing:
        rows = list(query(store, name, base))
        items = tuple(
            Entry(row[0].value, labels(row[0]),
                  int(row[count].value) if count and row[count] is not None else None,
                  row[date].value[:10] if date and row[date] is not None else None)
            for row in rows[:limit])
        return Listing(len(rows), items)

    return Overview(series=listing("overview_series", count="lectures"),
                    connected=listing("overview_connected", count="lectures"),
                    recent=listing("overview_recent", date="date"))
