"""The ``Allow`` header of a 405: every method the request's path is served with.

Starlette's router answers a known path with an unknown method through the *first* route whose
pattern matches, and that route's ``Allow`` names its own methods only: ``DELETE /Webhook`` said
``GET`` though POST and PUT serve the same path. RFC 9110 (15.5.6) wants the methods of the
target resource, so the header here is the union over every route of the app whose template
matches the path (``GET /Buyer/{OrgId}`` and ``PUT /Buyer/{PoId}`` are one resource).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from starlette.routing import compile_path
from starlette.types import Scope

__all__ = ["AllowedMethods"]


class AllowedMethods:
    """One app's routes, read when first needed (routes are added after the app's error
    handlers are installed): ``header(scope)`` is the ``Allow`` value for the scope's path."""

    def __init__(self, routes: Callable[[], Iterable[tuple[str, frozenset[str]]]]) -> None:
        self._routes = routes
        self._patterns: list[tuple[re.Pattern[str], frozenset[str]]] | None = None

    def header(self, scope: Scope) -> str | None:
        """The methods serving the path, sorted and comma-separated; None when none does."""
        if self._patterns is None:
            self._patterns = [
                (compile_path(template)[0], methods)
                for template, methods in self._routes()
                if methods
            ]
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        allowed = set[str]().union(
            *(methods for pattern, methods in self._patterns if pattern.match(path))
        )
        return ", ".join(sorted(allowed)) if allowed else None
