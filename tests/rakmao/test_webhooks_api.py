"""``/api/v1/Webhook``: register, list, get, update and de-register, as the spec shows them;
scoped to the token's account; every bad registration a 4xx in the envelope with nothing stored."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from saphan.core.runtime import Runtime
from saphan.core.webhooks.models import Subscription
from saphan.rakmao.models import WebhookRegistration
from tests.rakmao.conftest import PO, Session

HOOK = f"{PO}/Webhook"
#: The spec's Register Webhook example, verbatim.
SPEC_EXAMPLE: dict[str, Any] = {
    "IsLogin": False,
    "Type": 301,
    "Endpoint": "https://sub-domain.domain-name.domain/path-to-example-api/DocumentReady",
    "Header": {"Authorization": "beare **********"},
}


def stored(runtime: Runtime) -> tuple[int, int]:
    """(registrations, subscriptions) in the database."""
    with runtime.db.read() as session:
        return (
            session.scalar(select(func.count()).select_from(WebhookRegistration)) or 0,
            session.scalar(select(func.count()).select_from(Subscription)) or 0,
        )


async def register(client: httpx.AsyncClient, who: Session, **changes: Any) -> httpx.Response:
    return await client.post(HOOK, json={**SPEC_EXAMPLE, **changes}, headers=who.headers)


async def test_register_list_get_as_the_spec_shows(
    client: httpx.AsyncClient, seller: Session
) -> None:
    response = await register(client, seller)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == 200
    assert body["message"] == "Success"
    registration_id = body["data"]
    assert str(uuid.UUID(registration_id)) == registration_id
    assert response.headers["Webhook-Secret"].startswith("whsec_")
    assert response.headers["Cache-Control"] == "no-store"

    expected = {
        "Id": registration_id,
        "IsLogin": False,
        "TypeName": "DocumentReady",
        "Endpoint": SPEC_EXAMPLE["Endpoint"],
        "Header": {"Authorization": "beare **********"},
    }
    listed = await client.get(HOOK, headers=seller.headers)
    assert listed.json() == {"status": 200, "message": "Success", "data": [expected]}
    for enum_value in ("301", "DocumentReady"):
        one = await client.get(f"{HOOK}/{enum_value}", headers=seller.headers)
        assert one.json() == {"status": 200, "message": "Success", "data": expected}


async def test_tolerant_body_and_names_in_any_case(
    client: httpx.AsyncClient, seller: Session, runtime: Runtime
) -> None:
    body = (
        b'{"isLogin": true, "TYPE": "302", "endpoint": "http://hooks.example.com/negate",'
        b' "header": {"X-Key": "k1",},}'
    )
    response = await client.post(
        HOOK, content=body, headers={**seller.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    one = (await client.get(f"{HOOK}/302", headers=seller.headers)).json()["data"]
    assert one["IsLogin"] is True
    assert one["TypeName"] == "BuyerNegate"
    assert one["Header"] == {"X-Key": "k1"}
    assert stored(runtime) == (1, 1)


async def test_types_per_side(
    client: httpx.AsyncClient, seller: Session, buyer: Session, runtime: Runtime
) -> None:
    for who, webhook_type in ((seller, 402), (buyer, 301), (buyer, 302), (buyer, 303)):
        response = await register(client, who, Type=webhook_type)
        assert response.status_code == 403, response.text
        assert response.json()["data"] is None
        assert "accounts" in response.json()["message"]
    assert stored(runtime) == (0, 0)
    for webhook_type in (301, 302, 303):
        assert (await register(client, seller, Type=webhook_type)).status_code == 200
    assert (await register(client, buyer, Type=402)).status_code == 200
    assert stored(runtime) == (4, 4)


async def test_one_registration_per_account_and_type(
    client: httpx.AsyncClient, seller: Session, runtime: Runtime
) -> None:
    first = await register(client, seller)
    again = await register(client, seller, Endpoint="https://elsewhere.example.com/hook")
    assert again.status_code == 409
    assert again.json() == {"status": 409, "message": again.json()["message"], "data": None}
    assert first.json()["data"] in again.json()["message"]
    assert stored(runtime) == (1, 1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"Endpoint": "ftp://files.example.com/hook"}, "http"),
        ({"Endpoint": "http://10.1.2.3/hook"}, "10.1.2.3"),
        ({"Endpoint": "http://169.254.169.254/latest"}, "169.254.169.254"),
        ({"Endpoint": "http://2130706433/hook"}, "2130706433"),
        ({"Endpoint": "https://user:pw@hooks.example.com/"}, "credentials"),
        ({"Endpoint": "not a url"}, "Endpoint"),
        ({"Endpoint": ""}, "Endpoint"),
        ({"Endpoint": None}, "Endpoint"),
        ({"Type": 999}, "Type must be one of 301, 302, 303, 402"),
        ({"Type": "Nope"}, "Type must be one of"),
        ({"Type": True}, "Type must be one of"),
        ({"IsLogin": "perhaps"}, "IsLogin"),
        ({"Header": {"X-Key": 5}}, "Header"),
        ({"Header": ["Authorization", "x"]}, "Header"),
        ({"Header": {"webhook-signature": "forged"}}, "webhook-signature"),
        ({"Header": {"Bad Name": "x"}}, "Header"),
        ({"Header": {"X-Key": "line\r\nbreak"}}, "Header"),
    ],
)
async def test_bad_registrations_are_400_and_store_nothing(
    client: httpx.AsyncClient,
    seller: Session,
    runtime: Runtime,
    changes: dict[str, Any],
    message: str,
) -> None:
    response = await register(client, seller, **changes)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 400
    assert body["data"] is None
    assert message in body["message"], body["message"]
    assert "Webhook-Secret" not in response.headers
    assert stored(runtime) == (0, 0)


@pytest.mark.parametrize("missing", ["Type", "Endpoint", "IsLogin"])
async def test_required_fields(
    client: httpx.AsyncClient, seller: Session, runtime: Runtime, missing: str
) -> None:
    body = {k: v for k, v in SPEC_EXAMPLE.items() if k != missing}
    response = await client.post(HOOK, json=body, headers=seller.headers)
    assert response.status_code == 400
    assert f"Field required ({missing})" in response.json()["message"]
    assert stored(runtime) == (0, 0)


async def test_header_may_be_left_out(client: httpx.AsyncClient, buyer: Session) -> None:
    body = {"Type": 402, "Endpoint": "https://buyer.example.com/hook", "IsLogin": False}
    assert (await client.post(HOOK, json=body, headers=buyer.headers)).status_code == 200
    one = (await client.get(f"{HOOK}/402", headers=buyer.headers)).json()["data"]
    assert one["Header"] == {}
    assert one["TypeName"] == "SellerNegate"


async def test_update(client: httpx.AsyncClient, seller: Session, runtime: Runtime) -> None:
    registration_id = (await register(client, seller)).json()["data"]
    update = {
        "Id": registration_id,
        "IsLogin": True,
        "Type": 301,
        "Endpoint": "https://new.example.com/ready",
        "Header": {"X-Tenant": "t-1"},
    }
    response = await client.put(HOOK, json=update, headers=seller.headers)
    assert response.json() == {"status": 200, "message": "Success", "data": True}
    one = (await client.get(f"{HOOK}/301", headers=seller.headers)).json()["data"]
    assert one == {
        "Id": registration_id,
        "IsLogin": True,
        "TypeName": "DocumentReady",
        "Endpoint": "https://new.example.com/ready",
        "Header": {"X-Tenant": "t-1"},
    }
    assert stored(runtime) == (1, 1)


@pytest.mark.parametrize(
    ("changes", "status", "message"),
    [
        ({"Endpoint": "http://192.168.1.1/x"}, 400, "192.168.1.1"),
        ({"Type": 302}, 400, "differs"),
        ({"Id": "not-a-guid"}, 400, "Id must be a GUID"),
        ({"Id": "588db7e2-ea75-4fbf-98fc-c48419eb9edf"}, 404, "No webhook"),
        ({"Header": {"Content-Type": "text/plain"}}, 400, "Content-Type"),
    ],
)
async def test_bad_updates_change_nothing(
    client: httpx.AsyncClient,
    seller: Session,
    changes: dict[str, Any],
    status: int,
    message: str,
) -> None:
    registration_id = (await register(client, seller)).json()["data"]
    before = (await client.get(HOOK, headers=seller.headers)).json()
    update = {**SPEC_EXAMPLE, "Id": registration_id, **changes}
    response = await client.put(HOOK, json=update, headers=seller.headers)
    assert response.status_code == status, response.text
    assert response.json()["data"] is None
    assert message in response.json()["message"]
    assert (await client.get(HOOK, headers=seller.headers)).json() == before


async def test_deregister(client: httpx.AsyncClient, seller: Session, runtime: Runtime) -> None:
    await register(client, seller)
    response = await client.delete(f"{HOOK}/301", headers=seller.headers)
    assert response.json() == {"status": 200, "message": "Success", "data": True}
    missing = await client.get(f"{HOOK}/301", headers=seller.headers)
    assert missing.status_code == 404
    assert missing.json()["data"] is None
    assert (await client.delete(f"{HOOK}/301", headers=seller.headers)).status_code == 404
    assert stored(runtime) == (0, 1)  # the subscription stays, disabled, with its history
    with runtime.db.read() as session:
        assert session.scalar(select(Subscription.enabled)) is False
    assert (await register(client, seller)).status_code == 200


async def test_another_accounts_registration_is_invisible(
    client: httpx.AsyncClient, seller: Session, other_seller: Session, runtime: Runtime
) -> None:
    registration_id = (await register(client, seller)).json()["data"]
    assert (await client.get(HOOK, headers=other_seller.headers)).json()["data"] == []
    assert (await client.get(f"{HOOK}/301", headers=other_seller.headers)).status_code == 404
    assert (await client.delete(f"{HOOK}/301", headers=other_seller.headers)).status_code == 404
    update = {**SPEC_EXAMPLE, "Id": registration_id, "Endpoint": "https://evil.example.com/"}
    response = await client.put(HOOK, json=update, headers=other_seller.headers)
    assert response.status_code == 404
    one = (await client.get(f"{HOOK}/301", headers=seller.headers)).json()["data"]
    assert one["Endpoint"] == SPEC_EXAMPLE["Endpoint"]
    # the other seller registers its own 301 independently
    assert (await register(client, other_seller)).status_code == 200
    assert stored(runtime) == (2, 2)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", HOOK),
        ("GET", f"{HOOK}/301"),
        ("POST", HOOK),
        ("PUT", HOOK),
        ("DELETE", f"{HOOK}/301"),
    ],
)
async def test_a_token_is_required(
    client: httpx.AsyncClient, runtime: Runtime, method: str, path: str
) -> None:
    body = {**SPEC_EXAMPLE, "Id": str(uuid.uuid4())}
    response = await client.request(method, path, json=body)
    assert response.status_code == 401
    assert response.json()["data"] is None
    assert stored(runtime) == (0, 0)


async def test_bad_enum_value(client: httpx.AsyncClient, seller: Session) -> None:
    for method in ("GET", "DELETE"):
        response = await client.request(method, f"{HOOK}/777", headers=seller.headers)
        assert response.status_code == 400
        assert "enumValue must be one of" in response.json()["message"]
