"""The integrator's side: ``saphan.rakmao.webhooks`` (verify, ±5 minutes, dedupe, typed events,
FastAPI dependency), ``saphan rakmao listen``'s app, and ``saphan rakmao webhooks ...``."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any

import httpx
import orjson
import pytest
from click.testing import Result
from fastapi import Depends, FastAPI
from standardwebhooks import Webhook
from typer.testing import CliRunner

from saphan.cli import app as saphan
from saphan.rakmao.cli_webhooks import listen_app
from saphan.rakmao.webhooks import (
    Delivery,
    DocumentBuyerNegate,
    DocumentCancelAccept,
    DocumentReady,
    DocumentSellerNegate,
    InvalidDelivery,
    WebhookReceiver,
)
from tests.conftest import SECRET
from tests.rakmao.conftest import PO, Session

SECRET_KEY = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
IDS = {"PoId": "p-1", "RfqId": "r-1", "QuotationId": "q-1"}
READY = {
    **IDS,
    "PoCode": "PO-261123-0001",
    "DocumentFileUrl": None,
    "ContactName": "คุณเอ",
    "ContactPhone": "0812345678",
    "PoCreateType": 1,
    "ProjectName": "โครงการ",
    "GrandTotal": 1070.5,
    "BuyerOrgRefId": "b1b7711b-158f-48fe-adc0-9cfb52565911",
}


def signed(
    payload: Any, message_id: str = "msg_1", age: float = 0.0, secret: str = SECRET_KEY
) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps(payload)
    at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=age)
    signature = Webhook(secret).sign(message_id, at, body.decode())
    return body, {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
    }


@pytest.mark.parametrize(
    ("payload", "model"),
    [
        (READY, DocumentReady),
        ({**IDS, "Status": -1, "ActionByType": "Buyer"}, DocumentBuyerNegate),
        (IDS, DocumentCancelAccept),
        ({**IDS, "Status": -4, "CancelReason": "x", "CancelNote": None}, DocumentSellerNegate),
    ],
)
def test_each_type_is_verified_and_typed(payload: dict[str, Any], model: type[Any]) -> None:
    delivery = WebhookReceiver(SECRET_KEY).verify(*signed(payload))
    assert type(delivery.event) is model
    assert delivery.event.model_dump(exclude_none=True) == {
        k: v for k, v in payload.items() if v is not None
    }
    assert (delivery.id, delivery.duplicate) == ("msg_1", False)


def test_duplicates_are_flagged_by_webhook_id() -> None:
    receiver = WebhookReceiver(SECRET_KEY, remember=2)
    assert receiver.verify(*signed(IDS, "msg_a")).duplicate is False
    assert receiver.verify(*signed(IDS, "msg_a")).duplicate is True
    receiver.verify(*signed(IDS, "msg_b"))
    receiver.verify(*signed(IDS, "msg_c"))  # msg_a is forgotten (remember=2)
    assert receiver.verify(*signed(IDS, "msg_a")).duplicate is False


@pytest.mark.parametrize(
    "forge",
    [
        lambda: (signed(IDS)[0] + b" ", signed(IDS)[1]),  # altered body
        lambda: signed(IDS, secret="whsec_" + "QUJD" * 8),  # another secret
        lambda: signed(IDS, age=6 * 60),  # too old
        lambda: signed(IDS, age=-6 * 60),  # from the future
        lambda: (signed(IDS)[0], {}),  # no headers
        lambda: signed({"PoId": "only"}),  # not an event
    ],
)
def test_forged_or_stale_deliveries_are_refused(forge: Callable[[], Any]) -> None:
    with pytest.raises(InvalidDelivery):
        WebhookReceiver(SECRET_KEY).verify(*forge())


def test_four_minutes_late_is_within_the_tolerance() -> None:
    assert WebhookReceiver(SECRET_KEY).verify(*signed(IDS, age=4 * 60)).duplicate is False


#: Module level: the route's string annotations are resolved in this module's globals.
RECEIVE = WebhookReceiver(SECRET_KEY)


async def test_as_a_fastapi_dependency() -> None:
    got: list[Delivery] = []
    api = FastAPI()

    @api.post("/hook", status_code=204)
    def hook(delivery: Annotated[Delivery, Depends(RECEIVE)]) -> None:
        got.append(delivery)

    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://r.test") as http:
        body, headers = signed(READY, "msg_dep")
        assert (await http.post("/hook", content=body, headers=headers)).status_code == 204
        assert (await http.post("/hook", content=body, headers=headers)).status_code == 204
        forged = await http.post("/hook", content=body + b"x", headers=headers)
        assert forged.status_code == 400
    assert [(d.id, d.duplicate, type(d.event)) for d in got] == [
        ("msg_dep", False, DocumentReady),
        ("msg_dep", True, DocumentReady),
    ]


async def test_the_listen_app_prints_verified_events_and_refuses_forged_ones() -> None:
    lines: list[str] = []
    transport = httpx.ASGITransport(app=listen_app(SECRET_KEY, lines.append))
    async with httpx.AsyncClient(transport=transport, base_url="http://l.test") as http:
        body, headers = signed(READY, "msg_x")
        assert (await http.post("/ready", content=body, headers=headers)).status_code == 204
        forged = await http.post("/ready", content=body, headers={**headers, "webhook-id": "m2"})
        assert forged.status_code == 400
    assert lines[0] == "msg_x DocumentReady /ready"
    assert orjson.loads(lines[1]) == READY
    assert lines[2].startswith("REFUSED /ready")


Run = Callable[..., Result]


@pytest.fixture
def run(database_url: str) -> Run:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        env: dict[str, str | None] = {
            "SAPHAN_DATABASE_URL": database_url,
            "SAPHAN_SECRET_KEY": SECRET,
            "SAPHAN_DEMO": None,
            "COLUMNS": "200",
        }
        return runner.invoke(saphan, list(args), env=env)

    return invoke


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
    return result.output


async def test_the_webhooks_commands(run: Run, client: httpx.AsyncClient, seller: Session) -> None:
    body = {
        "Type": 302,
        "Endpoint": "https://hooks.example.com/negate",
        "IsLogin": True,
        "Header": {"X-Key": "secret-value"},
    }
    response = await client.post(f"{PO}/Webhook", json=body, headers=seller.headers)
    registration_id = response.json()["data"]
    first_secret = response.headers["Webhook-Secret"]

    listed = ok(run("rakmao", "webhooks", "list"))
    assert registration_id in listed
    assert "seller-a" in listed
    assert "302 BuyerNegate" in listed
    assert "X-Key" in listed
    assert "secret-value" not in listed
    assert ok(run("rakmao", "webhooks", "list", "--account", "nobody")).count(registration_id) == 0

    message_id = ok(run("rakmao", "webhooks", "test", registration_id)).strip()
    assert re.fullmatch(r"msg_[0-9a-f]+", message_id)
    shown = ok(run("rakmao", "webhooks", "messages", "--id", registration_id))
    assert message_id in shown
    assert "webhook.test" in shown
    assert "pending" in shown
    pending = run("rakmao", "webhooks", "replay", message_id)
    assert pending.exit_code == 1
    assert "pending" in pending.output
    assert "0 failed" in ok(run("rakmao", "webhooks", "replay", "--all-failed"))

    rotated = ok(run("rakmao", "webhooks", "rotate-secret", registration_id)).strip()
    assert rotated.startswith("whsec_")
    assert rotated != first_secret
    unknown = run("rakmao", "webhooks", "test", "588db7e2-ea75-4fbf-98fc-c48419eb9edf")
    assert unknown.exit_code == 1
    assert "No webhook registration" in unknown.output
