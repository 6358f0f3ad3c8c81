"""Prometheus metrics of delivery, on the registry of the process that delivers."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class WebhookMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.attempts = Counter(
            "saphan_webhook_attempts",
            "Webhook delivery attempts, by outcome (delivered, retry, failed, disabled)",
            ["service", "outcome"],
            registry=self.registry,
        )
        self.attempt_seconds = Histogram(
            "saphan_webhook_attempt_duration_seconds",
            "Time from sending a webhook request to its outcome",
            ["service"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15),
        )
        self.lag_seconds = Histogram(
            "saphan_webhook_delivery_lag_seconds",
            "Time from a message's creation to its successful delivery",
            ["service"],
            registry=self.registry,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30, 300, 1800, 7200, 36000, 86400),
        )
