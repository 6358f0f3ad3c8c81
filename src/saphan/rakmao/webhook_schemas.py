"""The wire of ``/api/v1/Webhook`` (spec 002 "Webhook"), with the spec's names."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from saphan.rakmao.status import EVENT_NAMES

_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_NUMBER = r"(0[Xx][0-9A-Fa-f]*|[0-9]+)"
_PORT = r"([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
_HOST_NAME = re.compile(rf"({_LABEL}\.)*{_LABEL}")
#: The document's pattern for an endpoint: http(s); an IPv4 address written in full or a host
#: name of letters, digits and hyphens that is no other spelling of a number ("0", "0x7f.1",
#: which the webhook guard refuses) and no IDNA name; no user:password@; a port from 1 to
#: 65535; then a path, query or fragment without whitespace or control characters. The server
#: takes more, which the guard judges (core.netguard): an IPv6 address in brackets, an
#: internationalised host name; and what it says of an address (a private or loopback one)
#: depends on SAPHAN_WEBHOOK_ALLOW_CIDRS, which no document can say (docs/rakmao.md).
ENDPOINT_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://"
    rf"(({_OCTET}\.){{3}}{_OCTET}"
    rf"|(?!{_NUMBER}(\.{_NUMBER}){{0,3}}([:/?#]|$))(?![^/?#]*[Xx][Nn]--)({_LABEL}\.)*{_LABEL})"
    rf"(:{_PORT})?"
    r"([/?#][^\s\x00-\x20\x7f-\x9f]*)?$"
)


def _endpoint(value: str) -> str:
    """An endpoint whose host is ASCII, no IPv6 address and no IDNA name has a host of letters,
    digits, dots and hyphens (the guard judges the rest: scheme, port, address, credentials);
    one that has not could never be delivered to (``http://a*``, ``http://a..b``)."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return value  # the guard says what is wrong with it
    plain = host and host.isascii() and "[" not in parts.netloc and "xn--" not in host
    if plain and _HOST_NAME.fullmatch(host or "") is None:
        raise ValueError("the host must be a name of letters, digits and hyphens or an address")
    return value


Endpoint = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2000,
        description="http(s) URL",
        json_schema_extra={"pattern": ENDPOINT_PATTERN},
    ),
    AfterValidator(_endpoint),
]
#: The pairs as the delivery engine takes them (core.webhooks.subscriptions.check_headers): at
#: most 50, each name an HTTP token, each value one line. A name the delivery sets itself
#: (Content-Type, Host, ...) or a name given twice in another case is refused too (400).
HEADER_PAIRS_SCHEMA = {
    "type": "object",
    "maxProperties": 50,
    "propertyNames": {"pattern": r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$"},
    "additionalProperties": {
        "type": "string",
        "maxLength": 4000,
        "pattern": r"^[^\x00-\x08\x0a-\x1f]*$",
    },
}
HeaderPairs = Annotated[
    Annotated[
        dict[str, Annotated[str, Field(max_length=4000)]], WithJsonSchema(HEADER_PAIRS_SCHEMA)
    ]
    | None,
    Field(
        default=None,
        description="Header name -> value sent with every delivery (optional; null or {} for none)",
        examples=[{"Authorization": "beare **********"}],
    ),
]
#: What ``hooks.parse_type`` takes, as the document says it: a type's number, as a number or a
#: string, or its name (the server also takes a name in any case and with spaces around).
WebhookType = Annotated[
    int | str,
    Field(description="301, 302, 303 (seller accounts) or 402 (buyer accounts), or its name"),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "enum": list(EVENT_NAMES)},
                {
                    "type": "string",
                    "enum": [str(n) for n in EVENT_NAMES] + list(EVENT_NAMES.values()),
                },
            ],
            "description": "301, 302, 303 (seller accounts) or 402 (buyer accounts), or its name",
        }
    ),
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RegisterWebhook(_Request):
    Type: WebhookType
    Endpoint: Endpoint
    IsLogin: bool = Field(description="Deliveries carry Authorization: Bearer <JWT>")
    Header: HeaderPairs = None


class UpdateWebhook(_Request):
    Id: Annotated[
        str,
        Field(
            max_length=64,
            description="The registration's Id (GUID)",
            json_schema_extra={"format": "uuid"},
        ),
    ]
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
