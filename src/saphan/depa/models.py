"""depa tables. Times are naive UTC; vouchers are never deleted (revoked is a status)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    REAL,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from saphan.core.db import Base


class DigitalProvider(Base):
    __tablename__ = "depa_dp"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    #: Vouchers ever issued to this DP; each voucher's ``seq`` is 1..voucher_count, dense,
    #: which makes any page of GetDPVouchers an index range instead of an OFFSET scan.
    voucher_count: Mapped[int] = mapped_column(Integer, default=0)
    #: A value that triggers change in every transaction that writes one of the DP's vouchers
    #: (migration 0014): what GetDPVouchers pages are kept under (``core.answer_cache``).
    revision: Mapped[int] = mapped_column(
        BigInteger, server_default=text("0"), info={"kept_by_triggers": True}
    )


class ApiKey(Base):
    __tablename__ = "depa_api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dp_id: Mapped[int] = mapped_column(ForeignKey("depa_dp.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    #: First 8 characters, so operators can tell keys apart without seeing them.
    prefix: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class Voucher(Base):
    __tablename__ = "depa_voucher"
    __table_args__ = (UniqueConstraint("dp_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dp_id: Mapped[int] = mapped_column(ForeignKey("depa_dp.id"))
    seq: Mapped[int] = mapped_column(Integer)
    voucher_code: Mapped[str] = mapped_column(String(50), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    binding_time: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    revoking_time: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    activated_time: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_time: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    regist_id: Mapped[str] = mapped_column(String(50), default="")
    regist_type: Mapped[str] = mapped_column(String(50), default="")
    title: Mapped[str] = mapped_column(String(50), default="")
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    id_card: Mapped[str] = mapped_column(String(20), default="")
    mobile_no: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    addr_no: Mapped[str] = mapped_column(String(50), default="")
    moo: Mapped[str] = mapped_column(String(50), default="")
    province_name: Mapped[str] = mapped_column(String(100), default="")
    amphur_name: Mapped[str] = mapped_column(String(100), default="")
    tambon_name: Mapped[str] = mapped_column(String(100), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    product_name: Mapped[str] = mapped_column(String(200), default="")
    #: The voucher's GetDPVouchers record as JSON text, written by the database's triggers
    #: (migration 0009) whenever the columns above or the DP's name change; never set here.
    wire: Mapped[str] = mapped_column(
        Text, server_default=text("''"), info={"kept_by_triggers": True}
    )


class Usage(Base):
    """One row per (voucher, environment, day): the voucher fixes the DP; later replaces earlier."""

    __tablename__ = "depa_usage"
    __table_args__ = (
        UniqueConstraint("voucher_id", "is_production", "access_date"),
        Index("ix_depa_usage_dp_day", "dp_id", "is_production", "access_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dp_id: Mapped[int] = mapped_column(ForeignKey("depa_dp.id"))
    voucher_id: Mapped[int] = mapped_column(ForeignKey("depa_voucher.id"))
    is_production: Mapped[bool] = mapped_column(Boolean)
    access_date: Mapped[dt.date] = mapped_column(Date)
    app_user_id: Mapped[str] = mapped_column(String(100))
    access_count: Mapped[int] = mapped_column(Integer)
    access_time: Mapped[int] = mapped_column(Integer)
    #: Single precision, as depa stores them (13.123456 reads back as 13.1235).
    lat: Mapped[float] = mapped_column(REAL)
    lon: Mapped[float] = mapped_column(REAL)
    created_time: Mapped[dt.datetime] = mapped_column(DateTime)
