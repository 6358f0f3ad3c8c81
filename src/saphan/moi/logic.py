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

from sqlalchemy import Connection, and_, bindparam, func, insert, select
from sqlalchemy.orm import Session

from saphan.core import login_limit
from saphan.core.clock import BANGKOK, to_utc_naive
from saphan.core.group_commit import Recorded, Then
from saphan.core.hashing import digests_equal, key_digest
from saphan.core.statement import Statement, upsert_into
from saphan.moi.errors import (
    AgentNotAllowed,
    InvalidAgentId,
    InvalidCitizenId,
    InvalidClient,
    InvalidToken,
    MissingToken,
    QuotaExceeded,
    TokenExpired,
    TooManyAddressAttempts,
    TooManyAttempts,
    envelope,
)
from saphan.moi.models import (
    MEA,
    PEA,
    Account,
    AgentSession,
    Audit,
    Bill,
    Client,
    ClientAgent,
    LookupDay,
)
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


@dataclass(frozen=True)
class AuthLimits:
    """Failed Authenticates allowed per ClientID and per client address (``core.login_limit``)."""

    client: login_limit.Limit
    address: login_limit.Limit


@dataclass(frozen=True)
class AuthAttempt:
    """An Authenticate counted as failed until its secret proves right (``authenticate``)."""

    client_digest: str
    address_attempt: int


def authenticate_attempt(
    session: Session,
    secret: bytes,
    limits: AuthLimits,
    client_id: str,
    address: str | None,
    now: dt.datetime,
) -> AuthAttempt:
    """Refuse (429) a ClientID, or a client address, with too many recent failures; else count
    this attempt as a failure of both, in this one write (exact under concurrency: see
    ``core.login_limit``), for the caller to commit before the credentials are checked."""
    client = login_limit.key(secret, "moi-client", client_id)
    counted = login_limit.attempt(session, client, limits.client, now)
    if isinstance(counted, login_limit.Refused):
        raise TooManyAttempts(headers={"Retry-After": str(counted.retry_after)})
    where = login_limit.address(secret, "moi-authenticate", address)
    by_address = login_limit.attempt(session, where, limits.address, now)
    if isinstance(by_address, login_limit.Refused):
        # Raised: this transaction, the ClientID's count with it, is rolled back.
        raise TooManyAddressAttempts(headers={"Retry-After": str(by_address.retry_after)})
    return AuthAttempt(client, by_address)


def authenticate(
    session: Session,
    secret: bytes,
    agent_id: str,
    body: AuthenticateRequest,
    now: dt.datetime,
    attempt: AuthAttempt | None = None,
) -> str:
    """Check the client and the agent, open a session; returns the token (shown once). With
    the ``attempt`` ``authenticate_attempt`` counted: a session opened forgets the ClientID's
    failures and withdraws this attempt from the address's; a refusal (raised, so nothing here
    is written) leaves the attempt counted."""
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
    if attempt is not None:
        login_limit.forget(session, attempt.client_digest)
        login_limit.withdraw(session, attempt.address_attempt)
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


_SESSION_BY_DIGEST = (
    select(
        AgentSession.token_digest,
        AgentSession.client_id,
        AgentSession.agent_id,
        AgentSession.expires_at,
        AgentSession.revoked_at,
        Client.revoked_at,
    )
    .join(Client, Client.id == AgentSession.client_id)
    .where(AgentSession.token_digest == bindparam("digest"))
)


def token_digest(secret: bytes, token: str | None) -> str:
    """The stored digest of a ``Token`` header's value; MissingToken without one."""
    if not token or not token.strip():
        raise MissingToken()
    return key_digest(secret, token.strip())


@dataclass(frozen=True, slots=True)
class LiveSession:
    """A session neither revoked nor of a revoked client: what may be kept in memory, since
    whether it has expired depends only on the time of each request."""

    caller: Caller
    #: Naive UTC.
    expires_at: dt.datetime


def find_session(conn: Connection, digest: str) -> LiveSession | None:
    """The session whose token has ``digest``; None when unknown or revoked."""
    row = conn.execute(_SESSION_BY_DIGEST, {"digest": digest}).first()
    if row is None or not digests_equal(row[0], digest):
        return None
    _digest, client_id, agent_id, expires_at, revoked_at, client_revoked = row
    if revoked_at is not None or client_revoked is not None:
        return None
    return LiveSession(Caller(client_id=client_id, agent_id=agent_id), expires_at)


def session_caller(session: LiveSession | None, now: dt.datetime) -> Caller:
    """Who a looked-up session lets call at ``now``: unknown, revoked, expired -> 401."""
    if session is None:
        raise InvalidToken()
    if to_utc_naive(now) >= session.expires_at:
        raise TokenExpired()
    return session.caller


# -- quota -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Quota:
    per_minute: int | None = None
    per_day: int | None = None


_RECENT_LOOKUPS = Statement(
    select(func.count(), func.min(Audit.at)).where(
        Audit.client_id == bindparam("client"), Audit.at > bindparam("since")
    )
)
_LOOKUPS_TODAY = Statement(
    select(LookupDay.lookups).where(
        LookupDay.client_id == bindparam("client"), LookupDay.day == bindparam("day")
    )
)


def check_quota(conn: Connection, who: Caller, quota: Quota, now: dt.datetime) -> None:
    """Lookups of this client system in the last 60 seconds (its audit rows) and since Bangkok
    midnight (its day counter). Refused lookups are not audited, so they do not count."""
    at = to_utc_naive(now)
    if quota.per_minute is not None:
        since = at - dt.timedelta(minutes=1)
        count, oldest = _RECENT_LOOKUPS.rows(conn, client=who.client_id, since=since)[0]
        if count >= quota.per_minute:
            wait = (oldest + dt.timedelta(minutes=1) - at).total_seconds()
            raise QuotaExceeded(
                f"Lookup quota exceeded ({quota.per_minute} per minute)",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
    if quota.per_day is not None:
        local = now.astimezone(BANGKOK)
        today = _LOOKUPS_TODAY.scalar(conn, client=who.client_id, day=local.date())
        if (today or 0) >= quota.per_day:
            midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), BANGKOK)
            raise QuotaExceeded(
                f"Lookup quota exceeded ({quota.per_day} per day)",
                headers={"Retry-After": str(max(1, math.ceil((midnight - local).total_seconds())))},
            )


def _count_lookup(dialect: str) -> Any:
    """INSERT ... ON CONFLICT (client, day) DO UPDATE lookups + 1, for either database."""
    statement = upsert_into(dialect, LookupDay).values(
        client_id=bindparam("client"), day=bindparam("day"), lookups=1
    )
    return statement.on_conflict_do_update(
        index_elements=["client_id", "day"], set_={"lookups": LookupDay.lookups + 1}
    )


_COUNT_LOOKUP = Statement(_count_lookup)
#: An audit row's columns given by the lookup (``rows``, the accounts found, besides).
_AUDITED = ("at", "client_id", "agent_id", "citizen_digest", "citizen_last4")
_AUDIT = Statement(insert(Audit).values({name: bindparam(name) for name in (*_AUDITED, "rows")}))


# -- PowerCapital ------------------------------------------------------------------------------


def number(value: Decimal) -> int | float:
    """``588000`` stays an integer on the wire, ``2105542.18`` a decimal, as the example shows."""
    return int(value) if value == value.to_integral_value() else float(value)


def wire_date(value: dt.date | None) -> str:
    return f"{value.isoformat()}T00:00:00" if value else ""


#: Each layout's fields in the wire's order (the example's and the description table's).
_MEA_FIELDS = [name for name in CustomerInfo.model_fields if name != "usageHistory"]
_PEA_FIELDS = [name for name in PeaAccount.model_fields if name != "BillList"]


_RANKED_BILLS = (
    select(
        Bill.account_id,
        Bill.bill_date,
        Bill.units,
        Bill.amount,
        Bill.info,
        func.row_number()
        .over(partition_by=Bill.account_id, order_by=(Bill.bill_date.desc(), Bill.id.desc()))
        .label("rank"),
    )
    .where(
        Bill.account_id.in_(select(Account.id).where(Account.citizen_id == bindparam("citizen")))
    )
    .subquery()
)
#: A holder's accounts, each with its latest HISTORY_LENGTH bills (rank 1 the newest).
_HOLDINGS_QUERY = (
    select(
        Account.id,
        Account.layout,
        Account.account_no,
        Account.info.label("account_info"),
        _RANKED_BILLS.c.bill_date,
        _RANKED_BILLS.c.units,
        _RANKED_BILLS.c.amount,
        _RANKED_BILLS.c.info.label("bill_info"),
        _RANKED_BILLS.c.rank,
    )
    .outerjoin(
        _RANKED_BILLS,
        and_(_RANKED_BILLS.c.account_id == Account.id, _RANKED_BILLS.c.rank <= HISTORY_LENGTH),
    )
    .where(Account.citizen_id == bindparam("citizen"))
)
#: The holdings in one query, in account order, each account's bills newest first.
_HOLDINGS = Statement(_HOLDINGS_QUERY.order_by(Account.id, _RANKED_BILLS.c.rank))


def _lookup_in_one() -> Any:
    """PostgreSQL: the holdings, the audit row (counting the accounts found) and the day's
    count as one statement (data-modifying CTEs), for the writer's pipeline."""
    holdings = _HOLDINGS_QUERY.cte("holdings")
    audited = [bindparam(name, type_=Audit.__table__.c[name].type) for name in _AUDITED]
    accounts = select(func.count(holdings.c.id.distinct())).scalar_subquery()
    audit = insert(Audit).from_select([*_AUDITED, "rows"], select(*audited, accounts)).cte("audit")
    counted = _count_lookup("postgresql").cte("counted")
    return select(holdings).add_cte(audit, counted).order_by(holdings.c.id, holdings.c.rank)


_LOOKUP_IN_ONE = Statement(lambda _dialect: _lookup_in_one())


@dataclass(slots=True)
class _Holding:
    layout: str
    account_no: str
    info: dict[str, Any]
    #: (date, units, amount, the CAList layout's other fields), newest first
    bills: list[tuple[dt.date, Decimal, Decimal, dict[str, Any]]]


def _holdings(rows: list[Any]) -> list[_Holding]:
    """The holdings query's rows (``_HOLDINGS``, ``_LOOKUP_IN_ONE``), account by account."""
    out: dict[int, _Holding] = {}
    for row in rows:
        holding = out.get(row[0])
        if holding is None:
            holding = out[row[0]] = _Holding(row[1], row[2], row[3], [])
        if row[4] is not None:
            holding.bills.append((row[4], row[5], row[6], row[7]))
    return list(out.values())


def _customerinfo(account: _Holding) -> dict[str, Any]:
    history = [
        {"kwh": number(units), "Amount": number(amount), "billDate": wire_date(day)}
        for day, units, amount, _info in account.bills
    ]
    history += [dict(PADDING) for _ in range(HISTORY_LENGTH - len(history))]
    fields = {**account.info, "installationNumber": account.account_no}
    return {"usageHistory": history, **{name: fields.get(name, "") for name in _MEA_FIELDS}}


def _ca(account: _Holding) -> dict[str, Any]:
    bill_list = [
        {
            "BillPeriod": info.get("BillPeriod", ""),
            "Cost": number(amount),
            "DueDate": info.get("DueDate", ""),
            "InvoiceNo": info.get("InvoiceNo", ""),
            "Paydate": info.get("Paydate", ""),
            "RecordDate": wire_date(day),
            "Unit": number(units),
        }
        for day, units, amount, info in account.bills
    ]
    fields = {**account.info, "CANo": account.account_no}
    out: dict[str, Any] = {"BillList": bill_list}
    for name in _PEA_FIELDS:
        out[name] = fields.get(name, None if name == "RegisDate" else "")
    return out


def power_capital(
    conn: Connection,
    secret: bytes,
    who: Caller,
    citizen_id: str,
    now: dt.datetime,
    *,
    checksum: bool = False,
    quota: Quota | None = None,
) -> Recorded[dict[str, Any]]:
    """The citizen's accounts of both layouts; every lookup is audited, found or not: the
    audit row and the day's count are ``Recorded``. With a ``quota``, run it in a write
    transaction: the check and the rows it counts then share it, so concurrent lookups (other
    processes too) cannot overshoot the quota."""
    check_citizen_id(citizen_id, checksum=checksum)
    if quota is not None:
        check_quota(conn, who, quota, now)
    accounts = _holdings(_HOLDINGS.rows(conn, citizen=citizen_id))
    audit, count = _lookup_params(secret, who, citizen_id, now)
    writes = [(_AUDIT, {**audit, "rows": len(accounts)}), (_COUNT_LOOKUP, count)]
    return Recorded(_power_capital_answer(citizen_id, accounts), writes)


def power_capital_in_one(
    secret: bytes, who: Caller, citizen_id: str, now: dt.datetime, *, checksum: bool = False
) -> Then[dict[str, Any]]:
    """PostgreSQL without a quota: ``power_capital`` as one statement for the writer, which
    sends it in one pipeline with the other lookups waiting (``core.group_commit.Then``)."""
    check_citizen_id(citizen_id, checksum=checksum)
    audit, count = _lookup_params(secret, who, citizen_id, now)
    return Then(
        _LOOKUP_IN_ONE,
        {"citizen": citizen_id, **audit, **count},
        lambda _conn, rows: _power_capital_answer(citizen_id, _holdings(rows)),
    )


def _lookup_params(
    secret: bytes, who: Caller, citizen_id: str, now: dt.datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the lookup's audit row holds (but ``rows``), and its day's count's key."""
    audit = {
        "at": to_utc_naive(now),
        "client_id": who.client_id,
        "agent_id": who.agent_id,
        "citizen_digest": key_digest(secret, citizen_id),
        "citizen_last4": citizen_id[-4:],
    }
    return audit, {"client": who.client_id, "day": now.astimezone(BANGKOK).date()}


def _power_capital_answer(citizen_id: str, accounts: list[_Holding]) -> dict[str, Any]:
    found = bool(accounts)
    return envelope(
        citizen_id=citizen_id,
        customerinfo=[_customerinfo(a) for a in accounts if a.layout == MEA],
        ca_list=[_ca(a) for a in accounts if a.layout == PEA],
        empty="" if found else "Y",
        error="",
        status="200",
        status_detail="Success" if found else "Data not found",
    )
