"""MOI tables: client systems, their agents, sessions, the utilities' accounts and bills, audit.

Times are naive UTC. An account's wire fields (other than its bills) are kept as the layout's own
JSON object, so both utilities' records come back exactly as they were loaded.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from saphan.core.db import Base

#: The metropolitan utility's layout (the example's ``customerinfo``) and the provincial one's
#: (the description table's ``CAList``).
MEA, PEA = "customerinfo", "CAList"


class Client(Base):
    __tablename__ = "moi_client"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The ClientID as issued; an identifier, not a secret.
    client_id: Mapped[str] = mapped_column(String(100), unique=True)
    secret_digest: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    #: True: any well-formed AgentID may use this client; else only those in moi_client_agent.
    any_agent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class ClientAgent(Base):
    __tablename__ = "moi_client_agent"
    __table_args__ = (UniqueConstraint("client_id", "agent_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("moi_client.id"))
    agent_id: Mapped[str] = mapped_column(String(13))


class AgentSession(Base):
    __tablename__ = "moi_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("moi_client.id"), index=True)
    agent_id: Mapped[str] = mapped_column(String(13))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class Account(Base):
    __tablename__ = "moi_account"
    __table_args__ = (UniqueConstraint("layout", "account_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The 13-digit citizen or juristic-person ID that holds the account.
    citizen_id: Mapped[str] = mapped_column(String(13), index=True)
    layout: Mapped[str] = mapped_column(String(16))
    #: ``installationNumber`` (customerinfo) or ``CANo`` (CAList).
    account_no: Mapped[str] = mapped_column(String(50))
    info: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Bill(Base):
    __tablename__ = "moi_bill"
    __table_args__ = (Index("ix_moi_bill_account_date", "account_id", "bill_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("moi_account.id"))
    #: ``billDate`` (customerinfo) or ``RecordDate`` (CAList): what "latest" orders by.
    bill_date: Mapped[dt.date] = mapped_column(Date)
    #: ``kwh`` / ``Unit``.
    units: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    #: ``Amount`` / ``Cost``.
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    #: The CAList layout's other bill fields (BillPeriod, DueDate, InvoiceNo, Paydate).
    info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Audit(Base):
    """One row per PowerCapital lookup. The citizen ID is kept keyed-hashed plus its last 4."""

    __tablename__ = "moi_audit"
    #: The per-minute quota counts one client's rows of the last minute through this index.
    __table_args__ = (Index("ix_moi_audit_client_at", "client_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("moi_client.id"))
    agent_id: Mapped[str] = mapped_column(String(13), index=True)
    citizen_digest: Mapped[str] = mapped_column(String(64))
    citizen_last4: Mapped[str] = mapped_column(String(4))
    rows: Mapped[int] = mapped_column(Integer)


class LookupDay(Base):
    """Lookups per client system per Bangkok day, counted with each audit row: the daily quota
    reads one row instead of counting up to a day's audit rows on every lookup."""

    __tablename__ = "moi_lookup_day"

    client_id: Mapped[int] = mapped_column(ForeignKey("moi_client.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    lookups: Mapped[int] = mapped_column(Integer)
