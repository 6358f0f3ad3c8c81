"""Concurrent creates never share a PoCode: threads each with their own connection (real
concurrency on PostgreSQL; SQLite's writers queue on its lock), and concurrent HTTP requests."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx

from saphan.core.group_commit import Then
from saphan.core.runtime import Runtime
from saphan.rakmao import logic
from saphan.rakmao.schemas import CreatePo
from saphan.rakmao.tokens import Caller
from tests.rakmao.conftest import ORG_A, PO, Session, as_json, create_body


def test_threads_creating_at_once_get_distinct_consecutive_codes(runtime: Runtime) -> None:
    caller = Caller(1, ORG_A, "ทดสอบ จำกัด", None, None)
    body = CreatePo.model_validate(create_body())
    now = runtime.clock.now()

    def create(_: int) -> str:
        """The piece the route gives the writer, run on a connection of its own."""
        piece = logic.create_po(caller, body, now, postgresql=not runtime.db.sqlite)
        with runtime.db.begin() as conn:
            if isinstance(piece, Then):
                return str(piece.then(conn, piece.statement.rows(conn, **piece.params))["PoCode"])
            return str(piece(conn)["PoCode"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(create, range(80)))
    assert sorted(codes) == [f"PO-251120-{n:04d}" for n in range(1, 81)]


async def test_concurrent_requests_get_distinct_codes(
    client: httpx.AsyncClient, buyer: Session
) -> None:
    headers = {**buyer.headers, "Content-Type": "application/json"}
    content = as_json(create_body())
    responses = await asyncio.gather(
        *[client.post(f"{PO}/Buyer", content=content, headers=headers) for _ in range(30)]
    )
    assert {r.status_code for r in responses} == {200}
    codes = sorted(r.json()["data"]["PoCode"] for r in responses)
    assert codes == [f"PO-251120-{n:04d}" for n in range(1, 31)]
