"""Rakmao list revisions: per-(side, party) a value that changes whenever a PO that party lists
is written, kept by triggers; on PostgreSQL the list indexes include the id

Revision ID: 0011_rakmao_list_revision
Revises: 0010_core_demo_mark
Create Date: 2026-12-07 17:00:00

A ``Keyword`` search keeps the ordered PoIds it matched, per process, under the party's
revision (``rakmao.search``): paging through the results, or the same search again, reads the
revision and one page of POs instead of scanning every match again. Any write to one of the
party's POs, by any process or machine, gives the party a new revision in the writing
transaction, so nobody is served a stale list.

A page deep in a list without Keyword finds its POs on the list's index alone, then reads only
those rows (``rakmao.reading._plain_page``): SQLite's indexes hold the rowid anyway; on
PostgreSQL the four list indexes are made again with ``INCLUDE (id)`` for index-only scans.

A revision is a random 64-bit value, not a counter: a counter restarts when the table is
emptied (a demo reset) and could meet an old value a process still holds.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_rakmao_list_revision"
down_revision = "0010_core_demo_mark"
branch_labels = None
depends_on = None

_KINDS = ("insert", "update", "delete")
#: What a write may change in a party's lists: who lists the PO, its status, what a Keyword
#: matches, and the order.
_LISTED = "status, org_id, seller_tax_id, sent_at, search_text, created_at, po_code"
#: A new random revision (PostgreSQL's random() is a double: 52 random bits kept).
_FRESH = {"sqlite": "random()", "postgresql": "(random() * 9.0e18)::bigint"}
_TRANSITIONS = {
    "insert": "NEW TABLE AS new_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
}


def _parties(kind: str, dialect: str) -> str:
    """A SELECT of the (side, party) pairs whose lists the written rows are in, before and
    after the write."""
    parts = []
    for which in ("new", "old"):
        if (which == "new" and kind == "delete") or (which == "old" and kind == "insert"):
            continue
        if dialect == "postgresql":
            row, source = "r", f" FROM {which}_rows AS r"
        else:
            row, source = which.upper(), ""
        parts.append(f"SELECT 'Buyer' AS side, {row}.org_id AS party{source}")
        parts.append(
            f"SELECT 'Seller', {row}.seller_tax_id{source} WHERE {row}.sent_at IS NOT NULL"
        )
    return " UNION ".join(parts)


def _bump_sql(kind: str, dialect: str) -> str:
    """One upsert giving each party a new random revision, in (side, party) order so that
    concurrent transactions lock the rows in the same order."""
    return " ".join(
        (
            "INSERT INTO rakmao_po_rev (side, party, rev)",
            f"SELECT side, party, {_FRESH[dialect]} FROM ({_parties(kind, dialect)}) AS parties",
            "WHERE true ORDER BY side, party",
            "ON CONFLICT (side, party) DO UPDATE SET rev = excluded.rev",
        )
    )


#: The list indexes: name -> columns (migration 0003 made them without the id).
_LIST_INDEXES = {
    "ix_rakmao_po_org_created": "org_id, created_at, po_code",
    "ix_rakmao_po_org_status": "org_id, status, created_at, po_code",
    "ix_rakmao_po_seller_created": "seller_tax_id, created_at, po_code",
    "ix_rakmao_po_seller_status": "seller_tax_id, status, created_at, po_code",
}


def _list_indexes(include: str) -> None:
    for name, columns in _LIST_INDEXES.items():
        op.execute(f"DROP INDEX {name}")
        op.execute(f"CREATE INDEX {name} ON rakmao_po ({columns}){include}")


def upgrade() -> None:
    op.create_table(
        "rakmao_po_rev",
        sa.Column("side", sa.String(length=6), nullable=False),
        sa.Column("party", sa.String(length=36), nullable=False),
        sa.Column("rev", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("side", "party", name=op.f("pk_rakmao_po_rev")),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _list_indexes(" INCLUDE (id)")
    # Every party with POs starts with a revision: "none" stands for "no POs" only.
    op.execute(
        f"INSERT INTO rakmao_po_rev (side, party, rev) SELECT side, party, {_FRESH[dialect]} FROM ("
        "SELECT DISTINCT 'Buyer' AS side, org_id AS party FROM rakmao_po UNION "
        "SELECT DISTINCT 'Seller', seller_tax_id FROM rakmao_po WHERE sent_at IS NOT NULL"
        ") AS parties"
    )
    for kind in _KINDS:
        name = f"rakmao_po_rev_{kind}"
        if dialect == "postgresql":
            # Per statement over transition tables (no UPDATE OF column list then): one upsert
            # per statement, as the tallies (migration 0008).
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"{_bump_sql(kind, dialect)}; RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {kind.upper()} ON rakmao_po "
                f"REFERENCING {_TRANSITIONS[kind]} FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
        else:
            event = f"UPDATE OF {_LISTED}" if kind == "update" else kind.upper()
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON rakmao_po "
                f"BEGIN {_bump_sql(kind, dialect)}; END"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for kind in _KINDS:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS rakmao_po_rev_{kind} ON rakmao_po")
            op.execute(f"DROP FUNCTION IF EXISTS rakmao_po_rev_{kind}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS rakmao_po_rev_{kind}")
    op.drop_table("rakmao_po_rev")
    if dialect == "postgresql":
        _list_indexes("")
