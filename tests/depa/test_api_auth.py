"""The ``x-api-key`` header (spec 001, section 2.1) in front of all three operations: what a
Digital Provider sees with no key, a wrong key, a revoked key, and a key it holds. A key names
its DP; a bad key is a 401 in depa's envelope whatever the body holds, and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from saphan.core.runtime import Runtime
from saphan.depa import operator
from tests.conftest import LiveServer, start_live_server
from tests.depa.conftest import DP, PREFIX, usage_rows

MISSING = {"success": False, "errorMessage": "Missing x-api-key header", "data": None}
INVALID = {"success": False, "errorMessage": "Invalid API key", "data": None}

USAGE = {
    "isProduction": False,
    "vouchers": [
        {
            "accessDate": "2025-11-16",
            "voucherCode": "DV-A1",
            "appUserId": "user-1",
            "accessCount": 5,
            "accessTime": 180,
            "lat": 0,
            "lon": 0,
        }
    ],
}
#: A valid body for each operation, so that only the key can be wrong.
BODIES: dict[str, Any] = {
    "GetDPVouchers": {"pageNumber": 1, "pageSize": 500},
    "VoucherUsage": USAGE,
    "GetVoucherUsage": {
        "voucherCode": "DV-A1",
        "fromDate": "2025-01-01",
        "toDate": "2025-12-31",
        "isProduction": False,
    },
}
OPERATIONS = list(BODIES)
ROW = {
    "voucherCode": "DV-A1",
    "accessDate": "2025-11-16",
    "appUserId": "user-1",
    "accessCount": 5,
    "accessTime": 180,
    "lat": 0,
    "lon": 0,
    "createdTime": "2025-11-20 10:30:00",
}


async def send(
    client: httpx.AsyncClient, operation: str, headers: dict[str, str], body: Any = None
) -> httpx.Response:
    return await client.post(
        f"{PREFIX}/{operation}",
        json=BODIES[operation] if body is None else body,
        headers=headers,
    )


def key_ids(runtime: Runtime, dp: DP) -> list[int]:
    with runtime.db.read() as session:
        return [k.id for k in operator.list_keys(session, dp.id)]


# -- no key, wrong key -------------------------------------------------------------------------


@pytest.mark.parametrize("operation", OPERATIONS)
async def test_no_key_is_401(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP, operation: str
) -> None:
    response = await send(client, operation, {})

    assert response.status_code == 401
    assert response.json() == MISSING
    assert usage_rows(runtime, dp.id) == []


@pytest.mark.parametrize("value", ["", "   "])
@pytest.mark.parametrize("operation", OPERATIONS)
async def test_an_empty_key_is_a_missing_key(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP, operation: str, value: str
) -> None:
    response = await send(client, operation, {"x-api-key": value})

    assert response.status_code == 401
    assert response.json() == MISSING
    assert usage_rows(runtime, dp.id) == []


@pytest.mark.parametrize(
    "key",
    [
        "3d9a2d47-5b1e-4c2c-9f0a-54f8a1988a17",  # the demo key: not issued here
        "00000000-0000-0000-0000-000000000000",
        "not-a-uuid",
        "Bearer 3d9a2d47-5b1e-4c2c-9f0a-54f8a1988a17",
    ],
)
@pytest.mark.parametrize("operation", OPERATIONS)
async def test_a_wrong_key_is_401(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP, operation: str, key: str
) -> None:
    response = await send(client, operation, {"x-api-key": key})

    assert response.status_code == 401
    assert response.json() == INVALID
    assert usage_rows(runtime, dp.id) == []


async def test_a_key_one_character_off_is_401(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP
) -> None:
    last = dp.key[-1]
    near = dp.key[:-1] + ("0" if last != "0" else "1")

    response = await send(client, "VoucherUsage", {"x-api-key": near})

    assert response.status_code == 401
    assert response.json() == INVALID
    assert usage_rows(runtime, dp.id) == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b'{"isProduction": "no", "vouchers": 5}', "application/json"),
        (b"", "application/json"),
        (b"[]", "application/json"),
        (b"pageNumber=1", "application/x-www-form-urlencoded"),
        (b'{"isProduction": false, "vouchers": [' + b",".join([b"{}"] * 101) + b"]}", None),
    ],
)
@pytest.mark.parametrize(
    ("headers", "expected"),
    [({}, MISSING), ({"x-api-key": "4f8b1c2d-0000-4000-8000-000000000000"}, INVALID)],
)
@pytest.mark.parametrize("operation", OPERATIONS)
async def test_a_bad_key_with_a_bad_body_is_still_401(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    operation: str,
    headers: dict[str, str],
    expected: dict[str, Any],
    body: bytes,
    content_type: str | None,
) -> None:
    sent = {**headers, **({"content-type": content_type} if content_type else {})}

    response = await client.post(f"{PREFIX}/{operation}", content=body, headers=sent)

    assert response.status_code == 401
    assert response.json() == expected
    assert usage_rows(runtime, dp.id) == []


# -- the right key -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["x-api-key", "X-API-KEY", "X-Api-Key", "x-API-key"])
async def test_the_header_name_may_be_in_any_case(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP, name: str
) -> None:
    headers = {name: dp.key}

    vouchers = await send(client, "GetDPVouchers", headers)
    stored = await send(client, "VoucherUsage", headers)
    read = await send(client, "GetVoucherUsage", headers)

    assert vouchers.status_code == 200
    assert [v["voucherCode"] for v in vouchers.json()["data"]] == ["DV-A1", "DV-A2", "DV-A3"]
    assert stored.json() == {
        "success": True,
        "errorMessage": "",
        "data": {"received": 1, "saved": 1},
    }
    assert read.json() == {"success": True, "errorMessage": "", "data": [ROW]}


async def test_the_key_itself_is_a_uuid_in_either_case(client: httpx.AsyncClient, dp: DP) -> None:
    response = await send(client, "GetDPVouchers", {"x-api-key": dp.key.upper()})

    assert response.status_code == 200
    assert response.json()["totalRecords"] == 3


async def test_every_key_of_a_dp_reaches_the_same_data(
    client: httpx.AsyncClient, admin: httpx.AsyncClient, dp: DP
) -> None:
    issued = await admin.post(f"/admin/depa/dps/{dp.id}/keys", json={"label": "second server"})
    assert issued.status_code == 201
    second = {"x-api-key": issued.json()["key"]}

    stored = await send(client, "VoucherUsage", dp.headers)
    read = await send(client, "GetVoucherUsage", second)

    assert stored.status_code == 200
    assert read.json() == {"success": True, "errorMessage": "", "data": [ROW]}


@pytest.fixture
def live(database_url: str) -> Iterator[LiveServer]:
    """``saphan serve`` on this test's database. (conftest's ``live_server`` leaves the
    server's stderr pipe open, which ``filterwarnings = error`` turns into an error.)"""
    server = start_live_server(database_url)
    try:
        yield server
    finally:
        server.stop()
        if server.process.stderr is not None:
            server.process.stderr.close()


@pytest.mark.live
async def test_any_header_case_over_a_real_socket(live: LiveServer, dp: DP) -> None:
    async with httpx.AsyncClient(base_url=f"{live.base_url}/depa") as http:
        upper = await http.post(
            "/api/dp/GetDPVouchers", json=BODIES["GetDPVouchers"], headers={"X-API-KEY": dp.key}
        )
        missing = await http.post("/api/dp/GetDPVouchers", json=BODIES["GetDPVouchers"])

    assert upper.status_code == 200
    assert [v["voucherCode"] for v in upper.json()["data"]] == ["DV-A1", "DV-A2", "DV-A3"]
    assert missing.status_code == 401
    assert missing.json() == MISSING


# -- revoked keys ------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", OPERATIONS)
async def test_a_key_revoked_through_the_operator_api_is_401_at_once(
    client: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    dp: DP,
    other_dp: DP,
    operation: str,
) -> None:
    assert (await send(client, operation, dp.headers)).status_code == 200
    before = usage_rows(runtime, dp.id)
    [key_id] = key_ids(runtime, dp)

    revoked = await admin.delete(f"/admin/depa/keys/{key_id}")
    assert revoked.status_code == 200
    assert revoked.json()["revokedAt"] == "2025-11-20 10:30:00"

    response = await send(client, operation, dp.headers)

    assert response.status_code == 401
    assert response.json() == INVALID
    assert usage_rows(runtime, dp.id) == before
    # Another DP's key is untouched.
    assert (await send(client, "GetDPVouchers", other_dp.headers)).status_code == 200


async def test_revoking_one_key_leaves_the_dps_other_keys_working(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP
) -> None:
    [first] = key_ids(runtime, dp)
    with runtime.db.write() as session:
        spare = operator.issue_key(
            session, runtime.secret, dp.id, runtime.clock.now(), label="spare"
        )
        operator.revoke_key(session, first, runtime.clock.now())

    old = await send(client, "VoucherUsage", dp.headers)
    new = await send(client, "VoucherUsage", {"x-api-key": spare.key})

    assert old.status_code == 401
    assert old.json() == INVALID
    assert new.status_code == 200
    assert [r["accessCount"] for r in usage_rows(runtime, dp.id)] == [5]


async def test_a_revoked_key_with_a_bad_body_is_still_401(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP
) -> None:
    [key_id] = key_ids(runtime, dp)
    with runtime.db.write() as session:
        operator.revoke_key(session, key_id, runtime.clock.now())

    response = await client.post(
        f"{PREFIX}/VoucherUsage",
        content=b'{"isProduction": false, "vouchers": [',
        headers={**dp.headers, "content-type": "application/json"},
    )

    assert response.status_code == 401
    assert response.json() == INVALID
    assert usage_rows(runtime, dp.id) == []
