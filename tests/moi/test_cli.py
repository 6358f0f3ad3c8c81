"""``saphan moi ...``: what an operator sees at the shell, and that a client the command creates
works against the app (same database, same secret)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import anyio
import httpx
import pytest
from sqlalchemy import select

from saphan.core.clock import BANGKOK, FixedClock
from saphan.core.runtime import Runtime
from saphan.moi.models import AgentSession
from tests.moi.conftest import (
    AGENT,
    CITIZEN,
    OTHER_AGENT,
    PREFIX,
    STALENESS,
    MoiClient,
    Run,
    authenticate,
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
    assert "1 account created, 0 updated, 2 bills loaded" in ok(run("moi", "import", str(file)))
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


# -- client systems, agents and sessions -----------------------------------------------------------


def _created(out: str) -> MoiClient:
    match = re.search(r"ClientID\s+(\S+)\nClientSecret (\S+)", out)
    assert match is not None, out
    return MoiClient(match.group(1), match.group(2))


@pytest.fixture
def real_time(clock: FixedClock) -> None:
    """The commands run on the real clock: sessions the app opens must be open by it too."""
    clock.set(dt.datetime.now(BANGKOK))


async def test_list_update_and_rotate_a_client_secret(
    run: Run, client: httpx.AsyncClient, real_time: None
) -> None:
    first = _created(ok(run("moi", "client", "create", "ministry-app", "--agent", AGENT)))
    ok(run("moi", "client", "create", "open-app", "--any-agent", "--name", "ระบบเปิด"))
    old_token = await token_for(client, first)

    listed = ok(run("moi", "client", "list"))
    lines = {line.split()[1]: line for line in listed.splitlines() if "-app" in line}
    assert AGENT in lines["ministry-app"]
    assert "│ 1 " in lines["ministry-app"]
    assert "any" in lines["open-app"]
    assert "ระบบเปิด" in lines["open-app"]
    assert first.client_secret not in listed

    rotated = _created(ok(run("moi", "client", "rotate-secret", "ministry-app")))
    assert rotated.client_id == "ministry-app"
    assert re.fullmatch(r"[A-Za-z0-9]{32}", rotated.client_secret)
    assert rotated.client_secret != first.client_secret
    refused = await authenticate(client, first)
    assert (refused.status_code, refused.json()["error"]) == (401, "INVALID_CLIENT")
    ended = await power_capital(client, CITIZEN, old_token)
    assert (ended.status_code, ended.json()["error"]) == (401, "INVALID_TOKEN")
    assert (
        await power_capital(client, CITIZEN, await token_for(client, rotated))
    ).status_code == 200

    assert (await authenticate(client, rotated, OTHER_AGENT)).status_code == 401
    ok(run("moi", "client", "update", "ministry-app", "--any-agent", "--name", "ใหม่"))
    other_token = await token_for(client, rotated, OTHER_AGENT)
    assert "ใหม่" in ok(run("moi", "client", "list"))
    ok(run("moi", "client", "update", "ministry-app", "--listed-agents"))
    ended = await power_capital(client, CITIZEN, other_token)
    assert (ended.status_code, ended.json()["error"]) == (401, "INVALID_TOKEN")
    assert (await authenticate(client, rotated, OTHER_AGENT)).status_code == 401


async def test_allow_and_disallow_an_agent(
    run: Run, client: httpx.AsyncClient, real_time: None
) -> None:
    who = _created(ok(run("moi", "client", "create", "ministry-app", "--agent", AGENT)))
    assert (await authenticate(client, who, OTHER_AGENT)).status_code == 401

    assert f"{OTHER_AGENT} may use ministry-app" in ok(
        run("moi", "agent", "allow", "ministry-app", OTHER_AGENT)
    )
    token = await token_for(client, who, OTHER_AGENT)
    kept = await token_for(client, who, AGENT)
    assert (await power_capital(client, CITIZEN, token)).status_code == 200

    ok(run("moi", "agent", "disallow", "ministry-app", OTHER_AGENT))
    refused = await authenticate(client, who, OTHER_AGENT)
    assert (refused.status_code, refused.json()["error"]) == (401, "AGENT_NOT_ALLOWED")
    # The command is another process: the app sees its session revocation within the bound.
    await anyio.sleep(STALENESS)
    ended = await power_capital(client, CITIZEN, token)
    assert (ended.status_code, ended.json()["error"]) == (401, "INVALID_TOKEN")
    assert (await power_capital(client, CITIZEN, kept)).status_code == 200


async def test_list_and_revoke_sessions(
    run: Run, client: httpx.AsyncClient, runtime: Runtime, real_time: None
) -> None:
    one = _created(
        ok(run("moi", "client", "create", "one", "--agent", AGENT, "--agent", OTHER_AGENT))
    )
    two = _created(ok(run("moi", "client", "create", "two", "--any-agent")))
    tokens = [
        await token_for(client, one, AGENT),
        await token_for(client, one, OTHER_AGENT),
        await token_for(client, two, AGENT),
        await token_for(client, two, OTHER_AGENT),
    ]
    with runtime.db.read() as session:
        ids = list(session.scalars(select(AgentSession.id).order_by(AgentSession.id)))

    def states(*args: str) -> list[tuple[str, str, str, str]]:
        out = ok(run("moi", "sessions", "list", *args))
        for token in tokens:
            assert token not in out
        rows = [line.split("│")[1:-1] for line in out.splitlines() if line.startswith("│")]
        return [(r[0].strip(), r[1].strip(), r[2].strip(), r[6].strip()) for r in rows]

    assert states() == [
        (str(ids[0]), "one", AGENT, "active"),
        (str(ids[1]), "one", OTHER_AGENT, "active"),
        (str(ids[2]), "two", AGENT, "active"),
        (str(ids[3]), "two", OTHER_AGENT, "active"),
    ]
    assert "4 sessions" in ok(run("moi", "sessions", "list"))

    assert "revoked" in ok(run("moi", "sessions", "revoke", str(ids[0])))
    assert "1 open session ended" in ok(
        run("moi", "sessions", "revoke", "--agent", OTHER_AGENT, "--client", "two")
    )
    assert states("--status", "revoked") == [
        (str(ids[0]), "one", AGENT, "revoked"),
        (str(ids[3]), "two", OTHER_AGENT, "revoked"),
    ]
    assert "1 open session ended" in ok(run("moi", "sessions", "revoke", "--agent", AGENT))
    assert "1 open session ended" in ok(run("moi", "sessions", "revoke", "--client", "one"))
    assert states("--status", "active") == []
    assert [s[1:3] for s in states("--client", "one", "--agent", AGENT)] == [("one", AGENT)]
    for token in tokens:
        ended = await power_capital(client, CITIZEN, token)
        assert (ended.status_code, ended.json()["error"]) == (401, "INVALID_TOKEN")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["client", "create", "a/b", "--any-agent"], "ClientID must be 1 to 100 letters, digits"),
        (["client", "rotate-secret", "nobody"], "No client nobody"),
        (["client", "update", "nobody", "--any-agent"], "No client nobody"),
        (["agent", "allow", "ministry-app", "123"], "AgentID must be 13 digits: 123"),
        (["agent", "allow", "nobody", AGENT], "No client nobody"),
        (["agent", "disallow", "ministry-app", "123"], "AgentID must be 13 digits: 123"),
        (
            ["agent", "disallow", "ministry-app", OTHER_AGENT],
            f"AgentID {OTHER_AGENT} is not allowed for client ministry-app",
        ),
        (["sessions", "list", "--status", "gone"], "--status must be active, expired or revoked"),
        (["sessions", "revoke"], "Give a session id, --client or --agent"),
        (["sessions", "revoke", "1", "--client", "x"], "Give a session id, or --client/--agent"),
        (["sessions", "revoke", "4242"], "No session 4242"),
        (["sessions", "revoke", "--agent", "123"], "AgentID must be 13 digits: 123"),
        (["sessions", "revoke", "--client", "nobody"], "No client nobody"),
    ],
)
async def test_bad_client_agent_and_session_commands_change_nothing(
    run: Run, client: httpx.AsyncClient, real_time: None, args: list[str], message: str
) -> None:
    who = _created(ok(run("moi", "client", "create", "ministry-app", "--agent", AGENT)))
    token = await token_for(client, who)
    before = ok(run("moi", "client", "list"))

    result = run("moi", *args)

    assert result.exit_code == 1, result.output
    assert message in result.output
    assert ok(run("moi", "client", "list")) == before
    assert (await power_capital(client, CITIZEN, token)).status_code == 200
    assert (await authenticate(client, who, OTHER_AGENT)).status_code == 401
