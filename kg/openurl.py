"""Links that get a reader to a book: the catalogue (OPAC) and an OpenURL resolver.

- OPAC: a URL pattern with ``{id}`` (the record's id) and/or ``{isbn}``,
  e.g. ``https://opac.example.org/record/{id}``; values are percent-encoded.
- OpenURL 1.0 (Z39.88-2004) in key/encoded-value form for a book, appended to
  the resolver's base URL (a link resolver or a document-delivery service)::

      url_ver=Z39.88-2004&ctx_ver=Z39.88-2004&rft_val_fmt=info:ofi/fmt:kev:mtx:book
      &rft.btitle=…&rft.au=…&rft.isbn=…&rft.pub=…&rft.date=…

  Values are UTF-8, percent-encoded; missing values are left out.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

KEV_BOOK = (("url_ver", "Z39.88-2004"), ("ctx_ver", "Z39.88-2004"), ("rft_val_fmt", "info:ofi/fmt:kev:mtx:book"))


def opac_link(pattern: str, record_id: str, isbn: str | None) -> str | None:
    """The catalogue URL of a record, or None when the pattern needs a value the record lacks."""
    if not pattern or ("{isbn}" in pattern and not isbn):
        return None
    return pattern.replace("{id}", quote(record_id, safe="")).replace("{isbn}", quote(isbn or "", safe=""))


def openurl_link(resolver: str, title: str | None, creators: tuple[str, ...] = (), isbn: str | None = None,
                 publisher: str | None = None, year: str | None = None) -> str | None:
    """An OpenURL 1.0 KEV link for a book, or None without a resolver or a title."""
    if not resolver or not title:
        return None
    pairs = list(KEV_BOOK) + [("rft.btitle", title)]
    pairs += [("rft.au", creator) for creator in creators[:1]]
    pairs += [(key, value) for key, value in (("rft.isbn", isbn), ("rft.pub", publisher), ("rft.date", year)) if value]
    separator = "&" if "?" in resolver else "?"
    return resolver + separator + urlencode(pairs, quote_via=quote, safe=":/")
