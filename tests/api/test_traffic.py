"""Rate limiting per client address, and an access log that keeps no full client address."""

from __future__ import annotations

import re

import httpx

from api.traffic import WINDOW, Budgets, anonymised
from tests.api.conftest import _free_port, start_server


def test_budgets_count_per_address_and_reset_with_the_window():
    now = [10 * WINDOW + 1.0]
    budgets = Budgets(limit=3, clock=lambda: now[0])
    assert [budgets.take("a")[0] for _ in range(4)] == [True, True, True, False]
    assert budgets.take("b") == (True, 2, 59)  # another address has its own budget
    allowed, remaining, reset = budgets.take("a")
    assert (allowed, remaining) == (False, 0) and reset == 59
    now[0] += reset  # the next window
    assert budgets.take("a") == (True, 2, 60)


def test_addresses_are_cut_to_their_network():
    assert anonymised("203.0.113.77") == "203.0.113.0/24"
    assert anonymised("2001:db8:1:2:3:4:5:6") == "2001:db8:1::/48"
    assert anonymised("not an address") == "-"


def test_over_the_budget_a_client_gets_429_with_retry_after_and_the_log_keeps_no_address(demo_store, tmp_path):
    log = tmp_path / "serve.log"
    server = start_server(demo_store, _free_port(), log, KG_RATE_LIMIT="5",
                          KG_RATE_LIMIT_EXEMPT="192.0.2.1")  # a documentation address: loopback is counted here
    try:
        answers = [httpx.get(server.url("/api/search"), params={"q": "昆曲"}) for _ in range(6)]
        limited = [a for a in answers if a.status_code == 429]
        assert limited, [a.status_code for a in answers]
        for answer in answers:
            assert answer.headers["ratelimit-limit"] == "5"
            assert 0 <= int(answer.headers["ratelimit-remaining"]) <= 5 and 1 <= int(answer.headers["ratelimit-reset"]) <= 60
        refused = limited[0]
        assert int(refused.headers["retry-after"]) == int(refused.headers["ratelimit-reset"])
        assert refused.json()["error"]["status"] == 429 and "5 requests a minute" in refused.json()["error"]["detail"]
        assert all(a.status_code == 200 for a in answers[:answers.index(refused)])
    finally:
        server.process.terminate()
        server.process.wait(10)
    lines = [line for line in log.read_text().splitlines() if " GET /api/search " in line]
    assert len(lines) == 6 and any(line.split()[-2] == "429" for line in lines)
    assert all("127.0.0.0/24" in line for line in lines)
    text = log.read_text()
    assert not re.search(r"127\.0\.0\.1(?![\d/])(:\d+)? ?-? ?\"?GET", text), "a full client address was logged"
    assert "q=" not in text and "昆曲" not in text and "%E6%98%86" not in text, "a search query was logged"


def test_loopback_is_exempt_by_default(live_server):
    answer = httpx.get(live_server.url("/healthz"))
    assert answer.status_code == 200 and "ratelimit-limit" not in answer.headers
