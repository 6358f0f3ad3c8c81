"""``Statement``: a hot SQLAlchemy Core statement, compiled once per dialect, run on the driver.

Executing a cached Core statement through ``Connection.execute`` costs 50-90 µs of Python per
call (the compiled-cache lookup, an execution context, events, a result object, result
processing); the driver itself takes 5-30 µs for the indexed reads and single-row writes the
request paths make (measured: MOI's holdings query, 95 µs through ``execute``, 30 µs on
sqlite3). A ``Statement`` keeps what ``execute`` works out on every call, once per dialect (the
SQL text, the parameters' order, the types' bind and result processors), and runs the SQL on the
connection's own DBAPI cursor, inside whatever transaction the connection is in.

What goes in and comes out is what ``execute`` would pass and return: parameters by name,
converted by their types' bind processors (a ``datetime`` for a ``DateTime`` column on SQLite
becomes SQLAlchemy's stored text); result columns converted by their types' result processors
(a ``JSON`` column reads as Python data on both databases); the driver's errors are raised as
SQLAlchemy's (``sqlalchemy.exc.IntegrityError``, ``.orig`` the driver's). Rows are named
tuples, by the columns' keys (``row.amount``, ``row[3]``).

For statements written once and run on every request, not for ad-hoc queries: no ``IN``
lists that expand, no ``RETURNING`` of server-side defaults beyond the row itself.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import psycopg
from psycopg import pq
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.util import await_

__all__ = ["Statement", "rows_pipelined", "upsert_into"]

Processor = Callable[[Any], Any]


@dataclass(slots=True)
class _Compiled:
    sql: str
    #: The parameters in the SQL's order (positional drivers), or None (named: a dict).
    order: tuple[str, ...] | None
    #: Values fixed in the statement itself (a LIMIT, a literal bound by SQLAlchemy).
    fixed: Mapping[str, Any]
    binds: Mapping[str, Processor]
    #: The result columns' types (a driver's processor may depend on what the cursor says).
    columns: tuple[Any, ...]
    row: type[tuple[Any, ...]]
    #: One per result column, None where the driver's value is already the value; worked out
    #: on the first execution, from the cursor's description.
    results: tuple[Processor | None, ...] | None = None
    #: The driver's rows -> named tuples of processed values (``_row_builder``).
    rows: Callable[[list[Any]], list[tuple[Any, ...]]] = list


def upsert_into(dialect: str, table: Any) -> Any:
    """``INSERT INTO table`` for the named database, with its ``ON CONFLICT`` clauses
    (PostgreSQL's or SQLite's, which SQLAlchemy spells alike but builds apart)."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


class Statement:
    """``Statement(select(...))``, or ``Statement(lambda dialect_name: ...)`` for a statement
    written per database (an upsert); then ``.rows(conn, **params)`` and the like."""

    __slots__ = ("_build", "_compiled")

    def __init__(self, statement: Executable | Callable[[str], Executable]) -> None:
        self._build: Callable[[str], Executable] = (
            statement if callable(statement) else (lambda _dialect: statement)
        )
        self._compiled: dict[str, _Compiled] = {}

    def rows(self, conn: Connection, **params: Any) -> list[tuple[Any, ...]]:
        compiled, ran = self._execute(conn, params)
        return self._rows(conn, compiled, ran)

    @staticmethod
    def _rows(conn: Connection, compiled: _Compiled, ran: _Ran) -> list[tuple[Any, ...]]:
        if compiled.results is None:
            compiled.results = _result_processors(compiled.columns, ran.description, conn.dialect)
            compiled.rows = _row_builder(compiled.row, compiled.results)
        return compiled.rows(ran.rows or [])

    def column(self, conn: Connection, **params: Any) -> list[Any]:
        """The first result column's values: ``rows`` without a tuple per row (a page of
        100 rows as named tuples costs ~90 us)."""
        compiled, ran = self._execute(conn, params)
        processors = compiled.results
        if processors is None:
            processors = compiled.results = _result_processors(
                compiled.columns, ran.description, conn.dialect
            )
        process = processors[0]
        found = ran.rows or []
        if process is None:
            return [row[0] for row in found]
        return [None if row[0] is None else process(row[0]) for row in found]

    def first(self, conn: Connection, **params: Any) -> tuple[Any, ...] | None:
        found = self.rows(conn, **params)
        return found[0] if found else None

    def scalar(self, conn: Connection, **params: Any) -> Any:
        row = self.first(conn, **params)
        return None if row is None else row[0]

    def run(self, conn: Connection, **params: Any) -> int:
        """A write: the number of rows it changed."""
        _compiled, ran = self._execute(conn, params)
        return ran.rowcount

    def run_many(self, conn: Connection, params: Sequence[Mapping[str, Any]]) -> None:
        """The same write once per set of parameters, in one driver call (psycopg pipelines
        them: one round trip for all)."""
        compiled = self._for(conn.dialect)
        arguments = [_arguments(compiled, p) for p in params]
        cursor: Any = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(compiled.sql, arguments)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _translated(conn, compiled, arguments, exc) from exc
        finally:
            cursor.close()

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = _compile(self._build(dialect.name), dialect)
        return compiled

    def _execute(self, conn: Connection, params: Mapping[str, Any]) -> tuple[_Compiled, _Ran]:
        compiled = self._for(conn.dialect)
        arguments = _arguments(compiled, params)
        try:
            driver = conn.connection.driver_connection
            if isinstance(driver, psycopg.AsyncConnection):
                described = compiled.results is None
                return compiled, await_(_run_async(driver, compiled.sql, arguments, described))
            return compiled, _run(conn.connection.dbapi_connection, compiled.sql, arguments)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _translated(conn, compiled, arguments, exc) from exc


def rows_pipelined(
    conn: Connection, calls: Sequence[tuple[Statement, Mapping[str, Any]]]
) -> list[list[tuple[Any, ...]]]:
    """PostgreSQL: each statement's rows, the statements sent together in one pipeline
    (psycopg's pipeline mode: one wait for all of their results), run in order in the
    connection's transaction. When one fails the error is raised, which one is not said."""
    compiled = [(statement, statement._for(conn.dialect)) for statement, _ in calls]
    arguments = [_arguments(c, params) for (_, c), (_, params) in zip(compiled, calls, strict=True)]
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.AsyncConnection)  # PostgreSQL's writer: async psycopg
    try:
        ran = await_(
            _pipelined(
                driver,
                [
                    (c.sql, a, c.results is None)
                    for (_, c), a in zip(compiled, arguments, strict=True)
                ],
            )
        )
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _translated(conn, compiled[0][1], arguments[0], exc) from exc
    return [
        statement._rows(conn, c, each) for (statement, c), each in zip(compiled, ran, strict=True)
    ]


async def _pipelined(
    driver: psycopg.AsyncConnection[Any], calls: Sequence[tuple[str, Any, bool]]
) -> list[_Ran]:
    """``calls``: (SQL, arguments, whether to describe the result: see ``_fetched``)."""
    async with driver.pipeline() as pipeline:
        cursors = []
        for sql, arguments, described in calls:
            cursor = driver.cursor(binary=True)
            await cursor.execute(sql, arguments)
            cursors.append((cursor, described))
        await pipeline.sync()
        ran = []
        for cursor, described in cursors:
            ran.append(await _fetched(cursor, described))
            await cursor.close()
        return ran


async def _fetched(cursor: psycopg.AsyncCursor[Any], described: bool) -> _Ran:
    """What the cursor's statement gave. Its description only when ``described``: the
    statement's result types are not known yet (``Statement._rows``); psycopg builds a
    ``Column`` per column on every call (a fifth of the writer's time on EasySlip verify's
    30 columns, measured)."""
    result = cursor.pgresult
    returns = result is not None and result.status == pq.ExecStatus.TUPLES_OK
    rows = await cursor.fetchall() if returns else None
    return _Ran(rows, cursor.description if described else None, int(cursor.rowcount))


class _Ran(NamedTuple):
    """What running a statement gave: its rows (None: it returns none), what the driver says
    of its columns (None when not asked for), how many rows it changed."""

    rows: list[Any] | None
    description: Sequence[Any] | None
    rowcount: int


def _run(driver: Any, sql: str, arguments: Any) -> _Ran:
    cursor = driver.cursor()
    try:
        cursor.execute(sql, arguments)
        description = cursor.description
        rows = None if description is None else cursor.fetchall()
        return _Ran(rows, description, int(cursor.rowcount))
    finally:
        cursor.close()


async def _run_async(
    driver: psycopg.AsyncConnection[Any], sql: str, arguments: Any, described: bool
) -> _Ran:
    """On psycopg's async connection, in one await (one greenlet switch, not one for the
    execute and one for the fetch, as SQLAlchemy's adapted cursor makes), results in binary
    format (a page of 100 stored records: ~550 -> ~250 us of CPU in psycopg, measured)."""
    async with driver.cursor(binary=True) as cursor:
        await cursor.execute(sql, arguments)
        return await _fetched(cursor, described)


def _translated(conn: Connection, compiled: _Compiled, arguments: Any, exc: Exception) -> Exception:
    """The driver's error as SQLAlchemy raises it (``sqlalchemy.exc.IntegrityError`` and the
    like, the driver's error as ``.orig``), as ``Connection.execute`` would have."""
    return DBAPIError.instance(
        compiled.sql, arguments, exc, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
    )


def _arguments(compiled: _Compiled, params: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
    """The parameters as the driver takes them: converted by their types, in order."""
    values = {**compiled.fixed, **params}
    for name, process in compiled.binds.items():
        values[name] = process(values.get(name))  # None too: a JSON column writes it as null
    return values if compiled.order is None else tuple(values[name] for name in compiled.order)


def _compile(statement: Executable, dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    binds: dict[str, Processor] = {}
    fixed: dict[str, Any] = {}
    bind: BindParameter[Any]
    for name, bind in compiled.binds.items():
        if bind.expanding:
            raise ValueError(f"{name}: an expanding IN list cannot be precompiled")
        if not bind.required:
            fixed[name] = bind.effective_value
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            binds[name] = process
    columns = list(getattr(statement, "selected_columns", None) or ()) or list(
        getattr(compiled, "returning", None) or ()
    )
    row = namedtuple("Row", [str(column.key) for column in columns], rename=True)  # type: ignore[misc]
    order = tuple(compiled.positiontup) if dialect.positional else None
    return _Compiled(str(compiled), order, fixed, binds, tuple(c.type for c in columns), row)


def _row_builder(
    row: type[tuple[Any, ...]], processors: Sequence[Processor | None]
) -> Callable[[list[Any]], list[tuple[Any, ...]]]:
    """A function made for this statement's columns that turns the driver's rows into named
    tuples, each value through its processor: one comprehension with the calls written out,
    as SQLAlchemy's own result rows do in C. (A loop over the processors for every value cost
    a third of a PowerCapital lookup's Python, measured.)"""
    values = ", ".join(
        f"r[{i}]" if process is None else f"(None if r[{i}] is None else p{i}(r[{i}]))"
        for i, process in enumerate(processors)
    )
    namespace: dict[str, Any] = {"Row": row}
    namespace.update({f"p{i}": process for i, process in enumerate(processors) if process})
    source = f"def build(found):\n    return [Row({values}) for r in found]\n"
    exec(source, namespace)  # noqa: S102 (the source is made above from column positions only)
    build: Callable[[list[Any]], list[tuple[Any, ...]]] = namespace["build"]
    return build


def _result_processors(
    types: Sequence[Any], description: Sequence[Any] | None, dialect: Dialect
) -> tuple[Processor | None, ...]:
    codes = [entry[1] for entry in description or ()]
    return tuple(
        kind.dialect_impl(dialect).result_processor(dialect, code)
        for kind, code in zip(types, codes, strict=True)
    )
