from ingest.knowledge import KnowledgeMatcher
from ingest.records import Concept, Cue
from ingest.segmenter import Segmenter

TERM = Concept("http://x/haijin", "http://x/", (("zh-Hans", "海禁"),))
CLASS = Concept("http://x/clc/Q981.5", "http://x/clc", (("zh-Hans", "古人"),), notation="Q981.5")
CLASS_TWICE = Concept("http://x/clc/P194", "http://x/clc", (("zh-Hans", "历法"),), notation="P194")
CUES = (Cue(0, 3, "明代实行海禁。"), Cue(3, 6, "古人编制历法。"), Cue(30, 33, "历法关乎农时。"))


def test_a_vocabulary_term_counts_from_one_mention_a_classification_class_from_two():
    matcher = KnowledgeMatcher([TERM, CLASS, CLASS_TWICE], Segmenter([("海禁", "nz"), ("古人", "nz"), ("历法", "nz")]))
    tokens = [matcher._segmenter.words(cue.text) for cue in CUES]
    found = {p.label: len(p.spans) for p in matcher.match(tokens, CUES)}
    assert found == {"海禁": 1, "历法": 2}
