"""A service's plain routes, served without FastAPI's per-request machinery.

Saphan's public routes read everything from the request themselves (the request path in
``core.request_path`` identifies the caller and parses the body); the parameters their
signatures declare are there for the OpenAPI document. For such a route FastAPI still matches
the path through its router and solves the declared parameters on every request: about 30 µs
of a request's CPU, measured (a bare Starlette route: 8 µs; the same route in FastAPI: 40 µs).

``PlainRoutes`` wraps a service's FastAPI app: a request for a *plain* route (below) goes
straight to its endpoint, with the app's own exception handlers, so the answer is byte for byte
what FastAPI would give; anything else (docs, OpenAPI, unknown paths, routes with query, cookie
or body parameters FastAPI validates) goes to the FastAPI app unchanged.

A route is plain when every parameter of its endpoint is ``request``, a path parameter declared
``str``, or has a default, and FastAPI would validate no query, cookie or body parameter for it,
or only query parameters of an endpoint marked ``reads_own_query`` (it reads and checks them
from the request; its signature declares them for the document). Header parameters and security
dependencies are allowed: the endpoint must not use their value (it gets the default), since it
reads its headers from the request. Where two routes' templates can match one path (``/Buyer/
{OrgId}`` and ``/Buyer/{PoId}``), only the methods no other of them has are shortcut: FastAPI
picks the route whose method matches, so for such a method there is one candidate.

Every request's URL passes the input boundary here first (``core.boundary``): a path or query
value holding NUL, a control character or an unpaired surrogate is a 400 in the service's
envelope naming the parameter, whichever way the route is served.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, compile_path
from starlette.types import Receive, Scope, Send

from saphan.core.boundary import UrlCheck, route_templates
from saphan.core.observability import ROUTE_TEMPLATE

__all__ = ["PlainRoutes", "reads_own_query"]

Endpoint = Callable[..., Awaitable[Response]]
E = TypeVar("E", bound=Endpoint)
_READS_OWN_QUERY = "__saphan_reads_own_query__"


def reads_own_query(endpoint: E) -> E:
    """Mark ``endpoint`` as reading and checking its query parameters itself (from the
    request): the ones its signature declares document them, and ``PlainRoutes`` may serve it
    without FastAPI solving them."""
    setattr(endpoint, _READS_OWN_QUERY, True)
    return endpoint


@dataclass(frozen=True, slots=True)
class _Plain:
    route: APIRoute
    endpoint: Endpoint
    #: Whether the endpoint takes the request (as ``request``).
    takes_request: bool
    #: The route's full template, its routers' prefixes included.
    template: str


class PlainRoutes:
    """The ASGI app a service is mounted as (see the module docstring)."""

    def __init__(self, api: FastAPI) -> None:
        self.api = api
        self.state = api.state
        #: path -> method -> route, for plain routes without parameters
        self._exact: dict[str, dict[str, _Plain]] = {}
        #: (pattern, method -> route), for plain routes with path parameters
        self._patterned: list[tuple[re.Pattern[str], dict[str, _Plain]]] = []
        #: id(route) -> its full template, for the routes of routers included with a prefix
        #: (FastAPI's ``scope["route"]`` is the route as its own router knows it).
        self._templates: dict[int, str] = {}
        self._url = UrlCheck(lambda: route_templates(api.routes))
        routes, complete = _all_routes(api.routes)
        if not complete:
            return  # a router included with dependencies of its own: leave it all to FastAPI
        templates: dict[str, list[BaseRoute]] = {}
        for path, route in routes:
            templates.setdefault(path, []).append(route)
            if path != getattr(route, "path", path):
                self._templates[id(route)] = path
        for path, group in templates.items():
            plain = [r for r in group if isinstance(r, APIRoute) and _is_plain(r)]
            rivals = _rival_methods(path, templates)
            if len(plain) != len(group) or rivals is None:
                continue  # FastAPI's first-match order decides: not ours to shortcut
            by_method = {
                method: _Plain(
                    r, r.endpoint, "request" in inspect.signature(r.endpoint).parameters, path
                )
                for r in plain
                for method in r.methods or ()
                if method not in rivals
            }
            if not by_method:
                continue
            regex, _format, convertors = compile_path(path)
            if convertors:
                self._patterned.append((regex, by_method))
            else:
                self._exact[path] = by_method

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.api(scope, receive, send)
            return
        if self._url.suspect(scope):
            refused = self._url.problem(scope)
            if refused is not None:
                request = Request(scope, receive, send)
                await (await self._handle(request, refused))(scope, receive, send)
                return
        found = self._find(scope)
        if found is None:
            try:
                await self.api(scope, receive, send)
            finally:
                template = self._templates.get(id(scope.get("route")))
                if template is not None:
                    scope[ROUTE_TEMPLATE] = template
            return
        plain, params = found
        scope["app"] = self.api
        scope["route"] = plain.route
        scope[ROUTE_TEMPLATE] = plain.template
        scope["path_params"] = params
        request = Request(scope, receive, send)
        arguments: dict[str, Any] = (
            {**params, "request": request} if plain.takes_request else params
        )
        try:
            response = await plain.endpoint(**arguments)
        except Exception as exc:
            response = await self._handle(request, exc)
        await response(scope, receive, send)

    def _find(self, scope: Scope) -> tuple[_Plain, dict[str, Any]] | None:
        path: str = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        method = scope["method"]
        plain = self._exact.get(path, {}).get(method)
        if plain is not None:
            return plain, {}
        for pattern, by_method in self._patterned:
            plain = by_method.get(method)
            if plain is None:
                continue  # another template of the same shape may have the method
            match = pattern.match(path)
            if match:
                return plain, match.groupdict()
        return None

    async def _handle(self, request: Request, exc: Exception) -> Response:
        """The app's own handler for ``exc`` (the service's envelope), as FastAPI would pick it."""
        for cls in type(exc).__mro__:
            handler = self.api.exception_handlers.get(cls)
            if handler is not None:
                answer = handler(request, exc)
                response: Response = await answer if inspect.isawaitable(answer) else answer
                return response
        raise exc


def _all_routes(
    routes: Sequence[BaseRoute], prefix: str = ""
) -> tuple[list[tuple[str, BaseRoute]], bool]:
    """Every route with its full template, through included routers (FastAPI keeps those as
    wrappers; their prefixes are added here); False when a router was included with
    dependencies of its own, which FastAPI runs and a shortcut would not."""
    found: list[tuple[str, BaseRoute]] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        context = getattr(route, "include_context", None)
        if included is None or context is None:
            found.append((prefix + getattr(route, "path", ""), route))
            continue
        if context.dependencies:
            return found, False
        inner, complete = _all_routes(included.routes, prefix + (context.prefix or ""))
        found += inner
        if not complete:
            return found, False
    return found, True


_PARAM = re.compile(r"{[^}]*}")


def _rival_methods(path: str, templates: dict[str, list[BaseRoute]]) -> set[str] | None:
    """The methods of the other routes whose pattern could match a path of ``path``'s, or the
    reverse; None when such a route is not an HTTP route with methods (a mount, say)."""
    sample = _PARAM.sub("x", path)
    pattern = compile_path(path)[0]
    rivals: set[str] = set()
    for other, routes in templates.items():
        if other == path:
            continue
        overlapping = (
            not hasattr(routes[0], "path_regex")
            or compile_path(other)[0].match(sample)
            or pattern.match(_PARAM.sub("x", other))
        )
        if not overlapping:
            continue
        for route in routes:
            methods = getattr(route, "methods", None)
            if not methods:
                return None
            rivals |= methods
    return rivals


def _is_plain(route: APIRoute) -> bool:
    dependant = route.dependant
    if dependant.cookie_params or dependant.body_params:
        return False
    if dependant.query_params and not getattr(route.endpoint, _READS_OWN_QUERY, False):
        return False
    if any(
        sub.query_params or sub.cookie_params or sub.body_params for sub in dependant.dependencies
    ):
        return False
    path_params = {field.name: field for field in dependant.path_params}
    if any(field.field_info.annotation is not str for field in path_params.values()):
        return False
    if any(route.param_convertors[name].regex != "[^/]+" for name in path_params):
        return False
    return all(
        name == "request" or name in path_params or parameter.default is not inspect.Parameter.empty
        for name, parameter in inspect.signature(route.endpoint).parameters.items()
    )
