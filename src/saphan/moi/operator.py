"""What an organisation running the MOI hub does: client systems, their agents, accounts.

Used by the demo data (and, later, the operator API and ``saphan moi`` commands).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from saphan.core.clock import BANGKOK, to_utc_naive
from saphan.core.hashing import key_digest
from saphan.moi.admin_schemas import AccountIn
from saphan.moi.models import MEA, Account, AgentSession, Audit, Bill, Client, ClientAgent


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


def revoke_client(session: Session, client_id: str, now: dt.datetime) -> None:
    client = session.scalars(select(Client).where(Client.client_id == client_id)).one()
    client.revoked_at = to_utc_naive(now)


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


def list_audit(
    session: Session,
    *,
    client_id: str | None = None,
    agent_id: str | None = None,
    day: dt.date | None = None,
) -> list[tuple[Audit, str]]:
    """Audit rows with their ClientID, oldest first, filtered by client, agent and Bangkok day."""
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
    return [(row[0], row[1]) for row in session.execute(query.order_by(Audit.id))]


def sessions(session: Session) -> list[AgentSession]:
    return list(session.scalars(select(AgentSession).order_by(AgentSession.id)))
