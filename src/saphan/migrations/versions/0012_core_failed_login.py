"""Core: failed logins counted per client address and per MOI client (core.login_limit)

Revision ID: 0012_core_failed_login
Revises: 0011_rakmao_list_revision
Create Date: 2026-12-07 16:40:00

Rakmao RequestAPIToken and MOI Authenticate count failed logins per client address, and MOI
Authenticate wrong secrets per ClientID, under keyed digests of the address or id (issue 13
item 10).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_core_failed_login"
down_revision = "0011_rakmao_list_revision"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "core_failed_login",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_failed_login")),
    )
    with op.batch_alter_table("core_failed_login", schema=None) as batch_op:
        batch_op.create_index("ix_core_failed_login_key_at", ["key_digest", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("core_failed_login", schema=None) as batch_op:
        batch_op.drop_index("ix_core_failed_login_key_at")
    op.drop_table("core_failed_login")
