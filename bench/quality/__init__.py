"""Quality you can measure: ``python -m bench.quality`` prints our scores beside baselines.

- ``corpus``: the build's stages 1–7 in process (no store);
- ``baselines``: jieba's extract_tags and textrank, TF-IDF cosine, random, title substrings, label substrings;
- ``metrics``: P/R/F1@k (standard recall hits/|gold|, and the capped R-precision-style Rc/F1c), nDCG@k, precision on judged items;
- ``evaluate``: one measure per output, against the gold files in ``bench/gold/``;
- ``report``: all measures over the corpora, and the table.
"""
