"""The floor: a bare Starlette app answering a fixed small JSON, served as
``saphan serve --server uvicorn`` serves Saphan (the same ``uvicorn.run`` arguments), so that the
gap between the two is Saphan's own work. (``speed`` serves the same app under granian, as
``saphan serve`` does by default.)

    python -m bench.floor --host 127.0.0.1 --port 8100
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = b'{"success":true,"errorMessage":"","data":null}'


async def fixed(_request: Request) -> Response:
    return Response(BODY, media_type="application/json")


def create_app() -> Starlette:
    return Starlette(routes=[Route("/", fixed, methods=["GET", "POST"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    # Keep in step with saphan.cli.serve's uvicorn branch: only the app may differ.
    uvicorn.run(
        "bench.floor:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_level="warning",
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()
