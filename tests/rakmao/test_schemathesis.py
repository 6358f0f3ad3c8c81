"""Schemathesis over both Rakmao OpenAPIs (``/rakmao/openapi.json``, ``/rakmao-po/openapi.json``)
against the in-process app on each database, over the demo data with a demo token: no server
errors, every response in its documented shape and status, every error in Rakmao's envelope
(see tests/depa/test_schemathesis.py for why it is built with ``as_strategy``)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from saphan.core.runtime import Runtime
from saphan.rakmao import demo, keys, tokens
from saphan.rakmao.schemas import Credentials
from tests.schemathesis_checks import call_and_validate

MAX_EXAMPLES = 100
#: Every built-in check runs, positive_data_acceptance (ST202) included. Schema-valid is not
#: always 2xx by design: a generated PoId names no PO (404), an OrgId in a path is another org's
#: (403), a move the status table refuses is 409, all allowed by the check; and what the
#: OpenAPI cannot say is a 400 only with these messages (tests/schemathesis_checks.py): an
#: authen string or refresh token that is no credential (what a credential holds is no schema's),
#: a webhook endpoint whose address the SSRF guard refuses (a loopback or private IPv4 address:
#: a server setting, SAPHAN_WEBHOOK_ALLOW_CIDRS, decides), and a body's Status or PoId that
#: differs from the path's (a rule across the path and the body), a webhook Header the delivery
#: sets itself or given twice in two cases (no JSON Schema keyword compares names without case).
SEMANTIC = re.compile(
    r"^(authenString must be base64 of |refreshToken |Endpoint URL refused: refused: "
    r"|Status -?\d+ in the body differs from -?\d+ in the path$"
    r"|PoId in the body differs from the PoId in the path$"
    r"|Header '[^']*' is (set by the delivery itself|given twice) )"
)

RUN = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture
def seeded(runtime: Runtime) -> None:
    with runtime.db.write() as session:
        demo.seed(session, runtime.clock.now(), generated=20)


def demo_token(runtime: Runtime, username: str, password: str) -> str:
    """A token for a demo account, issued through the rules RequestAPIToken calls."""
    s = runtime.settings
    policy = tokens.TokenPolicy(
        s.rakmao_issuer,
        s.rakmao_access_token_seconds,
        s.rakmao_refresh_token_seconds,
        s.rakmao_login_max_failures,
        s.rakmao_login_window_seconds,
    )
    now = runtime.clock.now()
    credentials = Credentials(UserName=username, Password=password)
    with runtime.db.read() as session:
        check = tokens.login_check(session, runtime.secret, policy, credentials, now)
    with runtime.db.write() as session:
        data = tokens.login_finish(
            session, keys.KeyRing(runtime.secret), policy, check, True, now, 0.0
        )
    assert data is not None
    return str(data["token"])


def call(case: schemathesis.Case, headers: dict[str, str]) -> int:
    response = call_and_validate(case, headers, SEMANTIC, lambda body: body.get("message"))
    body: Any = response.json()
    if case.path == "/.well-known/jwks.json" and response.status_code == 200:
        assert set(body) == {"keys"}
        return 200
    assert "detail" not in body
    assert set(body) == {"status", "message", "data"}, body
    assert body["status"] == response.status_code
    assert (body["message"] == "Success") is (response.status_code == 200), body
    if response.status_code >= 300:
        assert body["data"] is None
    return int(response.status_code)


@pytest.mark.usefixtures("seeded")
def test_the_schemas_have_the_specs_operations(app: FastAPI) -> None:
    auth = schemathesis.openapi.from_asgi("/rakmao/openapi.json", app)
    po = schemathesis.openapi.from_asgi("/rakmao-po/openapi.json", app)
    labels = sorted(r.ok().label for r in auth.get_all_operations()) + sorted(
        r.ok().label for r in po.get_all_operations()
    )
    assert labels == [
        "GET /.well-known/jwks.json",
        "POST /api/v1/Authentication/RenewAPIToken",
        "POST /api/v1/Authentication/RequestAPIToken",
        "DELETE /api/v1/Webhook/{enumValue}",
        "GET /api/v1/Buyer/{OrgId}",
        "GET /api/v1/Buyer/{OrgId}/Document",
        "GET /api/v1/Seller/{TaxId}",
        "GET /api/v1/Seller/{TaxId}/Document",
        "GET /api/v1/Webhook",
        "GET /api/v1/Webhook/{enumValue}",
        "POST /api/v1/Buyer",
        "POST /api/v1/Seller/{PoId}/Reject",
        "POST /api/v1/Seller/{PoId}/RequestCancel",
        "POST /api/v1/Webhook",
        "PUT /api/v1/Buyer/{PoId}",
        "PUT /api/v1/Buyer/{PoId}/Status",
        "PUT /api/v1/Buyer/{PoId}/Status/{Status}",
        "PUT /api/v1/Webhook",
    ]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.usefixtures("seeded")
def test_auth_answers_are_documented(app: FastAPI, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_asgi("/rakmao/openapi.json", app)
    statuses: set[int] = set()

    @given(case=schema.as_strategy(mode))
    @RUN
    def run(case: schemathesis.Case) -> None:
        statuses.add(call(case, {}))

    run()
    assert statuses <= {200, 400, 401, 405, 413, 415, 429}, statuses


@pytest.mark.parametrize("who", ["buyer", "seller"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.usefixtures("seeded")
def test_po_answers_are_documented(
    app: FastAPI, runtime: Runtime, mode: GenerationMode, who: str
) -> None:
    schema = schemathesis.openapi.from_asgi("/rakmao-po/openapi.json", app)
    account = {
        "buyer": (demo.BUYER_USERNAME, demo.BUYER_PASSWORD),
        "seller": (demo.SELLER_USERNAME, demo.SELLER_PASSWORD),
    }[who]
    headers = {"Authorization": "Bearer " + demo_token(runtime, *account)}
    statuses: set[int] = set()

    @given(case=schema.as_strategy(mode))
    @RUN
    def run(case: schemathesis.Case) -> None:
        statuses.add(call(case, headers))

    run()
    assert 500 not in statuses
