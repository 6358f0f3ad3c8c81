"""The spec's two requests (Authenticate, then PowerCapital), sent to the demo data with only the
domain swapped, reproduce the example response; ``status``/``statusDetail`` are ours to word
(the spec shows placeholders: "สถานะการทำงาน", "รายละเอียดการทำงาน")."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from saphan.core.runtime import Runtime
from saphan.moi import demo, logic
from saphan.moi.schemas import POWER_CAPITAL_EXAMPLE

FIXTURES = Path(__file__).parent / "spec_examples"


def example(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def demo_data(runtime: Runtime) -> None:
    with runtime.db.write() as session:
        demo.seed(session, runtime.secret, runtime.clock.now())


@pytest.mark.usefixtures("demo_data")
async def test_the_screenshots_requests_reproduce_the_example_response(
    client: httpx.AsyncClient,
) -> None:
    auth = await client.post(
        "/moi/api/v1/Authenticate/3102400001917",
        content=(FIXTURES / "Authenticate.request.json").read_bytes(),
        headers={"Content-Type": "application/json"},
    )
    assert auth.status_code == 200
    assert auth.json() == example("Authenticate.response.json") == "Authorized"
    token = auth.headers["Token"]
    assert len(base64.b64decode(token, validate=True)) == 32

    response = await client.get("/moi/api/v1/PowerCapital/3102400001917", headers={"Token": token})
    assert response.status_code == 200
    documented = example("PowerCapital.response.json")
    documented.update(status="200", statusDetail="Success")
    assert response.json() == documented
    # The example in the OpenAPI is the same record.
    assert documented == POWER_CAPITAL_EXAMPLE


@pytest.mark.parametrize(
    ("client_id", "client_secret"),
    [
        (demo.CLIENT_ID, demo.CLIENT_SECRET),
        (demo.SCREENSHOT_CLIENT_ID, demo.SCREENSHOT_CLIENT_SECRET),
    ],
)
@pytest.mark.parametrize("agent", ["1234567890123", "0000000000000", "3102400001917"])
@pytest.mark.usefixtures("demo_data")
async def test_both_spellings_of_the_test_key_work_for_any_agent(
    client: httpx.AsyncClient, client_id: str, client_secret: str, agent: str
) -> None:
    response = await client.post(
        f"/moi/api/v1/Authenticate/{agent}",
        json={"ClientID": client_id, "ClientSecret": client_secret},
    )
    assert (response.status_code, response.json()) == (200, "Authorized")
    assert response.headers["Token"]


@pytest.mark.usefixtures("demo_data")
async def test_the_demo_company_has_accounts_in_the_calist_layout(
    client: httpx.AsyncClient,
) -> None:
    auth = await client.post(
        "/moi/api/v1/Authenticate/1234567890123",
        json={"ClientID": demo.CLIENT_ID, "ClientSecret": demo.CLIENT_SECRET},
    )
    response = await client.get(
        f"/moi/api/v1/PowerCapital/{demo.COMPANY_CITIZEN}", headers={"Token": auth.headers["Token"]}
    )
    body = response.json()
    assert (response.status_code, body["rowCount"], body["customerinfo"]) == (200, "2", [])
    assert [ca["CANo"] for ca in body["CAList"]] == ["020012345678", "020012345679"]
    bills = body["CAList"][0]["BillList"]
    assert [b["BillPeriod"] for b in bills] == [
        "202508",
        "202507",
        "202506",
        "202505",
        "202504",
        "202503",
    ]


@pytest.mark.usefixtures("demo_data")
def test_seeding_twice_adds_nothing(runtime: Runtime) -> None:
    with runtime.db.write() as session:
        assert demo.seed(session, runtime.secret, runtime.clock.now()) is False


@pytest.mark.usefixtures("demo_data")
async def test_the_generated_demo_accounts_are_believable(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    accounts = demo.generated_accounts(runtime.clock.now().date())
    assert len(accounts) == demo.GENERATED_HOUSEHOLDS + demo.GENERATED_PROVINCIAL
    assert all(logic.thai_id_checksum_ok(a.citizen_id) for a in accounts)
    assert {a.layout for a in accounts} == {"customerinfo", "CAList"}
    auth = await client.post(
        "/moi/api/v1/Authenticate/1234567890123",
        json={"ClientID": demo.CLIENT_ID, "ClientSecret": demo.CLIENT_SECRET},
    )
    household = accounts[0]
    body = (
        await client.get(
            f"/moi/api/v1/PowerCapital/{household.citizen_id}",
            headers={"Token": auth.headers["Token"]},
        )
    ).json()
    [info] = body["customerinfo"]
    assert info["installationNumber"] == household.account_no
    dates = [h["billDate"] for h in info["usageHistory"] if h["billDate"]]
    assert dates == sorted(dates, reverse=True)
    assert len(dates) == min(6, len(household.bills))
