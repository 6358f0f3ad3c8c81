"""``/api/v1/Webhook`` of ``/rakmao-po`` (spec 002 "Webhook"): an account registers, per webhook
type, the endpoint that Saphan POSTs the type's events to. Scoped to the token's account.

POST answers the new registration's ``Id`` in ``data`` (as the spec shows) and the signing secret
once, in the ``Webhook-Secret`` response header; an operator rotates it with
``saphan rakmao webhooks rotate-secret ID``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, WithJsonSchema
from sqlalchemy.orm import Session
from starlette.responses import Response

from saphan.core.request_path import Call
from saphan.rakmao import hooks
from saphan.rakmao.routing import Authorization
from saphan.rakmao.schemas import Envelope
from saphan.rakmao.status import EVENT_NAMES
from saphan.rakmao.tokens import Caller
from saphan.rakmao.webhook_schemas import RegisterWebhook, UpdateWebhook, WebhookView
from saphan.rakmao.wire import PATH, forget_account, success

T = TypeVar("T")
router = APIRouter()
SECRET_HEADER = "Webhook-Secret"  # noqa: S105 (a header name)
TypePath = Annotated[
    str,
    Path(description="The webhook type: 301, 302, 303 or 402", examples=["301"]),
    WithJsonSchema(
        {
            "type": "string",
            "enum": [str(n) for n in EVENT_NAMES] + list(EVENT_NAMES.values()),
            "description": "The webhook type: 301, 302, 303 or 402, or its name",
        }
    ),
]
_SCOPED: dict[int | str, dict[str, Any]] = {
    403: {"model": Envelope[None], "description": "A type of the other side"},
    404: {"model": Envelope[None], "description": "No such registration among yours"},
}


def _body(model: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}},
        }
    }


async def _changing_registrations(
    request: Request,
    work: Callable[[Session, Call[Caller, Any]], T],
    body: type[BaseModel] | None = None,
) -> T:
    """Run ``work``, which adds or removes a registration; once it has committed, drop the
    account's cached state so that register-before-use sees the change at once."""

    def run(session: Session, call: Call[Caller, Any]) -> tuple[int, T]:
        return call.caller.account_id, work(session, call)

    account_id, result = await PATH.run_session(request, run, body=body, write=True)
    forget_account(request, account_id)
    return result


@router.get("/Webhook", response_model=Envelope[list[WebhookView]], operation_id="ListWebhook")
async def list_webhooks(request: Request, authorization: Authorization = None) -> Response:
    """Your account's registrations."""
    return success(
        await PATH.run_session(request, lambda s, call: hooks.list_webhooks(s, call.caller))
    )


@router.get(
    "/Webhook/{enumValue}",
    response_model=Envelope[WebhookView],
    operation_id="GetWebhook",
    responses=_SCOPED,
)
async def get_webhook(
    request: Request, enumValue: TypePath, authorization: Authorization = None
) -> Response:
    """Your registration of one type."""
    return success(
        await PATH.run_session(
            request,
            lambda s, call: hooks.get_webhook(
                s, call.caller, hooks.parse_type(enumValue, "enumValue")
            ),
        )
    )


@router.post(
    "/Webhook",
    response_model=Envelope[str],
    operation_id="RegisterWebhook",
    openapi_extra=_body("RegisterWebhook"),
    responses={
        **_SCOPED,
        409: {"model": Envelope[None], "description": "This type is already registered"},
    },
)
async def register_webhook(request: Request, authorization: Authorization = None) -> Response:
    """Register an endpoint for one type (one per account and type). `data` is the new `Id`;
    the signing secret (`whsec_...`) comes once, in the `Webhook-Secret` response header."""

    def work(session: Session, call: Call[Caller, RegisterWebhook]) -> tuple[str, str]:
        body = call.body
        return hooks.register(
            session,
            call.rt.settings,
            call.caller,
            hooks.parse_type(body.Type),
            body.Endpoint,
            body.IsLogin,
            body.Header or {},
            call.now,
        )

    registration_id, secret = await _changing_registrations(request, work, RegisterWebhook)
    return success(registration_id, headers={SECRET_HEADER: secret, "Cache-Control": "no-store"})


@router.put(
    "/Webhook",
    response_model=Envelope[bool],
    operation_id="UpdateWebhook",
    openapi_extra=_body("UpdateWebhook"),
    responses=_SCOPED,
)
async def update_webhook(request: Request, authorization: Authorization = None) -> Response:
    """Change a registration's `Endpoint`, `IsLogin` and `Header` (by `Id`)."""

    def work(session: Session, call: Call[Caller, UpdateWebhook]) -> bool:
        body = call.body
        return hooks.update(
            session,
            call.rt.settings,
            call.caller,
            body.Id,
            None if body.Type is None else hooks.parse_type(body.Type),
            body.Endpoint,
            body.IsLogin,
            body.Header or {},
            call.now,
        )

    return success(await PATH.run_session(request, work, body=UpdateWebhook, write=True))


@router.delete(
    "/Webhook/{enumValue}",
    response_model=Envelope[bool],
    operation_id="DeregisterWebhook",
    responses=_SCOPED,
)
async def deregister_webhook(
    request: Request, enumValue: TypePath, authorization: Authorization = None
) -> Response:
    """Remove your registration of one type; its undelivered messages are not sent."""
    return success(
        await _changing_registrations(
            request,
            lambda s, call: hooks.deregister(
                s, call.caller, hooks.parse_type(enumValue, "enumValue"), call.now
            ),
        )
    )
