"""``GET /``: a small landing page naming each service's base URL and docs, and the health and
metrics URLs; HTML for a browser, JSON for ``Accept: application/json``."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from saphan import __version__
from saphan.app import create_app
from saphan.config import Settings
from saphan.core.landing import wants_json

BASE = "http://saphan.test"
SERVICES = [
    ("MOI central electricity data", "/moi"),
    ("depa AI-Transformation", "/depa"),
    ("Rakmao auth", "/rakmao"),
    ("Rakmao PO", "/rakmao-po"),
    ("EasySlip v2", "/easyslip"),
]
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


def expected(*, operated: bool, demo: bool) -> dict[str, object]:
    page: dict[str, object] = {
        "name": "Saphan",
        "version": __version__,
        "demo": demo,
        "services": [
            {
                "name": name,
                "baseUrl": f"{BASE}{prefix}",
                "docs": f"{BASE}{prefix}/docs",
                "openapi": f"{BASE}{prefix}/openapi.json",
            }
            for name, prefix in SERVICES
        ],
        "health": f"{BASE}/healthz",
        "metrics": f"{BASE}/metrics",
        "operator": [
            {"service": service, "docs": f"{BASE}/admin/{service}/docs"}
            for service in ("moi", "depa", "rakmao", "easyslip", "webhooks")
        ]
        if operated
        else [],
    }
    if demo:
        page["reset"] = f"{BASE}/_saphan/reset"
    return page


async def test_json_names_every_service_and_the_health_and_metrics_urls(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["vary"] == "Accept"
    assert response.json() == expected(operated=True, demo=False)


async def test_a_browser_gets_html_with_the_same_links(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    links = re.findall(r'<a href="([^"]+)">\1</a>', response.text)
    page = expected(operated=True, demo=False)
    services = page["services"]
    assert isinstance(services, list)
    wanted = [url for s in services for url in (s["baseUrl"], s["docs"], s["openapi"])]
    wanted += [f"{BASE}/healthz", f"{BASE}/metrics"]
    assert links[: len(wanted)] == wanted
    for name, _ in SERVICES:
        assert f"<td>{name}</td>" in response.text
    # curl's */* (and no Accept at all) gets the page a browser gets
    for accept in ("*/*", None):
        headers = {"Accept": accept} if accept else {}
        other = await client.get("/", headers=headers)
        assert (other.headers["content-type"], other.text) == (
            response.headers["content-type"],
            response.text,
        )


async def test_every_link_on_the_page_answers(client: httpx.AsyncClient) -> None:
    page = (await client.get("/", headers={"Accept": "application/json"})).json()
    urls = [url for s in page["services"] for url in (s["docs"], s["openapi"])]
    urls += [page["health"], page["metrics"], *(o["docs"] for o in page["operator"])]
    for url in urls:
        response = await client.get(url.removeprefix(BASE))
        assert (url, response.status_code) == (url, 200)


async def test_demo_mode_names_the_reset_and_no_operator_api_without_a_token(
    tmp_path: Path,
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/demo.db", demo=True, admin_token=None)
    app = create_app(settings)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            response = await http.get("/", headers={"Accept": "application/json"})
            html = await http.get("/")
    finally:
        app.state.runtime.db.dispose()
    assert response.json() == expected(operated=False, demo=True)
    assert f"curl -X POST {BASE}/_saphan/reset" in html.text
    assert "operator API" not in html.text


@pytest.mark.parametrize(
    ("accept", "json"),
    [
        ("application/json", True),
        ("application/json, text/html", True),
        ("text/html, application/json;q=0.9", False),
        ("application/json;q=0", False),
        ("application/json;q=x", False),
        (BROWSER, False),
        ("*/*", False),
        ("", False),
    ],
)
def test_which_accept_headers_get_json(accept: str, json: bool) -> None:
    assert wants_json(accept) is json
