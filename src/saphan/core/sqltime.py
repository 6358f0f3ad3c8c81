"""``bangkok_text(column)``: a stored UTC time as Bangkok ``"YYYY-MM-DD HH:MM:SS"``, or ``""``,
computed by the database.

Formatting thousands of times per page in Python costs more than the query; SQLite and
PostgreSQL do it in C. Asia/Bangkok is a fixed UTC+07:00 (no daylight saving since 1920).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


class bangkok_text(FunctionElement[str]):
    type = String()
    inherit_cache = True
    name = "bangkok_text"

    def __init__(self, column: ColumnElement[Any] | QueryableAttribute[Any]) -> None:
        super().__init__(column)


@compiles(bangkok_text, "sqlite")
def _sqlite(element: bangkok_text, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"coalesce(strftime('%Y-%m-%d %H:%M:%S', {column}, '+7 hours'), '')"


@compiles(bangkok_text, "postgresql")
def _postgresql(element: bangkok_text, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"coalesce(to_char({column} + interval '7 hours', 'YYYY-MM-DD HH24:MI:SS'), '')"
