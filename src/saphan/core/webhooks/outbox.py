"""The outbox: messages written in the caller's transaction, read back, replayed.

``enqueue`` adds one row in whatever transaction the caller has open, so an event exists if and
only if the state change that caused it committed. Workers (``worker.py``) deliver it.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.orm import Session

from saphan.core.clock import to_utc_naive
from saphan.core.webhooks.errors import NotReplayable, UnknownMessage, UnknownSubscription
from saphan.core.webhooks.models import FAILED, PENDING, STATES, Attempt, Message, Subscription

TEST_EVENT = "webhook.test"


_last_id = [0, 0]  # milliseconds, sequence within them
_id_lock = threading.Lock()


def new_message_id(now: dt.datetime) -> str:
    """``msg_`` + milliseconds + a sequence (hex, so one process's ids sort in creation order,
    and all ids by creation time) + 48 random bits."""
    millis = int(now.timestamp() * 1000)
    with _id_lock:
        if millis <= _last_id[0]:
            millis, sequence = _last_id[0], _last_id[1] + 1
        else:
            sequence = 0
        _last_id[:] = [millis, sequence]
    return f"msg_{millis:012x}{sequence & 0xFFFF:04x}{secrets.token_hex(6)}"


def _json_default(value: Any) -> Any:
    """Decimals (amounts) as JSON numbers, digit for digit (never through a binary float);
    orjson writes the rest it knows natively."""
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value))
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def enqueue(
    conn: Connection | Session,
    subscription_id: int,
    event_type: str,
    payload: Any,
    now: dt.datetime,
) -> str:
    """Add a message for ``subscription_id`` in the caller's transaction; its id (``msg_...``).

    ``payload`` is anything orjson serialises (Decimals become numbers); the JSON text is kept
    and sent as is on every attempt. A disabled subscription's messages wait until it is enabled.
    """
    service = (
        conn.execute(
            select(Subscription.service).where(Subscription.id == subscription_id)
        ).scalar()
        if 0 < subscription_id <= 2**31 - 1  # the id column's range (subscriptions.MAX_ID)
        else None
    )
    if service is None:
        raise UnknownSubscription()
    message_id = new_message_id(now)
    at = to_utc_naive(now)
    conn.execute(
        insert(Message).values(
            id=message_id,
            subscription_id=subscription_id,
            service=service,
            event_type=event_type,
            payload=orjson.dumps(payload, default=_json_default).decode(),
            state=PENDING,
            attempts=0,
            next_attempt_at=at,
            created_at=at,
        )
    )
    return message_id


def send_test(conn: Connection | Session, subscription_id: int, now: dt.datetime) -> str:
    """Enqueue a ``webhook.test`` event, delivered and signed like any other."""
    payload = {"type": TEST_EVENT, "timestamp": now.astimezone(dt.UTC).isoformat(), "data": {}}
    return enqueue(conn, subscription_id, TEST_EVENT, payload, now)


@dataclass(frozen=True)
class MessageInfo:
    id: str
    subscription_id: int
    service: str
    event_type: str
    state: str
    attempts: int
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    last_status: int | None
    last_error: str | None
    payload: str

    @classmethod
    def of(cls, row: Message) -> MessageInfo:
        return cls(
            id=row.id,
            subscription_id=row.subscription_id,
            service=row.service,
            event_type=row.event_type,
            state=row.state,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at if row.state == PENDING else None,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
            last_status=row.last_status,
            last_error=row.last_error,
            payload=row.payload,
        )


@dataclass(frozen=True)
class AttemptInfo:
    id: int
    message_id: str
    at: dt.datetime
    status_code: int | None
    latency_ms: float
    error: str | None
    response_body: str
    worker: str

    @classmethod
    def of(cls, row: Attempt) -> AttemptInfo:
        return cls(
            id=row.id,
            message_id=row.message_id,
            at=row.at,
            status_code=row.status_code,
            latency_ms=row.latency_ms,
            error=row.error,
            response_body=row.response_body,
            worker=row.worker,
        )


def list_messages(
    session: Session,
    *,
    service: str | None = None,
    subscription_id: int | None = None,
    state: str | None = None,
    limit: int = 100,
    before: str | None = None,
) -> list[MessageInfo]:
    """Newest first; ``before`` (a message id) pages on."""
    if state is not None and state not in STATES:
        raise ValueError(f"state must be one of {', '.join(STATES)}")
    query = select(Message).order_by(Message.id.desc()).limit(limit)
    if service is not None:
        query = query.where(Message.service == service)
    if subscription_id is not None:
        query = query.where(Message.subscription_id == subscription_id)
    if state is not None:
        query = query.where(Message.state == state)
    if before is not None:
        query = query.where(Message.id < before)
    return [MessageInfo.of(row) for row in session.scalars(query)]


def get_message(session: Session, message_id: str) -> MessageInfo:
    row = session.get(Message, message_id)
    if row is None:
        raise UnknownMessage()
    return MessageInfo.of(row)


def list_attempts(session: Session, message_id: str) -> list[AttemptInfo]:
    """Oldest first."""
    if session.get(Message, message_id) is None:
        raise UnknownMessage()
    query = select(Attempt).where(Attempt.message_id == message_id).order_by(Attempt.id)
    return [AttemptInfo.of(row) for row in session.scalars(query)]


def _restart(now: dt.datetime) -> dict[str, Any]:
    """A replayed message starts the schedule again (its attempts so far stay recorded)."""
    return {
        "state": PENDING,
        "attempts": 0,
        "next_attempt_at": to_utc_naive(now),
        "lease_owner": None,
        "lease_until": None,
    }


def replay(session: Session, message_id: str, now: dt.datetime) -> MessageInfo:
    """Deliver a failed or delivered message again, with the same ``webhook-id``."""
    row = session.scalar(select(Message).where(Message.id == message_id).with_for_update())
    if row is None:
        raise UnknownMessage()
    if row.state == PENDING:
        raise NotReplayable()
    for key, value in _restart(now).items():
        setattr(row, key, value)
    session.flush()
    return MessageInfo.of(row)


def replay_failed(
    session: Session,
    now: dt.datetime,
    *,
    service: str | None = None,
    subscription_id: int | None = None,
) -> int:
    """Every failed message (of a service, of a subscription) delivered again; how many."""
    query = update(Message).where(Message.state == FAILED).values(**_restart(now))
    if service is not None:
        query = query.where(Message.service == service)
    if subscription_id is not None:
        query = query.where(Message.subscription_id == subscription_id)
    return int(session.execute(query).rowcount)  # type: ignore[attr-defined]


def count_by_state(session: Session, *, service: str | None = None) -> dict[str, int]:
    query = select(Message.state, func.count()).group_by(Message.state)
    if service is not None:
        query = query.where(Message.service == service)
    counts = dict.fromkeys(STATES, 0)
    counts.update({state: int(n) for state, n in session.execute(query)})
    return counts
