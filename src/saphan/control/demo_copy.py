"""The demo data as this process first seeded it, kept to be put back in milliseconds.

SQLite: the database's pages, copied into an in-memory database by SQLite's backup API and
copied back the same way (3-15 ms for the demo's 2.8 MB, where deleting and inserting its
4,500 rows through the triggers took 150-250 ms). Everything comes back as it was, the values
database triggers keep included: a depa or Rakmao revision names one state of the data, so what
a process kept under it is still that state's answer. PostgreSQL: the rows of a snapshot
(``snapshot.replace``), deleted and inserted in one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from saphan.control import snapshot
from saphan.control.schemas import Snapshot
from saphan.core.db import Database


class DemoCopy(Protocol):
    def restore(self) -> None: ...


def keep(db: Database) -> DemoCopy:
    """What ``db`` holds now, to be restored later."""
    return SQLiteImage(db) if db.sqlite else DemoRows(db)


class SQLiteImage:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.image = sqlite3.connect(":memory:", check_same_thread=False)
        with _driver_connection(db) as conn:
            conn.backup(self.image)

    def restore(self) -> None:
        with _driver_connection(self.db) as conn:
            self.image.backup(conn)
        self.db.generation += 1  # what this process's caches read is gone


class DemoRows:
    def __init__(self, db: Database) -> None:
        self.db = db
        with db.connect() as conn:
            self.rows = snapshot.rows_of(Snapshot.model_validate(snapshot.export(conn)))

    def restore(self) -> None:
        with self.db.begin() as conn:
            snapshot.replace(conn, self.rows)


@contextmanager
def _driver_connection(db: Database) -> Iterator[Any]:
    """A pooled connection's sqlite3 connection, outside any transaction (a backup needs that)."""
    pooled = db.engine.raw_connection()
    try:
        yield pooled.driver_connection
    finally:
        pooled.close()
