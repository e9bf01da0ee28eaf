"""The independent W3C SPARQL 1.1 Protocol / Service Description checker (../shared/tools) against /sparql.

Read-only mode on the demo, and ``--data-preloaded`` on a store holding the
suite's fixture graphs (printed by the checker itself). Both must end with
0 failed.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.conftest import ROOT, _free_port, start_server
from tests.sparql.stores import make_store

TOOLS = ROOT.parent / "shared" / "tools"
CHECKER = TOOLS / "sparql_protocol_tests.py"
SUITE = TOOLS / "w3c-sparql11-tests"
pytestmark = pytest.mark.skipif(not (CHECKER.is_file() and SUITE.is_dir()),
                                reason=f"the independent checker is not at {TOOLS}")


def check(endpoint: str, *options: str) -> tuple[dict[str, int], str]:
    run = subprocess.run([sys.executable, str(CHECKER), "--suite-dir", str(SUITE), "--query-endpoint", endpoint,
                          "--read-only", *options], capture_output=True, text=True, timeout=300)
    last = run.stdout.strip().splitlines()[-1]
    counts = dict((name, int(n)) for n, name in re.findall(r"(\d+) (passed|failed|skipped)", last))
    return counts, run.stdout


def test_read_only_suite_passes(live_server):
    counts, report = check(live_server.url("/sparql"))
    assert counts["failed"] == 0, report
    assert counts["passed"] >= 24, report


@pytest.fixture(scope="module")
def fixture_server(tmp_path_factory):
    """``kg serve`` on a store that holds exactly the suite's fixture graphs."""
    printed = subprocess.run([sys.executable, str(CHECKER), "--suite-dir", str(SUITE), "--print-fixture"],
                             capture_output=True, text=True, check=True).stdout
    store = make_store(tmp_path_factory.mktemp("w3c") / "store", printed)
    server = start_server(store, _free_port(), Path(tmp_path_factory.mktemp("log")) / "serve.log")
    yield server
    server.process.terminate()
    server.process.wait(10)


def test_suite_with_the_fixture_data_preloaded_passes(fixture_server):
    counts, report = check(fixture_server.url("/sparql"), "--data-preloaded")
    assert counts["failed"] == 0, report
    assert counts["passed"] >= 30 and "PASS protocol:query_multiple_dataset" in report, report
