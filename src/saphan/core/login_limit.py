"""Failed-login limits every service shares: per client address, and per any other key.

A login counts as a failure from the moment it is checked until it proves good, so attempts in
parallel cannot all pass a limit before any of them is counted: ``attempt`` checks the key's
recent failures and, under the limit, records this attempt among them, in one write (on
PostgreSQL under a transaction lock on the key, which keeps it exact across processes and
machines; SQLite writes one transaction at a time). The caller commits that, does the slow check
(argon2, a secret's digest), and then either keeps the failure or takes it back (``forget``
for a key proven right, such as a username whose password matched; ``withdraw`` for this one
attempt, such as the address a good login came from, whose other failures stay counted).

Keys are stored as keyed digests (``key_digest``): no address, username or client id is kept in
the clear. This is the pattern of Rakmao's per-username limit (``rakmao.tokens.login_check``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import DateTime, Index, Integer, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from saphan.core.clock import to_utc_naive
from saphan.core.db import Base
from saphan.core.hashing import key_digest

__all__ = [
    "DEFAULT_ADDRESS_LIMIT",
    "FailedLogin",
    "Limit",
    "Refused",
    "address",
    "attempt",
    "forget",
    "key",
    "withdraw",
]


class FailedLogin(Base):
    """One failed (or not yet proven) login, under the keyed digest of what it is counted by."""

    __tablename__ = "core_failed_login"
    __table_args__ = (Index("ix_core_failed_login_key_at", "key_digest", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_digest: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime)


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``max_failures`` failures within ``window_seconds``."""

    max_failures: int
    window_seconds: int


#: Settings' defaults for failed logins per client address (``login_address_*``).
DEFAULT_ADDRESS_LIMIT = Limit(20, 300)


@dataclass(frozen=True, slots=True)
class Refused:
    """Over the limit: nothing was counted; try again in ``retry_after`` seconds."""

    retry_after: int


def key(secret: bytes, purpose: str, value: str) -> str:
    """The digest a failure is counted under, e.g. ``key(secret, "moi-client", client_id)``."""
    return key_digest(secret, f"login-limit:{purpose}:{value}")


def address(secret: bytes, purpose: str, host: str | None) -> str:
    """The digest of a client address (all callers without one count together)."""
    return key(secret, purpose + "-address", host or "unknown")


def attempt(session: Session, digest: str, limit: Limit, now: dt.datetime) -> int | Refused:
    """Refuse (``Refused``, nothing counted) when ``digest`` has ``limit.max_failures`` failures
    within the window; else count this attempt as one and return its row id."""
    if session.connection().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext(digest))))
    since = to_utc_naive(now) - dt.timedelta(seconds=limit.window_seconds)
    failures, oldest = session.execute(
        select(func.count(), func.min(FailedLogin.at)).where(
            FailedLogin.key_digest == digest, FailedLogin.at > since
        )
    ).one()
    if failures >= limit.max_failures:
        return Refused(max(1, math.ceil((oldest - since).total_seconds())))
    row = FailedLogin(key_digest=digest, at=to_utc_naive(now))
    session.add(row)
    session.flush()
    return row.id


def forget(session: Session, digest: str) -> None:
    """Every failure counted under ``digest``: the key proved right."""
    session.execute(delete(FailedLogin).where(FailedLogin.key_digest == digest))


def withdraw(session: Session, attempt_id: int) -> None:
    """This one attempt: it proved good (the key's other failures stay counted)."""
    session.execute(delete(FailedLogin).where(FailedLogin.id == attempt_id))
