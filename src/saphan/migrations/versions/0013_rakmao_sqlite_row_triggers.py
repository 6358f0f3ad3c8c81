"""Rakmao on SQLite: the PO tally and list revision triggers as plain per-row upserts

Revision ID: 0013_rakmao_sqlite_row_triggers
Revises: 0012_core_failed_login
Create Date: 2026-12-07 17:00:00

Migrations 0008 and 0011 wrote each trigger as one upsert over a grouped, ordered UNION of the
row's deltas, the form PostgreSQL's statement-level triggers need (one upsert per statement, in
a fixed lock order). On SQLite, whose triggers run per row and whose writer is alone, that form
cost 90 us (tallies) and 50 us (revisions) of the writer's time per PO inserted (a temporary
b-tree per GROUP BY and ORDER BY); these single-row statements do the same in a few us each.
The triggers keep their names and do exactly what they did; PostgreSQL's are unchanged.

Downgrading keeps them: the earlier migrations drop the triggers by name.
"""

from __future__ import annotations

from alembic import op

revision = "0013_rakmao_sqlite_row_triggers"
down_revision = "0012_core_failed_login"
branch_labels = None
depends_on = None


def _tally(row: str, change: str) -> list[str]:
    """The statements that move ``row`` (NEW or OLD) on its buyer's and seller's tallies by
    ``change`` (+1 or -1); a seller counts only POs sent to it."""
    if change == "+1":
        add = "ON CONFLICT (side, party, status) DO UPDATE SET n = n + 1"
        return [
            f"INSERT INTO rakmao_po_tally (side, party, status, n) "
            f"VALUES ('Buyer', {row}.org_id, {row}.status, 1) {add}",
            f"INSERT INTO rakmao_po_tally (side, party, status, n) "
            f"SELECT 'Seller', {row}.seller_tax_id, {row}.status, 1 "
            f"WHERE {row}.sent_at IS NOT NULL {add}",
        ]
    return [
        f"UPDATE rakmao_po_tally SET n = n - 1 WHERE side = 'Buyer' "
        f"AND party = {row}.org_id AND status = {row}.status",
        f"UPDATE rakmao_po_tally SET n = n - 1 WHERE side = 'Seller' "
        f"AND party = {row}.seller_tax_id AND status = {row}.status "
        f"AND {row}.sent_at IS NOT NULL",
    ]


def _revision(row: str) -> list[str]:
    """The statements that give ``row``'s buyer and seller (if sent) a new list revision."""
    fresh = "ON CONFLICT (side, party) DO UPDATE SET rev = excluded.rev"
    return [
        f"INSERT INTO rakmao_po_rev (side, party, rev) VALUES ('Buyer', {row}.org_id, random()) "
        f"{fresh}",
        f"INSERT INTO rakmao_po_rev (side, party, rev) "
        f"SELECT 'Seller', {row}.seller_tax_id, random() WHERE {row}.sent_at IS NOT NULL {fresh}",
    ]


_LISTED = "status, org_id, seller_tax_id, sent_at, search_text, created_at, po_code"
#: name -> (event, statements), as migrations 0008 and 0011 named them.
_TRIGGERS = {
    "rakmao_po_tally_insert": ("INSERT", _tally("NEW", "+1")),
    "rakmao_po_tally_update": (
        "UPDATE OF status, org_id, seller_tax_id, sent_at",
        _tally("OLD", "-1") + _tally("NEW", "+1"),
    ),
    "rakmao_po_tally_delete": ("DELETE", _tally("OLD", "-1")),
    "rakmao_po_rev_insert": ("INSERT", _revision("NEW")),
    "rakmao_po_rev_update": (f"UPDATE OF {_LISTED}", _revision("OLD") + _revision("NEW")),
    "rakmao_po_rev_delete": ("DELETE", _revision("OLD")),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, (event, statements) in _TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        body = "; ".join(statements)
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON rakmao_po BEGIN {body}; END")


def downgrade() -> None:
    """Nothing: the triggers do what the earlier ones did, and those migrations' downgrades
    drop them by name."""
