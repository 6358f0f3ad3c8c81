"""The whole state as rows, and back: what ``GET``/``PUT /_saphan/state`` carry.

A snapshot is every row of every table the models declare, as stored, ordered by primary key, so
export, load into an empty server, export again gives the same document. Stored means hashed:
API keys and client secrets as their keyed digests (HMAC under ``SAPHAN_SECRET_KEY``: every
demo server has the same one), passwords as their argon2 hashes, Rakmao's signing keys as
encrypted under the same secret; a server with that secret answers the same keys, passwords and
tokens after a load. What database triggers keep from other rows (depa's rendered records and
revisions, Rakmao's PO tallies and list revisions, the search index) is left out and made
again by the triggers as the rows go in, so a process never finds an old revision meaning new
data. The demo marker (``core.demo_mark``) is the server's, not the state's: never exported,
emptied or loaded.

Values in JSON: times as ISO 8601 (naive, UTC, as stored), dates as ISO dates, decimals as
strings, JSON columns as they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    String,
    Table,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError

from saphan.control.errors import Conflict, Invalid
from saphan.control.schemas import Snapshot, TableRows
from saphan.core.db import Base
from saphan.core.demo_mark import DemoMark

#: Bumped when the document's shape changes (not when the schema does: ``schema`` says that).
VERSION = 1


def _kept(item: Table | Column[Any]) -> bool:
    return bool(item.info.get("kept_by_triggers"))


def state_tables() -> list[Table]:
    """Every table of the state, parents before children."""
    return [t for t in Base.metadata.sorted_tables if t is not DemoMark.__table__]


def _columns(table: Table) -> list[Column[Any]]:
    return [c for c in table.columns if not _kept(c)]


def schema_revision(conn: Connection) -> str:
    return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


# -- export --------------------------------------------------------------------------------------


def export(conn: Connection) -> dict[str, Any]:
    tables: dict[str, Any] = {}
    for table in state_tables():
        if _kept(table):
            continue
        columns = _columns(table)
        query = select(*columns).order_by(*table.primary_key.columns)
        tables[str(table.name)] = {
            "columns": [str(c.name) for c in columns],
            "rows": [[_out(v) for v in row] for row in conn.execute(query)],
        }
    return {
        "saphan": "snapshot",
        "version": VERSION,
        "schema": schema_revision(conn),
        "tables": tables,
    }


def _out(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# -- emptying and loading ------------------------------------------------------------------------


def empty(conn: Connection) -> None:
    """Delete every row of the state, children first; tables that triggers keep from others'
    rows (Rakmao's PO tallies) after the rows they count, whose deletes change them. On
    PostgreSQL every sequence starts again (ids are the first seeding's again); SQLite's ids
    start again from the largest left, which is none."""
    tables = list(reversed(state_tables()))
    for table in [t for t in tables if not _kept(t)] + [t for t in tables if _kept(t)]:
        conn.execute(delete(table))
    _restart_sequences(conn)


#: Each table's rows, as its columns take them (``rows_of``), by table name.
Rows = dict[str, list[dict[str, Any]]]


def load(conn: Connection, snapshot: Snapshot) -> int:
    """Empty the state and load ``snapshot`` in the caller's transaction; the rows loaded.
    Everything is checked before the first row is deleted: a bad document changes nothing."""
    revision = schema_revision(conn)
    if snapshot.schema_ != revision:
        raise Conflict(
            f"The snapshot is of schema {snapshot.schema_}; this server's is {revision} (schema)"
        )
    return replace(conn, rows_of(snapshot))


def rows_of(snapshot: Snapshot) -> Rows:
    """The snapshot's rows as values its columns take, or ``Invalid`` naming the first bad one."""
    known = {t.name: t for t in state_tables() if not _kept(t)}
    rows = {}
    for name, given in snapshot.tables.items():
        table = known.get(name)
        if table is None:
            raise Invalid(f"No such table in the state (tables.{name})")
        rows[name] = _rows(table, given, f"tables.{name}")
    return rows


def replace(conn: Connection, rows: Rows) -> int:
    """Empty the state and insert ``rows``, parents first; the rows inserted."""
    empty(conn)
    loaded = 0
    for table in state_tables():
        if rows.get(table.name):
            try:
                conn.execute(insert(table), rows[table.name])
            except DBAPIError as exc:
                problem = str(exc.orig).strip().splitlines()[0]
                raise Conflict(
                    f"The rows do not fit together: {problem} (tables.{table.name})"
                ) from exc
            loaded += len(rows[table.name])
    _restart_sequences(conn)
    return loaded


def _rows(table: Table, given: TableRows, where: str) -> list[dict[str, Any]]:
    columns = {c.name: c for c in _columns(table)}
    for position, name in enumerate(given.columns):
        if name not in columns:
            raise Invalid(f"No such column of {table.name} ({where}.columns[{position}])")
    missing = [name for name in columns if name not in given.columns]
    if missing or len(set(given.columns)) != len(given.columns):
        what = f"missing {', '.join(missing)}" if missing else "a column given twice"
        raise Invalid(f"Give every column of {table.name} once: {what} ({where}.columns)")
    readers = [(name, _reader(columns[name])) for name in given.columns]
    out = []
    for index, row in enumerate(given.rows):
        if len(row) != len(readers):
            raise Invalid(
                f"A row has {len(readers)} values, one per column ({where}.rows[{index}])"
            )
        values = {}
        for (name, read), value in zip(readers, row, strict=True):
            try:
                values[name] = read(value, columns[name])
            except (TypeError, ValueError, InvalidOperation) as exc:
                raise Invalid(f"{exc} ({where}.rows[{index}].{name})") from exc
        out.append(values)
    return out


Reader = Callable[[Any, Column[Any]], Any]


def _reader(column: Column[Any]) -> Reader:
    kind = column.type
    if isinstance(kind, JSON):
        return _any
    if isinstance(kind, DateTime):
        return _typed(str, _time, "an ISO 8601 time")
    if isinstance(kind, Date):
        return _typed(str, dt.date.fromisoformat, "an ISO date")
    if isinstance(kind, Boolean):
        return _typed(bool, bool, "true or false")
    if isinstance(kind, Integer | BigInteger):
        return _integer
    if isinstance(kind, Float):
        return _typed(int | float, float, "a number")
    if isinstance(kind, Numeric):
        return _typed(str | int, _decimal, "a decimal as a string")
    if isinstance(kind, String):
        return _string
    raise TypeError(f"{column.table.name}.{column.name}: no snapshot form for {kind!r}")


def _nullable(value: Any, column: Column[Any]) -> bool:
    if value is None and not column.nullable:
        raise ValueError("Must not be null")
    return value is None


def _any(value: Any, column: Column[Any]) -> Any:
    _nullable(value, column)
    return value


def _typed(kind: Any, make: Callable[[Any], Any], said: str) -> Reader:
    def read(value: Any, column: Column[Any]) -> Any:
        if _nullable(value, column):
            return None
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise ValueError(f"Must be {said}")
        return make(value)

    return read


def _time(value: str) -> dt.datetime:
    """Stored times are naive UTC; one with an offset is taken as the instant it names."""
    at = dt.datetime.fromisoformat(value)
    return at.astimezone(dt.UTC).replace(tzinfo=None) if at.tzinfo else at


def _decimal(value: str | int) -> Decimal:
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError("Must be a finite decimal")
    return number


def _integer(value: Any, column: Column[Any]) -> Any:
    if _nullable(value, column):
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not -(2**63) <= value < 2**63:
        raise ValueError("Must be an integer")
    return value


def _string(value: Any, column: Column[Any]) -> Any:
    if _nullable(value, column):
        return None
    if not isinstance(value, str):
        raise ValueError("Must be a string")
    length = getattr(column.type, "length", None)
    if length is not None and len(value) > length:
        raise ValueError(f"Must be at most {length} characters")
    return value


def _restart_sequences(conn: Connection) -> None:
    """PostgreSQL: each table's id sequence continues after its largest id (from 1 when empty)."""
    if conn.dialect.name != "postgresql":
        return
    for table in state_tables():
        column = table.autoincrement_column
        if column is None:
            continue
        name = conn.dialect.identifier_preparer.format_table(table)
        conn.execute(
            select(
                func.setval(
                    func.pg_get_serial_sequence(name, column.name),
                    select(func.coalesce(func.max(column), 0) + 1).scalar_subquery(),
                    False,
                )
            )
        )
