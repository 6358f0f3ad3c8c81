"""Durable, signed, observable webhook delivery that any service uses (docs/webhooks.md).

A service creates a subscription per receiver, enqueues messages in the same transaction as the
state change they report (the outbox), and may register a header provider; workers deliver.

The names below are imported when first used (PEP 562), not with the package: importing
``saphan.core.webhooks.cli`` for ``saphan webhooks --help`` must not load the database and
the web framework (1.5 s) that the models and the subscription checks need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from saphan.core.webhooks.errors import (
        InvalidSubscription,
        NotReplayable,
        UnknownMessage,
        UnknownSubscription,
        WebhookError,
    )
    from saphan.core.webhooks.models import DELIVERED, FAILED, PENDING
    from saphan.core.webhooks.outbox import (
        TEST_EVENT,
        AttemptInfo,
        MessageInfo,
        enqueue,
        get_message,
        list_attempts,
        list_messages,
        replay,
        replay_failed,
        send_test,
    )
    from saphan.core.webhooks.providers import (
        HeaderProvider,
        Outgoing,
        register_header_provider,
        unregister_header_provider,
    )
    from saphan.core.webhooks.subscriptions import (
        SubscriptionInfo,
        check_headers,
        check_url,
        create_subscription,
        disable_subscription,
        enable_subscription,
        get_subscription,
        list_subscriptions,
        rotate_secret,
        update_subscription,
    )

#: Where each name of ``__all__`` lives.
_HOMES = {
    "InvalidSubscription": "saphan.core.webhooks.errors",
    "NotReplayable": "saphan.core.webhooks.errors",
    "UnknownMessage": "saphan.core.webhooks.errors",
    "UnknownSubscription": "saphan.core.webhooks.errors",
    "WebhookError": "saphan.core.webhooks.errors",
    "DELIVERED": "saphan.core.webhooks.models",
    "FAILED": "saphan.core.webhooks.models",
    "PENDING": "saphan.core.webhooks.models",
    "TEST_EVENT": "saphan.core.webhooks.outbox",
    "AttemptInfo": "saphan.core.webhooks.outbox",
    "MessageInfo": "saphan.core.webhooks.outbox",
    "enqueue": "saphan.core.webhooks.outbox",
    "get_message": "saphan.core.webhooks.outbox",
    "list_attempts": "saphan.core.webhooks.outbox",
    "list_messages": "saphan.core.webhooks.outbox",
    "replay": "saphan.core.webhooks.outbox",
    "replay_failed": "saphan.core.webhooks.outbox",
    "send_test": "saphan.core.webhooks.outbox",
    "HeaderProvider": "saphan.core.webhooks.providers",
    "Outgoing": "saphan.core.webhooks.providers",
    "register_header_provider": "saphan.core.webhooks.providers",
    "unregister_header_provider": "saphan.core.webhooks.providers",
    "SubscriptionInfo": "saphan.core.webhooks.subscriptions",
    "check_headers": "saphan.core.webhooks.subscriptions",
    "check_url": "saphan.core.webhooks.subscriptions",
    "create_subscription": "saphan.core.webhooks.subscriptions",
    "disable_subscription": "saphan.core.webhooks.subscriptions",
    "enable_subscription": "saphan.core.webhooks.subscriptions",
    "get_subscription": "saphan.core.webhooks.subscriptions",
    "list_subscriptions": "saphan.core.webhooks.subscriptions",
    "rotate_secret": "saphan.core.webhooks.subscriptions",
    "update_subscription": "saphan.core.webhooks.subscriptions",
}

__all__ = [
    "DELIVERED",
    "FAILED",
    "PENDING",
    "TEST_EVENT",
    "AttemptInfo",
    "HeaderProvider",
    "InvalidSubscription",
    "MessageInfo",
    "NotReplayable",
    "Outgoing",
    "SubscriptionInfo",
    "UnknownMessage",
    "UnknownSubscription",
    "WebhookError",
    "check_headers",
    "check_url",
    "create_subscription",
    "disable_subscription",
    "enable_subscription",
    "enqueue",
    "get_message",
    "get_subscription",
    "list_attempts",
    "list_messages",
    "list_subscriptions",
    "register_header_provider",
    "replay",
    "replay_failed",
    "rotate_secret",
    "send_test",
    "unregister_header_provider",
    "update_subscription",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
