"""Core: the demo mark, one row in a database seeded with demo data

Revision ID: 0010_core_demo_mark
Revises: 0009_depa_voucher_wire
Create Date: 2026-12-07 13:40:00

``saphan serve --demo`` writes it; the operator commands read it to work on a demo database
without SAPHAN_SECRET_KEY (``saphan.core.demo_mark``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_core_demo_mark"
down_revision = "0009_depa_voucher_wire"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saphan_demo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret_check", sa.String(length=64), nullable=False),
        sa.Column("seeded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saphan_demo")),
    )


def downgrade() -> None:
    op.drop_table("saphan_demo")
