"""MOI's two operations (spec 000): Authenticate opens an 8-hour session for an agent of a
client system; PowerCapital returns a citizen's electricity accounts and latest bills, and
records the lookup in the audit table. Answers are the wire's dicts; errors are ``MoiError``s."""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from saphan.core.clock import BANGKOK, to_utc_naive
from saphan.core.hashing import digests_equal, key_digest
from saphan.moi.errors import (
    AgentNotAllowed,
    InvalidAgentId,
    InvalidCitizenId,
    InvalidClient,
    InvalidToken,
    MissingToken,
    QuotaExceeded,
    TokenExpired,
    envelope,
)
from saphan.moi.models import MEA, PEA, Account, AgentSession, Audit, Bill, Client, ClientAgent
from saphan.moi.schemas import AuthenticateRequest, CustomerInfo, PeaAccount

SESSION_LENGTH = dt.timedelta(hours=8)
HISTORY_LENGTH = 6
PADDING: dict[str, Any] = {"kwh": 0, "Amount": 0, "billDate": ""}
AUTHORIZED = "Authorized"
_THIRTEEN_DIGITS = re.compile(r"[0-9]{13}")


@dataclass(frozen=True, slots=True)
class Caller:
    client_id: int
    agent_id: str


def thai_id_checksum_ok(value: str) -> bool:
    """The Thai national-ID check digit (also used by juristic-person numbers)."""
    total = sum(int(value[i]) * (13 - i) for i in range(12))
    return (11 - total % 11) % 10 == int(value[12])


def check_agent_id(agent_id: str) -> str:
    if not _THIRTEEN_DIGITS.fullmatch(agent_id):
        raise InvalidAgentId()
    return agent_id


def check_citizen_id(citizen_id: str, *, checksum: bool) -> str:
    if not _THIRTEEN_DIGITS.fullmatch(citizen_id):
        raise InvalidCitizenId()
    if checksum and not thai_id_checksum_ok(citizen_id):
        error = InvalidCitizenId("CitizenID fails the check digit")
        error.citizen_id = citizen_id
        raise error
    return citizen_id


def new_token() -> str:
    """Opaque: base64 of 32 random bytes (the screenshot's token looks like this)."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


# -- Authenticate ------------------------------------------------------------------------------


def authenticate(
    session: Session,
    secret: bytes,
    agent_id: str,
    body: AuthenticateRequest,
    now: dt.datetime,
) -> str:
    """Check the client and the agent, open a session; returns the token (shown once)."""
    check_agent_id(agent_id)
    # No issued ClientID holds a NUL, and PostgreSQL refuses one in a text parameter.
    issued = "\x00" not in body.ClientID
    client = (
        session.scalar(select(Client).where(Client.client_id == body.ClientID)) if issued else None
    )
    digest = key_digest(secret, body.ClientSecret)
    stored = client.secret_digest if client is not None else key_digest(secret, "")
    if client is None or not digests_equal(stored, digest) or client.revoked_at is not None:
        raise InvalidClient()
    if not client.any_agent:
        allowed = session.scalar(
            select(ClientAgent.id).where(
                ClientAgent.client_id == client.id, ClientAgent.agent_id == agent_id
            )
        )
        if allowed is None:
            raise AgentNotAllowed()
    token = new_token()
    start = to_utc_naive(now)
    session.add(
        AgentSession(
            token_digest=key_digest(secret, token),
            client_id=client.id,
            agent_id=agent_id,
            created_at=start,
            expires_at=start + SESSION_LENGTH,
        )
    )
    return token


def caller(session: Session, secret: bytes, token: str | None, now: dt.datetime) -> Caller:
    """The session a ``Token`` header names: missing, unknown, revoked, expired -> 401."""
    if not token or not token.strip():
        raise MissingToken()
    digest = key_digest(secret, token.strip())
    row = session.execute(
        select(AgentSession, Client.revoked_at)
        .join(Client, Client.id == AgentSession.client_id)
        .where(AgentSession.token_digest == digest)
    ).first()
    if row is None or not digests_equal(row[0].token_digest, digest):
        raise InvalidToken()
    found, client_revoked = row[0], row[1]
    if found.revoked_at is not None or client_revoked is not None:
        raise InvalidToken()
    if to_utc_naive(now) >= found.expires_at:
        raise TokenExpired()
    return Caller(client_id=found.client_id, agent_id=found.agent_id)


# -- quota -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Quota:
    per_minute: int | None = None
    per_day: int | None = None


def check_quota(session: Session, who: Caller, quota: Quota, now: dt.datetime) -> None:
    """Counted from the audit rows: lookups of this client system in the last 60 seconds and
    since Bangkok midnight. Refused lookups are not audited, so they do not count."""
    at = to_utc_naive(now)
    if quota.per_minute is not None:
        since = at - dt.timedelta(minutes=1)
        count, oldest = session.execute(
            select(func.count(), func.min(Audit.at)).where(
                Audit.client_id == who.client_id, Audit.at > since
            )
        ).one()
        if count >= quota.per_minute:
            wait = (oldest + dt.timedelta(minutes=1) - at).total_seconds()
            raise QuotaExceeded(
                f"Lookup quota exceeded ({quota.per_minute} per minute)",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
    if quota.per_day is not None:
        local = now.astimezone(BANGKOK)
        midnight = dt.datetime.combine(local.date(), dt.time(), BANGKOK)
        today = session.scalar(
            select(func.count()).where(
                Audit.client_id == who.client_id, Audit.at >= to_utc_naive(midnight)
            )
        )
        if (today or 0) >= quota.per_day:
            wait = (midnight + dt.timedelta(days=1) - local).total_seconds()
            raise QuotaExceeded(
                f"Lookup quota exceeded ({quota.per_day} per day)",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )


# -- PowerCapital ------------------------------------------------------------------------------


def number(value: Decimal) -> int | float:
    """``588000`` stays an integer on the wire, ``2105542.18`` a decimal, as the example shows."""
    return int(value) if value == value.to_integral_value() else float(value)


def wire_date(value: dt.date | None) -> str:
    return f"{value.isoformat()}T00:00:00" if value else ""


#: Each layout's fields in the wire's order (the example's and the description table's).
_MEA_FIELDS = [name for name in CustomerInfo.model_fields if name != "usageHistory"]
_PEA_FIELDS = [name for name in PeaAccount.model_fields if name != "BillList"]


def _latest_bills(session: Session, account_id: int) -> list[Bill]:
    return list(
        session.scalars(
            select(Bill)
            .where(Bill.account_id == account_id)
            .order_by(Bill.bill_date.desc(), Bill.id.desc())
            .limit(HISTORY_LENGTH)
        )
    )


def _customerinfo(account: Account, bills: list[Bill]) -> dict[str, Any]:
    history = [
        {"kwh": number(b.units), "Amount": number(b.amount), "billDate": wire_date(b.bill_date)}
        for b in bills
    ]
    history += [dict(PADDING) for _ in range(HISTORY_LENGTH - len(history))]
    fields = {**account.info, "installationNumber": account.account_no}
    return {"usageHistory": history, **{name: fields.get(name, "") for name in _MEA_FIELDS}}


def _ca(account: Account, bills: list[Bill]) -> dict[str, Any]:
    bill_list = [
        {
            "BillPeriod": b.info.get("BillPeriod", ""),
            "Cost": number(b.amount),
            "DueDate": b.info.get("DueDate", ""),
            "InvoiceNo": b.info.get("InvoiceNo", ""),
            "Paydate": b.info.get("Paydate", ""),
            "RecordDate": wire_date(b.bill_date),
            "Unit": number(b.units),
        }
        for b in bills
    ]
    fields = {**account.info, "CANo": account.account_no}
    out: dict[str, Any] = {"BillList": bill_list}
    for name in _PEA_FIELDS:
        out[name] = fields.get(name, None if name == "RegisDate" else "")
    return out


def power_capital(
    session: Session,
    secret: bytes,
    who: Caller,
    citizen_id: str,
    now: dt.datetime,
    *,
    checksum: bool = False,
    quota: Quota | None = None,
) -> dict[str, Any]:
    """The citizen's accounts of both layouts; every lookup is audited, found or not."""
    check_citizen_id(citizen_id, checksum=checksum)
    if quota is not None:
        check_quota(session, who, quota, now)
    accounts = session.scalars(
        select(Account).where(Account.citizen_id == citizen_id).order_by(Account.id)
    ).all()
    mea = [_customerinfo(a, _latest_bills(session, a.id)) for a in accounts if a.layout == MEA]
    pea = [_ca(a, _latest_bills(session, a.id)) for a in accounts if a.layout == PEA]
    session.add(
        Audit(
            at=to_utc_naive(now),
            client_id=who.client_id,
            agent_id=who.agent_id,
            citizen_digest=key_digest(secret, citizen_id),
            citizen_last4=citizen_id[-4:],
            rows=len(accounts),
        )
    )
    found = bool(accounts)
    return envelope(
        citizen_id=citizen_id,
        customerinfo=mea,
        ca_list=pea,
        empty="" if found else "Y",
        error="",
        status="200",
        status_detail="Success" if found else "Data not found",
    )
