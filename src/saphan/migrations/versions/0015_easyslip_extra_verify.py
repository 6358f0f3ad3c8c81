"""easyslip: a registered account's extraVerify is one of its bank's options, not a boolean

Revision ID: 0015_easyslip_extra_verify
Revises: 0014b_rakmao_list_shown_columns
Create Date: 2026-12-09 10:00:00

EasySlip's bank list gives each bank the checks ``extraVerify`` may ask (NAME, NUMBER,
NAME_NUMBER at a bank; MSISDN, NATID, EWALLETID at PromptPay; none at KShop), and an account
holds one of them or none. The boolean each account held becomes the option it stood for:
false none; true at a bank NAME_NUMBER (the number and the name, what true checked), at
PromptPay the proxy type its number's length tells (10 digits MSISDN, 13 NATID, 15 EWALLETID;
none for other lengths), at KShop none. Going back, any option is true (and the boolean column
keeps a server default of false, which adding a NOT NULL column to existing rows needs).

The column is replaced (added, filled, the old one dropped, the new one renamed), which SQLite
(3.35 and later) and PostgreSQL both do in place.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_easyslip_extra_verify"
down_revision = "0014b_rakmao_list_shown_columns"
branch_labels = None
depends_on = None

TABLE = "easyslip_bank_account"

#: The option each account's boolean stood for (``logic.accounts.extra_verify_option`` reads a
#: boolean on the wire the same way).
_OPTION = """
CASE
  WHEN NOT extra_verify OR bank_code = 'KSHOP' THEN NULL
  WHEN bank_code = 'PROMPTPAY' THEN
    CASE length(bank_number) WHEN 10 THEN 'MSISDN' WHEN 13 THEN 'NATID' WHEN 15 THEN 'EWALLETID' END
  ELSE 'NAME_NUMBER'
END
"""


def _replace(column: sa.Column[object], value: str) -> None:
    """``extra_verify`` becomes ``column``, filled with ``value`` (an expression of the old)."""
    op.add_column(TABLE, column)
    op.execute(f"UPDATE {TABLE} SET {column.name} = {value}")
    op.execute(f"ALTER TABLE {TABLE} DROP COLUMN extra_verify")
    op.execute(f"ALTER TABLE {TABLE} RENAME COLUMN {column.name} TO extra_verify")


def upgrade() -> None:
    _replace(sa.Column("extra_verify_option", sa.String(16), nullable=True), _OPTION)


def downgrade() -> None:
    _replace(
        sa.Column("extra_verify_flag", sa.Boolean(), server_default=sa.false(), nullable=False),
        "extra_verify IS NOT NULL",
    )
