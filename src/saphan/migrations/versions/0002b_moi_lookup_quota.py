"""MOI quota: a per-day lookup counter, and audit rows indexed by (client, time)

The daily quota counted a client's audit rows since Bangkok midnight on every lookup (up to a
day's quota of rows); it now reads one counter row. The per-minute count walks the new
(client_id, at) index instead of all of the client's rows.

Revision ID: 0002b_moi_lookup_quota
Revises: 0002_moi
Create Date: 2026-11-23 15:30:00
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import sqlalchemy as sa
from alembic import op

revision = "0002b_moi_lookup_quota"
down_revision = "0002_moi"
branch_labels = None
depends_on = None

BANGKOK = dt.timezone(dt.timedelta(hours=7))


def upgrade() -> None:
    lookup_day = op.create_table(
        "moi_lookup_day",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("lookups", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["moi_client.id"], name=op.f("fk_moi_lookup_day_client_id_moi_client")
        ),
        sa.PrimaryKeyConstraint("client_id", "day", name=op.f("pk_moi_lookup_day")),
    )
    with op.batch_alter_table("moi_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moi_audit_client_id"))
        batch_op.create_index("ix_moi_audit_client_at", ["client_id", "at"], unique=False)
    # Count the lookups already audited (times are naive UTC), so a day's quota holds across
    # the upgrade.
    audit = sa.table("moi_audit", sa.column("client_id", sa.Integer), sa.column("at", sa.DateTime))
    counts: Counter[tuple[int, dt.date]] = Counter()
    for client_id, at in op.get_bind().execute(sa.select(audit.c.client_id, audit.c.at)):
        counts[(client_id, at.replace(tzinfo=dt.UTC).astimezone(BANGKOK).date())] += 1
    if counts:
        op.bulk_insert(
            lookup_day,
            [{"client_id": c, "day": d, "lookups": n} for (c, d), n in counts.items()],
        )


def downgrade() -> None:
    with op.batch_alter_table("moi_audit", schema=None) as batch_op:
        batch_op.drop_index("ix_moi_audit_client_at")
        batch_op.create_index(batch_op.f("ix_moi_audit_client_id"), ["client_id"], unique=False)
    op.drop_table("moi_lookup_day")
