"""NUL in any text (body, query, authen string) and integers past Python's 4,300-digit limit are
a 400 in Rakmao's envelope naming the field, that changes nothing, on both databases (PostgreSQL
text cannot hold NUL: these were 500s; the long integer was a 500 on every body route, before
any token check). The input boundary (core.boundary) refuses them; tests/core/test_hostile_input.py
sends the same to every route of every service."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from saphan.core.runtime import Runtime
from tests.rakmao.conftest import AUTH, ORG_A, PO, Session, as_json, create_body, error, state

NUL = "Must not contain NUL characters"
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(create_body(ProjectName="โครงการ\x00"), "ProjectName", id="value"),
        pytest.param({**create_body(), "Note\x00": "x"}, "Note\\u0000", id="name"),
        pytest.param(
            create_body(PoItemDetail=[{**create_body()["PoItemDetail"][0], "Unit": "\x00"}]),
            "PoItemDetail[0].Unit",
            id="item",
        ),
    ],
)
async def test_nul_in_a_po_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, buyer: Session, body: dict[str, Any], field: str
) -> None:
    before = state(runtime)
    answer = await client.post(
        f"{PO}/Buyer", content=as_json(body), headers={**buyer.headers, **JSON}
    )
    assert (answer.status_code, answer.json()) == (400, error(400, f"{NUL} ({field})"))
    assert state(runtime) == before


async def test_nul_in_a_query_is_refused(client: httpx.AsyncClient, buyer: Session) -> None:
    answer = await client.get(f"{PO}/Buyer/{ORG_A}?Keyword=%00&page=1", headers=buyer.headers)
    assert (answer.status_code, answer.json()) == (400, error(400, f"{NUL} (Keyword)"))


async def test_nul_in_the_authen_string_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    before = state(runtime)
    authen = base64.b64encode(b'{"UserName":"demo\\u0000","Password":"x"}').decode()
    answer = await client.post(f"{AUTH}/RequestAPIToken", content=as_json(authen), headers=JSON)
    assert (answer.status_code, answer.json()) == (
        400,
        error(400, f"{NUL} (authenString.UserName)"),
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
        error(400, "A number must have at most 100 digits (CreateType)"),
    )
    assert state(runtime) == before


#: Bodies just under the 1 MiB limit that made the old trailing-comma regex backtrack: 16 KB of
#: escaped quotes took 5 s on the event loop, and the time grew with the square of the length.
#: Then those that the one-pass scanner after it took 0.5-1.3 s of CPU for (Python code ran per
#: comma and per string): commas, empty strings, numbers.
_MIB = 1 << 20
_SLOW_BEFORE = {
    "escaped quotes": '"' + '\\"' * (_MIB // 2 - 8),
    "quotes": '"' * (_MIB - 16),
    "commas before a bracket": "[1" + ", " * (_MIB // 2 - 16) + "]",
    "backslashes": '"' + "\\" * (_MIB - 16),
    "commas": "[" + "," * (_MIB - 16),
    "empty strings": "[" + '"",' * (_MIB // 3 - 16),
    "numbers": "[" + "1," * (_MIB // 2 - 16),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("body", list(_SLOW_BEFORE.values()), ids=list(_SLOW_BEFORE))
async def test_a_hostile_megabyte_is_refused_in_one_pass(
    client: httpx.AsyncClient, runtime: Runtime, body: str
) -> None:
    """The reader looks at each character a bounded number of times. Not a speed test: the
    timeout only tells a linear reader (a quarter of a second for 1 MiB here) from a quadratic
    one (hours for 1 MiB)."""
    before = state(runtime)
    answer = await client.post(f"{AUTH}/RequestAPIToken", content=body.encode(), headers=JSON)
    assert answer.status_code == 400
    assert answer.json()["message"].startswith("Malformed JSON body: ")
    assert state(runtime) == before


@pytest.mark.timeout(30)
async def test_trailing_commas_over_a_megabyte_still_parse(client: httpx.AsyncClient) -> None:
    """The spec's trailing commas, repeated to the size limit, are read (and the credentials
    then checked) rather than refused as malformed."""
    padding = "[1,]," * ((_MIB - 200) // 5)
    body = '{"authenString": "x", "padding": [' + padding + "1],}"
    answer = await client.post(f"{AUTH}/RequestAPIToken", content=body.encode(), headers=JSON)
    assert answer.status_code == 400
    assert not answer.json()["message"].startswith("Malformed JSON body")
