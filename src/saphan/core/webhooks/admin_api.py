"""``/admin/webhooks``: what operators see and do about deliveries of every service."""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, FastAPI, Query, Request
from pydantic import BaseModel, Field

from saphan.core.admin import create_admin_app as base_admin_app
from saphan.core.admin import operate
from saphan.core.clock import wire_datetime
from saphan.core.runtime import Runtime
from saphan.core.webhooks import outbox, subscriptions
from saphan.core.webhooks.outbox import AttemptInfo, MessageInfo
from saphan.core.webhooks.subscriptions import SubscriptionInfo

T = TypeVar("T")
router = APIRouter()
State = Literal["pending", "delivered", "failed"]


class SubscriptionOut(BaseModel):
    id: int
    service: str
    ownerRef: str
    url: str
    headerNames: list[str] = Field(description="Registered header names (never their values)")
    enabled: bool
    disabledReason: str
    createdAt: str
    updatedAt: str
    previousSecretUntil: str = Field(description="While a rotation overlaps; else empty")

    @classmethod
    def of(cls, s: SubscriptionInfo) -> SubscriptionOut:
        return cls(
            id=s.id,
            service=s.service,
            ownerRef=s.owner_ref,
            url=s.url,
            headerNames=sorted(s.headers),
            enabled=s.enabled,
            disabledReason=s.disabled_reason or "",
            createdAt=wire_datetime(s.created_at),
            updatedAt=wire_datetime(s.updated_at),
            previousSecretUntil=wire_datetime(s.old_secret_expires_at),
        )


class MessageOut(BaseModel):
    id: str = Field(description="The webhook-id header of every attempt")
    subscriptionId: int
    service: str
    eventType: str
    state: State
    attempts: int
    nextAttemptAt: str
    createdAt: str
    deliveredAt: str
    lastStatus: int | None
    lastError: str

    @classmethod
    def of(cls, m: MessageInfo) -> MessageOut:
        return cls(
            id=m.id,
            subscriptionId=m.subscription_id,
            service=m.service,
            eventType=m.event_type,
            state=m.state,
            attempts=m.attempts,
            nextAttemptAt=wire_datetime(m.next_attempt_at),
            createdAt=wire_datetime(m.created_at),
            deliveredAt=wire_datetime(m.delivered_at),
            lastStatus=m.last_status,
            lastError=m.last_error or "",
        )


class MessageDetail(MessageOut):
    payload: str = Field(description="The JSON body exactly as sent")


class AttemptOut(BaseModel):
    id: int
    at: str
    statusCode: int | None
    latencyMs: float
    error: str
    responseBody: str = Field(description="The response's first 1 KB")
    worker: str

    @classmethod
    def of(cls, a: AttemptInfo) -> AttemptOut:
        return cls(
            id=a.id,
            at=wire_datetime(a.at),
            statusCode=a.status_code,
            latencyMs=a.latency_ms,
            error=a.error or "",
            responseBody=a.response_body,
            worker=a.worker,
        )


class Replayed(BaseModel):
    replayed: int


class Enqueued(BaseModel):
    messageId: str


class DisableIn(BaseModel):
    reason: str = Field(default="disabled by an operator", min_length=1, max_length=300)


@router.get("/subscriptions", response_model=list[SubscriptionOut])
async def list_subscriptions(
    request: Request,
    service: Annotated[str | None, Query(max_length=50)] = None,
    owner: Annotated[str | None, Query(max_length=200, description="The owner's reference")] = None,
) -> list[SubscriptionOut]:
    """Every subscription; never a secret or a header value."""
    found = await operate(
        request,
        lambda s, _rt: subscriptions.list_subscriptions(s, service=service, owner_ref=owner),
        write=False,
    )
    return [SubscriptionOut.of(x) for x in found]


@router.post("/subscriptions/{subscription_id}/disable", response_model=SubscriptionOut)
async def disable(subscription_id: int, body: DisableIn, request: Request) -> SubscriptionOut:
    """Stop delivering; pending messages wait until the subscription is enabled again."""
    return SubscriptionOut.of(
        await operate(
            request,
            lambda s, rt: subscriptions.disable_subscription(
                s, subscription_id, body.reason, rt.clock.now()
            ),
            write=True,
        )
    )


@router.post("/subscriptions/{subscription_id}/enable", response_model=SubscriptionOut)
async def enable(subscription_id: int, request: Request) -> SubscriptionOut:
    """Deliver again (after a 410 Gone, say); pending messages go out."""
    return SubscriptionOut.of(
        await operate(
            request,
            lambda s, rt: subscriptions.enable_subscription(s, subscription_id, rt.clock.now()),
            write=True,
        )
    )


@router.post("/subscriptions/{subscription_id}/test", status_code=202, response_model=Enqueued)
async def send_test(subscription_id: int, request: Request) -> Enqueued:
    """Enqueue a signed ``webhook.test`` event for this subscription."""
    message_id = await operate(
        request, lambda s, rt: outbox.send_test(s, subscription_id, rt.clock.now()), write=True
    )
    return Enqueued(messageId=message_id)


@router.get("/messages", response_model=list[MessageOut])
async def list_messages(
    request: Request,
    service: Annotated[str | None, Query(max_length=50)] = None,
    # An id: 1 up to the id column's largest value (past it either way PostgreSQL raised
    # "integer out of range", SQLite OverflowError).
    subscription: Annotated[int | None, Query(ge=1, le=subscriptions.MAX_ID)] = None,
    state: State | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[str | None, Query(max_length=40, description="A message id")] = None,
) -> list[MessageOut]:
    """Newest first; ``before`` pages on."""
    found = await operate(
        request,
        lambda s, _rt: outbox.list_messages(
            s,
            service=service,
            subscription_id=subscription,
            state=state,
            limit=limit,
            before=before,
        ),
        write=False,
    )
    return [MessageOut.of(m) for m in found]


@router.get("/messages/{message_id}", response_model=MessageDetail)
async def show_message(message_id: str, request: Request) -> MessageDetail:
    m = await operate(request, lambda s, _rt: outbox.get_message(s, message_id), write=False)
    return MessageDetail(**MessageOut.of(m).model_dump(), payload=m.payload)


@router.get("/messages/{message_id}/attempts", response_model=list[AttemptOut])
async def list_attempts(message_id: str, request: Request) -> list[AttemptOut]:
    """Oldest first: time, status, latency, error, the response's first 1 KB."""
    found = await operate(request, lambda s, _rt: outbox.list_attempts(s, message_id), write=False)
    return [AttemptOut.of(a) for a in found]


@router.post("/messages/{message_id}/replay", response_model=MessageOut)
async def replay(message_id: str, request: Request) -> MessageOut:
    """Deliver a failed (or delivered) message again, same ``webhook-id``; 409 when pending."""
    return MessageOut.of(
        await operate(
            request, lambda s, rt: outbox.replay(s, message_id, rt.clock.now()), write=True
        )
    )


@router.post("/replay-failed", response_model=Replayed)
async def replay_failed(
    request: Request,
    service: Annotated[str | None, Query(max_length=50)] = None,
    subscription: Annotated[int | None, Query(ge=1, le=subscriptions.MAX_ID)] = None,
) -> Replayed:
    """Every failed message (of one service, of one subscription) delivered again."""
    count = await operate(
        request,
        lambda s, rt: outbox.replay_failed(
            s, rt.clock.now(), service=service, subscription_id=subscription
        ),
        write=True,
    )
    return Replayed(replayed=count)


def create_admin_app(rt: Runtime) -> FastAPI:
    app = base_admin_app(
        rt,
        title="Webhook delivery operator API (Saphan)",
        description="Every service's webhook deliveries: subscriptions, messages, attempts; "
        "replay and test events. Bearer SAPHAN_ADMIN_TOKEN.",
    )
    app.include_router(router)
    return app
