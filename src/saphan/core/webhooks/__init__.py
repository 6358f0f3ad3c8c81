"""Durable, signed, observable webhook delivery that any service uses (docs/webhooks.md).

A service creates a subscription per receiver, enqueues messages in the same transaction as the
state change they report (the outbox), and may register a header provider; workers deliver.
"""

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
