"""The ``Allow`` header of a 405: every method the request's path is served with.

Starlette's router answers a known path with an unknown method through the *first* route whose
pattern matches, and that route's ``Allow`` names its own methods only: ``DELETE /Webhook`` said
``GET`` though POST and PUT serve the same path. RFC 9110 (15.5.6) wants the methods of the
target resource, so the header here names every method for which a request to that exact path
would be served, found as the router finds it: per method, the first route in route order whose
template matches the path and that has the method (``GET /Buyer/{OrgId}`` and ``PUT
/Buyer/{PoId}`` are one template, so ``/Buyer/1`` says GET and PUT).

A concrete path takes precedence over a template that would capture the same segment, as
OpenAPI matches them: ``concrete_first`` puts, before such a template's route, a route of the
concrete path for the template's other methods that answers 405, so the router itself never
serves ``DELETE /sessions/revoke`` as session "revoke"; the header skips those routes, so it
says ``Allow: POST`` there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, compile_path
from starlette.types import Scope

__all__ = ["AllowedMethods", "concrete_first"]


class AllowedMethods:
    """One app's routes, read when first needed (routes are added after the app's error
    handlers are installed): ``header(scope)`` is the ``Allow`` value for the scope's path."""

    def __init__(self, routes: Callable[[], Sequence[BaseRoute]]) -> None:
        self._routes = routes
        self._table: list[tuple[re.Pattern[str], frozenset[str], bool]] | None = None

    def header(self, scope: Scope) -> str | None:
        """The methods serving the path, sorted and comma-separated; None when none does."""
        if self._table is None:
            self._table = [
                (compile_path(template)[0], methods, refuses)
                for template, methods, refuses in _flat(self._routes())
                if methods
            ]
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        matching = [
            (methods, refuses) for pattern, methods, refuses in self._table if pattern.match(path)
        ]
        served: set[str] = set()
        for method in set[str]().union(*(methods for methods, _ in matching)):
            # The first route in order with the method is the one the router would pick.
            first = next(refuses for methods, refuses in matching if method in methods)
            if not first:
                served.add(method)
        return ", ".join(sorted(served)) if served else None


def _flat(
    routes: Sequence[BaseRoute], prefix: str = ""
) -> Iterator[tuple[str, frozenset[str], bool]]:
    """Every route's full template, methods and whether it is a ``concrete_first`` refusal, in
    route order, through routers included with a prefix."""
    for route in routes:
        included = getattr(route, "original_router", None)
        context = getattr(route, "include_context", None)
        if included is not None and context is not None:
            yield from _flat(included.routes, prefix + (context.prefix or ""))
        elif isinstance(getattr(route, "path", None), str):
            methods = frozenset(getattr(route, "methods", None) or ())
            refuses = getattr(route, "endpoint", None) is _not_here
            yield prefix + route.path, methods, refuses  # type: ignore[attr-defined]


async def _not_here(_request: Request) -> Response:
    """A method the concrete path does not serve, though a template would capture the path."""
    raise HTTPException(405)


_not_here.refusal = True  # type: ignore[attr-defined]  # core.boundary.route_templates skips it


def concrete_first(routes: list[BaseRoute]) -> None:
    """Give every concrete path among ``routes`` (a router's, before it is included)
    precedence over the templates that would capture it: before such a template's route, a
    route of the concrete path answering 405 for the template's methods the concrete path does
    not serve. Idempotent."""
    plain = [route for route in routes if isinstance(route, Route)]
    concrete: dict[str, set[str]] = {}
    for route in plain:
        if "{" not in route.path:
            concrete.setdefault(route.path, set()).update(route.methods or ())
    for path, served in concrete.items():
        for route in [r for r in plain if "{" in r.path and r.path_regex.match(path)]:
            others = set(route.methods or ()) - served
            if others:
                routes.insert(
                    routes.index(route),
                    Route(path, _not_here, methods=sorted(others), include_in_schema=False),
                )
                served |= others
