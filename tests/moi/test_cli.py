"""``saphan moi ...``: what an operator sees at the shell, and that a client the command creates
works against the app (same database, same secret)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from saphan.core.runtime import Runtime
from tests.moi.conftest import (
    AGENT,
    CITIZEN,
    PREFIX,
    MoiClient,
    Run,
    ok,
    power_capital,
    token_for,
)


async def test_a_created_client_authenticates_and_its_lookups_are_listed(
    run: Run, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    out = ok(run("moi", "client", "create", "ministry-app", "--agent", AGENT))
    secret = re.search(r"ClientSecret (\S+)", out)
    assert secret is not None
    assert "ClientID     ministry-app" in out
    who = MoiClient("ministry-app", secret.group(1))
    token = await token_for(client, who)
    assert (await power_capital(client, CITIZEN, token)).status_code == 200

    listed = ok(run("moi", "audit", "--client", "ministry-app", "--date", "2025-11-20"))
    assert "2025-11-20 10:30:00" in listed
    assert "*********0121" in listed
    assert CITIZEN not in listed
    assert AGENT in listed
    assert "*********0121" not in ok(run("moi", "audit", "--date", "2025-11-21"))
    assert "*********0121" not in ok(run("moi", "audit", "--agent", "9999999999999"))


async def test_a_revoked_client_is_refused(run: Run, client: httpx.AsyncClient) -> None:
    out = ok(run("moi", "client", "create", "--any-agent"))
    match = re.search(r"ClientID\s+(\S+)\nClientSecret (\S+)", out)
    assert match is not None
    who = MoiClient(match.group(1), match.group(2))
    assert len(who.client_id) == 15
    ok(run("moi", "client", "revoke", who.client_id))
    response = await client.post(f"{PREFIX}/Authenticate/{AGENT}", json=who.body)
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["client", "create", "x", "--agent", "123"], "AgentID must be 13 digits: 123"),
        (["client", "create", "x"], "Give at least one --agent, or --any-agent"),
        (["client", "revoke", "nobody"], "No client nobody"),
        (["audit", "--date", "20-11-2025"], "--date must be YYYY-MM-DD"),
    ],
)
def test_bad_input_is_refused_with_a_message(run: Run, args: list[str], message: str) -> None:
    result = run("moi", *args)
    assert result.exit_code == 1
    assert message in result.output


def test_a_client_id_is_created_once(run: Run) -> None:
    ok(run("moi", "client", "create", "dup", "--any-agent"))
    result = run("moi", "client", "create", "dup", "--any-agent")
    assert (result.exit_code, "ClientID dup exists already" in result.output) == (1, True)


def _account(name: str, bills: list[dict[str, object]]) -> dict[str, object]:
    return {
        "citizen_id": CITIZEN,
        "layout": "customerinfo",
        "account_no": "55500011",
        "info": {"name1": name, "province": "กรุงเทพ"},
        "bills": bills,
    }


async def test_import_loads_then_upserts_by_account_and_bill_date(
    run: Run, client: httpx.AsyncClient, moi_client: MoiClient, tmp_path: Path
) -> None:
    file = tmp_path / "accounts.json"
    file.write_text(
        json.dumps(
            [
                _account(
                    "นายหนึ่ง",
                    [
                        {"bill_date": "2025-09-03", "units": "120", "amount": "480.50"},
                        {"bill_date": "2025-10-03", "units": "130", "amount": "520.00"},
                    ],
                )
            ]
        )
    )
    assert "1 accounts created, 0 updated, 2 bills loaded" in ok(run("moi", "import", str(file)))
    file.write_text(
        json.dumps(
            [
                _account(
                    "นายหนึ่ง ใหม่",
                    [
                        {"bill_date": "2025-10-03", "units": "131", "amount": "524.00"},
                        {"bill_date": "2025-11-03", "units": "140", "amount": "560.00"},
                    ],
                )
            ]
        )
    )
    assert "0 accounts created, 1 updated, 2 bills loaded" in ok(run("moi", "import", str(file)))
    token = await token_for(client, moi_client)
    [info] = (await power_capital(client, CITIZEN, token)).json()["customerinfo"]
    assert info["name1"] == "นายหนึ่ง ใหม่"
    assert info["usageHistory"][:3] == [
        {"kwh": 140, "Amount": 560, "billDate": "2025-11-03T00:00:00"},
        {"kwh": 131, "Amount": 524, "billDate": "2025-10-03T00:00:00"},
        {"kwh": 120, "Amount": 480.5, "billDate": "2025-09-03T00:00:00"},
    ]


async def test_a_bad_file_loads_nothing(
    run: Run, client: httpx.AsyncClient, moi_client: MoiClient, tmp_path: Path
) -> None:
    good = _account("นายหนึ่ง", [])
    bad = {**_account("นายสอง", []), "account_no": "2", "citizen_id": "12345"}
    file = tmp_path / "accounts.json"
    file.write_text(json.dumps([good, bad]))
    result = run("moi", "import", str(file))
    assert result.exit_code == 1
    assert "[1].citizen_id" in result.output
    assert "nothing loaded" in result.output
    token = await token_for(client, moi_client)
    assert (await power_capital(client, CITIZEN, token)).json()["rowCount"] == "0"
