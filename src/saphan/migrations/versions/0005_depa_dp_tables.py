"""depa DP side: synced vouchers, status history, users, usage, report

Revision ID: 0005_depa_dp
Revises: 0004_easyslip
Create Date: 2026-11-23 15:02:56.957787
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_depa_dp"
down_revision = "0004_easyslip"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "depa_dp_report_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("is_production", sa.Boolean(), nullable=False),
        sa.Column("access_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_depa_dp_report_batch")),
    )
    with op.batch_alter_table("depa_dp_report_batch", schema=None) as batch_op:
        batch_op.create_index(
            "ix_depa_dp_report_batch_state", ["state", "is_production"], unique=False
        )

    op.create_table(
        "depa_dp_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_user_id", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("id_card_digest", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_depa_dp_user")),
        sa.UniqueConstraint("app_user_id", name=op.f("uq_depa_dp_user_app_user_id")),
    )
    with op.batch_alter_table("depa_dp_user", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_depa_dp_user_id_card_digest"), ["id_card_digest"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_depa_dp_user_phone"), ["phone"], unique=False)

    op.create_table(
        "depa_dp_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("access_date", sa.Date(), nullable=False),
        sa.Column("access_count", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("lat", sa.REAL(), nullable=True),
        sa.Column("lon", sa.REAL(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["depa_dp_user.id"], name=op.f("fk_depa_dp_usage_user_id_depa_dp_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_depa_dp_usage")),
        sa.UniqueConstraint(
            "user_id", "access_date", name=op.f("uq_depa_dp_usage_user_id_access_date")
        ),
    )
    with op.batch_alter_table("depa_dp_usage", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_depa_dp_usage_access_date"), ["access_date"], unique=False
        )

    op.create_table(
        "depa_dp_voucher",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("voucher_code", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("binding_time", sa.DateTime(), nullable=True),
        sa.Column("revoking_time", sa.DateTime(), nullable=True),
        sa.Column("activated_time", sa.DateTime(), nullable=True),
        sa.Column("revoked_time", sa.DateTime(), nullable=True),
        sa.Column("regist_id", sa.String(length=50), nullable=False),
        sa.Column("regist_type", sa.String(length=50), nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=False),
        sa.Column("last_name", sa.String(length=200), nullable=False),
        sa.Column("product_name", sa.String(length=200), nullable=False),
        sa.Column("mobile_no", sa.String(length=30), nullable=False),
        sa.Column("id_card_digest", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("link_method", sa.String(length=16), nullable=True),
        sa.Column("linked_at", sa.DateTime(), nullable=True),
        sa.Column("first_synced_at", sa.DateTime(), nullable=False),
        sa.Column("last_synced_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["depa_dp_user.id"], name=op.f("fk_depa_dp_voucher_user_id_depa_dp_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_depa_dp_voucher")),
        sa.UniqueConstraint("voucher_code", name=op.f("uq_depa_dp_voucher_voucher_code")),
    )
    with op.batch_alter_table("depa_dp_voucher", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_depa_dp_voucher_user_id"), ["user_id"], unique=False)

    op.create_table(
        "depa_dp_report_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("is_production", sa.Boolean(), nullable=False),
        sa.Column("voucher_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("access_date", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("access_count", sa.Integer(), nullable=False),
        sa.Column("access_time", sa.Integer(), nullable=False),
        sa.Column("lat", sa.REAL(), nullable=False),
        sa.Column("lon", sa.REAL(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["depa_dp_report_batch.id"],
            name=op.f("fk_depa_dp_report_item_batch_id_depa_dp_report_batch"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["depa_dp_user.id"],
            name=op.f("fk_depa_dp_report_item_user_id_depa_dp_user"),
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"],
            ["depa_dp_voucher.id"],
            name=op.f("fk_depa_dp_report_item_voucher_id_depa_dp_voucher"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_depa_dp_report_item")),
        sa.UniqueConstraint(
            "is_production",
            "voucher_id",
            "access_date",
            "revision",
            name="uq_depa_dp_report_item_revision",
        ),
    )
    with op.batch_alter_table("depa_dp_report_item", schema=None) as batch_op:
        batch_op.create_index("ix_depa_dp_report_item_batch", ["batch_id"], unique=False)

    op.create_table(
        "depa_dp_voucher_status",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("voucher_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=True),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["voucher_id"],
            ["depa_dp_voucher.id"],
            name=op.f("fk_depa_dp_voucher_status_voucher_id_depa_dp_voucher"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_depa_dp_voucher_status")),
    )
    with op.batch_alter_table("depa_dp_voucher_status", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_depa_dp_voucher_status_voucher_id"), ["voucher_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("depa_dp_voucher_status", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_depa_dp_voucher_status_voucher_id"))

    op.drop_table("depa_dp_voucher_status")
    with op.batch_alter_table("depa_dp_report_item", schema=None) as batch_op:
        batch_op.drop_index("ix_depa_dp_report_item_batch")

    op.drop_table("depa_dp_report_item")
    with op.batch_alter_table("depa_dp_voucher", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_depa_dp_voucher_user_id"))

    op.drop_table("depa_dp_voucher")
    with op.batch_alter_table("depa_dp_usage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_depa_dp_usage_access_date"))

    op.drop_table("depa_dp_usage")
    with op.batch_alter_table("depa_dp_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_depa_dp_user_phone"))
        batch_op.drop_index(batch_op.f("ix_depa_dp_user_id_card_digest"))

    op.drop_table("depa_dp_user")
    with op.batch_alter_table("depa_dp_report_batch", schema=None) as batch_op:
        batch_op.drop_index("ix_depa_dp_report_batch_state")

    op.drop_table("depa_dp_report_batch")
