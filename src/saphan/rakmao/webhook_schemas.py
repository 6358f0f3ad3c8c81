"""The wire of ``/api/v1/Webhook`` (spec 002 "Webhook"), with the spec's names."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Endpoint = Annotated[str, Field(min_length=1, max_length=2000, description="http(s) URL")]
HeaderPairs = Annotated[
    dict[str, Annotated[str, Field(max_length=4000)]] | None,
    Field(
        default=None,
        description="Header name -> value sent with every delivery (optional; null or {} for none)",
        examples=[{"Authorization": "beare **********"}],
    ),
]
WebhookType = Annotated[
    int | str,
    Field(description="301, 302, 303 (seller accounts) or 402 (buyer accounts), or its name"),
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RegisterWebhook(_Request):
    Type: WebhookType
    Endpoint: Endpoint
    IsLogin: bool = Field(description="Deliveries carry Authorization: Bearer <JWT>")
    Header: HeaderPairs = None


class UpdateWebhook(_Request):
    Id: Annotated[str, Field(max_length=64, description="The registration's Id (GUID)")]
    #: Optional; the spec's example sends it. If given it must be the registration's own.
    Type: WebhookType | None = None
    Endpoint: Endpoint
    IsLogin: bool
    Header: HeaderPairs = None


class WebhookView(BaseModel):
    Id: str
    IsLogin: bool
    TypeName: str = Field(examples=["DocumentReady"])
    Endpoint: str
    Header: dict[str, str]
