"""Claiming due messages under a lease, and recording each attempt's outcome.

A claim sets the message's lease (owner and until) and moves its ``next_attempt_at`` to the
lease's end: if the worker dies mid-delivery the message simply falls due again when the lease
ends, for any worker to take (at least once, the same ``webhook-id``). On PostgreSQL the
claim is ``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent workers never take the same
message; on SQLite the claim's transaction holds the write lock (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, bindparam, insert, select, update

from saphan.config import Settings
from saphan.core.clock import to_utc_naive
from saphan.core.statement import Statement
from saphan.core.webhooks.models import (
    DELIVERED,
    FAILED,
    PENDING,
    Attempt,
    Message,
    Subscription,
)
from saphan.core.webhooks.policy import next_delay
from saphan.core.webhooks.subscriptions import signing_secrets

RESPONSE_KEPT = 1024


def endpoint_key(url: str) -> str:
    """What per-endpoint concurrency counts by: scheme, host and port."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname}:{port}"


@dataclass(frozen=True)
class Claimed:
    """A message taken for one attempt, with what sending it needs."""

    message_id: str
    subscription_id: int
    service: str
    owner_ref: str
    attributes: dict[str, Any]
    url: str
    headers: dict[str, str]
    event_type: str
    payload: str
    #: Attempts made before this one.
    attempts: int
    created_at: dt.datetime
    lease_until: dt.datetime
    secrets: list[str]

    @property
    def endpoint(self) -> str:
        return endpoint_key(self.url)


@dataclass(frozen=True)
class Result:
    status: int | None
    latency_ms: float
    error: str | None
    body: str
    retry_after: float | None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


_ANY_DUE = Statement(
    select(Message.id)
    .where(Message.state == PENDING, Message.next_attempt_at <= bindparam("now"))
    .limit(1)
)


def any_due(conn: Connection, now: dt.datetime) -> bool:
    """A cheap look before taking the write lock to claim (polled many times a second)."""
    return _ANY_DUE.first(conn, now=to_utc_naive(now)) is not None


def claim(
    conn: Connection,
    settings: Settings,
    worker: str,
    now: dt.datetime,
    *,
    limit: int,
    room: Callable[[str], int],
) -> list[Claimed]:
    """Up to ``limit`` due messages of enabled subscriptions, leased to ``worker``; an endpoint
    gets no more than ``room(endpoint)`` of them."""
    at = to_utc_naive(now)
    until = at + dt.timedelta(seconds=settings.webhook_lease_seconds)
    query = (
        select(
            Message.id,
            Message.service,
            Message.event_type,
            Message.payload,
            Message.attempts,
            Message.created_at,
            Subscription.id,
            Subscription.owner_ref,
            Subscription.attributes,
            Subscription.url,
            Subscription.headers,
            Subscription.secret_enc,
            Subscription.old_secret_enc,
            Subscription.old_secret_expires_at,
        )
        .join(Subscription, Message.subscription_id == Subscription.id)
        .where(
            Message.state == PENDING,
            Message.next_attempt_at <= at,
            Subscription.enabled.is_(True),
        )
        .order_by(Message.next_attempt_at)
        .limit(limit)
        .with_for_update(of=Message, skip_locked=True)
    )
    taken: list[Claimed] = []
    granted: dict[str, int] = {}
    secrets: dict[int, list[str]] = {}  # decrypted once per subscription
    for row in conn.execute(query):
        (message_id, service, event_type, payload, attempts, created_at) = row[:6]
        (sub_id, owner_ref, attributes, url, headers, secret_enc, old_enc, old_expires) = row[6:]
        key = endpoint_key(url)
        if granted.get(key, 0) >= room(key):
            continue
        granted[key] = granted.get(key, 0) + 1
        if sub_id not in secrets:
            secrets[sub_id] = signing_secrets(settings, secret_enc, old_enc, old_expires, now)
        taken.append(
            Claimed(
                message_id=message_id,
                subscription_id=sub_id,
                service=service,
                owner_ref=owner_ref,
                attributes=dict(attributes or {}),
                url=url,
                headers=dict(headers or {}),
                event_type=event_type,
                payload=payload,
                attempts=attempts,
                created_at=created_at,
                lease_until=until,
                secrets=secrets[sub_id],
            )
        )
    if taken:
        conn.execute(
            update(Message)
            .where(Message.id.in_([c.message_id for c in taken]))
            .values(lease_owner=worker, lease_until=until, next_attempt_at=until)
        )
    return taken


@dataclass(frozen=True)
class Finished:
    """An attempt made, waiting to be recorded."""

    claimed: Claimed
    result: Result
    started: dt.datetime
    now: dt.datetime


def outcome_of(
    settings: Settings, finished: Finished, rng: random.Random
) -> tuple[str, dict[str, Any]]:
    """What an attempt means for its message: ``delivered``, ``retry``, ``failed`` or
    ``disabled`` (a 410 Gone), and the message's new column values."""
    result, at = finished.result, to_utc_naive(finished.now)
    attempts = finished.claimed.attempts + 1
    values: dict[str, Any] = {
        "b_state": PENDING,
        "b_attempts": attempts,
        "b_next": None,
        "b_delivered": None,
        "b_status": result.status,
        "b_error": None if result.error is None else result.error[:500],
    }
    if result.ok:
        values.update(b_state=DELIVERED, b_delivered=at)
        return "delivered", values
    if result.status == 410:
        values.update(b_state=FAILED)
        return "disabled", values
    delay = next_delay(settings, attempts, result.retry_after, rng)
    if delay is None:
        values.update(b_state=FAILED)
        return "failed", values
    values.update(b_next=at + dt.timedelta(seconds=delay))
    return "retry", values


def record_many(
    conn: Connection,
    settings: Settings,
    finished: list[Finished],
    *,
    worker: str,
    rng: random.Random,
) -> list[str]:
    """Every attempt kept, and each message's new state, in two statements; a 410 Gone
    disables its subscription. A message changes only while this worker still holds its lease
    (a lease that ran out may have been taken over). Returns the outcomes, in order."""
    if not finished:
        return []
    conn.execute(
        insert(Attempt),
        [
            {
                "message_id": f.claimed.message_id,
                "at": to_utc_naive(f.started),
                "status_code": f.result.status,
                "latency_ms": round(f.result.latency_ms, 3),
                "error": None if f.result.error is None else f.result.error[:500],
                "response_body": f.result.body[:RESPONSE_KEPT],
                "worker": worker[:100],
            }
            for f in finished
        ],
    )
    outcomes: list[str] = []
    rows: list[dict[str, Any]] = []
    for f in finished:
        outcome, values = outcome_of(settings, f, rng)
        outcomes.append(outcome)
        rows.append({"b_id": f.claimed.message_id, "b_lease": f.claimed.lease_until, **values})
        if outcome == "disabled":
            at = to_utc_naive(f.now)
            conn.execute(
                update(Subscription)
                .where(Subscription.id == f.claimed.subscription_id)
                .values(
                    enabled=False,
                    disabled_reason="the endpoint answered 410 Gone",
                    disabled_at=at,
                    updated_at=at,
                )
            )
    table = Message.metadata.tables[Message.__tablename__]
    statement = (
        update(table)
        .where(
            table.c.id == bindparam("b_id"),
            table.c.state == PENDING,
            table.c.lease_owner == worker,
            table.c.lease_until == bindparam("b_lease"),
        )
        .values(
            state=bindparam("b_state"),
            attempts=bindparam("b_attempts"),
            next_attempt_at=bindparam("b_next"),
            delivered_at=bindparam("b_delivered"),
            last_status=bindparam("b_status"),
            last_error=bindparam("b_error"),
            lease_owner=None,
            lease_until=None,
        )
    )
    conn.execute(statement, rows)
    return outcomes


def release(conn: Connection, worker: str, message_ids: list[str], now: dt.datetime) -> None:
    """Give back messages claimed but not sent (a worker stopping): due again at once."""
    if message_ids:
        conn.execute(
            update(Message)
            .where(
                Message.id.in_(message_ids),
                Message.state == PENDING,
                Message.lease_owner == worker,
            )
            .values(lease_owner=None, lease_until=None, next_attempt_at=to_utc_naive(now))
        )
