from pathlib import Path

import pytest

from tests.sparql.stores import TINY, make_store


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory) -> Path:
    """A store directory with six triples in three named graphs (see ``stores.TINY``)."""
    return make_store(tmp_path_factory.mktemp("tiny") / "store", TINY)
