"""``json_object({"wireName": column, ...})``: a row rendered as JSON text by the database.

A page of records built as Python dicts costs more than the query that reads them; SQLite's
``json_object`` and PostgreSQL's ``json_build_object`` write the same JSON in C, keys in the given
order, UTF-8 text unescaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import String, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class json_object(FunctionElement[str]):
    type = String()
    inherit_cache = True
    name = "json_object"

    def __init__(self, pairs: Mapping[str, ColumnElement[Any] | QueryableAttribute[Any]]) -> None:
        arguments: list[Any] = []
        for key, value in pairs.items():
            arguments += [literal_column(_sql_string(key)), value]
        super().__init__(*arguments)


@compiles(json_object, "sqlite")
def _sqlite(element: json_object, compiler: Any, **kw: Any) -> str:
    return f"json_object({compiler.process(element.clauses, **kw)})"


@compiles(json_object, "postgresql")
def _postgresql(element: json_object, compiler: Any, **kw: Any) -> str:
    return f"json_build_object({compiler.process(element.clauses, **kw)})::text"
