"""The delivery engine's own tables: subscriptions, the outbox of messages, and every attempt.

Times are naive UTC. Signing secrets are stored encrypted (``secrets.SecretBox``), never in clear.
A message's payload is kept as the exact JSON text sent, so every retry signs the same bytes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from saphan.core.db import Base

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
STATES = (PENDING, DELIVERED, FAILED)


class Subscription(Base):
    __tablename__ = "webhook_subscription"
    __table_args__ = (Index("ix_webhook_subscription_owner", "service", "owner_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Which service owns it (``"rakmao"``); header providers are looked up by it.
    service: Mapped[str] = mapped_column(String(50))
    #: The owner's reference in that service (an account and event type, say); opaque here.
    owner_ref: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2048))
    #: Extra request headers, name -> value.
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: The owning service's own settings for it (never sent; header providers read them, e.g.
    #: Rakmao's IsLogin).
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    #: The signing secret (``whsec_...``), encrypted.
    secret_enc: Mapped[str] = mapped_column(Text)
    #: After a rotation: the previous secret, still signing until ``old_secret_expires_at``.
    old_secret_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    old_secret_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Message(Base):
    """The outbox: one row per event to deliver to one subscription."""

    __tablename__ = "webhook_message"
    __table_args__ = (
        #: Workers claim due messages through this index.
        Index("ix_webhook_message_due", "state", "next_attempt_at"),
        Index("ix_webhook_message_subscription", "subscription_id", "created_at"),
    )

    #: ``msg_...``: sent as ``webhook-id``, the same on every attempt (receivers dedupe by it).
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscription.id"))
    service: Mapped[str] = mapped_column(String(50), index=True)
    event_type: Mapped[str] = mapped_column(String(100))
    #: The JSON body, exactly as sent.
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class Attempt(Base):
    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("webhook_message.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    #: None when no response came (refused, connection error, timeout).
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[float] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    #: The response body's first 1 KB, as text.
    response_body: Mapped[str] = mapped_column(Text, default="")
    worker: Mapped[str] = mapped_column(String(100))
