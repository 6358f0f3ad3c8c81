"""Headers a service computes at send time (Rakmao's ``IsLogin`` adds a short-lived JWT).

A service registers one provider, called for each attempt of each of its messages. What it
returns replaces a subscription's registered header of the same name (case-insensitively); the
Standard Webhooks headers and ``Content-Type`` cannot be replaced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outgoing:
    """What a header provider knows about the request about to be sent."""

    service: str
    subscription_id: int
    owner_ref: str
    #: The subscription's ``attributes`` (the service's own settings for it).
    attributes: Mapping[str, Any]
    url: str
    event_type: str
    message_id: str
    now: dt.datetime


HeaderProvider = Callable[[Outgoing], Mapping[str, str]]
_PROVIDERS: dict[str, HeaderProvider] = {}


def register_header_provider(service: str, provider: HeaderProvider) -> None:
    """Call ``provider`` for every delivery of ``service``'s messages (replaces an earlier one).

    Register it in a module that both the app and ``saphan worker`` import (the service's
    ``api.py`` or ``cli.py``), so every process that delivers knows it.
    """
    _PROVIDERS[service] = provider


def unregister_header_provider(service: str) -> None:
    _PROVIDERS.pop(service, None)


def merged_headers(registered: Mapping[str, str], outgoing: Outgoing) -> dict[str, str]:
    """The subscription's headers, with the service's provided ones replacing same names."""
    provider = _PROVIDERS.get(outgoing.service)
    headers = dict(registered)
    if provider is None:
        return headers
    provided = provider(outgoing)
    lowered = {name.lower() for name in provided}
    headers = {k: v for k, v in headers.items() if k.lower() not in lowered}
    headers.update(provided)
    return headers
