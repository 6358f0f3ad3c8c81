"""Rakmao on SQLite: a party's list revision changes with every column its lists show

Revision ID: 0014b_rakmao_list_shown_columns
Revises: 0014_depa_dp_revision
Create Date: 2026-12-07 22:30:00

List answers are now kept in memory under the party's revision (``rakmao.reading.KeptLists``),
so the revision must change whenever anything an item shows changes, not only what filters and
orders the list (migration 0013's column list): editing a Draft's DocumentFileUrl or its money
leaves them all alone. PostgreSQL's statement triggers fire on every UPDATE already.

Downgrading puts 0013's trigger back.
"""

from __future__ import annotations

from alembic import op

revision = "0014b_rakmao_list_shown_columns"
down_revision = "0014_depa_dp_revision"
branch_labels = None
depends_on = None

#: What filters and orders a party's lists (0013).
_LISTED = "status, org_id, seller_tax_id, sent_at, search_text, created_at, po_code"
#: What a list item shows besides (``rakmao.reading._listed``).
_SHOWN = "project_name, vendor_name, org_name, document_file_url, grand_total_delivery_fee"
_FRESH = "ON CONFLICT (side, party) DO UPDATE SET rev = excluded.rev"


def _revision(row: str) -> str:
    """The statements that give ``row``'s buyer and seller (if sent) a new list revision."""
    return (
        f"INSERT INTO rakmao_po_rev (side, party, rev) VALUES ('Buyer', {row}.org_id, random()) "
        f"{_FRESH}; INSERT INTO rakmao_po_rev (side, party, rev) "
        f"SELECT 'Seller', {row}.seller_tax_id, random() WHERE {row}.sent_at IS NOT NULL {_FRESH}"
    )


def _trigger(columns: str) -> None:
    op.execute("DROP TRIGGER IF EXISTS rakmao_po_rev_update")
    op.execute(
        f"CREATE TRIGGER rakmao_po_rev_update AFTER UPDATE OF {columns} ON rakmao_po "
        f"BEGIN {_revision('OLD')}; {_revision('NEW')}; END"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _trigger(f"{_LISTED}, {_SHOWN}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _trigger(_LISTED)
