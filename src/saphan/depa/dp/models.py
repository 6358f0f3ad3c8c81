"""The Digital Provider's own store (tables ``depa_dp_*``): what it synced from depa, its app
users, their daily usage, and what it reported. Times are naive UTC; days are Bangkok dates.

Nothing here is read by depa's side (``saphan.depa.models``): a DP reaches depa only over HTTP.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    REAL,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from saphan.core.db import Base

#: States of report batches and items.
PENDING, SENT, REJECTED = "pending", "sent", "rejected"


class AppUser(Base):
    """A user of the DP's app. ``app_user_id`` is the DP's own id (VoucherUsage's ``appUserId``).
    The phone is kept normalised (E.164) for matching; the national ID only as a keyed digest,
    since matching is all it is for."""

    __tablename__ = "depa_dp_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_user_id: Mapped[str] = mapped_column(String(100), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    id_card_digest: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class SyncedVoucher(Base):
    """A voucher as GetDPVouchers last showed it, and the app user it is linked to."""

    __tablename__ = "depa_dp_voucher"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    voucher_code: Mapped[str] = mapped_column(String(50), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    binding_time: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    revoking_time: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    activated_time: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_time: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    regist_id: Mapped[str] = mapped_column(String(50), default="")
    regist_type: Mapped[str] = mapped_column(String(50), default="")
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    product_name: Mapped[str] = mapped_column(String(200), default="")
    #: ``mobileNo`` normalised to E.164 (``+66812345678``), or as sent when it is no phone number.
    mobile_no: Mapped[str] = mapped_column(String(30), default="")
    id_card_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("depa_dp_user.id"), nullable=True, index=True
    )
    #: How the link was made: ``mobileNo``, ``idCard`` or ``manual``.
    link_method: Mapped[str | None] = mapped_column(String(16), nullable=True)
    linked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    first_synced_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_synced_at: Mapped[dt.datetime] = mapped_column(DateTime)


class VoucherStatusChange(Base):
    """Each status a voucher was seen in, with depa's time for it and when the sync saw it."""

    __tablename__ = "depa_dp_voucher_status"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("depa_dp_voucher.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    #: depa's time of the status (bindingTime, activatedTime or revokedTime); None if not given.
    at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime)


class DailyUsage(Base):
    """One app user's use on one Bangkok day, summed as events arrive."""

    __tablename__ = "depa_dp_usage"
    __table_args__ = (UniqueConstraint("user_id", "access_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("depa_dp_user.id"))
    access_date: Mapped[dt.date] = mapped_column(Date, index=True)
    access_count: Mapped[int] = mapped_column(Integer)
    #: Session time in seconds, uncapped; the report sends minutes, capped at 1440.
    seconds: Mapped[int] = mapped_column(Integer)
    #: The latest known position that day, if any.
    lat: Mapped[float | None] = mapped_column(REAL, nullable=True)
    lon: Mapped[float | None] = mapped_column(REAL, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ReportBatch(Base):
    """One VoucherUsage request: up to 100 records of one day and environment."""

    __tablename__ = "depa_dp_report_batch"
    __table_args__ = (Index("ix_depa_dp_report_batch_state", "state", "is_production"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    is_production: Mapped[bool] = mapped_column(Boolean)
    access_date: Mapped[dt.date] = mapped_column(Date)
    #: ``pending`` (to send), ``sent`` (depa answered 2xx), ``rejected`` (depa refused every
    #: record in it; see its items).
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    #: A sender holds the batch until then, so two report runs never send it at once.
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class ReportItem(Base):
    """One record as it was (or is to be) sent. A (voucher, day, environment) gets a new
    revision only when its figures change after it was sent."""

    __tablename__ = "depa_dp_report_item"
    __table_args__ = (
        UniqueConstraint(
            "is_production",
            "voucher_id",
            "access_date",
            "revision",
            name="uq_depa_dp_report_item_revision",
        ),
        Index("ix_depa_dp_report_item_batch", "batch_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("depa_dp_report_batch.id"))
    is_production: Mapped[bool] = mapped_column(Boolean)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("depa_dp_voucher.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("depa_dp_user.id"))
    access_date: Mapped[dt.date] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(Integer)
    access_count: Mapped[int] = mapped_column(Integer)
    access_time: Mapped[int] = mapped_column(Integer)
    lat: Mapped[float] = mapped_column(REAL)
    lon: Mapped[float] = mapped_column(REAL)
    #: ``pending``, ``sent`` or ``rejected`` (depa refused this record: ``error`` says why).
    state: Mapped[str] = mapped_column(String(16))
    error: Mapped[str] = mapped_column(String(500), default="")
