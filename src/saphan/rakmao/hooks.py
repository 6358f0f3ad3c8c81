"""Rakmao's webhook registrations (``/api/v1/Webhook``) on the core delivery engine.

A registration is one row of ``rakmao_webhook`` (its GUID is the wire's ``Id``; one per account
and type) pointing at a core subscription of service ``rakmao`` (owner ``account:<id>/<type>``)
that holds the endpoint, the ``Header`` pairs, ``{"is_login": ...}`` and the signing secret.
A PO change that records a ``rakmao_event`` also enqueues one message per matching registration,
in the same transaction (``enqueue_event``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from saphan.config import Settings
from saphan.core.clock import to_utc_naive
from saphan.core.guid import new_guid
from saphan.core.webhooks import (
    InvalidSubscription,
    SubscriptionInfo,
    create_subscription,
    disable_subscription,
    enqueue,
    get_subscription,
    rotate_secret,
    update_subscription,
)
from saphan.rakmao import status as machine
from saphan.rakmao import webhook_login
from saphan.rakmao.errors import BadRequest, Conflict, Forbidden, NotFound
from saphan.rakmao.models import Account, WebhookRegistration
from saphan.rakmao.tokens import Caller

SERVICE = "rakmao"
#: Webhook type -> the side whose accounts may register it (the spec's ServiceType column).
TYPE_SIDES: dict[int, machine.Side] = {
    machine.DOCUMENT_READY: "Seller",
    machine.BUYER_NEGATE: "Seller",
    machine.CANCEL_ACCEPT: "Seller",
    machine.SELLER_NEGATE: "Buyer",
}
_BY_NAME = {name.lower(): value for value, name in machine.EVENT_NAMES.items()}


def parse_type(value: Any, field: str = "Type") -> int:
    """A webhook type from its value (``301``, ``"301"``) or its name (``"DocumentReady"``)."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, str):
        text = value.strip()
        value = _BY_NAME.get(text.lower(), int(text) if text.lstrip("-").isdigit() else None)
    if not isinstance(value, int) or value not in TYPE_SIDES:
        raise BadRequest(f"{field} must be one of 301, 302, 303, 402 (the Webhook Schema)")
    return value


def side_types(caller: Caller, side: machine.Side | None = None) -> list[int]:
    """The types the caller's account may register (of ``side`` only, if given)."""
    sides: set[str] = set()
    if caller.seller_tax_id is not None:
        sides.add("Seller")
    if caller.org_id is not None:
        sides.add("Buyer")
    if side is not None:
        sides &= {side}
    return [t for t, s in TYPE_SIDES.items() if s in sides]


def owner_ref(account_id: int, webhook_type: int) -> str:
    return f"account:{account_id}/{webhook_type}"


def view(row: WebhookRegistration, info: SubscriptionInfo) -> dict[str, Any]:
    """A registration as the spec's List/Get Webhook show it."""
    return {
        "Id": row.id,
        "IsLogin": bool(info.attributes.get("is_login", False)),
        "TypeName": machine.EVENT_NAMES[row.type],
        "Endpoint": info.url,
        "Header": dict(info.headers),
    }


def _rows(session: Session, caller: Caller) -> list[WebhookRegistration]:
    return list(
        session.scalars(
            select(WebhookRegistration)
            .where(WebhookRegistration.account_id == caller.account_id)
            .order_by(WebhookRegistration.type)
        )
    )


def _by_type(session: Session, caller: Caller, webhook_type: int) -> WebhookRegistration:
    row = session.scalar(
        select(WebhookRegistration).where(
            WebhookRegistration.account_id == caller.account_id,
            WebhookRegistration.type == webhook_type,
        )
    )
    if row is None:
        raise NotFound(
            f"No webhook {webhook_type} ({machine.EVENT_NAMES[webhook_type]}) is registered"
        )
    return row


def list_webhooks(session: Session, caller: Caller) -> list[dict[str, Any]]:
    return [
        view(row, get_subscription(session, row.subscription_id)) for row in _rows(session, caller)
    ]


def get_webhook(session: Session, caller: Caller, webhook_type: int) -> dict[str, Any]:
    row = _by_type(session, caller, webhook_type)
    return view(row, get_subscription(session, row.subscription_id))


def _refused(exc: InvalidSubscription) -> BadRequest:
    return BadRequest(f"{exc.message} (Endpoint or Header)")


def register(
    session: Session,
    settings: Settings,
    caller: Caller,
    webhook_type: int,
    endpoint: str,
    is_login: bool,
    header: Mapping[str, str],
    now: dt.datetime,
) -> tuple[str, str]:
    """A new registration; its ``Id`` and the subscription's signing secret (shown once)."""
    if webhook_type not in side_types(caller):
        side = TYPE_SIDES[webhook_type]
        raise Forbidden(f"Type {webhook_type} is for {side.lower()} accounts; this is not one")
    existing = session.scalar(
        select(WebhookRegistration.id).where(
            WebhookRegistration.account_id == caller.account_id,
            WebhookRegistration.type == webhook_type,
        )
    )
    if existing is not None:
        raise Conflict(
            f"Webhook {webhook_type} is already registered (Id {existing}); update it with PUT"
        )
    try:
        info, secret = create_subscription(
            session,
            settings,
            service=SERVICE,
            owner_ref=owner_ref(caller.account_id, webhook_type),
            url=endpoint,
            headers=header,
            now=now,
            attributes={"is_login": is_login},
        )
    except InvalidSubscription as exc:
        raise _refused(exc) from None
    row = WebhookRegistration(
        id=new_guid(),
        account_id=caller.account_id,
        type=webhook_type,
        subscription_id=info.id,
        created_at=to_utc_naive(now),
    )
    session.add(row)
    session.flush()
    if is_login:
        webhook_login.SIGNER.prime(session, now)
    return row.id, secret


def _by_id(session: Session, caller: Caller, registration_id: str) -> WebhookRegistration:
    try:
        key = str(uuid.UUID(registration_id.strip()))
    except ValueError:
        raise BadRequest("Id must be a GUID (Id)") from None
    row = session.get(WebhookRegistration, key)
    if row is None or row.account_id != caller.account_id:
        raise NotFound(f"No webhook {registration_id} among yours")
    return row


def update(
    session: Session,
    settings: Settings,
    caller: Caller,
    registration_id: str,
    webhook_type: int | None,
    endpoint: str,
    is_login: bool,
    header: Mapping[str, str],
    now: dt.datetime,
) -> bool:
    row = _by_id(session, caller, registration_id)
    if webhook_type is not None and webhook_type != row.type:
        raise BadRequest(f"Type {webhook_type} differs from the registration's ({row.type})")
    try:
        update_subscription(
            session,
            settings,
            row.subscription_id,
            now=now,
            url=endpoint,
            headers=header,
            attributes={"is_login": is_login},
        )
    except InvalidSubscription as exc:
        raise _refused(exc) from None
    if is_login:
        webhook_login.SIGNER.prime(session, now)
    return True


def deregister(session: Session, caller: Caller, webhook_type: int, now: dt.datetime) -> bool:
    """Remove the registration; its undelivered messages become ``failed`` (still replayable)."""
    row = _by_type(session, caller, webhook_type)
    disable_subscription(session, row.subscription_id, "deleted", now, cancel_pending=True)
    session.execute(delete(WebhookRegistration).where(WebhookRegistration.id == row.id))
    return True


def rotate(session: Session, settings: Settings, registration_id: str, now: dt.datetime) -> str:
    """A new signing secret for a registration (operator); the old one signs on for the overlap."""
    row = registration(session, registration_id)
    return rotate_secret(session, settings, row.subscription_id, now)


def enqueue_event(
    session: Session,
    event: int,
    audience: machine.Side,
    target: str,
    payload: Mapping[str, Any],
    now: dt.datetime,
) -> list[str]:
    """A message to every registration of ``event`` by an account of the target (the seller's
    TaxId or the buyer's OrgId), in the caller's transaction; the message ids."""
    scope = Account.seller_tax_id if audience == "Seller" else Account.org_id
    subscriptions = session.scalars(
        select(WebhookRegistration.subscription_id)
        .join(Account, Account.id == WebhookRegistration.account_id)
        .where(
            scope == target,
            WebhookRegistration.type == event,
            Account.disabled_at.is_(None),
        )
        .order_by(WebhookRegistration.subscription_id)
    )
    name = machine.EVENT_NAMES[event]
    return [enqueue(session, sub, name, dict(payload), now) for sub in subscriptions.all()]


def missing_types(caller: Caller, registered: Collection[int], side: machine.Side) -> list[int]:
    """The types of ``side`` the caller's account has not registered ("register before use")."""
    return [t for t in side_types(caller, side) if t not in registered]


def registration(session: Session, registration_id: str) -> WebhookRegistration:
    """Any account's registration (operator surfaces)."""
    row = session.get(WebhookRegistration, registration_id.strip().lower())
    if row is None:
        raise NotFound(f"No webhook registration {registration_id}")
    return row


def all_registrations(
    session: Session, username: str | None = None
) -> list[tuple[WebhookRegistration, str, SubscriptionInfo]]:
    """Every registration (of one account), with its account's username and its subscription."""
    query = (
        select(WebhookRegistration, Account.username)
        .join(Account, Account.id == WebhookRegistration.account_id)
        .order_by(Account.username, WebhookRegistration.type)
    )
    if username is not None:
        query = query.where(Account.username == username.strip().lower())
    return [
        (row, name, get_subscription(session, row.subscription_id))
        for row, name in session.execute(query).all()
    ]
