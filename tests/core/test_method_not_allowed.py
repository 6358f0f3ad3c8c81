"""A 405 names, in ``Allow``, every method its path is served with (issue 13 item 8).

The route table is read from the apps themselves (the root app and every mounted service and
operator app), so a route added tomorrow is covered: for every path, a method none of its routes
serves is a 405 in the service's own envelope whose ``Allow`` is the union of the methods of
every route matching the path (a concrete path's own routes only, where a template would capture
it too: OpenAPI's precedence, which core.allow.concrete_first gives the router), and nothing in
the database changes.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass

import httpx
import pytest
from starlette.routing import compile_path

from saphan.app import create_app
from saphan.config import Settings
from saphan.core.boundary import route_templates
from saphan.core.runtime import Runtime
from tests.conftest import ADMIN_TOKEN, SECRET
from tests.core.test_hostile_input import _message, counts

#: Tried in this order; the first one the path does not serve is sent.
METHODS = ("DELETE", "PATCH", "PUT", "POST", "GET")


@dataclass(frozen=True)
class Path:
    mount: str  # "" for the root app
    path: str  # within the mount, parameters filled in
    allow: frozenset[str]

    @property
    def id(self) -> str:
        return f"{self.mount}{self.path}"


def _paths() -> list[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{tmp}/routes.db",
            secret_key=SECRET,  # type: ignore[arg-type]
            admin_token=ADMIN_TOKEN,  # type: ignore[arg-type]
            demo=False,
        )
        app = create_app(settings)
        try:
            apps = [("", app.root), *((p.rstrip("/"), a) for p, a in app.mounts)]
            found: list[Path] = []
            for mount, mounted in apps:
                api = getattr(mounted, "api", mounted)
                table = [(t, m) for t, m in route_templates(api.routes) if m]
                patterns = [(compile_path(t)[0], m, "{" in t) for t, m in table]
                concrete = {t for t, _ in table if "{" not in t}
                for path in sorted({re.sub(r"{[^}]*}", "1", t) for t, _ in table}):
                    # A concrete path takes precedence over a template capturing it
                    # (/sessions/revoke is never session "revoke").
                    allow = frozenset().union(
                        *(
                            m
                            for p, m, templated in patterns
                            if p.match(path) and not (templated and path in concrete)
                        )
                    )
                    found.append(Path(mount, path, allow))
        finally:
            app.state.runtime.db.dispose()
    return found


PATHS = _paths()


def test_the_table_holds_every_app() -> None:
    mounts = {path.mount for path in PATHS}
    services = {"/moi", "/depa", "/rakmao", "/rakmao-po", "/easyslip"}
    operators = {"/admin/moi", "/admin/depa", "/admin/easyslip", "/admin/rakmao", "/admin/webhooks"}
    assert mounts >= {"", *services, *operators}
    assert len(PATHS) >= 60


def _envelope_message(mount: str, status: int, body: object) -> str:
    if mount == "":  # the root app answers in the operator envelope
        return _message("/admin/", status, body)
    return _message(mount, status, body)


@pytest.mark.parametrize("mount", sorted({path.mount for path in PATHS}))
async def test_every_405_allows_every_method_of_its_path(
    mount: str, client: httpx.AsyncClient, admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    """One test per app (the table is one per app); the failures are listed by path."""
    before = counts(runtime)
    failures: list[str] = []
    for path in (p for p in PATHS if p.mount == mount):
        method = next((m for m in METHODS if m not in path.allow), None)
        if method is None:
            continue
        http = admin if mount.startswith("/admin/") else client
        response = await http.request(method, f"{mount}{path.path}")
        try:
            assert response.status_code == 405, response.status_code
            assert _envelope_message(mount, 405, response.json()) == "Method not allowed"
            allow = {m.strip() for m in response.headers.get("allow", "").split(",")}
            assert allow == path.allow, f"Allow: {sorted(allow)}, served: {sorted(path.allow)}"
        except (AssertionError, ValueError) as failed:
            failures.append(f"{method} {path.id}: {failed} -- {response.text[:200]}")
    assert counts(runtime) == before
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/rakmao-po/api/v1/Webhook", "GET, POST, PUT"),
        ("PUT", "/easyslip/v2/bank-accounts", "GET, POST"),
        ("POST", "/healthz", "GET"),
    ],
)
async def test_the_issues_reproductions(
    client: httpx.AsyncClient, runtime: Runtime, method: str, path: str, allow: str
) -> None:
    before = counts(runtime)
    response = await client.request(method, path)
    assert (response.status_code, response.headers["allow"]) == (405, allow)
    assert counts(runtime) == before
