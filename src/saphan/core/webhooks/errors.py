"""What the engine's API raises; a service turns these into its own envelope."""

from __future__ import annotations

from saphan.core.errors import ServiceError


class WebhookError(ServiceError):
    pass


class UnknownSubscription(WebhookError):
    status = 404
    code = "NOT_FOUND"
    message = "No such webhook subscription"


class UnknownMessage(WebhookError):
    status = 404
    code = "NOT_FOUND"
    message = "No such webhook message"


class InvalidSubscription(WebhookError):
    """A URL the SSRF guard refuses, or headers that cannot be sent."""

    status = 422
    code = "VALIDATION_ERROR"
    message = "Invalid webhook subscription"


class NotReplayable(WebhookError):
    status = 409
    code = "CONFLICT"
    message = "The message is pending; it will be delivered without a replay"
