"""``GET /``: what this server serves and where, for someone who opens its address: each
service's base URL and docs, the health and metrics URLs (and, when they are on, the operator
APIs and the demo reset). HTML for a browser; JSON for ``Accept: application/json``."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from saphan.core.jsonresponse import json_response

__all__ = ["landing", "wants_json"]


def wants_json(accept: str) -> bool:
    """Whether an ``Accept`` header asks for JSON before HTML: ``application/json`` named with
    a quality at least that of ``text/html`` (a browser names HTML only; ``*/*`` gets HTML)."""
    quality: dict[str, float] = {}
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        quality[media.lower()] = max(q, quality.get(media.lower(), 0.0))
    json_q = quality.get("application/json", 0.0)
    return json_q > 0 and json_q >= quality.get("text/html", 0.0)


def describe(
    base: str,
    services: Sequence[tuple[str, str]],
    *,
    operated: Sequence[str],
    demo: bool,
    version: str,
) -> dict[str, Any]:
    """The page's content: ``services`` as (prefix, name), ``operated`` the services whose
    operator API is on."""
    page: dict[str, Any] = {
        "name": "Saphan",
        "version": version,
        "demo": demo,
        "services": [
            {
                "name": name,
                "baseUrl": f"{base}{prefix}",
                "docs": f"{base}{prefix}/docs",
                "openapi": f"{base}{prefix}/openapi.json",
            }
            for prefix, name in services
        ],
        "health": f"{base}/healthz",
        "metrics": f"{base}/metrics",
        "operator": [
            {"service": service, "docs": f"{base}/admin/{service}/docs"} for service in operated
        ],
    }
    if demo:
        page["reset"] = f"{base}/_saphan/reset"
    return page


def landing(
    request: Request,
    services: Sequence[tuple[str, str]],
    *,
    operated: Sequence[str],
    demo: bool,
    version: str,
) -> Response:
    base = str(request.base_url).rstrip("/")
    page = describe(base, services, operated=operated, demo=demo, version=version)
    headers = {"Vary": "Accept"}
    if wants_json(request.headers.get("accept", "")):
        return json_response(page, headers=headers)
    return HTMLResponse(render(page), headers=headers)


def _link(url: str) -> str:
    return f'<a href="{escape(url)}">{escape(url)}</a>'


def render(page: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{escape(s['name'])}</td><td>{_link(s['baseUrl'])}</td>"
        f"<td>{_link(s['docs'])}</td><td>{_link(s['openapi'])}</td></tr>"
        for s in page["services"]
    )
    more = [
        f"<li>health: {_link(page['health'])}</li>",
        f"<li>metrics: {_link(page['metrics'])}</li>",
    ]
    more += [
        f"<li>operator API, {escape(o['service'])}: {_link(o['docs'])}</li>"
        for o in page["operator"]
    ]
    if "reset" in page:
        more.append(f"<li>demo reset: <code>curl -X POST {escape(page['reset'])}</code></li>")
    mode = " (demo)" if page["demo"] else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Saphan{mode}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}"
        "td,th{padding:.25rem .75rem;text-align:left}</style></head><body>"
        f"<h1>Saphan {escape(page['version'])}{mode}</h1>"
        "<table><tr><th>service</th><th>base URL</th><th>docs</th><th>OpenAPI</th></tr>"
        f"{rows}</table><ul>{''.join(more)}</ul></body></html>"
    )
