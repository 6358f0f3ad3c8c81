"""NUL in any text (body, query, authen string) and integers past Python's 4,300-digit limit are
a 400 in Rakmao's envelope that changes nothing, on both databases (PostgreSQL text cannot hold
NUL: these were 500s; the long integer was a 500 on every body route, before any token check)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from saphan.core.runtime import Runtime
from tests.rakmao.conftest import AUTH, ORG_A, PO, Session, as_json, create_body, error, state

NUL = "Text may not contain NUL (\\u0000)"
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(create_body(ProjectName="โครงการ\x00"), id="value"),
        pytest.param({**create_body(), "Note\x00": "x"}, id="name"),
        pytest.param(
            create_body(PoItemDetail=[{**create_body()["PoItemDetail"][0], "Unit": "\x00"}]),
            id="item",
        ),
    ],
)
async def test_nul_in_a_po_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, buyer: Session, body: dict[str, Any]
) -> None:
    before = state(runtime)
    answer = await client.post(
        f"{PO}/Buyer", content=as_json(body), headers={**buyer.headers, **JSON}
    )
    assert (answer.status_code, answer.json()) == (400, error(400, NUL))
    assert state(runtime) == before


async def test_nul_in_a_query_is_refused(client: httpx.AsyncClient, buyer: Session) -> None:
    answer = await client.get(f"{PO}/Buyer/{ORG_A}?Keyword=%00&page=1", headers=buyer.headers)
    assert (answer.status_code, answer.json()) == (400, error(400, NUL))


async def test_nul_in_the_authen_string_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    before = state(runtime)
    authen = base64.b64encode(b'{"UserName":"demo\\u0000","Password":"x"}').decode()
    answer = await client.post(f"{AUTH}/RequestAPIToken", content=as_json(authen), headers=JSON)
    assert (answer.status_code, answer.json()) == (
        400,
        error(400, 'authenString must be base64 of {"UserName":"...","Password":"..."}'),
    )
    assert state(runtime) == before


@pytest.mark.parametrize("path", [f"{PO}/Buyer", f"{AUTH}/RequestAPIToken"])
async def test_an_integer_of_5000_digits_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, buyer: Session, path: str
) -> None:
    before = state(runtime)
    body = b'{"ProjectName": "x", "CreateType": ' + b"9" * 5000 + b"}"
    answer = await client.post(path, content=body, headers={**buyer.headers, **JSON})
    assert (answer.status_code, answer.json()) == (
        400,
        error(400, "Malformed JSON body: a number has too many digits"),
    )
    assert state(runtime) == before
