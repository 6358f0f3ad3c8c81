"""Stand-ins for a remote server, for testing typed clients: a tiny Starlette app that answers
from a script and records what it was sent, served by uvicorn on a real socket in a thread; and a
sync httpx transport that reaches an ASGI app in-process (httpx's ASGITransport is async only)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import uvicorn
from anyio.from_thread import BlockingPortal
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass
class Answer:
    status: int = 200
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    text: str | None = None


@dataclass
class Seen:
    at: float
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class ScriptedServer:
    """Each request takes the next scripted answer; when none is left, ``default``."""

    def __init__(self) -> None:
        self.url = ""
        self.reset()

    def reset(self) -> None:
        self.answers: list[Answer] = []
        self.default = Answer(200, {"success": True, "errorMessage": ""})
        self.seen: list[Seen] = []

    def script(self, *answers: Answer) -> None:
        self.answers = list(answers)

    @property
    def gaps(self) -> list[float]:
        """Seconds between consecutive requests."""
        return [b.at - a.at for a, b in zip(self.seen, self.seen[1:], strict=False)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        request = Request(scope, receive)
        body = await request.body()
        self.seen.append(
            Seen(time.monotonic(), request.method, request.url.path, dict(request.headers), body)
        )
        answer = self.answers.pop(0) if self.answers else self.default
        if answer.delay:
            await anyio.sleep(answer.delay)
        content = answer.text if answer.text is not None else json.dumps(answer.json)
        media = "text/plain" if answer.text is not None else "application/json"
        response = Response(content, answer.status, headers=answer.headers, media_type=media)
        await response(scope, receive, send)


@contextmanager
def serve(app: ASGIApp) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="error", lifespan="off", ws="none", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # a thread starting uvicorn, on a loaded 2-core machine
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the stand-in server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


class ASGITransport(httpx.ASGITransport):
    """``httpx.ASGITransport`` that keeps the paths it was asked for, in order."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app=app, raise_app_exceptions=False)
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await super().handle_async_request(request)


class SyncASGITransport(httpx.BaseTransport):
    """``httpx.ASGITransport`` for a blocking ``httpx.Client``: the app runs on a portal's loop.
    Keeps the paths it was asked for, in order."""

    def __init__(self, app: ASGIApp, portal: BlockingPortal) -> None:
        self._transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._portal = portal
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        content = request.read()

        async def send() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            forwarded = httpx.Request(
                request.method,
                request.url,
                headers=request.headers,
                content=content,
                extensions=request.extensions,
            )
            response = await self._transport.handle_async_request(forwarded)
            body = await response.aread()
            return response.status_code, response.headers.raw, body

        status, headers, body = self._portal.call(send)
        return httpx.Response(status, headers=headers, content=body)
