"""EasySlip tables: applications and their branches (API keys), quota counters per billing
month, the transaction ledger verifications are answered from, verified slips (for
``isDuplicate``) and each application's registered bank accounts. Times are naive UTC; money is
``Numeric(14, 2)`` (baht to the satang)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from saphan.core.db import Base

MONEY = Numeric(14, 2)


class Application(Base):
    """A customer's application: its plan (product), monthly quota and credit."""

    __tablename__ = "easyslip_application"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    product_name: Mapped[str] = mapped_column(String(100))
    #: Verifications per billing month; None is unlimited.
    quota_max: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Renew the plan from credit on ``expires_at`` / when the month's quota is spent.
    auto_renew_expired: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_renew_quota: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The account's credit: what renewals are paid from (``logic.renewal``).
    credit: Mapped[int] = mapped_column(Integer, default=0)
    #: Credit one renewal of the plan costs, and the months a renewal on expiry adds.
    renew_price: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    renew_months: Mapped[int] = mapped_column(Integer, default=12, server_default="12")
    #: active | banned | deleted (SERVICE_BANNED / SERVICE_DELETED).
    status: Mapped[str] = mapped_column(String(16), default="active")
    #: Comma-separated CIDRs callers must come from; empty admits any (IP_NOT_ALLOWED).
    allowed_ips: Mapped[str] = mapped_column(String(1000), default="")
    #: Billing months start on this day's day-of-month (Bangkok).
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Branch(Base):
    """One API key of an application; its usage is counted separately."""

    __tablename__ = "easyslip_branch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("easyslip_application.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    #: First 8 characters of the key, so operators can tell keys apart.
    prefix: Mapped[str] = mapped_column(String(8))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The branch's own monthly limit, within the application's; None: only the application's.
    quota_max: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class QuotaUsage(Base):
    """Verifications used by an application (``kind="app"``) or a branch in one billing month."""

    __tablename__ = "easyslip_quota_usage"
    __table_args__ = (UniqueConstraint("kind", "owner_id", "month_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    owner_id: Mapped[int] = mapped_column(Integer)
    month_start: Mapped[dt.date] = mapped_column(Date)
    used: Mapped[int] = mapped_column(Integer, default=0)
    #: ``used`` when the quota was last renewed this month: ``used - base`` counts against
    #: the limit and is shown as the month's use; ``used`` sums to ``totalUsed``.
    base: Mapped[int] = mapped_column(Integer, server_default="0")


class Transfer(Base):
    """The bank side's record of one transfer: what a verification is answered from.

    ``kind`` is ``bank`` (keyed by the sending bank's code and transRef) or ``truewallet`` (keyed
    by the TrueMoney transaction id, ``bank_code`` empty). Account numbers and proxies are stored
    whole and masked on the way out.
    """

    __tablename__ = "easyslip_transfer"
    __table_args__ = (UniqueConstraint("kind", "bank_code", "trans_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    bank_code: Mapped[str] = mapped_column(String(3))
    trans_ref: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    fee: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    ref1: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ref2: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ref3: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: TrueMoney's event type (tag 00.02 of its slip QR).
    event_type: Mapped[str | None] = mapped_column(String(8), nullable=True)
    sender_bank_code: Mapped[str] = mapped_column(String(3))
    sender_name_th: Mapped[str | None] = mapped_column(String(200), nullable=True)
    sender_name_en: Mapped[str | None] = mapped_column(String(200), nullable=True)
    sender_account_type: Mapped[str | None] = mapped_column(String(8), nullable=True)
    sender_account: Mapped[str | None] = mapped_column(String(32), nullable=True)
    sender_proxy_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    sender_proxy: Mapped[str | None] = mapped_column(String(64), nullable=True)
    receiver_bank_code: Mapped[str] = mapped_column(String(3))
    receiver_name_th: Mapped[str | None] = mapped_column(String(200), nullable=True)
    receiver_name_en: Mapped[str | None] = mapped_column(String(200), nullable=True)
    receiver_account_type: Mapped[str | None] = mapped_column(String(8), nullable=True)
    receiver_account: Mapped[str | None] = mapped_column(String(32), nullable=True)
    receiver_proxy_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    receiver_proxy: Mapped[str | None] = mapped_column(String(64), nullable=True)
    receiver_merchant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Verification(Base):
    """A slip an application has verified: the first time, the latest, and how often."""

    __tablename__ = "easyslip_verification"
    __table_args__ = (UniqueConstraint("application_id", "transfer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("easyslip_application.id"))
    transfer_id: Mapped[int] = mapped_column(ForeignKey("easyslip_transfer.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("easyslip_branch.id"), index=True)
    trans_ref: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_at: Mapped[dt.datetime] = mapped_column(DateTime)


class BankAccount(Base):
    """A receiving account an application registered (what ``matchAccount`` matches)."""

    __tablename__ = "easyslip_bank_account"
    __table_args__ = (UniqueConstraint("application_id", "bank_code", "bank_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("easyslip_application.id"), index=True)
    bank_code: Mapped[str] = mapped_column(String(16))
    bank_number: Mapped[str] = mapped_column(String(32))
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    #: PERSONAL | JURISTIC
    type: Mapped[str] = mapped_column(String(16))
    #: What ``matchAccount`` checks beyond the bank: one of the bank's ``extraVerify`` values
    #: (``banks.Bank.checks``), None for the plain check.
    extra_verify: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
