"""A schemathesis run over the EasySlip OpenAPI (``/easyslip/openapi.json``) against the
in-process app on each database, with the demo data and the demo key: no server errors, every
response in the documented shape and status, every error in EasySlip's envelope.

Built with ``schema.as_strategy()`` inside an ordinary test (see tests/depa/test_schemathesis.py
for why)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from saphan.core.runtime import Runtime
from saphan.easyslip import demo
from tests.schemathesis_checks import call_and_validate

MAX_EXAMPLES = 60
HEADERS = {"Authorization": f"Bearer {demo.DEMO_KEY}"}

#: Every built-in check runs, positive_data_acceptance (ST202) included. A schema-valid request
#: may still be answered 4xx by design: a payload that is no slip or not in the ledger, an
#: unknown account id (404, which the check allows), a spent quota (403); and a 400 only with
#: one of the documented codes for what no document can say of an image or its URL (that the
#: bytes are an image, that the host resolves to an address the guard admits and answers);
#: VALIDATION_ERROR only for what no document can say of a PATCH's account: which extraVerify
#: options its bank offers, the message naming the option and the field
#: (tests/schemathesis_checks.py).
SEMANTIC = re.compile(
    r"^[A-Z]+ (INVALID_IMAGE_FORMAT|INVALID_IMAGE_TYPE|IMAGE_SIZE_TOO_LARGE|IMAGE_URL_UNREACHABLE"
    r"|URL_INVALID_IP_RANGE): "
    r"|^PATCH VALIDATION_ERROR: .* option\b.*\(extraVerify\)$"
)

RUN = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture
def easyslip_schema(app: FastAPI, runtime: Runtime) -> schemathesis.BaseSchema:
    with runtime.db.write() as session:
        demo.seed(session, runtime.secret, runtime.clock.now())
    return schemathesis.openapi.from_asgi("/easyslip/openapi.json", app)


def call(case: schemathesis.Case) -> Any:
    response = call_and_validate(
        case,
        HEADERS,
        SEMANTIC,
        lambda body: f"{case.method} {body['error']['code']}: {body['error']['message']}",
    )
    body = response.json()
    assert "detail" not in body
    assert body["success"] is (response.status_code < 300), (response.status_code, body)
    if not body["success"]:
        assert set(body) == {"success", "error"}
        assert set(body["error"]) == {"code", "message"}
    return body


def test_the_schema_has_every_operation(easyslip_schema: schemathesis.BaseSchema) -> None:
    operations = [result.ok() for result in easyslip_schema.get_all_operations()]
    assert sorted(op.label for op in operations) == [
        "DELETE /v2/bank-accounts/{id}",
        "GET /v2/bank-accounts",
        "GET /v2/banks",
        "GET /v2/health",
        "GET /v2/info",
        "PATCH /v2/bank-accounts/{id}",
        "POST /v2/bank-accounts",
        "POST /v2/verify/bank",
        "POST /v2/verify/truewallet",
    ]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_requests_get_documented_answers(
    easyslip_schema: schemathesis.BaseSchema, mode: GenerationMode
) -> None:
    statuses: set[int] = set()

    @given(case=easyslip_schema.as_strategy(mode))
    @RUN
    def run(case: schemathesis.Case) -> None:
        body = call(case)
        statuses.add(200 if body["success"] else 400)

    run()
    assert 200 in statuses if mode is GenerationMode.POSITIVE else 400 in statuses
