"""What the operator reads back: the lookup audit (citizen IDs masked to their last 4 digits)
and a holder's accounts with their bill counts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from saphan.core.admin import AdminInvalid
from saphan.core.clock import BANGKOK, to_utc_naive, wire_datetime
from saphan.moi.admin_schemas import AccountOut, AuditOut, thirteen_digits
from saphan.moi.models import MEA, PEA, Account, Audit, Bill, Client
from saphan.moi.operator import check_agent_ids, issuable


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
    if client_id is not None and not issuable(client_id):
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
        .where(Bill.account_id.in_(select(Account.id).where(Account.citizen_id == citizen_id)))
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
