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

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.orm import Session

from saphan.core.admin import AdminConflict, AdminInvalid, AdminNotFound
from saphan.core.clock import to_utc_naive, wire_datetime
from saphan.core.hashing import key_digest
from saphan.moi.admin_schemas import (
    CLIENT_ID_PATTERN,
    ClientCreated,
    ClientOut,
    has_no_controls,
    thirteen_digits,
)
from saphan.moi.models import AgentSession, Client, ClientAgent


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


def issuable(client_id: str) -> bool:
    """No issued ClientID holds a NUL, and PostgreSQL refuses one in a text parameter."""
    return "\x00" not in client_id


def get_client(session: Session, client_id: str) -> Client:
    client = (
        session.scalar(select(Client).where(Client.client_id == client_id))
        if issuable(client_id)
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
    client_secret: str | None = None,
) -> ClientCreated:
    """A new client system with a generated secret, which the answer carries this once;
    ``client_secret`` fixes it (the test kit's seed, whose callers send a known one)."""
    check_agent_ids(agents)
    if not agents and not any_agent:
        raise AdminInvalid("Give at least one agent, or anyAgent")
    check_name(name)
    if client_id is not None and not _CLIENT_ID.fullmatch(client_id):
        raise AdminInvalid("ClientID must be 1 to 100 letters, digits, '.', '_', '~' or '-'")
    client_id = client_id or new_client_id()
    if client_exists(session, client_id):
        raise AdminConflict(f"ClientID {client_id} exists already")
    plain = client_secret or new_client_secret()
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
