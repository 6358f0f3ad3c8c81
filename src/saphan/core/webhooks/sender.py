"""One attempt: a signed JSON POST through the SSRF-guarded client; never follows redirects."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import httpx

from saphan import __version__
from saphan.config import Settings
from saphan.core.netguard import BlockedURL
from saphan.core.webhooks.policy import parse_retry_after
from saphan.core.webhooks.providers import Outgoing, merged_headers
from saphan.core.webhooks.queue import RESPONSE_KEPT, Claimed, Result
from saphan.core.webhooks.signing import signature_header

USER_AGENT = f"Saphan-Webhooks/{__version__}"


def request_headers(claimed: Claimed, now: dt.datetime) -> dict[str, str]:
    """Registered and provided headers, then the engine's own (which nothing replaces)."""
    outgoing = Outgoing(
        service=claimed.service,
        subscription_id=claimed.subscription_id,
        owner_ref=claimed.owner_ref,
        attributes=claimed.attributes,
        url=claimed.url,
        event_type=claimed.event_type,
        message_id=claimed.message_id,
        now=now,
    )
    headers = merged_headers(claimed.headers, outgoing)
    timestamp = int(now.timestamp())
    headers.update(
        {
            "Content-Type": "application/json",
            "User-Agent": headers.get("User-Agent", USER_AGENT),
            "webhook-id": claimed.message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(
                claimed.secrets, claimed.message_id, timestamp, claimed.payload
            ),
        }
    )
    return headers


async def send(
    client: httpx.AsyncClient, settings: Settings, claimed: Claimed, now: dt.datetime
) -> Result:
    """POST the message once; every failure is a ``Result`` (nothing raises but cancellation)."""
    limit = settings.webhook_max_response_kb * 1024
    started = time.perf_counter()
    status: int | None = None
    retry_after: float | None = None
    body = b""
    error: str | None = None
    try:
        headers = request_headers(claimed, now)
        async with asyncio.timeout(settings.webhook_timeout_seconds):
            request = client.build_request(
                "POST", claimed.url, content=claimed.payload.encode(), headers=headers
            )
            response = await client.send(request, stream=True, follow_redirects=False)
            try:
                status = response.status_code
                async for chunk in response.aiter_raw():
                    body += chunk
                    if len(body) >= limit:
                        break
            finally:
                await response.aclose()
        if status in (429, 503):
            retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
        if 300 <= status < 400:
            error = f"redirect ({status}) not followed"
        elif not 200 <= status < 300:
            error = f"HTTP {status}"
    except TimeoutError:
        error = f"timed out after {settings.webhook_timeout_seconds:g} s"
    except BlockedURL as exc:
        error = str(exc)
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    except Exception as exc:  # a header provider's bug, a secret that cannot be decrypted
        error = f"{type(exc).__name__}: {exc}"
    latency = (time.perf_counter() - started) * 1000
    text = body[:RESPONSE_KEPT].decode("utf-8", errors="replace")
    return Result(
        status=status, latency_ms=latency, error=error, body=text, retry_after=retry_after
    )
