"""Core webhook delivery: subscriptions (encrypted signing secrets), the outbox, attempts

Revision ID: 0006_core_webhooks
Revises: 0005_depa_dp
Create Date: 2026-11-23 15:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_core_webhooks"
down_revision = "0005_depa_dp"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=50), nullable=False),
        sa.Column("owner_ref", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(length=300), nullable=True),
        sa.Column("disabled_at", sa.DateTime(), nullable=True),
        sa.Column("secret_enc", sa.Text(), nullable=False),
        sa.Column("old_secret_enc", sa.Text(), nullable=True),
        sa.Column("old_secret_expires_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscription")),
    )
    op.create_index(
        "ix_webhook_subscription_owner",
        "webhook_subscription",
        ["service", "owner_ref"],
        unique=False,
    )

    op.create_table(
        "webhook_message",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=50), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscription.id"],
            name=op.f("fk_webhook_message_subscription_id_webhook_subscription"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_message")),
    )
    op.create_index(
        "ix_webhook_message_due", "webhook_message", ["state", "next_attempt_at"], unique=False
    )
    op.create_index(
        op.f("ix_webhook_message_service"), "webhook_message", ["service"], unique=False
    )
    op.create_index(
        "ix_webhook_message_subscription",
        "webhook_message",
        ["subscription_id", "created_at"],
        unique=False,
    )

    op.create_table(
        "webhook_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["webhook_message.id"],
            name=op.f("fk_webhook_attempt_message_id_webhook_message"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempt")),
    )
    op.create_index(
        op.f("ix_webhook_attempt_message_id"), "webhook_attempt", ["message_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_attempt_message_id"), table_name="webhook_attempt")

    op.drop_table("webhook_attempt")
    op.drop_index("ix_webhook_message_subscription", table_name="webhook_message")
    op.drop_index(op.f("ix_webhook_message_service"), table_name="webhook_message")
    op.drop_index("ix_webhook_message_due", table_name="webhook_message")

    op.drop_table("webhook_message")
    op.drop_index("ix_webhook_subscription_owner", table_name="webhook_subscription")

    op.drop_table("webhook_subscription")
