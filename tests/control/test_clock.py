"""``/_saphan/clock`` over HTTP: read, set, advance, back to real time, for the whole server; the
services follow it (MOI's 8-hour sessions, Rakmao's token expiry, EasySlip's quota month), and
bad inputs are 422 in the control API's envelope and leave the clock where it was."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from saphan.app import create_app
from saphan.config import Settings
from saphan.core.clock import BANGKOK
from saphan.rakmao.tokens import authen_string
from tests.conftest import NOW, SECRET
from tests.control.conftest import (
    BUYER,
    BUYER_PASSWORD,
    CITIZEN,
    EASYSLIP_KEY,
    MOI_CLIENT,
    MOI_SECRET,
    ORG_ID,
    seeded,
)


async def clock(kit: httpx.AsyncClient) -> dict[str, Any]:
    answer = await kit.get("/_saphan/clock")
    assert answer.status_code == 200
    result: dict[str, Any] = answer.json()
    return result


def at(value: dt.datetime) -> str:
    return value.astimezone(BANGKOK).isoformat()


async def test_read_set_advance_and_back_to_real_time(kit: httpx.AsyncClient) -> None:
    # the suite's app runs on a fixed clock: its "real time" is NOW
    assert await clock(kit) == {"now": at(NOW), "real": at(NOW), "mode": "real"}

    moved = await kit.put("/_saphan/clock", json={"at": "2026-01-01T00:00:00"})  # Bangkok
    new_year = dt.datetime(2026, 1, 1, tzinfo=BANGKOK)
    assert moved.json() == {"now": at(new_year), "real": at(NOW), "mode": "moved"}

    ahead = await kit.post("/_saphan/clock/advance", json={"hours": 8, "minutes": 30})
    later = new_year + dt.timedelta(hours=8, minutes=30)
    assert ahead.json() == {"now": at(later), "real": at(NOW), "mode": "moved"}

    frozen = await kit.put("/_saphan/clock", json={"at": "2026-01-31T23:59:59Z", "frozen": True})
    utc = dt.datetime(2026, 1, 31, 23, 59, 59, tzinfo=dt.UTC)
    assert frozen.json() == {"now": at(utc), "real": at(NOW), "mode": "frozen"}
    ahead = await kit.post("/_saphan/clock/advance", json={"days": 1.5})
    assert (await clock(kit))["now"] == at(utc + dt.timedelta(days=1.5))
    assert ahead.json()["mode"] == "frozen"

    back = await kit.delete("/_saphan/clock")
    assert back.json() == {"now": at(NOW), "real": at(NOW), "mode": "real"}


async def test_on_a_real_clock_a_moved_clock_runs_on(database_url: str) -> None:
    settings = Settings(database_url=database_url, secret_key=SECRET, demo=True)  # type: ignore[arg-type]
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://saphan.test") as kit:
            target = dt.datetime(2030, 6, 1, 12, 0, tzinfo=BANGKOK)
            await kit.put("/_saphan/clock", json={"at": target.isoformat()})
            seen = await clock(kit)
            now = dt.datetime.fromisoformat(seen["now"])
            assert dt.timedelta(0) <= now - target < dt.timedelta(seconds=5)
            real = dt.datetime.fromisoformat((await kit.delete("/_saphan/clock")).json()["now"])
            assert abs(real - dt.datetime.now(BANGKOK)) < dt.timedelta(seconds=5)
    finally:
        app.state.runtime.db.dispose()


async def test_a_reset_puts_the_clock_back_to_real_time(kit: httpx.AsyncClient) -> None:
    await kit.put("/_saphan/clock", json={"at": "2030-01-01T00:00:00+07:00", "frozen": True})
    assert (await kit.post("/_saphan/reset?to=empty")).status_code == 200
    assert (await clock(kit))["mode"] == "real"


async def test_eight_hours_on_a_moi_session_has_expired(kit: httpx.AsyncClient) -> None:
    await seeded(kit)
    login = await kit.post(
        "/moi/api/v1/Authenticate/1234567890123",
        json={"ClientID": MOI_CLIENT, "ClientSecret": MOI_SECRET},
    )
    token = {"Token": login.headers["Token"]}
    lookup = f"/moi/api/v1/PowerCapital/{CITIZEN}"
    assert (await kit.get(lookup, headers=token)).status_code == 200
    await kit.post("/_saphan/clock/advance", json={"hours": 7, "minutes": 59})
    assert (await kit.get(lookup, headers=token)).status_code == 200
    await kit.post("/_saphan/clock/advance", json={"minutes": 1})
    expired = await kit.get(lookup, headers=token)
    assert expired.status_code == 401
    body = expired.json()
    assert (body["error"], body["status"]) == ("TOKEN_EXPIRED", "401")
    # back to real time, the session is alive again: it is the clock that decides
    await kit.delete("/_saphan/clock")
    assert (await kit.get(lookup, headers=token)).status_code == 200


async def test_past_its_expiry_a_rakmao_access_token_is_401(kit: httpx.AsyncClient) -> None:
    await seeded(kit)
    issued = await kit.post(
        "/rakmao/api/v1/Authentication/RequestAPIToken", json=authen_string(BUYER, BUYER_PASSWORD)
    )
    data = issued.json()["data"]
    headers = {"Authorization": data["token"]}
    listing = f"/rakmao-po/api/v1/Buyer/{ORG_ID}?page=1&perpage=10"
    assert (await kit.get(listing, headers=headers)).status_code == 200
    expires = dt.datetime.fromtimestamp(data["expiration"], dt.UTC)
    await kit.put("/_saphan/clock", json={"at": expires.isoformat()})
    refused = await kit.get(listing, headers=headers)
    assert refused.status_code == 401
    assert (refused.json()["status"], refused.json()["data"]) == (401, None)


async def test_in_a_new_month_easyslip_quota_is_renewed(kit: httpx.AsyncClient) -> None:
    made = await seeded(kit)  # quota 1 a month, billing months from the 20th (NOW's day)
    bearer = {"Authorization": f"Bearer {EASYSLIP_KEY}"}
    first, second = (t["payload"] for t in made["easyslip"]["transfers"])

    async def verify(payload: str) -> httpx.Response:
        return await kit.post("/easyslip/v2/verify/bank", json={"payload": payload}, headers=bearer)

    async def used() -> int:
        info = await kit.get("/easyslip/v2/info", headers=bearer)
        return int(info.json()["data"]["application"]["quota"]["used"])

    assert (await verify(first)).status_code == 200
    assert await used() == 1
    exceeded = await verify(second)
    assert (exceeded.status_code, exceeded.json()["error"]["code"]) == (403, "QUOTA_EXCEEDED")

    await kit.put("/_saphan/clock", json={"at": "2025-12-19T23:59:59+07:00"})
    assert await used() == 1  # still November's billing month
    await kit.put("/_saphan/clock", json={"at": "2025-12-20T00:00:00+07:00"})
    assert await used() == 0
    assert (await verify(second)).status_code == 200
    assert await used() == 1


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        ("PUT", "/_saphan/clock", {}, "Field required (at)"),
        ("PUT", "/_saphan/clock", {"at": "soon"}, None),
        (
            "PUT",
            "/_saphan/clock",
            {"at": "1969-12-31T00:00:00Z"},
            "The clock can be put between 1970-01-02 and 2999-12-31 (at)",
        ),
        ("PUT", "/_saphan/clock", {"at": "2026-01-01T00:00:00", "frozen": "yes"}, None),
        ("PUT", "/_saphan/clock", {"at": "2026-01-01T00:00:00", "speed": 2}, None),
        (
            "POST",
            "/_saphan/clock/advance",
            {},
            "Give days, hours, minutes or seconds to advance by, more than 0",
        ),
        (
            "POST",
            "/_saphan/clock/advance",
            {"hours": -1},
            "Input should be greater than or equal to 0 (hours)",
        ),
        ("POST", "/_saphan/clock/advance", {"weeks": 1}, "Extra inputs are not permitted (weeks)"),
        ("POST", "/_saphan/clock/advance", {"days": "many"}, None),
        (
            "POST",
            "/_saphan/clock/advance",
            {"days": 365},
            "The clock can be put between 1970-01-02 and 2999-12-31 (the clock after advancing)",
        ),
    ],
)
async def test_a_bad_clock_request_is_422_and_the_clock_stays(
    kit: httpx.AsyncClient, method: str, path: str, body: dict[str, Any], message: str | None
) -> None:
    await kit.put("/_saphan/clock", json={"at": "2999-06-01T05:06:07+07:00", "frozen": True})
    before = await clock(kit)
    answer = await kit.request(method, path, json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "VALIDATION_ERROR"
    if message is not None:
        assert answer.json()["error"]["message"] == message
    assert await clock(kit) == before
