"""``GET /api/v1/PowerCapital/{CitizenID}`` with the ``Token`` header: a citizen's accounts of both
layouts with their latest six bills; no accounts, bad IDs and bad sessions answered in the
example response's own keys; every lookup audited, never a refused one."""

from __future__ import annotations

import datetime as dt
import logging

import anyio
import httpx
import pytest
from sqlalchemy import select

from saphan.config import Settings
from saphan.core.asgi import Dispatch
from saphan.core.db import Database
from saphan.core.hashing import key_digest
from saphan.core.runtime import Runtime
from saphan.moi import agent_sessions, operator
from saphan.moi.models import AgentSession
from tests.moi.conftest import (
    AGENT,
    CITIZEN,
    STALENESS,
    MakeClient,
    MoiClient,
    add_accounts,
    audit,
    error,
    mea_account,
    pea_account,
    power_capital,
    token_for,
)

PAD = {"kwh": 0, "Amount": 0, "billDate": ""}
#: Eight monthly bills, 2025-01-10 .. 2025-08-10, deliberately loaded out of order.
EIGHT = [(f"2025-{m:02d}-10", 100 * m, f"{400 * m}.50") for m in (3, 1, 8, 2, 7, 4, 6, 5)]


def found(
    citizen: str, customerinfo: list[dict[str, object]], **extra: object
) -> dict[str, object]:
    return {
        **extra,
        "customerinfo": customerinfo,
        "empty": "",
        "error": "",
        "id": citizen,
        "rowCount": str(len(customerinfo) + len(extra.get("CAList", []))),  # type: ignore[arg-type]
        "status": "200",
        "statusDetail": "Success",
    }


def customer(number: str, history: list[dict[str, object]]) -> dict[str, object]:
    return {
        "usageHistory": history,
        "contactNumber": "",
        "country": "",
        "distict": "บางรัก",
        "homeNum1": "",
        "homeNum2": "",
        "homeSub": "",
        "installationNumber": number,
        "name1": "นางสาวทดสอบ",
        "name2": "",
        "name3": "",
        "postalCode": "",
        "province": "กรุงเทพ",
        "provinceCode": "",
        "soi": "",
        "street": "",
        "subDistrict": "",
        "village": "",
    }


@pytest.fixture(params=["quota", "no quota"])
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """Every test with MOI's lookup quota on (the default: the lookup runs in the writer) and
    off (on PostgreSQL the lookup and its audit rows are one statement in the writer's
    pipeline, ``logic.power_capital_in_one``)."""
    if request.param == "quota":
        return settings
    return settings.model_copy(update={"moi_quota_per_minute": 0, "moi_quota_per_day": 0})


@pytest.fixture
async def token(client: httpx.AsyncClient, moi_client: MoiClient) -> str:
    return await token_for(client, moi_client)


# -- answers -----------------------------------------------------------------------------------


async def test_the_latest_six_bills_newest_first(
    client: httpx.AsyncClient, runtime: Runtime, token: str
) -> None:
    add_accounts(runtime, mea_account(CITIZEN, "11112222", EIGHT))
    response = await power_capital(client, CITIZEN, token)
    history = [
        {"kwh": 100 * m, "Amount": float(f"{400 * m}.50"), "billDate": f"2025-{m:02d}-10T00:00:00"}
        for m in (8, 7, 6, 5, 4, 3)
    ]
    assert (response.status_code, response.json()) == (
        200,
        found(CITIZEN, [customer("11112222", history)]),
    )


async def test_fewer_than_six_bills_are_padded_with_zero_rows(
    client: httpx.AsyncClient, runtime: Runtime, token: str
) -> None:
    add_accounts(
        runtime,
        mea_account(CITIZEN, "1", [("2024-12-03", 50, "210.00"), ("2025-01-03", 60, "250.75")]),
        mea_account(CITIZEN, "2", []),
    )
    response = await power_capital(client, CITIZEN, token)
    first = [
        {"kwh": 60, "Amount": 250.75, "billDate": "2025-01-03T00:00:00"},
        {"kwh": 50, "Amount": 210, "billDate": "2024-12-03T00:00:00"},
    ] + [PAD] * 4
    assert response.json() == found(CITIZEN, [customer("1", first), customer("2", [PAD] * 6)])
    assert '"Amount":210,' in response.text  # whole amounts are integers, as in the example


async def test_provincial_accounts_come_under_calist(
    client: httpx.AsyncClient, runtime: Runtime, token: str
) -> None:
    add_accounts(
        runtime,
        mea_account(CITIZEN, "1", []),
        pea_account(CITIZEN, "020000000001", EIGHT[:2]),
    )
    body = (await power_capital(client, CITIZEN, token)).json()
    ca = {
        "BillList": [
            {
                "BillPeriod": d.replace("-", "")[:6],
                "Cost": float(a),
                "DueDate": "",
                "InvoiceNo": f"INV-{d}",
                "Paydate": "",
                "RecordDate": f"{d}T00:00:00",
                "Unit": u,
            }
            for d, u, a in sorted(EIGHT[:2], reverse=True)
        ],
        "CANo": "020000000001",
        "Class": "",
        "CompanyName": "",
        "District": "",
        "HomeNo": "",
        "MeterSize": "",
        "Moo": "",
        "Name": "บริษัท ทดสอบ จำกัด",
        "PEAName": "",
        "PostCode": "",
        "Province": "เชียงใหม่",
        "RegisDate": None,
        "Room": "",
        "Street": "",
        "SubDistrict": "",
        "VillageName": "",
        "floor": "",
    }
    assert body == found(CITIZEN, [customer("1", [PAD] * 6)], CAList=[ca])
    assert body["rowCount"] == "2"


async def test_no_accounts_is_200_with_row_count_zero_and_empty_y(
    client: httpx.AsyncClient, runtime: Runtime, token: str
) -> None:
    add_accounts(runtime, mea_account("9999999999999", "1", []))
    response = await power_capital(client, CITIZEN, token)
    assert (response.status_code, response.json()) == (
        200,
        {
            "customerinfo": [],
            "empty": "Y",
            "error": "",
            "id": CITIZEN,
            "rowCount": "0",
            "status": "200",
            "statusDetail": "Data not found",
        },
    )


# -- audit -------------------------------------------------------------------------------------


async def test_every_lookup_is_audited_with_the_id_hashed(
    client: httpx.AsyncClient, runtime: Runtime, moi_client: MoiClient, token: str
) -> None:
    add_accounts(runtime, mea_account(CITIZEN, "1", []), mea_account(CITIZEN, "2", []))
    await power_capital(client, CITIZEN, token)
    await power_capital(client, "1234567890000", token)
    digest = key_digest(runtime.secret, CITIZEN)
    with runtime.db.read() as session:
        [client_row] = [c.id for c in session.query(operator.Client).all()]
    when = dt.datetime(2025, 11, 20, 3, 30)
    assert audit(runtime) == [
        (client_row, AGENT, digest, "0121", 2, when),
        (client_row, AGENT, key_digest(runtime.secret, "1234567890000"), "0000", 0, when),
    ]


async def test_application_logs_never_carry_the_citizen_id_or_the_token(
    app: Dispatch,
    client: httpx.AsyncClient,
    token: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    await power_capital(client, CITIZEN, token)
    await power_capital(client, "12345", token)
    app.access.flush()  # the access log goes to stderr in batches
    # The application's own loggers (httpx's here is the test's client, not the app).
    records = [r for r in caplog.records if r.name.startswith("saphan")]
    text = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in records)
    text += "\n" + capsys.readouterr().err
    assert "/moi/api/v1/PowerCapital/{CitizenID}" in text  # the access log was captured
    assert CITIZEN not in text
    assert token not in text


# -- refusals: the envelope, and nothing audited -----------------------------------------------


@pytest.mark.parametrize(
    "citizen", ["123", "12345678901234", "123456789012x", "๑๒๓๔๕๖๗๘๙๐๑๒๑", "1234 67890121"]
)
async def test_a_citizen_id_that_is_not_13_digits_is_400(
    client: httpx.AsyncClient, runtime: Runtime, token: str, citizen: str
) -> None:
    response = await power_capital(client, citizen, token)
    assert (response.status_code, response.json()) == (
        400,
        error("INVALID_CITIZEN_ID", 400, "CitizenID must be 13 digits", citizen),
    )
    assert audit(runtime) == []


async def test_the_check_digit_is_checked_only_when_the_setting_is_on(
    client: httpx.AsyncClient, runtime: Runtime, token: str
) -> None:
    failing, valid = "3102400001917", "1234567890121"
    assert (await power_capital(client, failing, token)).status_code == 200
    runtime.settings.moi_citizen_checksum = True
    response = await power_capital(client, failing, token)
    assert (response.status_code, response.json()) == (
        400,
        error("INVALID_CITIZEN_ID", 400, "CitizenID fails the check digit", failing),
    )
    assert (await power_capital(client, valid, token)).status_code == 200
    assert [row[3] for row in audit(runtime)] == ["1917", "0121"]


@pytest.mark.parametrize(
    ("token_value", "expected"),
    [
        (None, error("MISSING_TOKEN", 401, "Missing Token header", CITIZEN)),
        ("", error("MISSING_TOKEN", 401, "Missing Token header", CITIZEN)),
        ("bm90IGEgdG9rZW4=", error("INVALID_TOKEN", 401, "Invalid token", CITIZEN)),
    ],
    ids=["no header", "empty", "unknown"],
)
async def test_no_valid_token_is_401(
    client: httpx.AsyncClient,
    runtime: Runtime,
    token: str,
    token_value: str | None,
    expected: dict[str, str],
) -> None:
    add_accounts(runtime, mea_account(CITIZEN, "1", []))
    response = await power_capital(client, CITIZEN, token_value)
    assert (response.status_code, response.json()) == (401, expected)
    assert audit(runtime) == []


async def test_a_session_lasts_eight_hours(
    client: httpx.AsyncClient, runtime: Runtime, token: str
) -> None:
    clock = runtime.clock
    start = clock.now()
    clock.set(start + dt.timedelta(hours=7, minutes=59, seconds=59))  # type: ignore[attr-defined]
    assert (await power_capital(client, CITIZEN, token)).status_code == 200
    clock.set(start + dt.timedelta(hours=8))  # type: ignore[attr-defined]
    response = await power_capital(client, CITIZEN, token)
    assert (response.status_code, response.json()) == (
        401,
        error("TOKEN_EXPIRED", 401, "Session expired; authenticate again", CITIZEN),
    )
    assert len(audit(runtime)) == 1


async def test_a_session_belongs_to_its_own_client(
    client: httpx.AsyncClient,
    runtime: Runtime,
    moi_client: MoiClient,
    make_client: MakeClient,
    token: str,
) -> None:
    other = make_client("client-b", "secret-b-0123456789", agents=("3333333333333",))
    other_token = await token_for(client, other, "3333333333333")
    assert (await power_capital(client, CITIZEN, other_token)).status_code == 200

    # Revoking client B ends B's sessions and leaves A's alone.
    with runtime.db.write() as session:
        operator.revoke_client(session, other.client_id, runtime.clock.now())
    refused = await power_capital(client, CITIZEN, other_token)
    assert (refused.status_code, refused.json()) == (
        401,
        error("INVALID_TOKEN", 401, "Invalid token", CITIZEN),
    )
    assert (await power_capital(client, CITIZEN, token)).status_code == 200
    # Each lookup is recorded against the client and agent of the session that made it.
    assert [(row[0], row[1]) for row in audit(runtime)] == [(2, "3333333333333"), (1, AGENT)]


async def test_post_on_power_capital_is_405_in_the_envelope(
    client: httpx.AsyncClient, token: str
) -> None:
    response = await client.post(f"/moi/api/v1/PowerCapital/{CITIZEN}", headers={"Token": token})
    assert (response.status_code, response.json()) == (
        405,
        error("METHOD_NOT_ALLOWED", 405, "Method not allowed"),
    )


# -- revocation: at once in this process, within the staleness bound from any other -------------


@pytest.mark.parametrize("revoked", ["session", "client"])
async def test_a_revocation_through_the_operator_api_is_401_at_once(
    client: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    moi_client: MoiClient,
    token: str,
    revoked: str,
) -> None:
    # The session is in the app's memory now: its next lookups are served from there.
    assert (await power_capital(client, CITIZEN, token)).status_code == 200
    if revoked == "session":
        [listed] = (await admin.get("/admin/moi/sessions")).json()["items"]
        ended = await admin.delete(f"/admin/moi/sessions/{listed['id']}")
    else:
        ended = await admin.delete(f"/admin/moi/clients/{moi_client.client_id}")
    assert ended.status_code == 200, ended.text

    refused = await power_capital(client, CITIZEN, token)
    assert (refused.status_code, refused.json()) == (
        401,
        error("INVALID_TOKEN", 401, "Invalid token", CITIZEN),
    )
    assert len(audit(runtime)) == 1


async def test_a_session_revoked_by_another_process_ends_within_the_staleness_bound(
    client: httpx.AsyncClient, settings: Settings, runtime: Runtime, token: str
) -> None:
    assert (await power_capital(client, CITIZEN, token)).status_code == 200
    # Another process: its own engine, so nothing in this one learns of its write.
    other = Database(settings.database_url)
    try:
        with other.write() as session:
            [row] = session.scalars(select(AgentSession))
            agent_sessions.revoke_session(session, row.id, runtime.clock.now())
    finally:
        other.dispose()

    await anyio.sleep(STALENESS)
    refused = await power_capital(client, CITIZEN, token)
    assert (refused.status_code, refused.json()) == (
        401,
        error("INVALID_TOKEN", 401, "Invalid token", CITIZEN),
    )
    assert len(audit(runtime)) == 1
