"""A real webhook receiver on 127.0.0.1: uvicorn in a thread, answering from a script, keeping
every request it was sent. It can go down and come back on the same port."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import anyio
import uvicorn
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send


@dataclass
class Reply:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Received:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]


class Receiver:
    """Each request to a path takes that path's next scripted reply, else ``default``."""

    def __init__(self) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port: int = sock.getsockname()[1]
        sock.close()
        self.default = Reply()
        self.replies: dict[str, list[Reply]] = {}
        self.received: list[Received] = []
        self.in_flight: Counter[str] = Counter()
        #: The most requests for one webhook-id that were ever in flight at once.
        self.max_in_flight_per_id = 0
        self.max_in_flight_per_path: Counter[str] = Counter()
        self._path_in_flight: Counter[str] = Counter()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def url(self, path: str = "hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/{path}"

    def script(self, path: str, *replies: Reply) -> None:
        self.replies.setdefault(path, []).extend(replies)

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == "/" + path]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        request = Request(scope, receive)
        body = await request.body()
        path = request.url.path
        seen = Received(time.monotonic(), path, dict(request.headers), body)
        self.received.append(seen)
        key = seen.headers.get("webhook-id", "")
        self.in_flight[key] += 1
        self._path_in_flight[path] += 1
        self.max_in_flight_per_id = max(self.max_in_flight_per_id, self.in_flight[key])
        self.max_in_flight_per_path[path] = max(
            self.max_in_flight_per_path[path], self._path_in_flight[path]
        )
        try:
            queue = self.replies.get(path.lstrip("/"), [])
            reply = queue.pop(0) if queue else self.default
            if reply.delay:
                await anyio.sleep(reply.delay)
            response = Response(reply.body, reply.status, headers=reply.headers)
            await response(scope, receive, send)
        finally:
            self.in_flight[key] -= 1
            self._path_in_flight[path] -= 1

    def start(self) -> None:
        config = uvicorn.Config(
            self,
            host="127.0.0.1",
            port=self.port,
            log_level="error",
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 60  # a thread starting uvicorn, on a loaded machine
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the receiver did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._server.force_exit = True
            self._thread.join(10)
        self._server = self._thread = None
