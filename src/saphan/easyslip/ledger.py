"""The transaction ledger: the bank side's answer to "did (bank, transRef) happen?".

Verifications ask a ``Ledger``; Saphan's is the ``easyslip_transfer`` table, filled by operators,
the demo data and ``saphan easyslip make-slip``. A deployment that can ask a real bank puts its
inquiry behind the same interface.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Connection, bindparam, select

from saphan.core.statement import Statement
from saphan.easyslip.models import Transfer

BANK, TRUEWALLET = "bank", "truewallet"


class Ledger(Protocol):
    def find(self, conn: Connection, kind: str, bank_code: str, trans_ref: str) -> Any | None:
        """The transfer's row (``Transfer``'s columns), or None when there is no such transfer."""


_FIND = Statement(
    select(Transfer.__table__).where(
        Transfer.kind == bindparam("kind"),
        Transfer.bank_code == bindparam("bank_code"),
        Transfer.trans_ref == bindparam("trans_ref"),
    )
)


class TableLedger:
    """The ledger kept in ``easyslip_transfer``."""

    def find(self, conn: Connection, kind: str, bank_code: str, trans_ref: str) -> Any | None:
        return _FIND.first(conn, kind=kind, bank_code=bank_code, trans_ref=trans_ref)
