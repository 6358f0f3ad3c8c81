"""Settings turned into decisions: the SSRF guard, the retry schedule, Retry-After."""

from __future__ import annotations

import datetime as dt
import email.utils
import random

from saphan.config import Settings
from saphan.core.netguard import NetGuard, Resolver, system_resolver

DEMO_ALLOW = ("127.0.0.1/32", "::1/128")
JITTER = 0.1


def guard_for(settings: Settings, resolver: Resolver = system_resolver) -> NetGuard:
    allow = list(settings.webhook_allow_cidrs)
    if settings.demo:
        allow += DEMO_ALLOW
    return NetGuard(allow, resolver=resolver)


def next_delay(
    settings: Settings, attempts_done: int, retry_after: float | None, rng: random.Random
) -> float | None:
    """Seconds until the next attempt after ``attempts_done`` attempts failed; None: no more.

    A Retry-After (429/503) is waited for when it is longer than the schedule's delay.
    """
    schedule = settings.webhook_retry_schedule
    if attempts_done >= len(schedule):
        return None
    delay = schedule[attempts_done] * rng.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.webhook_max_retry_after_seconds))
    return delay


def parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())
