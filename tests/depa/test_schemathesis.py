"""A schemathesis run over the depa OpenAPI (``/depa/openapi.json``) against the in-process app on
each database, with the demo data and the demo key: no server errors, every response in the
documented shape and status, every error in depa's envelope.

Built with ``schema.as_strategy()`` inside an ordinary test so that the run uses the per-test
database fixtures (``schemathesis.pytest.from_fixture`` fails under pytest 9 in schemathesis
4.32: ``'Function' object has no attribute '_nodeid'``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from saphan.core.runtime import Runtime
from saphan.depa import demo
from tests.schemathesis_checks import call_and_validate

#: Per generation mode, across the three operations; the whole file stays within seconds.
MAX_EXAMPLES = 100
HEADERS = {"x-api-key": demo.DEMO_KEY}

#: depa answers 400 to schema-valid requests its OpenAPI cannot rule out (spec section 2.4): a
#: voucher code this DP does not hold, a date on which the voucher was not active or that is to
#: come, fromDate after toDate. Every built-in check runs, positive_data_acceptance (ST202)
#: included; an ST202 passes only with one of these messages (tests/schemathesis_checks.py).
SEMANTIC = re.compile(
    r"^(Unknown voucher code |Voucher .* was not activated on |accessDate .* is in the future "
    r"|fromDate must not be after toDate )"
)

RUN = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture
def depa_schema(app: FastAPI, runtime: Runtime) -> schemathesis.BaseSchema:
    """The depa OpenAPI as the app serves it, over the demo data (so the demo key is valid)."""
    with runtime.db.write() as session:
        demo.seed(session, runtime.secret, runtime.clock.now())
    return schemathesis.openapi.from_asgi("/depa/openapi.json", app)


def call(case: schemathesis.Case) -> Any:
    response = call_and_validate(case, HEADERS, SEMANTIC, lambda body: body["errorMessage"])
    body = response.json()
    # depa's envelope on every answer, success exactly when 200, never FastAPI's {"detail"}
    assert "detail" not in body
    assert {"success", "errorMessage", "data"} <= set(body)
    assert body["success"] is (response.status_code == 200), (response.status_code, body)
    return body


def test_the_schema_has_the_three_operations(depa_schema: schemathesis.BaseSchema) -> None:
    operations = [result.ok() for result in depa_schema.get_all_operations()]
    assert sorted(op.label for op in operations) == [
        "POST /api/dp/GetDPVouchers",
        "POST /api/dp/GetVoucherUsage",
        "POST /api/dp/VoucherUsage",
    ]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_requests_get_documented_answers(
    depa_schema: schemathesis.BaseSchema, mode: GenerationMode
) -> None:
    statuses: set[int] = set()

    @given(case=depa_schema.as_strategy(mode))
    @RUN
    def run(case: schemathesis.Case) -> None:
        body = call(case)
        statuses.add(200 if body["success"] else 400)

    run()
    if mode is GenerationMode.NEGATIVE:
        assert statuses == {400}  # never a 2xx for a request that breaks the schema
    else:
        assert 200 in statuses  # the run reached the operations, not only their validation


def test_the_documented_examples_get_documented_answers(
    depa_schema: schemathesis.BaseSchema,
) -> None:
    """The request examples in the OpenAPI (the spec's) are answered 200 over the demo data."""
    operations = [result.ok() for result in depa_schema.get_all_operations()]
    examples = [s for op in operations for s in depa_schema.get_strategies_from_examples(op)]
    assert examples

    @given(case=st.one_of(examples))
    @settings(RUN, max_examples=20)
    def run(case: schemathesis.Case) -> None:
        body = call(case)
        assert body["success"] is True, body

    run()
