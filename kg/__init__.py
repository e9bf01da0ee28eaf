"""Records → RDF quads → store: URI minting, mapping to vocabulary terms,
store building and swapping, the related-course graph.

Knows nothing of HTTP. Imports ``ingest`` and ``vocab`` only.
"""

__version__ = "0.1.0"
