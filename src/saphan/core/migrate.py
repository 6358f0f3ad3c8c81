"""Alembic, driven from code: ``saphan serve`` and ``saphan db upgrade`` both call ``upgrade``."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from saphan.core.db import normalise_url


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "saphan:migrations")
    config.attributes["url"] = normalise_url(url)
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def current(url: str) -> None:
    command.current(alembic_config(url), verbose=True)
