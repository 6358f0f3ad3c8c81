"""A schemathesis run over the MOI OpenAPI (``/moi/openapi.json``) against the in-process app on
each database, with the demo data and a demo session: no server errors, every response in the
documented shape and status, every error in MOI's envelope (see tests/depa/test_schemathesis.py
for why it is built with ``as_strategy`` inside an ordinary test)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from saphan.core.runtime import Runtime
from saphan.moi import demo, logic
from saphan.moi.schemas import AuthenticateRequest
from tests.schemathesis_checks import call_and_validate

MAX_EXAMPLES = 100
#: Every built-in check runs, positive_data_acceptance (ST202) included: generated credentials
#: for Authenticate are 401, which the check allows (tests/schemathesis_checks.py).
KEYS = {"customerinfo", "empty", "error", "id", "rowCount", "status", "statusDetail"}

RUN = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture
def moi_schema(app: FastAPI, runtime: Runtime) -> schemathesis.BaseSchema:
    with runtime.db.write() as session:
        demo.seed(session, runtime.secret, runtime.clock.now())
    return schemathesis.openapi.from_asgi("/moi/openapi.json", app)


@pytest.fixture
def token(runtime: Runtime, moi_schema: schemathesis.BaseSchema) -> str:
    """A demo session, opened through the rules the Authenticate route calls."""
    credentials = AuthenticateRequest(ClientID=demo.CLIENT_ID, ClientSecret=demo.CLIENT_SECRET)
    with runtime.db.write() as session:
        return logic.authenticate(
            session, runtime.secret, "1234567890123", credentials, runtime.clock.now()
        )


def call(case: schemathesis.Case, token: str) -> tuple[int, Any]:
    response = call_and_validate(case, {"Token": token})
    body = response.json()
    if body != "Authorized":
        assert "detail" not in body
        assert set(body) >= KEYS, body
        assert body["status"] == str(response.status_code)
        assert (body["error"] == "") is (response.status_code == 200), body
    return response.status_code, body


def test_the_schema_has_the_two_operations(moi_schema: schemathesis.BaseSchema) -> None:
    operations = [result.ok() for result in moi_schema.get_all_operations()]
    assert sorted(op.label for op in operations) == [
        "GET /api/v1/PowerCapital/{CitizenID}",
        "POST /api/v1/Authenticate/{AgentID}",
    ]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_requests_get_documented_answers(
    moi_schema: schemathesis.BaseSchema, token: str, mode: GenerationMode
) -> None:
    statuses: set[int] = set()

    @given(case=moi_schema.as_strategy(mode))
    @RUN
    def run(case: schemathesis.Case) -> None:
        statuses.add(call(case, token)[0])

    run()
    if mode is GenerationMode.NEGATIVE:
        assert 200 not in statuses
    else:
        assert 200 in statuses


def test_the_documented_examples_get_documented_answers(
    moi_schema: schemathesis.BaseSchema, token: str
) -> None:
    operations = [result.ok() for result in moi_schema.get_all_operations()]
    examples = [s for op in operations for s in moi_schema.get_strategies_from_examples(op)]
    assert examples

    @given(case=st.one_of(examples))
    @settings(RUN, max_examples=20)
    def run(case: schemathesis.Case) -> None:
        assert call(case, token)[0] == 200

    run()
