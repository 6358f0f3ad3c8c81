"""Counts in sentences the commands print: "1 record", "2 records", "1 batch"."""

from __future__ import annotations

__all__ = ["count"]


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun, singular for exactly one (``plural`` when not just noun + "s")."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
