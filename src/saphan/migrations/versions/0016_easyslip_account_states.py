"""EasySlip: renewals paid from credit (issue 17 item 4)

Revision ID: 0016_easyslip_account_states
Revises: 0015_easyslip_extra_verify
Create Date: 2026-12-20 10:00:00

An application's plan renews from its account's credit: ``renew_price`` credit a renewal,
``renew_months`` added to ``expires_at`` by a renewal on expiry. A quota counter's ``base`` is
its ``used`` at the month's last renewal, so a renewed month starts again from 0 while
``totalUsed`` (the sum of ``used``) keeps counting.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_easyslip_account_states"
down_revision = "0015_easyslip_extra_verify"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("easyslip_application") as batch:
        batch.add_column(sa.Column("renew_price", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("renew_months", sa.Integer(), nullable=False, server_default="12")
        )
    with op.batch_alter_table("easyslip_quota_usage") as batch:
        batch.add_column(sa.Column("base", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("easyslip_quota_usage") as batch:
        batch.drop_column("base")
    with op.batch_alter_table("easyslip_application") as batch:
        batch.drop_column("renew_months")
        batch.drop_column("renew_price")
