"""Each of the four webhook types, end to end against a real receiver on 127.0.0.1: the PO change
over HTTP, a worker delivering, the receiver verifying the Standard Webhooks signature with the
secret from ``Webhook-Secret``; payloads exactly the spec's Webhook Schema fields; registered
headers sent; ``IsLogin`` JWTs verifiable against the JWKS with ``aud`` = the endpoint."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import jwt
import pytest
from standardwebhooks import Webhook

from saphan.core.clock import BANGKOK, FixedClock
from saphan.core.runtime import Runtime
from saphan.core.webhooks.worker import Worker
from saphan.rakmao import webhook_login
from tests.core.webhooks.receiver import Received, Receiver
from tests.rakmao.conftest import PO, SELLER_TAX, Session, create_po

HOOK = f"{PO}/Webhook"
#: The spec's Webhook Schema tables: (required fields, optional fields) per type.
SCHEMA: dict[str, tuple[set[str], set[str]]] = {
    "DocumentReady": (
        {
            "PoId", "PoCode", "RfqId", "QuotationId", "DocumentFileUrl", "ContactName",
            "ContactPhone", "PoCreateType", "ProjectName", "GrandTotal", "BuyerOrgRefId",
        },
        {"Province", "VendorId"},
    ),
    "BuyerNegate": (
        {"PoId", "RfqId", "QuotationId", "Status", "ActionByType"},
        {"CancelReason", "CancelNote"},
    ),
    "CancelAccept": ({"PoId", "RfqId", "QuotationId"}, set()),
    "SellerNegate": (
        {"PoId", "RfqId", "QuotationId", "Status"},
        {"CancelReason", "CancelNote"},
    ),
}  # fmt: skip
WHO = {"CreateByUserId": "104", "CreateByUserName": "Test man"}


@pytest.fixture
def clock() -> FixedClock:
    """Real time: receivers check the signature's timestamp against their own clock."""
    return FixedClock(dt.datetime.now(BANGKOK).replace(microsecond=0))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def worker(runtime: Runtime) -> AsyncIterator[Worker]:
    delivering = Worker(runtime, worker_id="rakmao-test-worker")
    yield delivering
    await delivering.aclose()


async def register(
    client: httpx.AsyncClient,
    who: Session,
    webhook_type: int,
    url: str,
    *,
    is_login: bool = False,
    header: dict[str, str] | None = None,
) -> str:
    """Register; the signing secret."""
    body = {"Type": webhook_type, "Endpoint": url, "IsLogin": is_login, "Header": header or {}}
    response = await client.post(HOOK, json=body, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.headers["Webhook-Secret"]


async def status(
    client: httpx.AsyncClient, who: Session, po_id: str, to: int, **extra: Any
) -> None:
    response = await client.put(
        f"{PO}/Buyer/{po_id}/Status/{to}", json={**WHO, **extra}, headers=who.headers
    )
    assert response.status_code == 200, response.text


async def seller_does(client: httpx.AsyncClient, who: Session, po_id: str, action: str) -> None:
    body = {**WHO, "SellerTaxId": SELLER_TAX, "Reason": "ราคาผิด", "Note": "โปรดแก้"}
    response = await client.post(f"{PO}/Seller/{po_id}/{action}", json=body, headers=who.headers)
    assert response.status_code == 200, response.text


async def deliver(worker: Worker, receiver: Receiver, count: int) -> None:
    for _ in range(50):
        await worker.run_once()
        if len(receiver.received) >= count:
            return
    raise AssertionError(f"{len(receiver.received)} of {count} deliveries arrived")


def verified(received: Received, secret: str, event: str) -> dict[str, Any]:
    """The payload after verifying the signature; its fields are exactly the spec table's."""
    payload: dict[str, Any] = Webhook(secret).verify(received.body, received.headers)
    required, optional = SCHEMA[event]
    assert required <= set(payload) <= required | optional, sorted(payload)
    assert payload == json.loads(received.body)
    return payload


async def login_claims(client: httpx.AsyncClient, received: Received, url: str) -> dict[str, Any]:
    """The IsLogin JWT's claims, verified with the published keys and ``aud`` = ``url``."""
    scheme, token = received.headers["authorization"].split(" ", 1)
    assert scheme == "Bearer"
    jwks = jwt.PyJWKSet.from_dict((await client.get("/rakmao/.well-known/jwks.json")).json())
    key = jwks[jwt.get_unverified_header(token)["kid"]]
    claims: dict[str, Any] = jwt.decode(
        token, key.key, algorithms=["EdDSA"], audience=url, issuer="saphan-rakmao"
    )
    assert claims["exp"] - claims["iat"] == 300
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(token, key.key, algorithms=["EdDSA"], audience="https://elsewhere.example/")
    return claims


async def test_every_type_is_delivered_signed_with_the_spec_fields(
    client: httpx.AsyncClient,
    buyer: Session,
    seller: Session,
    receiver: Receiver,
    worker: Worker,
) -> None:
    ready_url, negate_url = receiver.url("ready"), receiver.url("buyer-negate")
    accept_url, seller_url = receiver.url("cancel-accept"), receiver.url("seller-negate")
    secrets = {
        "ready": await register(client, seller, 301, ready_url, is_login=True),
        "buyer-negate": await register(
            client, seller, 302, negate_url, header={"Authorization": "beare **********"}
        ),
        "cancel-accept": await register(client, seller, 303, accept_url, header={"X-Key": "k3"}),
        "seller-negate": await register(
            client, buyer, 402, seller_url, is_login=True, header={"X-Tenant": "org-a"}
        ),
    }
    assert len(set(secrets.values())) == 4

    # 301: the buyer sends a PO; 402: the seller asks to cancel; 303: the buyer accepts.
    first = await create_po(client, buyer)
    await status(client, buyer, first["PoId"], 1)
    await seller_does(client, seller, first["PoId"], "RequestCancel")
    await status(client, buyer, first["PoId"], -5)
    # 302: another PO, sent, then rejected by the buyer.
    second = await create_po(client, buyer, CreateType=3)
    await status(client, buyer, second["PoId"], 1)
    await status(client, buyer, second["PoId"], -1, Reason="ไม่ต้องการแล้ว")
    await deliver(worker, receiver, 5)

    # Deliveries to one endpoint go out concurrently: they may arrive in either order.
    [ready_first, ready_second] = sorted(
        receiver.at("ready"), key=lambda r: json.loads(r.body)["PoId"] != first["PoId"]
    )
    one = verified(ready_first, secrets["ready"], "DocumentReady")
    assert (one["PoId"], one["PoCode"]) == (first["PoId"], first["PoCode"])
    assert "VendorId" not in one  # only for DirectPO
    two = verified(ready_second, secrets["ready"], "DocumentReady")
    assert two["PoId"] == second["PoId"]
    assert "VendorId" in two
    claims = await login_claims(client, ready_first, ready_url)
    seller_claims = claims["sub"]

    [negate] = receiver.at("seller-negate")
    body = verified(negate, secrets["seller-negate"], "SellerNegate")
    assert (body["PoId"], body["Status"], body["CancelReason"]) == (first["PoId"], -4, "ราคาผิด")
    assert negate.headers["x-tenant"] == "org-a"
    assert (await login_claims(client, negate, seller_url))["sub"] != seller_claims

    [accept] = receiver.at("cancel-accept")
    assert verified(accept, secrets["cancel-accept"], "CancelAccept") == {
        "PoId": first["PoId"],
        "RfqId": one["RfqId"],
        "QuotationId": one["QuotationId"],
    }
    assert accept.headers["x-key"] == "k3"
    assert "authorization" not in accept.headers

    [rejected] = receiver.at("buyer-negate")
    body = verified(rejected, secrets["buyer-negate"], "BuyerNegate")
    assert (body["PoId"], body["Status"], body["ActionByType"]) == (second["PoId"], -1, "Buyer")
    assert body["CancelReason"] == "ไม่ต้องการแล้ว"
    # not IsLogin: the registered Authorization goes as it is
    assert rejected.headers["authorization"] == "beare **********"
    # each message once, signed with its own registration's secret only
    assert len({r.id for r in receiver.received}) == 5
    with pytest.raises(Exception, match="signature"):
        Webhook(secrets["ready"]).verify(rejected.body, rejected.headers)


async def test_only_the_targets_registrations_get_the_event(
    client: httpx.AsyncClient,
    buyer: Session,
    seller: Session,
    other_seller: Session,
    receiver: Receiver,
    worker: Worker,
) -> None:
    await register(client, seller, 301, receiver.url("mine"))
    await register(client, other_seller, 301, receiver.url("theirs"))
    po = await create_po(client, buyer)
    await status(client, buyer, po["PoId"], 1)
    await deliver(worker, receiver, 1)
    assert await worker.run_once() == 0
    assert [r.path for r in receiver.received] == ["/mine"]


async def test_a_change_that_rolls_back_enqueues_nothing(
    client: httpx.AsyncClient,
    buyer: Session,
    seller: Session,
    receiver: Receiver,
    worker: Worker,
) -> None:
    await register(client, seller, 302, receiver.url("negate"))
    po = await create_po(client, buyer)
    # Draft -> BuyerReject is not allowed: 409, nothing recorded, nothing sent
    response = await client.put(
        f"{PO}/Buyer/{po['PoId']}/Status/-1", json=WHO, headers=buyer.headers
    )
    assert response.status_code == 409
    assert await worker.run_once() == 0
    assert receiver.received == []


async def test_a_deregistered_type_gets_nothing(
    client: httpx.AsyncClient,
    buyer: Session,
    seller: Session,
    receiver: Receiver,
    worker: Worker,
) -> None:
    await register(client, seller, 301, receiver.url("ready"))
    assert (await client.delete(f"{HOOK}/301", headers=seller.headers)).status_code == 200
    po = await create_po(client, buyer)
    await status(client, buyer, po["PoId"], 1)
    assert await worker.run_once() == 0
    assert receiver.received == []


def test_the_provider_signs_nothing_without_is_login() -> None:
    outgoing = webhook_login.Outgoing(
        service="rakmao",
        subscription_id=1,
        owner_ref="account:1/301",
        attributes={"is_login": False},
        url="https://x.example/",
        event_type="DocumentReady",
        message_id="msg_1",
        now=dt.datetime.now(dt.UTC),
    )
    assert webhook_login.SIGNER.headers(outgoing) == {}
