"""For integrators: receive Rakmao's webhooks (docs/rakmao.md "Webhooks").

``WebhookReceiver(secret)`` verifies a delivery's Standard Webhooks signature (the secret shown
as ``Webhook-Secret`` when the registration was made; the timestamp within ±5 minutes),
deduplicates by ``webhook-id`` (delivery is at least once) and parses the body into the event's
model. It is also a FastAPI dependency::

    receive = WebhookReceiver("whsec_...")

    @app.post("/rakmao/document-ready")
    def ready(delivery: Annotated[Delivery, Depends(receive)]) -> None:
        if not delivery.duplicate:
            queue(delivery.event)  # answer 2xx quickly

A bad signature answers 400. The deduplication memory is per process (the last
``remember`` ids); several receiver processes need a shared store keyed by ``Delivery.id``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
from fastapi import HTTPException, Request
from pydantic import BaseModel, ConfigDict
from standardwebhooks import Webhook, WebhookVerificationError

#: What standardwebhooks allows between a delivery's timestamp and the receiver's clock.
TOLERANCE_SECONDS = 5 * 60


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    PoId: str
    RfqId: str
    QuotationId: str


class DocumentReady(_Event):
    """301, to the seller: the buyer sent a PO."""

    PoCode: str
    DocumentFileUrl: str | None
    ContactName: str
    ContactPhone: str
    PoCreateType: int
    ProjectName: str
    Province: str | None = None
    VendorId: str | None = None
    GrandTotal: Decimal
    BuyerOrgRefId: str


class DocumentBuyerNegate(_Event):
    """302, to the seller: the buyer rejected or cancelled."""

    Status: int
    CancelReason: str | None = None
    CancelNote: str | None = None
    ActionByType: str


class DocumentCancelAccept(_Event):
    """303, to the seller: the buyer accepted the seller's cancel request."""


class DocumentSellerNegate(_Event):
    """402, to the buyer: the seller rejected or asked to cancel."""

    Status: int
    CancelReason: str | None = None
    CancelNote: str | None = None


class TestEvent(BaseModel):
    """``webhook.test``, sent by an operator's ``saphan rakmao webhooks test``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: str
    timestamp: str


Event = (
    DocumentReady | DocumentBuyerNegate | DocumentCancelAccept | DocumentSellerNegate | TestEvent
)


def parse_event(payload: Mapping[str, Any]) -> Event:
    """The event a body is, told apart by its fields (the bodies carry only the spec's fields:
    ``PoCode`` is DocumentReady's, ``ActionByType`` BuyerNegate's, ``Status`` alone
    SellerNegate's, the three ids alone CancelAccept's)."""
    if payload.get("type") == "webhook.test":
        return TestEvent.model_validate(payload)
    if "PoCode" in payload:
        return DocumentReady.model_validate(payload)
    if "ActionByType" in payload:
        return DocumentBuyerNegate.model_validate(payload)
    if "Status" in payload:
        return DocumentSellerNegate.model_validate(payload)
    return DocumentCancelAccept.model_validate(payload)


class InvalidDelivery(ValueError):
    """Not signed with the secret, altered, or outside the timestamp tolerance."""


@dataclass(frozen=True)
class Delivery:
    id: str
    timestamp: int
    event: Event
    #: This ``webhook-id`` was seen before: answer 2xx again, do not process it twice.
    duplicate: bool


class WebhookReceiver:
    def __init__(self, secret: str, *, remember: int = 100_000) -> None:
        self._hook = Webhook(secret)
        self._remember = remember
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def _first_time(self, message_id: str) -> bool:
        with self._lock:
            if message_id in self._seen:
                self._seen.move_to_end(message_id)
                return False
            self._seen[message_id] = None
            if len(self._seen) > self._remember:
                self._seen.popitem(last=False)
            return True

    def verify(self, body: bytes, headers: Mapping[str, str]) -> Delivery:
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            self._hook.verify(body, lowered)
            payload = orjson.loads(body)
            event = parse_event(payload)
        except (WebhookVerificationError, KeyError, ValueError) as exc:
            raise InvalidDelivery(str(exc) or type(exc).__name__) from None
        message_id = lowered["webhook-id"]
        return Delivery(
            id=message_id,
            timestamp=int(lowered["webhook-timestamp"]),
            event=event,
            duplicate=not self._first_time(message_id),
        )

    async def __call__(self, request: Request) -> Delivery:
        """The FastAPI dependency: the verified delivery, or 400."""
        try:
            return self.verify(await request.body(), request.headers)
        except InvalidDelivery as exc:
            raise HTTPException(400, f"invalid webhook: {exc}") from None
