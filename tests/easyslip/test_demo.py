"""The demo data: DESIGN.md's keys, the small monthly quota, the registered accounts, the
published vectors verifying against the ledger, slips reproducible by make-slip's code."""

from __future__ import annotations

import httpx
import pytest

from saphan.core.runtime import Runtime
from saphan.easyslip import demo, operator
from saphan.easyslip.slips import slip_image
from tests.easyslip.conftest import PREFIX, error
from tests.easyslip.test_miniqr import VECTOR_1, VECTOR_2

HEADERS = {"Authorization": f"Bearer {demo.DEMO_KEY}"}


@pytest.fixture
def seeded(runtime: Runtime) -> Runtime:
    with runtime.db.write() as session:
        assert demo.seed(session, runtime.secret, runtime.clock.now()) is True
    with runtime.db.write() as session:
        assert demo.seed(session, runtime.secret, runtime.clock.now()) is False  # idempotent
    return runtime


async def test_the_demo_keys(client: httpx.AsyncClient, seeded: Runtime) -> None:
    info = (await client.get(f"{PREFIX}/info", headers=HEADERS)).json()["data"]
    assert info["application"]["name"] == demo.APP_NAME
    assert info["application"]["quota"]["max"] == demo.MONTHLY_QUOTA
    assert info["branch"] == {
        "name": "Main Branch",
        "isActive": True,
        "quota": {"used": 0, "totalUsed": 0},
    }
    inactive = {"Authorization": f"Bearer {demo.INACTIVE_KEY}"}
    error(await client.get(f"{PREFIX}/info", headers=inactive), 403, "BRANCH_INACTIVE")
    accounts = (await client.get(f"{PREFIX}/bank-accounts", headers=HEADERS)).json()["data"]
    assert [a["bankCode"] for a in accounts] == ["004", "014", "PROMPTPAY"]


@pytest.mark.parametrize("payload", [VECTOR_1, VECTOR_2])
async def test_the_published_vectors_verify_against_the_demo(
    client: httpx.AsyncClient, seeded: Runtime, payload: str
) -> None:
    response = await client.post(
        f"{PREFIX}/verify/bank",
        json={"payload": payload, "matchAccount": True, "matchAmount": 1000},
        headers=HEADERS,
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["isAmountMatched"] is True
    assert data["matchedAccount"]["bankNumber"] == "1234567890"


def test_the_ledger_is_reproducible(seeded: Runtime) -> None:
    assert demo.ledger() == demo.ledger()
    with seeded.db.read() as session:
        rows = operator.list_transfers(session, limit=1000)
        assert len(rows) == demo.TRANSFERS + len(demo.VECTORS) + 1
        codes = {r.bank_code for r in rows if r.kind == "bank"}
        assert len(codes) > 10
        sample = rows[17]
        assert slip_image(sample) == slip_image(sample)
