"""Which databases are demo databases, so the operator commands work beside ``make demo``.

``saphan serve --demo`` (and ``saphan demo seed``) seed the demo data with the demo secret key and
write one row into ``saphan_demo``: a keyed digest of a fixed text under the secret the data was
seeded with. A ``saphan <service> ...`` command run without ``SAPHAN_SECRET_KEY`` (as the README's
commands are, beside ``make demo``) uses the demo settings on a database whose row proves it was
seeded with the demo secret key, and only there: a database without the row, or seeded under
another key, still needs ``SAPHAN_SECRET_KEY``, and ``saphan serve`` outside demo mode removes
the row, so a database once served for real is never taken for a demo one again.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Integer, String, create_engine, delete, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.pool import NullPool

from saphan.config import DEMO_SECRET_KEY, Settings, SettingsError, load_settings
from saphan.core.db import Base, is_sqlite, normalise_url
from saphan.core.hashing import digests_equal, key_digest

#: What the row's digest is of.
_TEXT = "saphan demo database"
#: A database that cannot be reached in this long is not taken for a demo database.
_CONNECT_SECONDS = 5


class DemoMark(Base):
    """One row in a database seeded with demo data (``saphan.demo.seed``)."""

    __tablename__ = "saphan_demo"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``key_digest(secret, "saphan demo database")`` under the secret the demo data was seeded
    #: with: the demo secret key's, or, seeded with SAPHAN_SECRET_KEY set, that key's.
    secret_check: Mapped[str] = mapped_column(String(64))
    seeded_at: Mapped[dt.datetime] = mapped_column(DateTime)


def _check(secret: bytes) -> str:
    return key_digest(secret, _TEXT)


def mark(session: Session, secret: bytes, now: dt.datetime) -> None:
    """Note that this database holds demo data seeded under ``secret`` (kept when present: the
    data already there was seeded under the secret the row names)."""
    if session.scalar(select(DemoMark.id).limit(1)) is None:
        session.add(DemoMark(id=1, secret_check=_check(secret), seeded_at=now))


def forget(url: str) -> None:
    """This database is served outside demo mode: never a demo database again."""
    engine = create_engine(normalise_url(url), poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(delete(DemoMark))
    finally:
        engine.dispose()


def is_demo_database(url: str) -> bool:
    """True when ``url`` holds demo data seeded with the demo secret key. Reads only: a SQLite
    file that does not exist is not created, and any failure (unreachable, no such table, a
    database of an older Saphan) means no."""
    url = normalise_url(url)
    demo_check = _check(DEMO_SECRET_KEY.encode())
    try:
        found = _read_sqlite(url) if is_sqlite(url) else _read_server(url)
    except (sqlite3.Error, SQLAlchemyError, OSError, ValueError):
        return False
    return any(isinstance(value, str) and digests_equal(value, demo_check) for value in found)


def _read_sqlite(url: str) -> list[Any]:
    database = make_url(url).database
    if not database or database == ":memory:" or not Path(database).is_file():
        return []
    conn = sqlite3.connect(f"{Path(database).resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    try:
        return [row[0] for row in conn.execute("SELECT secret_check FROM saphan_demo")]
    finally:
        conn.close()


def _read_server(url: str) -> list[Any]:
    engine = create_engine(
        url, poolclass=NullPool, connect_args={"connect_timeout": _CONNECT_SECONDS}
    )
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT secret_check FROM saphan_demo")).scalars())
    finally:
        engine.dispose()


def operator_settings() -> Settings:
    """The settings of a command that works on the database directly (``saphan depa ...``,
    ``saphan moi ...``, ``saphan webhooks ...``): the environment's, or, when only
    SAPHAN_SECRET_KEY is missing and the database is a demo database, the demo settings that
    ``saphan serve --demo`` runs with (said on stderr). Otherwise the settings error."""
    try:
        return load_settings()
    except SettingsError:
        try:
            demo = load_settings(demo=True)
        except SettingsError:
            demo = None
        # Demo settings with a secret key of their own: SAPHAN_SECRET_KEY was given, and the
        # error is about it.
        if demo is None or demo.secret != DEMO_SECRET_KEY.encode():
            raise
        if not is_demo_database(demo.database_url):
            raise
    where = make_url(normalise_url(demo.database_url)).render_as_string(hide_password=True)
    print(
        f"{where} is a demo database (seeded by saphan serve --demo) and SAPHAN_SECRET_KEY is not"
        " set: using the demo settings.",
        file=sys.stderr,
    )
    return demo
