"""MOI tables: client systems, agents, sessions, accounts, bills, audit

Revision ID: 0002_moi
Revises: 0001_depa
Create Date: 2026-11-23 14:07:44.228406
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_moi"
down_revision = "0001_depa"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "moi_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.String(length=13), nullable=False),
        sa.Column("layout", sa.String(length=16), nullable=False),
        sa.Column("account_no", sa.String(length=50), nullable=False),
        sa.Column("info", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moi_account")),
        sa.UniqueConstraint("layout", "account_no", name=op.f("uq_moi_account_layout_account_no")),
    )
    with op.batch_alter_table("moi_account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_moi_account_citizen_id"), ["citizen_id"], unique=False)

    op.create_table(
        "moi_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("secret_digest", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("any_agent", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moi_client")),
        sa.UniqueConstraint("client_id", name=op.f("uq_moi_client_client_id")),
    )
    op.create_table(
        "moi_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=13), nullable=False),
        sa.Column("citizen_digest", sa.String(length=64), nullable=False),
        sa.Column("citizen_last4", sa.String(length=4), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["moi_client.id"], name=op.f("fk_moi_audit_client_id_moi_client")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moi_audit")),
    )
    with op.batch_alter_table("moi_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_moi_audit_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_moi_audit_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_moi_audit_client_id"), ["client_id"], unique=False)

    op.create_table(
        "moi_bill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("bill_date", sa.Date(), nullable=False),
        sa.Column("units", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("info", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["moi_account.id"], name=op.f("fk_moi_bill_account_id_moi_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moi_bill")),
    )
    with op.batch_alter_table("moi_bill", schema=None) as batch_op:
        batch_op.create_index("ix_moi_bill_account_date", ["account_id", "bill_date"], unique=False)

    op.create_table(
        "moi_client_agent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=13), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["moi_client.id"], name=op.f("fk_moi_client_agent_client_id_moi_client")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moi_client_agent")),
        sa.UniqueConstraint(
            "client_id", "agent_id", name=op.f("uq_moi_client_agent_client_id_agent_id")
        ),
    )
    op.create_table(
        "moi_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=13), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["moi_client.id"], name=op.f("fk_moi_session_client_id_moi_client")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moi_session")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_moi_session_token_digest")),
    )
    with op.batch_alter_table("moi_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_moi_session_client_id"), ["client_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("moi_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moi_session_client_id"))

    op.drop_table("moi_session")
    op.drop_table("moi_client_agent")
    with op.batch_alter_table("moi_bill", schema=None) as batch_op:
        batch_op.drop_index("ix_moi_bill_account_date")

    op.drop_table("moi_bill")
    with op.batch_alter_table("moi_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moi_audit_client_id"))
        batch_op.drop_index(batch_op.f("ix_moi_audit_at"))
        batch_op.drop_index(batch_op.f("ix_moi_audit_agent_id"))

    op.drop_table("moi_audit")
    op.drop_table("moi_client")
    with op.batch_alter_table("moi_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moi_account_citizen_id"))

    op.drop_table("moi_account")
