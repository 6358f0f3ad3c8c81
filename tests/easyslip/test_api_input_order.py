"""POST /v2/verify/bank when several things are wrong at once: the one error that answers, in
the order docs/easyslip.md ("Errors on input") gives: the key and the application's state, the
body (its encoding, then every field's type and limits, then exactly one source), then the
source (a URL's protocol, credentials, address, answer; an image's size before its bytes), then
the slip, then the quota. Each answer is the docs' code and message in EasySlip's envelope, and
changes nothing (quota counters and verifications)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from saphan.core.runtime import Runtime
from saphan.easyslip import miniqr, operator
from saphan.easyslip.admin_schemas import ApplicationUpdate
from saphan.easyslip.images import MAX_IMAGE_BYTES
from tests.easyslip.conftest import PREFIX, MakeTenant, Record, Tenant, error, state
from tests.easyslip.slips import image_of

VERIFY = f"{PREFIX}/verify/bank"
NOT_AN_IMAGE = b"%PDF-1.7 not an image"
#: More than 4 MB of bytes that are no image either: the size is told first.
HUGE_GARBAGE = b"%PDF" + b"\0" * MAX_IMAGE_BYTES
UNKNOWN_SLIP = miniqr.bank_payload("014", "NOSUCHREF0001")


@pytest.mark.parametrize(
    ("body", "code", "names"),
    [
        # every field's limits before "exactly one source"
        ({"payload": "A" * 129, "url": "https://example.com/a.png"}, "VALIDATION_ERROR", "payload"),
        ({"payload": "A", "base64": "AAAA", "remark": ""}, "VALIDATION_ERROR", "remark"),
        ({"remark": "r" * 256}, "VALIDATION_ERROR", "remark"),
        # a field's limits before what the source holds
        ({"url": "ftp://example.com/" + "a" * 250}, "VALIDATION_ERROR", "url"),
        ({"url": "ftp://10.0.0.1/a.png", "matchAmount": -1}, "VALIDATION_ERROR", "matchAmount"),
        # a URL: protocol, then credentials, then the address
        ({"url": "ftp://10.0.0.1/a.png"}, "URL_PROTOCOL_NOT_ALLOWED", ""),
        ({"url": "file:///etc/passwd"}, "URL_PROTOCOL_NOT_ALLOWED", ""),
        ({"url": "http://user:pw@10.0.0.1/a.png"}, "VALIDATION_ERROR", "credentials"),
        ({"url": "http://10.0.0.1/a.png"}, "URL_INVALID_IP_RANGE", ""),
        # base64: its size before what it holds
        ({"base64": "data:text/plain;base64," + "A" * 6_000_000}, "IMAGE_SIZE_TOO_LARGE", ""),
        ({"base64": "!" * 6_000_000}, "IMAGE_SIZE_TOO_LARGE", ""),
        ({"base64": base64.b64encode(HUGE_GARBAGE).decode()}, "IMAGE_SIZE_TOO_LARGE", ""),
        ({"base64": base64.b64encode(NOT_AN_IMAGE).decode()}, "INVALID_IMAGE_FORMAT", ""),
        ({"base64": "data:application/pdf;base64,JVBERi0="}, "INVALID_IMAGE_FORMAT", ""),
        # a payload: the slip's QR before the ledger and the quota
        ({"payload": "not a slip"}, "SLIP_NOT_FOUND", ""),
        ({"payload": UNKNOWN_SLIP}, "SLIP_NOT_FOUND", ""),
    ],
)
async def test_json_bodies(
    client: httpx.AsyncClient,
    runtime: Runtime,
    make_tenant: MakeTenant,
    body: dict[str, Any],
    code: str,
    names: str,
) -> None:
    """With the month's quota already spent (quota 0): every one of these is refused for its
    input, never QUOTA_EXCEEDED."""
    spent = make_tenant(quota=0)
    before = state(runtime)
    response = await client.post(VERIFY, json=body, headers=spent.headers)
    status = 404 if code == "SLIP_NOT_FOUND" else 400
    assert names in error(response, status, code)
    assert state(runtime) == before


@pytest.mark.parametrize(
    ("data", "fields", "code", "names"),
    [
        (HUGE_GARBAGE, {"matchAccount": "perhaps"}, "VALIDATION_ERROR", "matchAccount"),
        (HUGE_GARBAGE, {"payload": UNKNOWN_SLIP}, "VALIDATION_ERROR", "exactly one"),
        (HUGE_GARBAGE, {}, "IMAGE_SIZE_TOO_LARGE", ""),
        (NOT_AN_IMAGE, {"checkDuplicate": "true"}, "INVALID_IMAGE_FORMAT", ""),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 50, {}, "INVALID_IMAGE_FORMAT", ""),
    ],
)
async def test_multipart_images(
    client: httpx.AsyncClient,
    runtime: Runtime,
    make_tenant: MakeTenant,
    data: bytes,
    fields: dict[str, str],
    code: str,
    names: str,
) -> None:
    spent = make_tenant(quota=0)
    before = state(runtime)
    response = await client.post(
        VERIFY, files={"image": ("slip.png", data, "image/png")}, data=fields, headers=spent.headers
    )
    assert names in error(response, 400, code)
    assert state(runtime) == before


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"status": "deleted"}, "SERVICE_DELETED"),
        ({"status": "banned"}, "SERVICE_BANNED"),
        ({"allowedIps": "203.0.113.0/24"}, "IP_NOT_ALLOWED"),
    ],
)
async def test_the_caller_before_the_body(
    client: httpx.AsyncClient,
    runtime: Runtime,
    make_tenant: MakeTenant,
    changes: dict[str, str],
    code: str,
) -> None:
    """A missing or unknown key, then the application's state, answer before any body
    problem."""
    who = make_tenant()
    with runtime.db.write() as session:
        operator.update_application(session, who.app_id, ApplicationUpdate(**changes))
    before = state(runtime)
    bad = {"payload": "A" * 500, "url": "ftp://x"}
    error(await client.post(VERIFY, json=bad), 401, "MISSING_API_KEY")
    other = {"Authorization": "Bearer 00000000-0000-4000-8000-000000000000"}
    error(await client.post(VERIFY, json=bad, headers=other), 401, "INVALID_API_KEY")
    error(await client.post(VERIFY, json=bad, headers=who.headers), 403, code)
    assert state(runtime) == before


async def test_a_known_slip_with_the_quota_spent(
    client: httpx.AsyncClient, runtime: Runtime, make_tenant: MakeTenant, record: Record
) -> None:
    """Only a slip that is read and found, and is no duplicate, meets the quota."""
    spent: Tenant = make_tenant(quota=0)
    slip = record()
    before = state(runtime)
    image = image_of(runtime, slip)
    for response in (
        await client.post(VERIFY, json={"payload": slip.payload}, headers=spent.headers),
        await client.post(
            VERIFY, files={"image": ("s.png", image, "image/png")}, headers=spent.headers
        ),
    ):
        error(response, 403, "QUOTA_EXCEEDED")
    assert state(runtime) == before
