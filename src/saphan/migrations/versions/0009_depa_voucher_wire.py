"""depa: each voucher's GetDPVouchers record stored as JSON text, kept by triggers

Revision ID: 0009_depa_voucher_wire
Revises: 0008_rakmao_search
Create Date: 2026-12-07 10:40:00

GetDPVouchers answers pages of up to 500 records. Building each record from its columns when
it is read (four time conversions and a JSON object per row) cost three times the rest of the
query; a page now reads the records as they were written. Triggers keep ``wire`` in step with
the columns on every write path (API, operator, demo, bench seeding, raw SQL), in the writing
transaction, and with the DP's name when the DP is renamed.

The record's fields, in the spec's order: times are Bangkok ``YYYY-MM-DD HH:MM:SS`` or ``""``
(Asia/Bangkok is a fixed UTC+07:00), ``dpName`` is the DP's name.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_depa_voucher_wire"
down_revision = "0008_rakmao_search"
branch_labels = None
depends_on = None

#: (wire name, column); a time column's wire name ends in "Time".
_FIELDS = (
    ("voucherCode", "voucher_code"),
    ("status", "status"),
    ("bindingTime", "binding_time"),
    ("revokingTime", "revoking_time"),
    ("activatedTime", "activated_time"),
    ("revokedTime", "revoked_time"),
    ("registId", "regist_id"),
    ("registType", "regist_type"),
    ("title", "title"),
    ("firstName", "first_name"),
    ("lastName", "last_name"),
    ("idCard", "id_card"),
    ("mobileNo", "mobile_no"),
    ("email", "email"),
    ("addrNo", "addr_no"),
    ("moo", "moo"),
    ("provinceName", "province_name"),
    ("amphurName", "amphur_name"),
    ("tambonName", "tambon_name"),
    ("postcode", "postcode"),
    ("dpName", None),
    ("productName", "product_name"),
)
_COLUMNS = ", ".join(column for _, column in _FIELDS if column is not None)


def _record(dialect: str, row: str) -> str:
    """The record as a JSON expression over ``row``'s columns (``row`` is ``NEW`` in a
    PostgreSQL row trigger, the table itself in SQLite's UPDATE)."""
    pairs = []
    for wire, column in _FIELDS:
        if column is None:
            value = f"(SELECT name FROM depa_dp WHERE depa_dp.id = {row}.dp_id)"
        elif wire.endswith("Time") and dialect == "postgresql":
            value = (
                f"coalesce(to_char({row}.{column} + interval '7 hours', "
                "'YYYY-MM-DD HH24:MI:SS'), '')"
            )
        elif wire.endswith("Time"):
            value = f"coalesce(strftime('%Y-%m-%d %H:%M:%S', {row}.{column}, '+7 hours'), '')"
        else:
            value = f"{row}.{column}"
        pairs.append(f"'{wire}', {value}")
    function = "json_build_object" if dialect == "postgresql" else "json_object"
    cast = "::text" if dialect == "postgresql" else ""
    return f"{function}({', '.join(pairs)}){cast}"


def _create_postgresql() -> None:
    op.execute(
        "CREATE FUNCTION depa_voucher_wire() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"NEW.wire := {_record('postgresql', 'NEW')}; RETURN NEW; END $$"
    )
    op.execute(
        f"CREATE TRIGGER depa_voucher_wire BEFORE INSERT OR UPDATE OF dp_id, {_COLUMNS} "
        "ON depa_voucher FOR EACH ROW EXECUTE FUNCTION depa_voucher_wire()"
    )
    # A rename rewrites the DP's records through the trigger above (dp_id is in its list).
    op.execute(
        "CREATE FUNCTION depa_dp_renamed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "UPDATE depa_voucher SET dp_id = NEW.id WHERE dp_id = NEW.id; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER depa_dp_renamed AFTER UPDATE OF name ON depa_dp FOR EACH ROW "
        "WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION depa_dp_renamed()"
    )


def _create_sqlite() -> None:
    # SQLite has no BEFORE trigger that can change NEW: the row is rewritten after the write.
    # Triggers do not fire recursively (recursive_triggers is off), and `wire` is not in the
    # UPDATE OF list, so the rewrite does not fire them again.
    rewrite = f"UPDATE depa_voucher SET wire = {_record('sqlite', 'depa_voucher')}"
    op.execute(
        "CREATE TRIGGER depa_voucher_wire_insert AFTER INSERT ON depa_voucher BEGIN "
        f"{rewrite} WHERE id = NEW.id; END"
    )
    op.execute(
        f"CREATE TRIGGER depa_voucher_wire_update AFTER UPDATE OF dp_id, {_COLUMNS} "
        f"ON depa_voucher BEGIN {rewrite} WHERE id = NEW.id; END"
    )
    op.execute(
        "CREATE TRIGGER depa_dp_renamed AFTER UPDATE OF name ON depa_dp "
        f"WHEN OLD.name IS NOT NEW.name BEGIN {rewrite} WHERE dp_id = NEW.id; END"
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column(
        "depa_voucher", sa.Column("wire", sa.Text(), nullable=False, server_default=sa.text("''"))
    )
    if dialect == "postgresql":
        _create_postgresql()
        op.execute("UPDATE depa_voucher SET dp_id = dp_id")
    else:
        _create_sqlite()
        op.execute(f"UPDATE depa_voucher SET wire = {_record('sqlite', 'depa_voucher')}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS depa_dp_renamed ON depa_dp")
        op.execute("DROP TRIGGER IF EXISTS depa_voucher_wire ON depa_voucher")
        op.execute("DROP FUNCTION IF EXISTS depa_dp_renamed()")
        op.execute("DROP FUNCTION IF EXISTS depa_voucher_wire()")
    else:
        for name in ("depa_dp_renamed", "depa_voucher_wire_update", "depa_voucher_wire_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("depa_voucher") as batch:
        batch.drop_column("wire")
