"""Rakmao tables: accounts, signing keys, refresh-token families, login failures, purchase orders
with their items, the per-day PoCode counter, and the events the webhook deliverer sends.

Times are naive UTC. Money and quantities are exact decimals (``Numeric(18, 4)``; the wire allows
at most 15 significant digits, which SQLite's REAL column also holds exactly).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from saphan.core.db import Base

MONEY = Numeric(18, 4)


class Account(Base):
    """An API user: acts for one buyer org (``org_id``) and/or one seller (``seller_tax_id``)."""

    __tablename__ = "rakmao_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Lower-cased; usernames are matched case-insensitively.
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    org_name: Mapped[str] = mapped_column(String(300), default="")
    buyer_tax_id: Mapped[str | None] = mapped_column(String(20), nullable=True)
    seller_tax_id: Mapped[str | None] = mapped_column(String(20), nullable=True)
    #: Raised on disable: every token issued before carries an older value and stops working.
    token_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class SigningKey(Base):
    """An Ed25519 key pair; the private half encrypted with a key derived from the server secret.
    The newest unretired key signs; retired keys stay in the JWKS until their tokens expire."""

    __tablename__ = "rakmao_signing_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_key: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class RefreshFamily(Base):
    """One login's chain of refresh tokens: only the latest (``current_digest``) renews."""

    __tablename__ = "rakmao_refresh_family"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("rakmao_account.id"), index=True)
    current_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class LoginFailure(Base):
    """A failed RequestAPIToken, keyed by the username's keyed digest (for the rate limit)."""

    __tablename__ = "rakmao_login_failure"
    __table_args__ = (Index("ix_rakmao_login_failure_user_at", "username_digest", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username_digest: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime)


class PoCounter(Base):
    """The last PoCode number given out on each Bangkok day."""

    __tablename__ = "rakmao_po_counter"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class PurchaseOrder(Base):
    __tablename__ = "rakmao_po"
    __table_args__ = (
        # Lists walk these newest first; counts with a status filter stay inside the index.
        # The lists' indexes. On PostgreSQL they include the id, so a page finds its POs on
        # the index alone (SQLite's indexes hold the rowid anyway): ``reading._plain_page``.
        Index(
            "ix_rakmao_po_org_created",
            "org_id",
            "created_at",
            "po_code",
            postgresql_include=["id"],
        ),
        Index(
            "ix_rakmao_po_org_status",
            "org_id",
            "status",
            "created_at",
            "po_code",
            postgresql_include=["id"],
        ),
        Index(
            "ix_rakmao_po_seller_created",
            "seller_tax_id",
            "created_at",
            "po_code",
            postgresql_include=["id"],
        ),
        Index(
            "ix_rakmao_po_seller_status",
            "seller_tax_id",
            "status",
            "created_at",
            "po_code",
            postgresql_include=["id"],
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    po_code: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[int] = mapped_column(Integer)
    org_id: Mapped[str] = mapped_column(String(36))
    org_name: Mapped[str] = mapped_column(String(300))
    buyer_tax_id: Mapped[str] = mapped_column(String(20))
    seller_tax_id: Mapped[str] = mapped_column(String(20))
    create_by_user_id: Mapped[str] = mapped_column(String(100))
    create_by_user_name: Mapped[str] = mapped_column(String(300))
    rfq_id: Mapped[str] = mapped_column(String(36), index=True)
    quotation_id: Mapped[str] = mapped_column(String(36), index=True)
    project_id: Mapped[str] = mapped_column(String(36))
    project_name: Mapped[str] = mapped_column(String(500))
    vendor_id: Mapped[str] = mapped_column(String(36))
    vendor_name: Mapped[str] = mapped_column(String(500))
    document_file_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    contact_name: Mapped[str] = mapped_column(String(300))
    contact_phone: Mapped[str] = mapped_column(String(50))
    address: Mapped[str] = mapped_column(String(2000))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    create_type: Mapped[int] = mapped_column(Integer)
    document_reference: Mapped[str | None] = mapped_column(String(500), nullable=True)
    total_item: Mapped[Decimal] = mapped_column(MONEY)
    sub_total: Mapped[Decimal] = mapped_column(MONEY)
    beforvat: Mapped[Decimal] = mapped_column(MONEY)
    discount: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    vat_type: Mapped[int] = mapped_column(Integer)
    vat_rate: Mapped[Decimal] = mapped_column(MONEY)
    vat_amount: Mapped[Decimal] = mapped_column(MONEY)
    delivery_fee: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    delivery_vat_type: Mapped[int | None] = mapped_column(Integer, nullable=True)
    delivery_vat_rate: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    delivery_vat_amount: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    grand_total: Mapped[Decimal] = mapped_column(MONEY)
    grand_total_delivery_fee: Mapped[Decimal] = mapped_column(MONEY)
    cancel_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    cancel_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    action_by_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    #: PoCode, ProjectName, VendorName and DocumentReference, case-folded, for ``Keyword``.
    search_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    #: When the buyer sent it to the seller (Draft -> Preview): the Seller document's SenderDate.
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class PoItem(Base):
    __tablename__ = "rakmao_po_item"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    po_id: Mapped[str] = mapped_column(ForeignKey("rakmao_po.id"), index=True)
    #: Position in the PO, as the buyer listed the items.
    line: Mapped[int] = mapped_column(Integer)
    rfq_item_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    quotation_item_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    quantity: Mapped[Decimal] = mapped_column(MONEY)
    price: Mapped[Decimal] = mapped_column(MONEY)
    unit: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class Event(Base):
    """A webhook event, written in the transaction of the status change that caused it; the
    deliverer sends it to the target's registered endpoint and sets ``delivered_at``."""

    __tablename__ = "rakmao_event"
    __table_args__ = (Index("ix_rakmao_event_pending", "delivered_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: 301 DocumentReady, 302 BuyerNegate, 303 CancelAccept (to the seller), 402 SellerNegate
    #: (to the buyer).
    type: Mapped[int] = mapped_column(Integer)
    po_id: Mapped[str] = mapped_column(ForeignKey("rakmao_po.id"), index=True)
    #: "Seller" (``target`` is a TaxId) or "Buyer" (``target`` is an OrgId).
    audience: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(String(36))
    #: The JSON body to deliver (the Webhook Schema's fields), exact: money as JSON numbers.
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class WebhookRegistration(Base):
    """A ``POST /api/v1/Webhook``: one per (account, type), each backed by a core webhook
    subscription (service ``rakmao``) that holds the URL, headers, ``IsLogin`` and the secret."""

    __tablename__ = "rakmao_webhook"
    __table_args__ = (
        UniqueConstraint("account_id", "type", name="uq_rakmao_webhook_account_type"),
    )

    #: The registration's ``Id`` on the wire (a GUID).
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("rakmao_account.id"), index=True)
    #: 301, 302, 303 (seller accounts) or 402 (buyer accounts).
    type: Mapped[int] = mapped_column(Integer)
    subscription_id: Mapped[int] = mapped_column(Integer, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class PoTally(Base):
    """How many POs each buyer org (side "Buyer", ``party`` an OrgId) and each seller (side
    "Seller", ``party`` a TaxId; only POs sent to it) has in each status: a list's ``count``
    without a Keyword. Database triggers (migration 0008_rakmao_search) keep it in the writing
    transaction, whatever writes the PO."""

    __tablename__ = "rakmao_po_tally"
    #: Emptied after the POs when everything is emptied (``saphan.control.snapshot.empty``):
    #: deleting a PO takes it off its tallies.
    __table_args__ = ({"info": {"kept_by_triggers": True}},)

    side: Mapped[str] = mapped_column(String(6), primary_key=True)
    party: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class PoRevision(Base):
    """Per (side, party) as ``PoTally``: a random value that changes, in the writing
    transaction, whenever one of the POs the party lists is written (database triggers,
    migration 0011_rakmao_list_revision). A Keyword search's matches are kept under it
    (``rakmao.search``)."""

    __tablename__ = "rakmao_po_rev"
    __table_args__ = ({"info": {"kept_by_triggers": True}},)

    side: Mapped[str] = mapped_column(String(6), primary_key=True)
    party: Mapped[str] = mapped_column(String(36), primary_key=True)
    rev: Mapped[int] = mapped_column(BigInteger)


#: What the migrations create outside the models (tests/core/test_migrations.py leaves them out of
#: the comparison): SQLite's FTS5 trigram index over ``search_text`` and its shadow tables, and
#: PostgreSQL's pg_trgm GIN index.
Base.metadata.info.setdefault("unmodelled", set()).update(
    {
        "rakmao_po_fts",
        "rakmao_po_fts_data",
        "rakmao_po_fts_idx",
        "rakmao_po_fts_docsize",
        "rakmao_po_fts_config",
        "ix_rakmao_po_search_trgm",
    }
)
