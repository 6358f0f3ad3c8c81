"""Rakmao search and counts: per-(side, party, status) PO tallies kept by triggers, and a trigram
index for ``Keyword`` (PostgreSQL pg_trgm GIN, SQLite FTS5 trigram)

Revision ID: 0008_rakmao_search
Revises: 0007_rakmao_webhooks
Create Date: 2026-11-23 17:00:00

The tallies answer a list's exact ``count`` without walking the org's POs. Triggers keep them, so
every write path (API, demo, bench seeding, raw SQL) stays exact, in the writing transaction.
A seller's tally counts only POs sent to it (``sent_at`` set), as the Seller list does.

On PostgreSQL, creating the pg_trgm extension needs a role allowed to (pg_trgm is a trusted
extension: a database owner may); if it cannot be created, the migration logs a warning and
leaves ``Keyword`` on the scan, which is slower but still exact.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0008_rakmao_search"
down_revision = "0007_rakmao_webhooks"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

_TALLY_KINDS = ("insert", "update", "delete")


def _deltas(kind: str, dialect: str) -> str:
    """A SELECT of (side, party, status, d) rows: +1 for the new rows' tallies, -1 for the old.

    SQLite triggers run per row (``NEW``/``OLD``); PostgreSQL's per statement over transition
    tables (``new_rows``/``old_rows``): one upsert per statement, not per row. Row-level upserts
    of the same few tally rows in one big transaction (seeding 100,000 POs) are quadratic on
    PostgreSQL, each finding its row at the end of an ever longer chain of its own versions."""
    parts = []
    for which, sign in (("new", 1), ("old", -1)):
        if (which == "new" and kind == "delete") or (which == "old" and kind == "insert"):
            continue
        if dialect == "postgresql":
            row, source = "r", f" FROM {which}_rows AS r"
        else:
            row, source = which.upper(), ""
        parts.append(
            f"SELECT 'Buyer' AS side, {row}.org_id AS party, {row}.status AS status, "
            f"{sign} AS d{source}"
        )
        parts.append(
            f"SELECT 'Seller', {row}.seller_tax_id, {row}.status, {sign}{source} "
            f"WHERE {row}.sent_at IS NOT NULL"
        )
    return " UNION ALL ".join(parts)


def _tally_sql(kind: str, dialect: str) -> str:
    """One upsert applying the deltas in (side, party, status) order, so that concurrent
    transactions lock tally rows in the same order (no deadlock on PostgreSQL); a change that
    leaves the tallies alone touches nothing."""
    return " ".join(
        (
            "INSERT INTO rakmao_po_tally (side, party, status, n)",
            "SELECT side, party, status, SUM(d) FROM (",
            _deltas(kind, dialect),
            ") AS deltas WHERE true GROUP BY side, party, status HAVING SUM(d) <> 0",
            "ORDER BY side, party, status",
            "ON CONFLICT (side, party, status) DO UPDATE SET n = rakmao_po_tally.n + excluded.n",
        )
    )


_TRIGGER_EVENT = {
    "insert": "INSERT",
    "update": "UPDATE OF status, org_id, seller_tax_id, sent_at",
    "delete": "DELETE",
}
_TRANSITIONS = {
    "insert": "NEW TABLE AS new_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
}


def _create_tally_triggers(dialect: str) -> None:
    for kind in _TALLY_KINDS:
        name = f"rakmao_po_tally_{kind}"
        if dialect == "postgresql":
            # Transition tables rule out an UPDATE OF column list: every update statement
            # runs it, and one that moves no tally adds nothing (HAVING SUM(d) <> 0).
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"{_tally_sql(kind, dialect)}; RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {kind.upper()} ON rakmao_po "
                f"REFERENCING {_TRANSITIONS[kind]} FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {name} AFTER {_TRIGGER_EVENT[kind]} ON rakmao_po "
                f"BEGIN {_tally_sql(kind, dialect)}; END"
            )


def _create_sqlite_fts() -> None:
    # External content: the text lives in rakmao_po.search_text (already case-folded), the index
    # holds its trigrams. case_sensitive 1: the text and the keyword are folded by Python alike.
    op.execute(
        "CREATE VIRTUAL TABLE rakmao_po_fts USING fts5(search_text, content='rakmao_po', "
        "content_rowid='rowid', tokenize='trigram case_sensitive 1')"
    )
    op.execute(
        "CREATE TRIGGER rakmao_po_fts_insert AFTER INSERT ON rakmao_po BEGIN "
        "INSERT INTO rakmao_po_fts (rowid, search_text) VALUES (NEW.rowid, NEW.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER rakmao_po_fts_delete AFTER DELETE ON rakmao_po BEGIN "
        "INSERT INTO rakmao_po_fts (rakmao_po_fts, rowid, search_text) "
        "VALUES ('delete', OLD.rowid, OLD.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER rakmao_po_fts_update AFTER UPDATE OF search_text ON rakmao_po BEGIN "
        "INSERT INTO rakmao_po_fts (rakmao_po_fts, rowid, search_text) "
        "VALUES ('delete', OLD.rowid, OLD.search_text); "
        "INSERT INTO rakmao_po_fts (rowid, search_text) VALUES (NEW.rowid, NEW.search_text); END"
    )
    op.execute("INSERT INTO rakmao_po_fts (rakmao_po_fts) VALUES ('rebuild')")


def _create_pg_trigram() -> None:
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as error:
        log.warning(
            "pg_trgm could not be created (%s); Rakmao Keyword searches scan instead. "
            "Ask a superuser for CREATE EXTENSION pg_trgm and run this migration again.",
            str(error.orig).strip().splitlines()[0],
        )
        return
    op.execute(
        "CREATE INDEX ix_rakmao_po_search_trgm ON rakmao_po USING gin (search_text gin_trgm_ops)"
    )


def upgrade() -> None:
    op.create_table(
        "rakmao_po_tally",
        sa.Column("side", sa.String(length=6), nullable=False),
        sa.Column("party", sa.String(length=36), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("side", "party", "status", name=op.f("pk_rakmao_po_tally")),
    )
    dialect = op.get_bind().dialect.name
    op.execute(
        "INSERT INTO rakmao_po_tally (side, party, status, n) "
        "SELECT 'Buyer', org_id, status, COUNT(*) FROM rakmao_po GROUP BY org_id, status "
        "UNION ALL SELECT 'Seller', seller_tax_id, status, COUNT(*) FROM rakmao_po "
        "WHERE sent_at IS NOT NULL GROUP BY seller_tax_id, status"
    )
    _create_tally_triggers(dialect)
    if dialect == "postgresql":
        _create_pg_trigram()
    else:
        _create_sqlite_fts()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for kind in _TALLY_KINDS:
        op.execute(
            f"DROP TRIGGER IF EXISTS rakmao_po_tally_{kind} ON rakmao_po"
            if dialect == "postgresql"
            else f"DROP TRIGGER IF EXISTS rakmao_po_tally_{kind}"
        )
        if dialect == "postgresql":
            op.execute(f"DROP FUNCTION IF EXISTS rakmao_po_tally_{kind}()")
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_rakmao_po_search_trgm")
    else:
        for kind in _TALLY_KINDS:
            op.execute(f"DROP TRIGGER IF EXISTS rakmao_po_fts_{kind}")
        op.execute("DROP TABLE IF EXISTS rakmao_po_fts")
    op.drop_table("rakmao_po_tally")
