"""depa: each DP's revision, a value that changes whenever one of its vouchers is written

Revision ID: 0014_depa_dp_revision
Revises: 0013_rakmao_sqlite_row_triggers
Create Date: 2026-12-07 20:10:00

GetDPVouchers pages are kept in memory per process under their DP's revision
(``core.answer_cache``); the revision travels with the DP's API key, which a process re-reads at
least every half second (``core.fresh``). Triggers give the DP a new revision in the
transaction that inserts, updates or deletes any of its vouchers (a DP rename rewrites its
records, so it changes the revision too), whichever process, machine or raw SQL writes, so a
page kept under an old revision is never served once the key is read again.

The new revision: on PostgreSQL the writing transaction's id (``pg_current_xact_id``, 64 bits,
never reused), set by the transaction's first write only: an import that inserts 100,000
vouchers a statement at a time would otherwise write the DP's row 100,000 times in one
transaction (each a new row version: 442 vouchers a second, measured). On SQLite, whose triggers
run per row and rewrite a row in place, a random 64-bit value per row written. Neither is a
counter: a counter restarts when the table is emptied (a demo reset) and could meet an old
value a process still holds.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_depa_dp_revision"
down_revision = "0013_rakmao_sqlite_row_triggers"
branch_labels = None
depends_on = None

_KINDS = ("insert", "update", "delete")
#: A new revision (see the module's docstring).
_FRESH = {"sqlite": "random()", "postgresql": "pg_current_xact_id()::text::bigint"}
#: PostgreSQL: the statement's rows, per kind of write.
_TRANSITIONS = {
    "insert": "NEW TABLE AS new_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
}


#: The rows a write changed, per kind: PostgreSQL's transition tables, SQLite's row names.
_WRITTEN = {"insert": ("new",), "update": ("new", "old"), "delete": ("old",)}


def _postgresql(kind: str) -> str:
    """One UPDATE per statement, of every DP whose vouchers it wrote and whose revision is not
    this transaction's yet."""
    written = " UNION ".join(f"SELECT dp_id FROM {rows}_rows" for rows in _WRITTEN[kind])
    fresh = _FRESH["postgresql"]
    return f"UPDATE depa_dp SET revision = {fresh} WHERE id IN ({written}) AND revision <> {fresh}"


def _sqlite(kind: str) -> str:
    ids = ", ".join(f"{rows.upper()}.dp_id" for rows in _WRITTEN[kind])
    return f"UPDATE depa_dp SET revision = {_FRESH['sqlite']} WHERE id IN ({ids})"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column(
        "depa_dp",
        sa.Column("revision", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.execute(f"UPDATE depa_dp SET revision = {_FRESH[dialect]}")
    for kind in _KINDS:
        name = f"depa_dp_revision_{kind}"
        if dialect == "postgresql":
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"{_postgresql(kind)}; RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {kind.upper()} ON depa_voucher "
                f"REFERENCING {_TRANSITIONS[kind]} FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {name} AFTER {kind.upper()} ON depa_voucher "
                f"BEGIN {_sqlite(kind)}; END"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for kind in _KINDS:
        name = f"depa_dp_revision_{kind}"
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON depa_voucher")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    # Not a batch (a copy of the table): the voucher triggers name depa_dp (SQLite >= 3.35).
    op.execute("ALTER TABLE depa_dp DROP COLUMN revision")
