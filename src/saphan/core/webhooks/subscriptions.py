"""Subscriptions: where a service's events go, with which headers, signed with which secret."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from saphan.config import Settings
from saphan.core.clock import to_utc_naive
from saphan.core.netguard import BlockedURL
from saphan.core.webhooks.errors import InvalidSubscription, UnknownSubscription
from saphan.core.webhooks.models import FAILED, PENDING, Message, Subscription
from saphan.core.webhooks.policy import guard_for
from saphan.core.webhooks.signing import SecretBox, new_secret

MAX_URL = 2048
MAX_HEADERS = 50
MAX_HEADER_VALUE = 4096
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
#: Headers the engine sets itself, or that would break the request if a subscriber set them.
RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "content-encoding",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "expect",
        "proxy-authorization",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    }
)


@dataclass(frozen=True)
class SubscriptionInfo:
    """A subscription as callers see it: never its secrets."""

    id: int
    service: str
    owner_ref: str
    url: str
    headers: dict[str, str]
    attributes: dict[str, Any]
    enabled: bool
    disabled_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    #: While a rotation overlaps: when the previous secret stops signing (naive UTC).
    old_secret_expires_at: dt.datetime | None

    @classmethod
    def of(cls, row: Subscription) -> SubscriptionInfo:
        return cls(
            id=row.id,
            service=row.service,
            owner_ref=row.owner_ref,
            url=row.url,
            headers=dict(row.headers or {}),
            attributes=dict(row.attributes or {}),
            enabled=row.enabled,
            disabled_reason=row.disabled_reason,
            created_at=row.created_at,
            updated_at=row.updated_at,
            old_secret_expires_at=row.old_secret_expires_at,
        )


@lru_cache(maxsize=8)
def secret_box(server_secret: bytes) -> SecretBox:
    return SecretBox(server_secret)


def check_url(settings: Settings, url: str) -> str:
    """The URL, if the SSRF guard accepts it without DNS (resolution is checked at send time)."""
    if len(url) > MAX_URL:
        raise InvalidSubscription(f"The endpoint URL is longer than {MAX_URL} characters")
    try:
        guard_for(settings).check_url(url)
    except BlockedURL as exc:
        raise InvalidSubscription(f"Endpoint URL refused: {exc}") from exc
    return url


def check_headers(headers: Mapping[str, str]) -> dict[str, str]:
    if len(headers) > MAX_HEADERS:
        raise InvalidSubscription(f"At most {MAX_HEADERS} headers")
    seen: set[str] = set()
    for name, value in headers.items():
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise InvalidSubscription(f"Header name {name!r} is not a valid HTTP header name")
        if name.lower() in RESERVED_HEADERS:
            raise InvalidSubscription(f"Header {name!r} is set by the delivery itself")
        if name.lower() in seen:
            raise InvalidSubscription(f"Header {name!r} is given twice")
        seen.add(name.lower())
        if not isinstance(value, str) or len(value) > MAX_HEADER_VALUE:
            raise InvalidSubscription(f"Header {name!r}: the value must be text, at most 4096")
        if any(c in value for c in "\r\n\0"):
            raise InvalidSubscription(f"Header {name!r}: the value contains a line break")
    return dict(headers)


def create_subscription(
    session: Session,
    settings: Settings,
    *,
    service: str,
    owner_ref: str,
    url: str,
    headers: Mapping[str, str],
    now: dt.datetime,
    attributes: Mapping[str, Any] | None = None,
) -> tuple[SubscriptionInfo, str]:
    """A new, enabled subscription and its signing secret (``whsec_...``; show it once)."""
    secret = new_secret()
    at = to_utc_naive(now)
    row = Subscription(
        service=service,
        owner_ref=owner_ref,
        url=check_url(settings, url),
        headers=check_headers(headers),
        attributes=dict(attributes or {}),
        enabled=True,
        secret_enc=secret_box(settings.secret).seal(secret),
        created_at=at,
        updated_at=at,
    )
    session.add(row)
    session.flush()
    return SubscriptionInfo.of(row), secret


#: The id column's range (an integer): past it there is no such row, and SQLite cannot even
#: compare the value (OverflowError, a 500 before this check).
MAX_ID = 2**31 - 1


def _row(session: Session, subscription_id: int, *, lock: bool = False) -> Subscription:
    if not 0 < subscription_id <= MAX_ID:
        raise UnknownSubscription()
    query = select(Subscription).where(Subscription.id == subscription_id)
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise UnknownSubscription()
    return row


def get_subscription(session: Session, subscription_id: int) -> SubscriptionInfo:
    return SubscriptionInfo.of(_row(session, subscription_id))


def list_subscriptions(
    session: Session, *, service: str | None = None, owner_ref: str | None = None
) -> list[SubscriptionInfo]:
    query = select(Subscription).order_by(Subscription.id)
    if service is not None:
        query = query.where(Subscription.service == service)
    if owner_ref is not None:
        query = query.where(Subscription.owner_ref == owner_ref)
    return [SubscriptionInfo.of(row) for row in session.scalars(query)]


def update_subscription(
    session: Session,
    settings: Settings,
    subscription_id: int,
    *,
    now: dt.datetime,
    url: str | None = None,
    headers: Mapping[str, str] | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> SubscriptionInfo:
    """Change what is given (endpoint, headers, the service's attributes); pending messages
    are sent with the new ones."""
    row = _row(session, subscription_id, lock=True)
    if url is not None:
        row.url = check_url(settings, url)
    if headers is not None:
        row.headers = check_headers(headers)
    if attributes is not None:
        row.attributes = dict(attributes)
    row.updated_at = to_utc_naive(now)
    session.flush()
    return SubscriptionInfo.of(row)


def disable_subscription(
    session: Session,
    subscription_id: int,
    reason: str,
    now: dt.datetime,
    *,
    cancel_pending: bool = False,
) -> SubscriptionInfo:
    """Stop delivering. Pending messages wait for ``enable_subscription``, or with
    ``cancel_pending`` become failed (replayable) at once."""
    row = _row(session, subscription_id, lock=True)
    at = to_utc_naive(now)
    row.enabled = False
    row.disabled_reason = reason[:300]
    row.disabled_at = at
    row.updated_at = at
    if cancel_pending:
        session.execute(
            update(Message)
            .where(Message.subscription_id == subscription_id, Message.state == PENDING)
            .values(
                state=FAILED,
                next_attempt_at=None,
                lease_owner=None,
                lease_until=None,
                last_error=f"subscription disabled: {reason}"[:500],
            )
        )
    session.flush()
    return SubscriptionInfo.of(row)


def enable_subscription(
    session: Session, subscription_id: int, now: dt.datetime
) -> SubscriptionInfo:
    row = _row(session, subscription_id, lock=True)
    row.enabled = True
    row.disabled_reason = None
    row.disabled_at = None
    row.updated_at = to_utc_naive(now)
    session.flush()
    return SubscriptionInfo.of(row)


def rotate_secret(
    session: Session,
    settings: Settings,
    subscription_id: int,
    now: dt.datetime,
    *,
    overlap: dt.timedelta | None = None,
) -> str:
    """A new signing secret (returned; show it once). Until ``now + overlap`` every delivery
    carries signatures by both the new and the previous secret, so receivers can switch
    without losing a message. Rotating again within the overlap drops the oldest secret."""
    row = _row(session, subscription_id, lock=True)
    if overlap is None:
        overlap = dt.timedelta(seconds=settings.webhook_rotation_overlap_seconds)
    box = secret_box(settings.secret)
    secret = new_secret()
    at = to_utc_naive(now)
    row.old_secret_enc = row.secret_enc if overlap > dt.timedelta(0) else None
    row.old_secret_expires_at = at + overlap if overlap > dt.timedelta(0) else None
    row.secret_enc = box.seal(secret)
    row.updated_at = at
    session.flush()
    return secret


def signing_secrets(
    settings: Settings,
    secret_enc: str,
    old_secret_enc: str | None,
    old_secret_expires_at: dt.datetime | None,
    now: dt.datetime,
) -> list[str]:
    """The secrets a delivery at ``now`` is signed with: the current one, then the previous
    one while the rotation overlaps."""
    box = secret_box(settings.secret)
    found = [box.open(secret_enc)]
    expires = old_secret_expires_at
    if old_secret_enc is not None and expires is not None and to_utc_naive(now) < expires:
        found.append(box.open(old_secret_enc))
    return found
