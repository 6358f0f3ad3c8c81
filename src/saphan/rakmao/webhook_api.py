"""``/api/v1/Webhook`` of ``/rakmao-po`` (spec 002 "Webhook"): an account registers, per webhook
type, the endpoint that Saphan POSTs the type's events to. Scoped to the token's account.

POST answers the new registration's ``Id`` in ``data`` (as the spec shows) and the signing secret
once, in the ``Webhook-Secret`` response header; an operator rotates it with
``saphan rakmao webhooks rotate-secret ID``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from saphan.rakmao import hooks
from saphan.rakmao.routing import Authorization, _run
from saphan.rakmao.schemas import Envelope
from saphan.rakmao.webhook_schemas import RegisterWebhook, UpdateWebhook, WebhookView
from saphan.rakmao.wire import parse, runtime, success

router = APIRouter()
SECRET_HEADER = "Webhook-Secret"  # noqa: S105 (a header name)
TypePath = Annotated[
    str, Path(description="The webhook type: 301, 302, 303 or 402", examples=["301"])
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


@router.get("/Webhook", response_model=Envelope[list[WebhookView]], operation_id="ListWebhook")
async def list_webhooks(request: Request, authorization: Authorization = None) -> Response:
    """Your account's registrations."""
    return success(await _run(request, authorization, hooks.list_webhooks, write=False, gate=False))


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
    webhook_type = hooks.parse_type(enumValue, "enumValue")
    return success(
        await _run(
            request,
            authorization,
            lambda s, who: hooks.get_webhook(s, who, webhook_type),
            write=False,
            gate=False,
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
    body = await parse(request, RegisterWebhook)
    webhook_type = hooks.parse_type(body.Type)
    rt = runtime(request)
    now = rt.clock.now()
    registration_id, secret = await _run(
        request,
        authorization,
        lambda s, who: hooks.register(
            s, rt.settings, who, webhook_type, body.Endpoint, body.IsLogin, body.Header or {}, now
        ),
        write=True,
        gate=False,
    )
    response = success(registration_id)
    response.headers[SECRET_HEADER] = secret
    response.headers["Cache-Control"] = "no-store"
    return response


@router.put(
    "/Webhook",
    response_model=Envelope[bool],
    operation_id="UpdateWebhook",
    openapi_extra=_body("UpdateWebhook"),
    responses=_SCOPED,
)
async def update_webhook(request: Request, authorization: Authorization = None) -> Response:
    """Change a registration's `Endpoint`, `IsLogin` and `Header` (by `Id`)."""
    body = await parse(request, UpdateWebhook)
    webhook_type = None if body.Type is None else hooks.parse_type(body.Type)
    rt = runtime(request)
    now = rt.clock.now()
    return success(
        await _run(
            request,
            authorization,
            lambda s, who: hooks.update(
                s,
                rt.settings,
                who,
                body.Id,
                webhook_type,
                body.Endpoint,
                body.IsLogin,
                body.Header or {},
                now,
            ),
            write=True,
            gate=False,
        )
    )


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
    webhook_type = hooks.parse_type(enumValue, "enumValue")
    now = runtime(request).clock.now()
    return success(
        await _run(
            request,
            authorization,
            lambda s, who: hooks.deregister(s, who, webhook_type, now),
            write=True,
            gate=False,
        )
    )
