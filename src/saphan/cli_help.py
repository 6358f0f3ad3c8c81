"""Three repairs to how Typer (0.29) prints ``saphan ... --help``.

- It puts a type tag in every row, flags included: ``--demo <bool>``, ``--host <str>``. A flag
  takes no value, so it gets no tag; a value is named the way click names it (``TEXT``,
  ``INTEGER``, ``[granian|uvicorn]``), or by the option's own ``metavar``.
- Its usage line shows an argument as ``{dp_id}`` (required) or ``[client_id]``; click writes
  ``DP_ID`` and ``[CLIENT_ID]``, the names the commands' help text uses, and so does this.
- It keeps the line breaks of a docstring's second and later paragraphs, so sentences break
  where the source line ended. Each paragraph is joined into one line, as click does (a
  paragraph that starts with ``\\b`` keeps its lines, as in click), and the terminal wraps it.

``install()`` sets all three once, for the ``saphan`` command (``saphan.cli`` calls it).
``invoked_as()`` names the command in what the commands print ("link the rest with: ...") as
this shell runs it: ``.venv/bin/saphan`` after ``make demo``, as the docs write it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from typer import rich_utils
from typer.core import TyperArgument, TyperOption

__all__ = ["install", "invoked_as", "join_lines", "value_name"]

#: Typer's tag (without its angle brackets) -> click's name for the value.
NAMES = {
    "str": "TEXT",
    "int": "INTEGER",
    "int range": "INTEGER",
    "float": "NUMBER",
    "float range": "NUMBER",
    "Path": "PATH",
    "file": "FILE",
    "directory": "DIRECTORY",
    "UUID": "UUID",
    "Decimal": "DECIMAL",
}


def value_name(param: TyperArgument | TyperOption, ctx: Any) -> str | None:
    """What the help shows for the value ``param`` takes; None for a flag."""
    if param.metavar is not None:
        return param.metavar
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return None
    tag = param.display_type(ctx).removeprefix("<").removesuffix(">")
    if tag.startswith("list[") and tag.endswith("]"):  # a repeatable option: one value each
        tag = tag[5:-1]
    if tag == "bool":
        return None
    choices = "|" in tag and not tag.startswith("%")  # not a date format's alternatives
    name = f"[{tag}]" if choices else NAMES.get(tag, tag.upper())
    return f"{name}..." if param.nargs != 1 else name


def _option_value(self: TyperOption, ctx: Any) -> str | None:
    return value_name(self, ctx)


def _argument_value(self: TyperArgument, ctx: Any) -> str | None:
    # An argument's row already shows its name (CLIENT_ID); a plain text value adds nothing.
    name = value_name(self, ctx)
    return None if name in (None, "TEXT") else name


def _usage_name(self: TyperArgument) -> str:
    """An argument in the usage line, as click writes it: ``DP_ID``, ``[CLIENT_ID]``,
    ``FILES...``."""
    name = self.metavar if self.metavar is not None else (self.name or "").upper()
    if not self.required:
        name = f"[{name}]"
    return f"{name}..." if self.nargs != 1 else name


def join_lines(paragraphs: list[str], markup_mode: Any = None) -> str:
    """Paragraphs for the help, each on one line (``\\b`` ones as written)."""
    return "\n\n".join(
        p.removeprefix("\b\n") if p.startswith("\b") else " ".join(p.split("\n"))
        for p in paragraphs
    )


def install() -> None:
    rich_utils._fix_linebreaks = join_lines
    TyperOption.display_type_rich = _option_value  # type: ignore[method-assign]
    TyperArgument.display_type_rich = _argument_value  # type: ignore[method-assign,assignment]
    TyperArgument._usage_display_name = _usage_name  # type: ignore[method-assign]


def invoked_as() -> str:
    """How to run ``saphan`` again from this shell: the path it was started by
    (``.venv/bin/saphan``) when its folder is not on ``PATH``; plain ``saphan`` when it is, or
    when it was not started as the ``saphan`` script (``python -m saphan``, tests)."""
    started = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if started is None or started.name != "saphan":
        return "saphan"
    folder = started.parent.resolve()
    on_path = {
        Path(part).resolve() for part in os.environ.get("PATH", "").split(os.pathsep) if part
    }
    return "saphan" if folder in on_path else str(started)
