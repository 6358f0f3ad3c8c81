"""An unreadable JSON body is named with the line and column where it breaks, on every route that
reads JSON (issue 13 item 11: "Unterminated string starting at at line 1"; the operator APIs said
"... starting at" and stopped). The wording is the reader's (the standard library's, or
pydantic's "EOF while parsing a string"). The routes are read from the apps
(``test_hostile_input``'s table): every operator route with a JSON body, and the logins, which
need no credentials."""

from __future__ import annotations

import re

import httpx
import pytest

from saphan.core.runtime import Runtime
from tests.core.test_hostile_input import ROUTES, Route, _message, counts

UNTERMINATED = b'{"a": "abc'
EXPECTED = re.compile(r"Malformed JSON body: [A-Za-z][\w ]*[a-z] at line 1 column (7|10)")
OPEN = {
    "POST /rakmao/api/v1/Authentication/RequestAPIToken",
    "POST /moi/api/v1/Authenticate/{AgentID}",
}


def _json_routes() -> list[Route]:
    return [
        route
        for route in ROUTES
        if "application/json" in route.body
        and (route.mount.startswith("/admin/") or route.id in OPEN)
    ]


JSON_ROUTES = _json_routes()


def test_the_table_holds_the_operator_routes_and_the_logins() -> None:
    assert {route.id for route in JSON_ROUTES} >= OPEN
    assert len({route.mount for route in JSON_ROUTES}) >= 6


@pytest.mark.parametrize("route", JSON_ROUTES, ids=[route.id for route in JSON_ROUTES])
async def test_an_unterminated_string_is_named_with_its_line_and_column(
    admin: httpx.AsyncClient, runtime: Runtime, route: Route
) -> None:
    before = counts(runtime)
    path = re.sub(
        r"{(\w+)}", lambda m: "1234567890123" if m[1] == "AgentID" else "1", route.template
    )
    response = await admin.request(
        route.method,
        route.mount + path,
        content=UNTERMINATED,
        headers={"Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500
    message = _message(route.mount, response.status_code, response.json())
    assert EXPECTED.fullmatch(message), message
    assert " at at " not in message
    assert counts(runtime) == before
