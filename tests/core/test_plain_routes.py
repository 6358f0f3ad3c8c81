"""``PlainRoutes``: which requests go straight to their endpoint and which through FastAPI, told
apart by a header that only FastAPI's middleware adds."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI, Query, Request
from starlette.responses import JSONResponse, Response

from saphan.core.plain_routes import PlainRoutes, reads_own_query

THROUGH_FASTAPI = "x-through-fastapi"
Short = Annotated[str | None, Query(max_length=3)]


def build() -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def mark(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers[THROUGH_FASTAPI] = "1"
        return response

    @app.get("/items/{item_id}")
    async def read_item(request: Request, item_id: str) -> Response:
        return JSONResponse({"read": item_id})

    @app.put("/items/{other_id}")
    async def write_item(request: Request, other_id: str) -> Response:
        return JSONResponse({"wrote": other_id})

    @app.get("/twice/{a}")
    async def first(a: str) -> Response:
        return JSONResponse({"first": a})

    @app.get("/twice/{b}/")
    async def slashed(b: str) -> Response:
        return JSONResponse({"slashed": b})

    @app.get("/same/{a}")
    async def same_first(a: str) -> Response:
        return JSONResponse({"same": "first"})

    @app.get("/same/{b}")
    async def same_second(b: str) -> Response:
        return JSONResponse({"same": "second"})

    @app.get("/own")
    @reads_own_query
    async def own(request: Request, q: Short = None) -> Response:
        return JSONResponse({"q": request.query_params.get("q"), "declared": q})

    @app.get("/checked")
    async def checked(request: Request, q: Short = None) -> Response:
        return JSONResponse({"q": q})

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=PlainRoutes(build()))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_a_plain_route_skips_fastapi_and_answers_the_same(
    client: httpx.AsyncClient,
) -> None:
    read = await client.get("/items/7")
    assert (read.status_code, read.json(), THROUGH_FASTAPI in read.headers) == (
        200,
        {"read": "7"},
        False,
    )


async def test_templates_that_overlap_with_other_methods_are_each_plain(
    client: httpx.AsyncClient,
) -> None:
    wrote = await client.put("/items/7")
    assert (wrote.json(), THROUGH_FASTAPI in wrote.headers) == ({"wrote": "7"}, False)
    refused = await client.delete("/items/7")
    assert (refused.status_code, THROUGH_FASTAPI in refused.headers) == (405, True)


async def test_templates_that_overlap_with_the_same_method_are_left_to_fastapi(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/same/x")
    assert (answer.json(), THROUGH_FASTAPI in answer.headers) == ({"same": "first"}, True)
    distinct = await client.get("/twice/x")
    assert (distinct.json(), THROUGH_FASTAPI in distinct.headers) == ({"first": "x"}, False)


async def test_query_parameters_are_fastapis_unless_the_endpoint_reads_its_own(
    client: httpx.AsyncClient,
) -> None:
    own = await client.get("/own", params={"q": "longer"})
    assert (own.json(), THROUGH_FASTAPI in own.headers) == (
        {"q": "longer", "declared": None},
        False,
    )
    checked = await client.get("/checked", params={"q": "longer"})
    assert (checked.status_code, THROUGH_FASTAPI in checked.headers) == (422, True)
    fine = await client.get("/checked", params={"q": "ok"})
    assert (fine.json(), THROUGH_FASTAPI in fine.headers) == ({"q": "ok"}, True)
