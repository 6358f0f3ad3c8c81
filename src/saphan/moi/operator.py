"""What an organisation running the MOI hub does: client systems, their agents, accounts.

Used by the operator API (``/admin/moi``), the ``saphan moi`` commands and the demo data alike.
Errors are the operator API's (``core.admin``): 404 unknown, 409 conflicting, 422 invalid.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import string
from collections.abc import Sequence
from typing import Literal

from sqlalchemy import ColumnElement, Select, and_, delete, func, insert, not_, or_, select, update
from sqlalchemy.orm import Session

from saphan.core.admin import AdminConflict, AdminInvalid, AdminNotFound
from saphan.core.clock import BANGKOK, to_utc_naive, wire_datetime
from saphan.core.hashing import key_digest
from saphan.moi.admin_schemas import (
    CLIENT_ID_PATTERN,
    AccountIn,
    AccountOut,
    AuditOut,
    ClientCreated,
    ClientOut,
    SessionOut,
    has_no_controls,
    thirteen_digits,
)
from saphan.moi.models import MEA, PEA, Account, AgentSession, Audit, Bill, Client, ClientAgent


def create_client(
    session: Session,
    secret: bytes,
    client_id: str,
    client_secret: str,
    now: dt.datetime,
    *,
    name: str = "",
    any_agent: bool = False,
    agents: Sequence[str] = (),
) -> Client:
    client = Client(
        client_id=client_id,
        secret_digest=key_digest(secret, client_secret),
        name=name,
        any_agent=any_agent,
        created_at=to_utc_naive(now),
    )
    session.add(client)
    session.flush()
    session.add_all(ClientAgent(client_id=client.id, agent_id=a) for a in agents)
    session.flush()
    return client


def client_exists(session: Session, client_id: str) -> bool:
    return session.scalar(select(Client.id).where(Client.client_id == client_id)) is not None


def add_accounts(session: Session, accounts: Sequence[AccountIn], now: dt.datetime) -> None:
    """Insert accounts and their bills (one flush for the accounts, one insert for the bills)."""
    created = to_utc_naive(now)
    rows = [
        Account(
            citizen_id=item.citizen_id,
            layout=item.layout,
            account_no=item.account_no,
            info=item.info,
            created_at=created,
        )
        for item in accounts
    ]
    session.add_all(rows)
    session.flush()
    bills = [
        {
            "account_id": row.id,
            "bill_date": b.bill_date,
            "units": b.units,
            "amount": b.amount,
            "info": b.info if item.layout != MEA else {},
        }
        for row, item in zip(rows, accounts, strict=True)
        for b in item.bills
    ]
    if bills:
        session.execute(insert(Bill), bills)


def import_accounts(
    session: Session, accounts: Sequence[AccountIn], now: dt.datetime
) -> tuple[int, int]:
    """Upsert by (layout, account number): an existing account takes the file's holder and
    fields, and its bills are upserted by date. Returns (accounts created, accounts updated).
    All in the caller's transaction, so a file is loaded whole or not at all."""
    created_accounts: list[AccountIn] = []
    updated = 0
    for item in accounts:
        existing = session.scalar(
            select(Account).where(
                Account.layout == item.layout, Account.account_no == item.account_no
            )
        )
        if existing is None:
            created_accounts.append(item)
            continue
        updated += 1
        existing.citizen_id = item.citizen_id
        existing.info = item.info
        dates = [b.bill_date for b in item.bills]
        if dates:
            session.execute(
                delete(Bill).where(Bill.account_id == existing.id, Bill.bill_date.in_(dates))
            )
            session.execute(
                insert(Bill),
                [
                    {
                        "account_id": existing.id,
                        "bill_date": b.bill_date,
                        "units": b.units,
                        "amount": b.amount,
                        "info": b.info if item.layout != MEA else {},
                    }
                    for b in item.bills
                ],
            )
    if created_accounts:
        add_accounts(session, created_accounts, now)
    session.flush()
    return len(created_accounts), updated


def audit_rows(session: Session) -> list[Audit]:
    return list(session.scalars(select(Audit).order_by(Audit.id)))


def _audit_query(
    *, client_id: str | None, agent_id: str | None, day: dt.date | None
) -> Select[Audit, str]:
    query = select(Audit, Client.client_id).join(Client, Client.id == Audit.client_id)
    if client_id is not None:
        query = query.where(Client.client_id == client_id)
    if agent_id is not None:
        query = query.where(Audit.agent_id == agent_id)
    if day is not None:
        start = dt.datetime.combine(day, dt.time(), BANGKOK)
        query = query.where(
            Audit.at >= to_utc_naive(start),
            Audit.at < to_utc_naive(start + dt.timedelta(days=1)),
        )
    return query


def list_audit(
    session: Session,
    *,
    client_id: str | None = None,
    agent_id: str | None = None,
    day: dt.date | None = None,
) -> list[tuple[Audit, str]]:
    """Audit rows with their ClientID, oldest first, filtered by client, agent and Bangkok day."""
    query = _audit_query(client_id=client_id, agent_id=agent_id, day=day)
    return [(row[0], row[1]) for row in session.execute(query.order_by(Audit.id))]


def sessions(session: Session) -> list[AgentSession]:
    return list(session.scalars(select(AgentSession).order_by(AgentSession.id)))


# -- client systems (the operator API and ``saphan moi client``) -------------------------------

_ALPHABET = string.ascii_letters + string.digits
_CLIENT_ID = re.compile(CLIENT_ID_PATTERN)


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_client_id() -> str:
    """15 letters and digits, like the spec's ``8vWGC60OS2bjPc2``."""
    return _random(15)


def new_client_secret() -> str:
    return _random(32)


def check_agent_ids(agents: Sequence[str]) -> None:
    bad = [a for a in agents if not thirteen_digits(a)]
    if bad:
        raise AdminInvalid(f"AgentID must be 13 digits: {', '.join(bad)}")


def check_name(name: str) -> None:
    if len(name) > 200 or not has_no_controls(name):
        raise AdminInvalid("A name is at most 200 characters, without control characters")


def _issuable(client_id: str) -> bool:
    """No issued ClientID holds a NUL, and PostgreSQL refuses one in a text parameter."""
    return "\x00" not in client_id


def get_client(session: Session, client_id: str) -> Client:
    client = (
        session.scalar(select(Client).where(Client.client_id == client_id))
        if _issuable(client_id)
        else None
    )
    if client is None:
        raise AdminNotFound(f"No client {client_id}")
    return client


def _live_client(session: Session, client_id: str) -> Client:
    """A client that may still change; a revoked one stays as it was revoked."""
    client = get_client(session, client_id)
    if client.revoked_at is not None:
        raise AdminConflict(f"Client {client_id} is revoked")
    return client


def _agents(session: Session, client: Client) -> list[str]:
    return list(
        session.scalars(
            select(ClientAgent.agent_id)
            .where(ClientAgent.client_id == client.id)
            .order_by(ClientAgent.agent_id)
        )
    )


def _open(now: dt.datetime) -> ColumnElement[bool]:
    """Sessions that still work: not revoked, not expired (their client is checked apart)."""
    return and_(AgentSession.revoked_at.is_(None), AgentSession.expires_at > to_utc_naive(now))


def client_out(session: Session, client: Client, now: dt.datetime) -> ClientOut:
    active: int | None = 0
    if client.revoked_at is None:
        active = session.scalar(
            select(func.count()).where(AgentSession.client_id == client.id, _open(now))
        )
    return ClientOut(
        clientId=client.client_id,
        name=client.name,
        anyAgent=client.any_agent,
        agents=_agents(session, client),
        createdAt=wire_datetime(client.created_at),
        revokedAt=wire_datetime(client.revoked_at),
        activeSessions=active or 0,
    )


def register_client(
    session: Session,
    secret: bytes,
    now: dt.datetime,
    *,
    client_id: str | None = None,
    name: str = "",
    any_agent: bool = False,
    agents: Sequence[str] = (),
) -> ClientCreated:
    """A new client system with a generated secret, which the answer carries this once."""
    check_agent_ids(agents)
    if not agents and not any_agent:
        raise AdminInvalid("Give at least one agent, or anyAgent")
    check_name(name)
    if client_id is not None and not _CLIENT_ID.fullmatch(client_id):
        raise AdminInvalid("ClientID must be 1 to 100 letters, digits, '.', '_', '~' or '-'")
    client_id = client_id or new_client_id()
    if client_exists(session, client_id):
        raise AdminConflict(f"ClientID {client_id} exists already")
    plain = new_client_secret()
    client = create_client(
        session,
        secret,
        client_id,
        plain,
        now,
        name=name,
        any_agent=any_agent,
        agents=list(dict.fromkeys(agents)),
    )
    return ClientCreated(**client_out(session, client, now).model_dump(), clientSecret=plain)


def list_clients(session: Session, now: dt.datetime) -> list[ClientOut]:
    clients = session.scalars(select(Client).order_by(Client.id))
    return [client_out(session, c, now) for c in clients]


def revoke_sessions(
    session: Session,
    now: dt.datetime,
    *,
    client: Client | None = None,
    agent_id: str | None = None,
    keep_agents: Sequence[str] | None = None,
) -> int:
    """End the open sessions of a client, an agent, or both; ``keep_agents`` spares those
    agents' sessions. Returns how many were open."""
    query = update(AgentSession).where(_open(now))
    if client is not None:
        query = query.where(AgentSession.client_id == client.id)
    if agent_id is not None:
        query = query.where(AgentSession.agent_id == agent_id)
    if keep_agents is not None:
        query = query.where(AgentSession.agent_id.not_in(list(keep_agents)))
    result = session.execute(query.values(revoked_at=to_utc_naive(now)))
    return int(getattr(result, "rowcount", 0) or 0)


def revoke_client(session: Session, client_id: str, now: dt.datetime) -> Client:
    """It cannot authenticate any more and its open sessions end now. Revoking again changes
    nothing."""
    client = get_client(session, client_id)
    if client.revoked_at is None:
        client.revoked_at = to_utc_naive(now)
        revoke_sessions(session, now, client=client)
    return client


def rotate_secret(
    session: Session, secret: bytes, client_id: str, now: dt.datetime
) -> ClientCreated:
    """A new secret, shown this once. The old one stops working at once, and so do the
    sessions it opened: whoever held the old secret may have opened them."""
    client = _live_client(session, client_id)
    plain = new_client_secret()
    client.secret_digest = key_digest(secret, plain)
    revoke_sessions(session, now, client=client)
    session.flush()
    return ClientCreated(**client_out(session, client, now).model_dump(), clientSecret=plain)


def update_client(
    session: Session,
    client_id: str,
    now: dt.datetime,
    *,
    name: str | None = None,
    any_agent: bool | None = None,
) -> Client:
    """Rename, or switch "any agent" on or off. Off: the open sessions of agents that are not
    listed end now, as a disallowed agent's do."""
    client = _live_client(session, client_id)
    if name is not None:
        check_name(name)
        client.name = name
    if any_agent is not None and any_agent != client.any_agent:
        client.any_agent = any_agent
        if not any_agent:
            revoke_sessions(session, now, client=client, keep_agents=_agents(session, client))
    session.flush()
    return client


def allow_agent(session: Session, client_id: str, agent_id: str) -> Client:
    """Register an AgentID for the client (allowing it again changes nothing)."""
    check_agent_ids([agent_id])
    client = _live_client(session, client_id)
    if agent_id not in _agents(session, client):
        session.add(ClientAgent(client_id=client.id, agent_id=agent_id))
        session.flush()
    return client


def disallow_agent(session: Session, client_id: str, agent_id: str, now: dt.datetime) -> Client:
    """The agent can no longer authenticate with this client, and its sessions there end now."""
    check_agent_ids([agent_id])
    client = _live_client(session, client_id)
    if client.any_agent:
        raise AdminConflict(
            f"Client {client_id} accepts any agent; turn anyAgent off before disallowing one"
        )
    row = session.scalar(
        select(ClientAgent).where(
            ClientAgent.client_id == client.id, ClientAgent.agent_id == agent_id
        )
    )
    if row is None:
        raise AdminNotFound(f"AgentID {agent_id} is not allowed for client {client_id}")
    session.delete(row)
    revoke_sessions(session, now, client=client, agent_id=agent_id)
    session.flush()
    return client


# -- sessions ----------------------------------------------------------------------------------

SessionStatus = Literal["active", "expired", "revoked"]
#: Ids are 32-bit; a larger one is no session (PostgreSQL refuses it as an integer parameter).
_MAX_ID = 2**31 - 1


def _session_out(
    row: AgentSession, client_id: str, client_revoked: dt.datetime | None, now: dt.datetime
) -> SessionOut:
    revoked = row.revoked_at or client_revoked
    status: SessionStatus = "active"
    if revoked is not None:
        status = "revoked"
    elif row.expires_at <= to_utc_naive(now):
        status = "expired"
    return SessionOut(
        id=row.id,
        clientId=client_id,
        agentId=row.agent_id,
        createdAt=wire_datetime(row.created_at),
        expiresAt=wire_datetime(row.expires_at),
        revokedAt=wire_datetime(revoked),
        status=status,
    )


def list_sessions(
    session: Session,
    now: dt.datetime,
    *,
    client_id: str | None = None,
    agent_id: str | None = None,
    status: SessionStatus | None = None,
    page: int = 1,
    per_page: int = 100,
) -> tuple[int, list[SessionOut]]:
    """Sessions, oldest first, with their state; never anything of the token."""
    if agent_id is not None:
        check_agent_ids([agent_id])
    if client_id is not None and not _issuable(client_id):
        return 0, []
    query = select(AgentSession, Client.client_id, Client.revoked_at).join(
        Client, Client.id == AgentSession.client_id
    )
    if client_id is not None:
        query = query.where(Client.client_id == client_id)
    if agent_id is not None:
        query = query.where(AgentSession.agent_id == agent_id)
    at = to_utc_naive(now)
    revoked = or_(AgentSession.revoked_at.is_not(None), Client.revoked_at.is_not(None))
    if status == "revoked":
        query = query.where(revoked)
    elif status == "expired":
        query = query.where(not_(revoked), AgentSession.expires_at <= at)
    elif status == "active":
        query = query.where(not_(revoked), AgentSession.expires_at > at)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(AgentSession.id).offset((page - 1) * per_page).limit(per_page)
    )
    return total, [_session_out(r[0], r[1], r[2], now) for r in rows]


def revoke_session(session: Session, session_id: int, now: dt.datetime) -> SessionOut:
    """End one session now (an ended one stays as it was)."""
    if not 0 < session_id <= _MAX_ID:
        raise AdminNotFound(f"No session {session_id}")
    row = session.execute(
        select(AgentSession, Client.client_id, Client.revoked_at)
        .join(Client, Client.id == AgentSession.client_id)
        .where(AgentSession.id == session_id)
    ).first()
    if row is None:
        raise AdminNotFound(f"No session {session_id}")
    found = row[0]
    if found.revoked_at is None and row[2] is None and found.expires_at > to_utc_naive(now):
        found.revoked_at = to_utc_naive(now)
    return _session_out(found, row[1], row[2], now)


def revoke_sessions_of(
    session: Session, now: dt.datetime, *, client_id: str | None, agent_id: str | None
) -> int:
    """Every open session of a client system, of an agent anywhere, or of an agent at one
    client system."""
    if client_id is None and agent_id is None:
        raise AdminInvalid("Give clientId, agentId or both")
    if agent_id is not None:
        check_agent_ids([agent_id])
    client = get_client(session, client_id) if client_id is not None else None
    return revoke_sessions(session, now, client=client, agent_id=agent_id)


# -- audit and accounts ------------------------------------------------------------------------


def audit_page(
    session: Session,
    *,
    client_id: str | None = None,
    agent_id: str | None = None,
    day: dt.date | None = None,
    page: int = 1,
    per_page: int = 100,
) -> tuple[int, list[AuditOut]]:
    """``list_audit``'s filters, a page at a time, oldest first."""
    if agent_id is not None:
        check_agent_ids([agent_id])
    if client_id is not None and not _issuable(client_id):
        return 0, []
    query = _audit_query(client_id=client_id, agent_id=agent_id, day=day)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Audit.id).offset((page - 1) * per_page).limit(per_page))
    return total, [
        AuditOut(
            id=a.id,
            at=wire_datetime(a.at),
            clientId=client,
            agentId=a.agent_id,
            citizen=masked(a.citizen_last4),
            rows=a.rows,
        )
        for a, client in rows
    ]


def masked(last4: str) -> str:
    """A citizen ID as the operator sees it in the audit: its last 4 digits."""
    return f"*********{last4}"


def holder_accounts(session: Session, citizen_id: str) -> list[AccountOut]:
    """A holder's accounts of both layouts with their bill counts (to check an import)."""
    if not thirteen_digits(citizen_id):
        raise AdminInvalid("CitizenID must be 13 digits")
    bills = (
        select(
            Bill.account_id,
            func.count().label("n"),
            func.min(Bill.bill_date).label("first"),
            func.max(Bill.bill_date).label("last"),
        )
        .group_by(Bill.account_id)
        .subquery()
    )
    rows = session.execute(
        select(Account, bills.c.n, bills.c.first, bills.c.last)
        .outerjoin(bills, bills.c.account_id == Account.id)
        .where(Account.citizen_id == citizen_id)
        .order_by(Account.id)
    )
    return [
        AccountOut(
            layout=MEA if a.layout == MEA else PEA,
            accountNo=a.account_no,
            citizenId=a.citizen_id,
            info=a.info,
            bills=n or 0,
            firstBill=first.isoformat() if first else "",
            lastBill=last.isoformat() if last else "",
            createdAt=wire_datetime(a.created_at),
        )
        for a, n, first, last in rows
    ]
