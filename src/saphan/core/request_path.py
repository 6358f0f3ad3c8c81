"""How every route of every service runs a request: one path, four steps.

1. **Who is calling**: the service's ``identify`` (API key, session token, JWT, operator token),
   served from memory while fresh (``core.fresh``), checked before the body is looked at.
2. **The body**, read once under the size limit, passed through the input boundary
   (``core.boundary``: no NUL, control character, unpaired surrogate or over-long number, a
   400 naming the field) and parsed by the service's ``parse`` into its wire model (Pydantic,
   in one pass): every input error is a 4xx in the service's envelope.
3. **The operation**, in one connection, or one transaction when it writes, where the database's
   work belongs (``Database.run``: PostgreSQL on the event loop through async connections,
   SQLite reads on the loop and writes on its writer thread, operator work on worker threads).
4. **The answer**, rendered by the service's ``render`` (orjson).

An operation whose only writes are rows it never reads back (MOI's audit row and day counter)
returns them with its answer as ``Recorded`` (``run_recorded``): on PostgreSQL it runs as a
read and the writer commits its rows together with other requests' (``Database.record``); the
answer goes out once they are durable.

A service builds a ``RequestPath`` for each way its callers prove who they are (MOI: the
session token, and none for Authenticate itself); every operator route shares
``core.admin.OPERATOR``. A route is then one call,
``await PATH.respond(request, operation, body=Model, write=True)``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from saphan.core.body import parse_json, read_body
from saphan.core.boundary import Loads, check_body
from saphan.core.group_commit import Recorded
from saphan.core.jsonresponse import json_response
from saphan.core.runtime import Runtime

C = TypeVar("C")
B = TypeVar("B")
R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)

__all__ = ["INLINE_BODY_BYTES", "Call", "RequestPath", "anyone", "runtime"]

#: Bodies up to this size are checked and parsed on the event loop (a millisecond or two at
#: most, hostile or not). A larger one costs CPU in proportion, ~0.1 s for 1 MiB of escaped
#: quotes, and on the loop it would hold every other request, ``/healthz`` too: it is read on
#: a worker thread instead, one at a time (``Runtime.bodies``).
INLINE_BODY_BYTES = 8 * 1024


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


async def anyone(_request: Request) -> None:
    """``identify`` for routes that need no credentials (or check them elsewhere)."""


@dataclass(frozen=True, slots=True)
class Call(Generic[C, B]):
    """What an operation gets besides its connection: the caller, the parsed body, the time."""

    rt: Runtime
    caller: C
    body: B
    now: dt.datetime


@dataclass(frozen=True)
class RequestPath(Generic[C]):
    """One service's way of running its routes (see the module docstring)."""

    #: Who is calling; raises the service's 401/403 error.
    identify: Callable[[Request], Awaitable[C]]
    #: Bytes and Content-Type -> the wire model; raises the service's 4xx.
    parse: Callable[[type[Any], bytes, str | None], Any] = parse_json
    #: The operation's result -> the response.
    render: Callable[[Any, int, Mapping[str, str] | None], Response] = (
        lambda content, status, headers: json_response(content, status=status, headers=headers)
    )
    #: Run every operation on a worker thread (operator routes: not hot, may hash passwords).
    thread: bool = False
    #: How the input boundary reads a suspect JSON body (``json.loads``'s signature): the way
    #: ``parse`` reads it, so that what the boundary names is what the service would store.
    loads: Loads = json.loads

    async def body(self, request: Request, model: type[M]) -> M:
        """Step 2 alone: the body, read under the limit and parsed into ``model``; a large
        one on a worker thread (``INLINE_BODY_BYTES``)."""
        rt = runtime(request)
        data = await read_body(request, rt.settings.max_body_bytes)
        content_type = request.headers.get("content-type")
        if len(data) <= INLINE_BODY_BYTES:
            return self._checked(model, data, content_type)
        return await rt.bodies.run(self._checked, model, data, content_type)

    def _checked(self, model: type[M], data: bytes, content_type: str | None) -> M:
        check_body(data, content_type, self.loads)
        parsed: M = self.parse(model, data, content_type)
        return parsed

    async def run(
        self,
        request: Request,
        operation: Callable[[Connection, Call[C, Any]], R],
        *,
        body: type[BaseModel] | None = None,
        write: bool = False,
        slow: bool = False,
    ) -> R:
        """Steps 1 to 3: the operation's result (``slow``: see ``Database.run``)."""
        call = await self.call(request, body)
        return await call.rt.db.run(
            lambda conn: operation(conn, call), write=write, thread=self.thread, slow=slow
        )

    async def run_recorded(
        self,
        request: Request,
        operation: Callable[[Connection, Call[C, Any]], Recorded[R]],
        *,
        body: type[BaseModel] | None = None,
        write: bool = False,
    ) -> R:
        """``run`` for an operation that returns ``Recorded`` rows (see the module docstring
        and ``Database.run_recorded``)."""
        call = await self.call(request, body)
        return await call.rt.db.run_recorded(
            lambda conn: operation(conn, call), write=write, thread=self.thread
        )

    async def run_session(
        self,
        request: Request,
        operation: Callable[[Session, Call[C, Any]], R],
        *,
        body: type[BaseModel] | None = None,
        write: bool = False,
    ) -> R:
        """``run`` for operations written against an ORM session."""
        call = await self.call(request, body)
        return await call.rt.db.run_session(
            lambda session: operation(session, call), write=write, thread=self.thread
        )

    async def respond(
        self,
        request: Request,
        operation: Callable[[Connection, Call[C, Any]], Any],
        *,
        body: type[BaseModel] | None = None,
        write: bool = False,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """All four steps."""
        result = await self.run(request, operation, body=body, write=write)
        return self.render(result, status, headers)

    async def call(self, request: Request, body: type[BaseModel] | None = None) -> Call[C, Any]:
        """Steps 1 and 2 alone, for a route whose operation is served from memory or needs
        work of its own between the body and the database (decoding an image)."""
        rt = runtime(request)
        caller = await self.identify(request)
        parsed = None if body is None else await self.body(request, body)
        return Call(rt=rt, caller=caller, body=parsed, now=rt.clock.now())
