"""Alembic environment: the URL comes from the caller (``core.migrate``) or from Settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

import saphan.core.demo_mark
import saphan.core.login_limit
import saphan.core.webhooks.models
import saphan.depa.dp.models
import saphan.depa.models
import saphan.easyslip.models
import saphan.moi.models
import saphan.rakmao.models  # noqa: F401
from saphan.core.db import Base, is_sqlite, normalise_url

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("url")
    if url is None:
        from saphan.config import Settings

        url = Settings(demo=True).database_url
    return normalise_url(str(url))


def run_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=is_sqlite(url),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    url = _url()
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=is_sqlite(url),
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
