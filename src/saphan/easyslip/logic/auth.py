"""The bearer API key -> one branch of one application, and the checks every route makes."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select

from saphan.core.hashing import digests_equal, key_digest
from saphan.easyslip.errors import (
    BranchInactive,
    InvalidApiKey,
    IpNotAllowed,
    MissingApiKey,
    ServiceBanned,
    ServiceDeleted,
)
from saphan.easyslip.models import Application, Branch


@dataclass(frozen=True, slots=True)
class Caller:
    application_id: int
    branch_id: int
    app_quota_max: int | None
    branch_quota_max: int | None
    #: The application's creation time (naive UTC): billing months start on its day.
    app_created_at: dt.datetime
    #: When the plan expires (naive UTC); verifications after it renew or are refused.
    app_expires_at: dt.datetime


_LOOKUP = (
    select(
        Branch.digest,
        Branch.id,
        Branch.is_active,
        Branch.quota_max,
        Application.id,
        Application.status,
        Application.allowed_ips,
        Application.quota_max,
        Application.created_at,
        Application.expires_at,
    )
    .join(Application, Application.id == Branch.application_id)
    .where(Branch.digest == bindparam("digest"))
)


def bearer_key(authorization: str | None) -> str:
    """The key of ``Authorization: Bearer <key>``; MISSING_API_KEY without one."""
    if authorization is None or not authorization.strip():
        raise MissingApiKey()
    scheme, _, key = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise InvalidApiKey()
    return key.strip().lower()


def ip_allowed(allowed_ips: str, client_ip: str | None) -> bool:
    networks = [part.strip() for part in allowed_ips.split(",") if part.strip()]
    if not networks:
        return True
    if client_ip is None:
        return False
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)


@dataclass(frozen=True, slots=True)
class KeyHolder:
    """What a key's row says, before the per-request checks (kept in memory while fresh)."""

    caller: Caller
    status: str
    branch_active: bool
    allowed_ips: str


def find_key(conn: Connection, digest: str) -> KeyHolder | None:
    row = conn.execute(_LOOKUP, {"digest": digest}).first()
    if row is None or not digests_equal(row[0], digest):
        return None
    (_, branch_id, active, branch_max, app_id, status, allowed_ips, app_max, created, expires) = row
    caller = Caller(
        application_id=app_id,
        branch_id=branch_id,
        app_quota_max=app_max,
        branch_quota_max=branch_max,
        app_created_at=created,
        app_expires_at=expires,
    )
    return KeyHolder(caller, status, active, allowed_ips)


def admit(holder: KeyHolder | None, client_ip: str | None) -> Caller:
    """The caller, or the documented error: unknown key, deleted or banned application,
    inactive branch, address not allowed."""
    if holder is None:
        raise InvalidApiKey()
    if holder.status == "deleted":
        raise ServiceDeleted()
    if holder.status == "banned":
        raise ServiceBanned()
    if not holder.branch_active:
        raise BranchInactive()
    if not ip_allowed(holder.allowed_ips, client_ip):
        raise IpNotAllowed()
    return holder.caller


def authenticate(
    conn: Connection, secret: bytes, authorization: str | None, client_ip: str | None
) -> Caller:
    return admit(find_key(conn, key_digest(secret, bearer_key(authorization))), client_ip)
