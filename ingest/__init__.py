"""Files in, plain records out.

Everything here is pure Python over small frozen dataclasses (``ingest.records``):
no RDF, no HTTP. I/O happens only in the ``read_*`` functions at the edge.
"""
