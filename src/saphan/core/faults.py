"""Faults armed for a demo server's services: "the next N calls to this operation answer that,
wait this long first, or have their connection cut".

Core knows no service: a fault names a mount prefix (``/depa``), a method and a route template
relative to it (``POST /api/v1/...``), and what to do; the control API (``control.faults``)
turns the provider's own operation names and documented failures into that. ``Dispatch``
(``core.asgi.Dispatch`` given the registry, demo mode only) asks ``armed`` once per request, one
truthiness test while nothing is armed; outside demo mode there is no registry and no test.

A fault scoped to a caller holds the keyed digest of the caller's credential (``hashing``),
never the value, and matches a request whose ``Authorization`` (whole, or its bearer value),
``x-api-key`` or ``Token`` header digests the same.

The registry belongs to the process (``saphan serve --workers N``: one each), as the clock does;
everything here runs on the event loop's thread, between awaits, so a count cannot be taken twice.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from saphan.core.hashing import key_digest
from saphan.core.observability import ROUTE_TEMPLATE

__all__ = ["CALLER_HEADERS", "Fault", "Faults"]

#: The request headers a caller's credential travels in, across the services.
CALLER_HEADERS = (b"authorization", b"x-api-key", b"token")


@dataclass(slots=True, eq=False)
class Fault:
    id: str
    #: The service's mount prefix, e.g. ``/depa``.
    prefix: str
    method: str
    #: The route's template below the prefix, e.g. ``/api/v1/voucher/usage``.
    template: str
    #: As the control API named it (an operationId, or method and template).
    operation: str
    #: Calls left to fault; ``None``: every call until cleared.
    remaining: int | None
    #: The caller's credential digest, or ``None`` for every caller.
    caller: str | None = None
    #: Seconds to wait before going on.
    delay: float = 0.0
    #: Cut the connection instead of answering.
    drop: bool = False
    #: The answer's status (``None``: the service answers, after ``delay``).
    status: int | None = None
    body: bytes = b""
    #: The body made from the request's path parameters instead (a provider that echoes one).
    body_for: Callable[[dict[str, str]], bytes] | None = None
    #: The answer's headers, but its length (Saphan's to say).
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    #: What the control API lists about the answer (never the caller).
    describe: dict[str, object] = field(default_factory=dict)
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        self.pattern = compile_path(self.template)[0]


class Faults:
    """The armed faults of one process, by mount prefix in arming order."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        #: prefix -> faults; empty (false) while nothing is armed: ``Dispatch``'s one test.
        self.armed: dict[str, list[Fault]] = {}
        self._ids = itertools.count(1)

    def new_id(self) -> str:
        return f"fault-{next(self._ids)}"

    def caller_digest(self, credential: str) -> str:
        return key_digest(self.secret, credential)

    def arm(self, fault: Fault) -> None:
        self.armed.setdefault(fault.prefix, []).append(fault)

    def all(self) -> list[Fault]:
        return [fault for faults in self.armed.values() for fault in faults]

    def clear(self) -> None:
        self.armed.clear()

    def remove(self, fault_id: str) -> bool:
        for prefix, faults in self.armed.items():
            for fault in faults:
                if fault.id == fault_id:
                    self._drop_fault(prefix, fault)
                    return True
        return False

    def _drop_fault(self, prefix: str, fault: Fault) -> None:
        faults = self.armed[prefix]
        faults.remove(fault)
        if not faults:
            del self.armed[prefix]

    def take(self, scope: Scope) -> tuple[Fault, dict[str, str]] | None:
        """The first armed fault for this request, one call counted off it, and the request's
        path parameters; or ``None``."""
        prefix: str = scope.get("root_path", "")
        faults = self.armed.get(prefix)
        if not faults:
            return None
        method: str = scope["method"]
        path: str = scope["path"][len(prefix) :]
        callers: set[str] | None = None
        for fault in faults:
            if fault.method != method:
                continue
            match = fault.pattern.match(path)
            if match is None:
                continue
            if fault.caller is not None:
                if callers is None:
                    callers = self._callers(scope)
                if fault.caller not in callers:
                    continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._drop_fault(prefix, fault)
            return fault, match.groupdict()
        return None

    def _callers(self, scope: Scope) -> set[str]:
        found: set[str] = set()
        for name, raw in scope["headers"]:
            if name.lower() not in CALLER_HEADERS:
                continue
            value = raw.decode("latin-1").strip()
            found.add(self.caller_digest(value))
            scheme, _, token = value.partition(" ")
            if token and scheme.lower() == "bearer":
                found.add(self.caller_digest(token.strip()))
        return found

    async def serve(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """``app`` answers the request, unless an armed fault says otherwise."""
        taken = self.take(scope)
        if taken is None:
            await app(scope, receive, send)
            return
        fault, params = taken
        scope[ROUTE_TEMPLATE] = fault.template
        if fault.delay:
            await anyio.sleep(fault.delay)
        if fault.drop:
            # ASGI lets an app close a connection only after the head: a server answers a 500
            # for an app that ends (or fails) before it. So the head goes out promising a body
            # that never comes; every HTTP client reads that as a connection cut mid-answer.
            start = {"type": "http.response.start", "status": 200}
            await send({**start, "headers": [(b"content-length", b"1")]})
            await send({"type": "http.response.body", "body": b"", "more_body": True})
            return
        if fault.status is None:
            await app(scope, receive, send)
            return
        body = fault.body if fault.body_for is None else fault.body_for(params)
        headers = [*fault.headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": fault.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
