"""schemathesis over our OpenAPI description, against a real ``kg serve``: no input makes a server error.

Every operation of ``/openapi.json`` gets ``EXAMPLES`` generated requests
(valid and invalid parameters, odd Unicode, huge numbers…, derandomized so a
failure reproduces); the check is schemathesis' ``not_a_server_error``, and
answers declared as JSON must parse. (``schemathesis.pytest.from_fixture`` does
not run on our pytest, so each operation's strategy is driven by hypothesis here.)
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

EXAMPLES = 25


@pytest.mark.slow
def test_no_generated_request_makes_a_server_error(live_server):
    schema = schemathesis.openapi.from_url(live_server.url("/openapi.json"))
    statuses: dict[str, Counter] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        seen = statuses.setdefault(operation.label, Counter())

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def run(case) -> None:
            response = case.call(base_url=live_server.url(""), timeout=30)
            case.validate_response(response, checks=[not_a_server_error])
            json_declared = any(v.startswith("application/json") for v in response.headers.get("content-type", []))
            if json_declared and case.method.upper() != "HEAD" and response.status_code not in (204, 304):
                response.json()
            seen[response.status_code] += 1

        run()
    total = sum(sum(c.values()) for c in statuses.values())
    print(f"schemathesis: {len(statuses)} operations, {total} generated requests, statuses "
          f"{dict(sum(statuses.values(), Counter()))}")
    assert len(statuses) >= 15 and all(statuses.values())
