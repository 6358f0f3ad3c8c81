"""MOI fixtures: client systems, agents and accounts, made through the operator rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from click.testing import Result
from typer.testing import CliRunner

from saphan.cli import app as saphan
from saphan.core.runtime import Runtime
from saphan.moi import agent_sessions, importing, lookup_audit, operator
from saphan.moi.admin_schemas import AccountIn, BillIn
from saphan.moi.models import MEA, PEA
from tests.conftest import SECRET

PREFIX = "/moi/api/v1"
AGENT = "1100400012345"
OTHER_AGENT = "1100400099999"
CITIZEN = "1234567890121"
#: How long a write by another process may go unseen here (``core.fresh``: 0.5 s), plus a margin.
STALENESS = 0.6


@dataclass
class MoiClient:
    client_id: str
    client_secret: str

    @property
    def body(self) -> dict[str, str]:
        return {"ClientID": self.client_id, "ClientSecret": self.client_secret}


MakeClient = Callable[..., MoiClient]


Run = Callable[..., Result]


@pytest.fixture
def run(database_url: str) -> Run:
    """``saphan ...`` in-process, against the test's database."""
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        env: dict[str, str | None] = {
            "SAPHAN_DATABASE_URL": database_url,
            "SAPHAN_SECRET_KEY": SECRET,
            "SAPHAN_DEMO": None,
            "SAPHAN_ADMIN_TOKEN": None,
            "COLUMNS": None,
        }
        return runner.invoke(saphan, list(args), env=env)

    return invoke


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
    return result.output


@pytest.fixture
def make_client(runtime: Runtime) -> MakeClient:
    """``make_client("id", "secret", agents=[...])`` or ``any_agent=True``."""

    def make(
        client_id: str = "client-a",
        client_secret: str = "secret-a-0123456789",  # noqa: S107
        *,
        agents: tuple[str, ...] = (AGENT,),
        any_agent: bool = False,
    ) -> MoiClient:
        with runtime.db.write() as session:
            operator.create_client(
                session,
                runtime.secret,
                client_id,
                client_secret,
                runtime.clock.now(),
                agents=agents,
                any_agent=any_agent,
            )
        return MoiClient(client_id, client_secret)

    return make


@pytest.fixture
def moi_client(make_client: MakeClient) -> MoiClient:
    """A client system registered for AGENT only."""
    return make_client()


def mea_account(citizen: str, number: str, bills: list[tuple[str, int, str]]) -> AccountIn:
    return AccountIn(
        citizen_id=citizen,
        layout=MEA,
        account_no=number,
        info={"name1": "นางสาวทดสอบ", "province": "กรุงเทพ", "distict": "บางรัก"},
        bills=[
            BillIn(bill_date=dt.date.fromisoformat(d), units=Decimal(u), amount=Decimal(a))
            for d, u, a in bills
        ],
    )


def pea_account(citizen: str, number: str, bills: list[tuple[str, int, str]]) -> AccountIn:
    return AccountIn(
        citizen_id=citizen,
        layout=PEA,
        account_no=number,
        info={"Name": "บริษัท ทดสอบ จำกัด", "Province": "เชียงใหม่", "RegisDate": None},
        bills=[
            BillIn(
                bill_date=dt.date.fromisoformat(d),
                units=Decimal(u),
                amount=Decimal(a),
                info={"BillPeriod": d[:7].replace("-", ""), "InvoiceNo": f"INV-{d}"},
            )
            for d, u, a in bills
        ],
    )


def add_accounts(runtime: Runtime, *accounts: AccountIn) -> None:
    with runtime.db.write() as session:
        importing.import_accounts(session, accounts, runtime.clock.now())


async def authenticate(
    client: httpx.AsyncClient, who: MoiClient, agent: str = AGENT
) -> httpx.Response:
    return await client.post(f"{PREFIX}/Authenticate/{agent}", json=who.body)


async def token_for(client: httpx.AsyncClient, who: MoiClient, agent: str = AGENT) -> str:
    response = await authenticate(client, who, agent)
    assert response.status_code == 200, response.text
    return response.headers["Token"]


async def power_capital(
    client: httpx.AsyncClient, citizen: str, token: str | None
) -> httpx.Response:
    headers = {"Token": token} if token is not None else {}
    return await client.get(f"{PREFIX}/PowerCapital/{citizen}", headers=headers)


def error(code: str, status: int, message: str, citizen: str = "") -> dict[str, Any]:
    """MOI's error envelope: the example response's top-level keys, no accounts."""
    return {
        "customerinfo": [],
        "empty": "",
        "error": code,
        "id": citizen,
        "rowCount": "0",
        "status": str(status),
        "statusDetail": message,
    }


def sessions(runtime: Runtime) -> list[tuple[int, str]]:
    with runtime.db.read() as session:
        return [(s.client_id, s.agent_id) for s in agent_sessions.sessions(session)]


def audit(runtime: Runtime) -> list[tuple[int, str, str, str, int, dt.datetime]]:
    with runtime.db.read() as session:
        return [
            (a.client_id, a.agent_id, a.citizen_digest, a.citizen_last4, a.rows, a.at)
            for a in lookup_audit.audit_rows(session)
        ]
