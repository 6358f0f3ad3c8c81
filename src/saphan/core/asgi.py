"""The outermost ASGI layer: one pure-ASGI pass per request for metrics and the access log,
and the dispatch to the service mounted at the request's prefix.

Starlette's ``Mount`` would reach a service through the root app's middleware stack and router
first; the prefixes are fixed strings, so a prefix test sends a request to its service directly
with the scope a ``Mount`` would give it. Anything else (``/healthz``, ``/metrics``, unknown
paths) goes to the root app.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import partial
from typing import cast

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from saphan.core.faults import Faults
from saphan.core.observability import AccessLog, Metrics, route_template

__all__ = ["Dispatch"]


class Dispatch:
    """Count, time and log each request by its route template; route it by prefix. With
    ``faults`` (demo mode), a request to a service meets the faults the control API armed
    (``core.faults``): one truthiness test while none is armed; without, not even that."""

    def __init__(
        self,
        root: Starlette,
        mounts: Sequence[tuple[str, ASGIApp]],
        metrics: Metrics,
        access: AccessLog,
        faults: Faults | None = None,
    ) -> None:
        self.root = root
        #: The root app's state (``state.runtime``), for whoever holds the app.
        self.state = root.state
        #: ("/moi/", app): longest prefixes first, so "/rakmao-po/" is tried before "/rakmao/".
        self.mounts = sorted(((p + "/", app) for p, app in mounts), key=lambda m: -len(m[0]))
        self.metrics = metrics
        self.access = access
        self.faults = faults
        #: What serves a request: its service or the root app, through the faults if any.
        self._app_for = self._route if faults is None else self._faulting

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.root(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app_for(scope)(scope, receive, send_status)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = scope["method"]
            self.metrics.observe(method, route, status, elapsed)
            if self.access.enabled():
                self.access.request(method, route, status, elapsed)

    def _faulting(self, scope: Scope) -> ASGIApp:
        app = self._route(scope)
        faults = cast(Faults, self.faults)
        return partial(faults.serve, app) if faults.armed else app

    def _route(self, scope: Scope) -> ASGIApp:
        path: str = scope["path"]
        if scope.get("root_path"):
            return self.root  # served under a proxy's prefix: let Starlette work it out
        for prefix, app in self.mounts:
            if path.startswith(prefix):
                scope["app_root_path"] = ""
                scope["root_path"] = prefix[:-1]
                scope.setdefault("path_params", {})
                return app
        return self.root
