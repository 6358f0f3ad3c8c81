"""Rakmao webhook registrations (one per account and type, each a core webhook subscription)

Revision ID: 0007_rakmao_webhooks
Revises: 0003_rakmao
Create Date: 2026-11-23 16:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_rakmao_webhooks"
down_revision = "0003_rakmao"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rakmao_webhook",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["rakmao_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "type", name="uq_rakmao_webhook_account_type"),
        sa.UniqueConstraint("subscription_id"),
    )
    op.create_index(
        op.f("ix_rakmao_webhook_account_id"), "rakmao_webhook", ["account_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_rakmao_webhook_account_id"), table_name="rakmao_webhook")
    op.drop_table("rakmao_webhook")
