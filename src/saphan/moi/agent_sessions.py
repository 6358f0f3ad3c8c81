"""Agent sessions as the operator sees them: listed with their state, never anything of the
token; revoked one at a time, or all of a client system, of an agent, or of both."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from sqlalchemy import func, not_, or_, select
from sqlalchemy.orm import Session

from saphan.core.admin import MAX_ROW_ID, AdminInvalid, AdminNotFound
from saphan.core.clock import to_utc_naive, wire_datetime
from saphan.moi.admin_schemas import SessionOut
from saphan.moi.models import AgentSession, Client
from saphan.moi.operator import check_agent_ids, get_client, issuable, revoke_sessions


def sessions(session: Session) -> list[AgentSession]:
    return list(session.scalars(select(AgentSession).order_by(AgentSession.id)))


SessionStatus = Literal["active", "expired", "revoked"]


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
    if client_id is not None and not issuable(client_id):
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
    if not 0 < session_id <= MAX_ROW_ID:
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
