"""Loading the utilities' data: accounts and bills of both layouts, from JSON or CSV.

``saphan moi import``, ``POST /admin/moi/imports`` and the demo data all come through here.
A file is read and checked whole first (an error names the item or row and the field, and
nothing is written), then written in the caller's transaction, so it loads whole or not at all.
Accounts are upserted by (layout, account number): an existing one takes the file's holder and
fields, and its bills are replaced date by date. Writing goes in chunks of set-based statements,
so a million bills take seconds, not one round trip per account (figure in docs/moi.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO, Literal, NamedTuple

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from saphan.core.clock import to_utc_naive
from saphan.core.db import Base
from saphan.core.errors import describe_validation
from saphan.moi.admin_schemas import AccountIn
from saphan.moi.models import MEA, PEA, Account, Bill
from saphan.moi.schemas import CustomerInfo, PeaAccount

#: Each layout's account fields that ``info`` may hold: the wire fields, less the account
#: number and the bill list, which have columns of their own.
ACCOUNT_FIELDS: dict[str, tuple[str, ...]] = {
    MEA: tuple(
        name
        for name in CustomerInfo.model_fields
        if name not in ("installationNumber", "usageHistory")
    ),
    PEA: tuple(name for name in PeaAccount.model_fields if name not in ("CANo", "BillList")),
}
#: The CAList layout's bill fields besides date, units and amount (the metropolitan one has none).
BILL_FIELDS = ("BillPeriod", "DueDate", "InvoiceNo", "Paydate")
#: The CSV columns every file has; the others are the layouts' field names (docs/moi.md).
KEY_COLUMNS = ("citizen_id", "layout", "account_no")
BILL_COLUMNS = ("bill_date", "units", "amount")

_ACCOUNTS = TypeAdapter(list[AccountIn])
_ACCOUNT, _BILL = (Base.metadata.tables[m.__tablename__] for m in (Account, Bill))
_CHUNK = 2_000  # accounts per round of statements
_UNIT = Decimal("0.01")
_MAX = Decimal("1e14")  # Numeric(16, 2)


class LoadedBill(NamedTuple):
    bill_date: dt.date
    units: Decimal
    amount: Decimal
    #: The CAList layout's other bill fields; empty for the customerinfo layout.
    info: dict[str, str]


@dataclass(slots=True)
class Loaded:
    """A checked account, as loading holds it: far lighter than a Pydantic model per bill,
    which matters at a million bills."""

    citizen_id: str
    layout: str
    account_no: str
    info: dict[str, Any]
    bills: list[LoadedBill] = field(default_factory=list)

    @classmethod
    def of(cls, account: AccountIn) -> Loaded:
        bills = [
            LoadedBill(b.bill_date, b.units, b.amount, b.info if account.layout == PEA else {})
            for b in account.bills
        ]
        return cls(account.citizen_id, account.layout, account.account_no, account.info, bills)


class ImportFailed(ValueError):
    """The file is not loadable; the message names the item or row and the field."""


@dataclass(frozen=True)
class ImportResult:
    accounts_created: int
    accounts_updated: int
    bills: int


Progress = Callable[[int], None]


def import_bytes(
    session: Session,
    data: bytes,
    fmt: Literal["json", "csv"],
    now: dt.datetime,
    progress: Progress | None = None,
) -> ImportResult:
    """Parse and check a whole file, then load it in the caller's transaction."""
    accounts = parse_json(data) if fmt == "json" else parse_csv(data)
    return import_accounts(session, accounts, now, progress)


def parse_json(data: bytes) -> list[Loaded]:
    """The JSON format: a list of accounts (docs/moi.md, "Loading data")."""
    try:
        accounts = _ACCOUNTS.validate_json(data)
    except ValidationError as exc:
        raise ImportFailed(describe_validation(exc.errors())) from exc
    for index, account in enumerate(accounts):
        problem = field_problem(account)
        if problem is not None:
            raise ImportFailed(f"[{index}].{problem}")
    return [Loaded.of(account) for account in accounts]


def field_problem(account: AccountIn) -> str | None:
    """What is wrong with the fields of an otherwise valid account, as ``field: reason``.
    No text may hold NUL: no column takes it (PostgreSQL refuses it outright)."""
    if "\x00" in account.account_no:
        return "account_no: must not contain NUL"
    allowed = ACCOUNT_FIELDS[account.layout]
    for name, value in account.info.items():
        if name not in allowed:
            return f"info.{name}: not a field of the {account.layout} layout"
        if not isinstance(value, str) and not (name == "RegisDate" and value is None):
            return f"info.{name}: must be a string"
        if value is not None and "\x00" in value:
            return f"info.{name}: must not contain NUL"
    for index, bill in enumerate(account.bills):
        for name, value in bill.info.items():
            where = f"bills[{index}].info.{name}"
            if account.layout == MEA or name not in BILL_FIELDS:
                return f"{where}: not a bill field of the {account.layout} layout"
            if "\x00" in value:
                return f"{where}: must not contain NUL"
    return None


def parse_csv(data: bytes | BinaryIO) -> list[Loaded]:
    """The CSV format: UTF-8 (a BOM is allowed), a header row, one row per bill; an account's
    columns repeat on each of its bill rows and must agree; a row with no ``bill_date`` is an
    account without bills. Columns: ``citizen_id,layout,account_no``, then ``bill_date,units,
    amount``, then any of the layouts' field names (a row leaves the other layout's empty).

    The text is decoded as it is read (a file object is never read whole), so memory holds the
    checked rows, not the file as well."""
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    stream = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
    lines = _CheckedLines(stream)
    reader = csv.reader(lines, strict=True)
    number = 0  # rows read so far, the header included
    try:
        try:
            header = next(reader)
        except StopIteration:
            raise ImportFailed("the file is empty: a header row is required") from None
        number = 1
        columns = _check_header(header)
        accounts: dict[tuple[str, str], tuple[Loaded, int]] = {}
        for row in reader:
            number += 1
            if any(row):
                _add_row(accounts, columns, row, number)
    except csv.Error as exc:  # e.g. a quote opened in this row and never closed
        raise ImportFailed(f"row {number + 1}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"the file is not UTF-8 (near line {lines.line})") from exc
    finally:
        stream.detach()
    return [account for account, _row in accounts.values()]


class _CheckedLines:
    """The file's lines, refusing NUL (no text column takes it; PostgreSQL refuses it)."""

    def __init__(self, stream: io.TextIOWrapper) -> None:
        self._stream = stream
        self.line = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        text = next(self._stream)
        self.line += 1
        if "\x00" in text:
            raise ImportFailed(f"line {self.line}: NUL is not allowed in any column")
        return text


@dataclass(frozen=True)
class _Columns:
    width: int
    index: dict[str, int]
    account: dict[str, tuple[tuple[str, int], ...]]  # layout -> (field, column)
    foreign: dict[str, tuple[tuple[str, int], ...]]  # layout -> the other layout's columns
    bill: tuple[tuple[str, int], ...]


def _check_header(header: list[str]) -> _Columns:
    names = [name.strip() for name in header]
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in index:
            raise ImportFailed(f"row 1: column {name!r} appears twice")
        index[name] = position
    known = {*KEY_COLUMNS, *BILL_COLUMNS, *BILL_FIELDS, *ACCOUNT_FIELDS[MEA], *ACCOUNT_FIELDS[PEA]}
    for name in names:
        if name not in known:
            raise ImportFailed(f"row 1: unknown column {name!r} (docs/moi.md lists the columns)")
    for name in KEY_COLUMNS:
        if name not in index:
            raise ImportFailed(f"row 1: the column {name!r} is required")
    present = [name for name in BILL_COLUMNS if name in index]
    if present and len(present) != len(BILL_COLUMNS):
        raise ImportFailed("row 1: bill_date, units and amount come together")

    def of(fields: Iterable[str]) -> tuple[tuple[str, int], ...]:
        return tuple((name, index[name]) for name in fields if name in index)

    mea_only = [f for f in ACCOUNT_FIELDS[MEA] if f not in ACCOUNT_FIELDS[PEA]]
    pea_only = [f for f in (*ACCOUNT_FIELDS[PEA], *BILL_FIELDS) if f not in ACCOUNT_FIELDS[MEA]]
    return _Columns(
        width=len(names),
        index=index,
        account={MEA: of(ACCOUNT_FIELDS[MEA]), PEA: of(ACCOUNT_FIELDS[PEA])},
        foreign={MEA: of(pea_only), PEA: of(mea_only)},
        bill=of(BILL_FIELDS),
    )


def _add_row(
    accounts: dict[tuple[str, str], tuple[Loaded, int]],
    columns: _Columns,
    row: list[str],
    number: int,
) -> None:
    def fail(column: str, reason: str) -> ImportFailed:
        return ImportFailed(f"row {number}, column {column}: {reason}")

    if len(row) != columns.width:
        raise ImportFailed(f"row {number}: {len(row)} cells, the header has {columns.width}")
    citizen_id, layout, account_no = (row[columns.index[name]] for name in KEY_COLUMNS)
    if len(citizen_id) != 13 or not citizen_id.isascii() or not citizen_id.isdigit():
        raise fail("citizen_id", "must be 13 digits")
    if layout not in ACCOUNT_FIELDS:
        raise fail("layout", f"must be {MEA} or {PEA}")
    if not 1 <= len(account_no) <= 50:
        raise fail("account_no", "must be 1 to 50 characters")
    for name, position in columns.foreign[layout]:
        if row[position]:
            raise fail(name, f"not a field of the {layout} layout: leave it empty")
    info: dict[str, Any] = {name: row[position] for name, position in columns.account[layout]}
    if layout == PEA and info.get("RegisDate") == "":
        info["RegisDate"] = None
    key = (layout, account_no)
    found = accounts.get(key)
    if found is None:
        account = Loaded(citizen_id, layout, account_no, info)
        accounts[key] = (account, number)
    else:
        account, first = found
        if account.citizen_id != citizen_id or account.info != info:
            raise ImportFailed(
                f"row {number}: account {account_no} differs from row {first}; "
                "an account's columns must be the same on each of its rows"
            )
    if "bill_date" in columns.index and row[columns.index["bill_date"]]:
        account.bills.append(_bill(row, columns, layout, fail))


def _bill(
    row: list[str], columns: _Columns, layout: str, fail: Callable[[str, str], ImportFailed]
) -> LoadedBill:
    try:
        day = dt.date.fromisoformat(row[columns.index["bill_date"]])
    except ValueError:
        raise fail("bill_date", "must be a date, YYYY-MM-DD") from None
    units = _money(row[columns.index["units"]], "units", fail)
    if units < 0:
        raise fail("units", "must not be negative")
    amount = _money(row[columns.index["amount"]], "amount", fail)
    extra = {name: row[position] for name, position in columns.bill} if layout == PEA else {}
    return LoadedBill(day, units, amount, extra)


def _money(cell: str, column: str, fail: Callable[[str, str], ImportFailed]) -> Decimal:
    try:
        value = Decimal(cell)
    except InvalidOperation:
        raise fail(column, "must be a number") from None
    if not value.is_finite() or abs(value) >= _MAX or value != value.quantize(_UNIT):
        raise fail(column, "must be a number with at most 14 digits and 2 decimals")
    return value


def _merged(accounts: Sequence[AccountIn | Loaded]) -> list[Loaded]:
    """One entry per (layout, account number): a later entry takes the holder and fields, and
    its bills replace earlier ones of the same date."""
    out: dict[tuple[str, str], Loaded] = {}
    for given in accounts:
        account = given if isinstance(given, Loaded) else Loaded.of(given)
        key = (account.layout, account.account_no)
        earlier = out.get(key)
        bills = [*earlier.bills, *account.bills] if earlier is not None else account.bills
        by_date = {b.bill_date: b for b in bills}
        if earlier is not None or len(by_date) != len(account.bills):
            account = Loaded(
                account.citizen_id,
                account.layout,
                account.account_no,
                account.info,
                list(by_date.values()),
            )
        out[key] = account
    return list(out.values())


def import_accounts(
    session: Session,
    accounts: Sequence[AccountIn | Loaded],
    now: dt.datetime,
    progress: Progress | None = None,
) -> ImportResult:
    """Upsert checked accounts and their bills; ``progress`` hears of each chunk's bills."""
    created_at = to_utc_naive(now)
    merged = _merged(accounts)
    created = updated = bills = 0
    for start in range(0, len(merged), _CHUNK):
        chunk = merged[start : start + _CHUNK]
        row_ids, new = _write_accounts(session, chunk, created_at)
        created += new
        updated += len(chunk) - new
        written = _write_bills(session, chunk, row_ids)
        bills += written
        if progress is not None:
            progress(written)
    session.flush()
    return ImportResult(accounts_created=created, accounts_updated=updated, bills=bills)


def _write_accounts(
    session: Session, chunk: Sequence[Loaded], created_at: dt.datetime
) -> tuple[dict[tuple[str, str], int], int]:
    """Create the chunk's new accounts and update the others, replacing the bills of the dates
    the file gives. Returns every account's row id and how many were created."""
    conn = session.connection()
    existing = {
        (layout, number): id_
        for id_, layout, number in conn.execute(
            select(Account.id, Account.layout, Account.account_no).where(
                Account.account_no.in_({a.account_no for a in chunk})
            )
        )
    }
    fresh = [a for a in chunk if (a.layout, a.account_no) not in existing]
    stale = [a for a in chunk if (a.layout, a.account_no) in existing]
    if stale:
        conn.execute(
            update(_ACCOUNT)
            .where(_ACCOUNT.c.id == bindparam("row_id"))
            .values(citizen_id=bindparam("new_citizen"), info=bindparam("new_info")),
            [
                {
                    "row_id": existing[(a.layout, a.account_no)],
                    "new_citizen": a.citizen_id,
                    "new_info": a.info,
                }
                for a in stale
            ],
        )
        replaced = [
            {"row_id": existing[(a.layout, a.account_no)], "day": b.bill_date}
            for a in stale
            for b in a.bills
        ]
        if replaced:
            conn.execute(
                delete(_BILL).where(
                    _BILL.c.account_id == bindparam("row_id"), _BILL.c.bill_date == bindparam("day")
                ),
                replaced,
            )
    if fresh:
        ids = conn.scalars(
            insert(_ACCOUNT).returning(_ACCOUNT.c.id, sort_by_parameter_order=True),
            [
                {
                    "citizen_id": a.citizen_id,
                    "layout": a.layout,
                    "account_no": a.account_no,
                    "info": a.info,
                    "created_at": created_at,
                }
                for a in fresh
            ],
        ).all()
        existing.update({(a.layout, a.account_no): id_ for a, id_ in zip(fresh, ids, strict=True)})
    return existing, len(fresh)


def _write_bills(
    session: Session, chunk: Sequence[Loaded], row_ids: dict[tuple[str, str], int]
) -> int:
    rows = list(_bill_rows(chunk, row_ids))
    if rows:
        session.connection().execute(insert(_BILL), rows)
    return len(rows)


def _bill_rows(
    chunk: Sequence[Loaded], row_ids: dict[tuple[str, str], int]
) -> Iterator[dict[str, Any]]:
    for account in chunk:
        row_id = row_ids[(account.layout, account.account_no)]
        for bill in account.bills:
            yield {
                "account_id": row_id,
                "bill_date": bill.bill_date,
                "units": bill.units,
                "amount": bill.amount,
                "info": bill.info,
            }
