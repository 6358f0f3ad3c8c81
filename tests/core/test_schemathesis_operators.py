"""A schemathesis run over every operator API's OpenAPI (``/admin/<service>/openapi.json``)
against the in-process app on each database, over every service's demo data, with the operator
token: positive-mode data with every built-in check, positive_data_acceptance (ST202)
included, and every error in the operator envelope (see tests/depa/test_schemathesis.py for
why the run is built with ``as_strategy`` inside an ordinary test). Then the server errors the
run found, each as a regression test."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from saphan.core.runtime import Runtime
from saphan.depa import demo as depa_demo
from saphan.easyslip import demo as easyslip_demo
from saphan.moi import demo as moi_demo
from saphan.rakmao import demo as rakmao_demo
from tests.conftest import ADMIN_TOKEN
from tests.core.test_hostile_input import counts
from tests.schemathesis_checks import call_and_validate

DOCUMENTS = ["moi", "depa", "rakmao", "easyslip", "webhooks"]
HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
#: Per document; the operations of one document share them.
MAX_EXAMPLES = 100

#: Per operator API, what it refuses of schema-valid requests that no document can say, by its
#: own message; an ST202 passes only with one of these (tests/schemathesis_checks.py).
SEMANTIC = {
    # A password that is not the account's (POST /accounts/{username}/authen-string).
    "rakmao": re.compile(r"^That is not the account's password$"),
}
#: A text/csv body (MOI imports, depa vouchers, EasySlip transfers) is one string to OpenAPI:
#: its header's column names and each row's cells are CSV, which no JSON Schema of a string
#: says (the service's docs list the columns). Its rejection passes ST202, whatever it says;
#: every other check still runs on it, and JSON bodies of the same operations have no such entry.
CSV_CONTENT = re.compile(r"")
NOTHING = re.compile(r"(?!)")

RUN = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def seeded(runtime: Runtime) -> Runtime:
    with runtime.db.write() as session:
        now = runtime.clock.now()
        moi_demo.seed(session, runtime.secret, now)
        depa_demo.seed(session, runtime.secret, now)
        easyslip_demo.seed(session, runtime.secret, now)
        rakmao_demo.seed(session, now, generated=0)
    return runtime


def _is_csv(case: schemathesis.Case[Any]) -> bool:
    return (case.media_type or "").startswith("text/csv")


def call(case: schemathesis.Case[Any], document: str) -> Any:
    semantic = CSV_CONTENT if _is_csv(case) else SEMANTIC.get(document, NOTHING)
    response = call_and_validate(case, HEADERS, semantic, lambda body: body["error"]["message"])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}, body  # the operator envelope, never FastAPI's
        assert set(body["error"]) >= {"code", "message"}, body
    return response


@pytest.mark.parametrize("document", DOCUMENTS)
def test_generated_requests_get_documented_answers(
    app: FastAPI, seeded: Runtime, document: str
) -> None:
    schema = schemathesis.openapi.from_asgi(f"/admin/{document}/openapi.json", app)
    statuses: list[int] = []

    @given(case=schema.as_strategy(GenerationMode.POSITIVE))
    @RUN
    def run(case: schemathesis.Case[Any]) -> None:
        statuses.append(call(case, document).status_code)

    run()
    assert any(200 <= status < 300 for status in statuses), statuses  # past the validation
    print(f"/admin/{document}: {len(statuses)} requests")  # shown with pytest -s


# -- what the run found: server errors (500) ---------------------------------------------------

EARLY = "0001-01-01T00:00:00+00:01"
TOO_BIG = 2**63  # past any id column; SQLite cannot even compare it (OverflowError)
TOO_SMALL = -(2**63) - 1  # the same, below


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        ("GET", f"/admin/easyslip/applications/{TOO_BIG}", None, f"No application {TOO_BIG}"),
        ("GET", f"/admin/easyslip/applications/{TOO_BIG}/branches", None, None),
        ("PATCH", f"/admin/easyslip/branches/{TOO_BIG}", {"name": "x"}, f"No branch {TOO_BIG}"),
        ("POST", f"/admin/webhooks/subscriptions/{TOO_BIG}/enable", None, None),
        ("POST", f"/admin/webhooks/subscriptions/{TOO_BIG}/disable", {"reason": "x"}, None),
        ("POST", f"/admin/webhooks/subscriptions/{TOO_BIG}/test", None, None),
        ("GET", f"/admin/easyslip/applications/{TOO_SMALL}", None, f"No application {TOO_SMALL}"),
        ("POST", f"/admin/webhooks/subscriptions/{TOO_SMALL}/enable", None, None),
        ("POST", f"/admin/webhooks/subscriptions/{-(2**31) - 1}/test", None, None),
    ],
)
async def test_an_id_past_the_column_is_not_found(
    admin: httpx.AsyncClient,
    seeded: Runtime,
    method: str,
    path: str,
    body: Any,
    message: str | None,
) -> None:
    before = counts(seeded)
    response = await admin.request(method, path, json=body)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "NOT_FOUND"
    if message is not None:
        assert response.json()["error"]["message"] == message
    assert counts(seeded) == before


@pytest.mark.parametrize(
    ("method", "path", "query", "body"),
    [
        ("GET", "/admin/webhooks/messages", {"subscription": str(2**31)}, None),
        ("POST", "/admin/webhooks/replay-failed", {"subscription": str(2**31)}, None),
        # Below the range too (found by two schemathesis runs: -2^31-1 on PostgreSQL,
        # -2^63-1 on SQLite); an id is at least 1.
        ("GET", "/admin/webhooks/messages", {"subscription": str(-(2**31) - 1)}, None),
        ("GET", "/admin/webhooks/messages", {"subscription": str(-(2**63) - 1)}, None),
        ("GET", "/admin/webhooks/messages", {"subscription": "0"}, None),
        ("POST", "/admin/webhooks/replay-failed", {"subscription": str(-(2**31) - 1)}, None),
        (
            "POST",
            "/admin/easyslip/applications",
            None,
            {"name": "a", "email": "a@b", "credit": 2**31},
        ),
        (
            "POST",
            "/admin/easyslip/applications",
            None,
            {"name": "a", "email": "a@b", "quotaMax": 2**31},
        ),
        # A time an offset takes off the calendar in UTC (OverflowError, a 500).
        (
            "POST",
            "/admin/easyslip/applications",
            None,
            {"name": "a", "email": "a@b", "expiresAt": EARLY},
        ),
    ],
)
async def test_a_number_past_an_integer_column_is_a_422(
    admin: httpx.AsyncClient, seeded: Runtime, method: str, path: str, query: Any, body: Any
) -> None:
    """PostgreSQL's "integer out of range" and an OverflowError were 500s; the documents now
    give the range."""
    before = counts(seeded)
    response = await admin.request(method, path, params=query, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert counts(seeded) == before


@pytest.mark.parametrize("path", ["/admin/depa/dps/1/vouchers", "/admin/easyslip/transfers"])
@pytest.mark.parametrize("csv", ["\r0", "a\rb\n1", "x\n" + "y" * 200_000 + "\n"])
async def test_csv_the_reader_refuses_is_a_400(
    admin: httpx.AsyncClient, seeded: Runtime, path: str, csv: str
) -> None:
    """A bare CR in an unquoted field, or a cell past the csv module's field limit, made it
    raise (500); now a CR ends a line, as in any CSV, and what it cannot read is 4xx."""
    before = counts(seeded)
    response = await admin.post(path, content=csv.encode(), headers={"Content-Type": "text/csv"})
    assert 400 <= response.status_code < 500, response.text
    assert set(response.json()) == {"error"}
    assert counts(seeded) == before


async def test_credit_stays_within_its_column(admin: httpx.AsyncClient, seeded: Runtime) -> None:
    """Adding credit past 2^31-1 was a 500 ("integer out of range" on PostgreSQL, OverflowError
    on SQLite): an amount past it is 422, and a sum past it stops there, as it stops at 0."""
    [app, *_] = (await admin.get("/admin/easyslip/applications")).json()
    path = f"/admin/easyslip/applications/{app['id']}/credit"
    before = counts(seeded)
    refused = await admin.post(path, json={"amount": 10**30})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "VALIDATION_ERROR"
    assert counts(seeded) == before
    for _ in range(2):
        added = await admin.post(path, json={"amount": 2**31 - 1})
        assert added.status_code == 200, added.text
    assert added.json()["credit"] == 2**31 - 1
