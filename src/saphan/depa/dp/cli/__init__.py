"""``saphan depa-dp ...`` (the commands register themselves on ``app``)."""

from saphan.depa.dp.cli import run, store  # noqa: F401  (registers the commands)
from saphan.depa.dp.cli.base import app

__all__ = ["app"]
