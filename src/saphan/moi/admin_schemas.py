"""The operator's models: accounts of either layout with their bills (what ``saphan moi import``
and ``POST /admin/moi/imports`` load), and the rest of the operator API's wire (``/admin/moi``)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from saphan.core.boundary import NameText, is_name_text
from saphan.moi.models import MEA, PEA

#: Units and amounts written as strings: digits, at most 14 before the point and 2 after it, no
#: leading zeros (an amount may be negative), as the document says.
UNITS_PATTERN = r"^(0|[1-9][0-9]{0,13})(\.[0-9]{1,2})?$"
AMOUNT_PATTERN = r"^-?(0|[1-9][0-9]{0,13})(\.[0-9]{1,2})?$"
_LARGEST = 99999999999999.99  # Numeric(16, 2)


def _decimal(pattern: str, low: float) -> Any:
    """A JSON number (a multiple of 0.01 in range) or a string as ``pattern`` writes it (not
    ``""``, ``" 1"`` or ``"1e3"``), checked and documented alike."""
    compiled = re.compile(pattern)

    def check(value: Any) -> Any:
        if isinstance(value, str) and compiled.fullmatch(value) is None:
            raise PydanticCustomError("decimal_parsing", "Input should be a valid decimal")
        return value

    number = {"type": "number", "minimum": low, "maximum": _LARGEST, "multipleOf": 0.01}
    return (
        BeforeValidator(check),
        WithJsonSchema({"anyOf": [number, {"type": "string", "pattern": pattern}]}),
    )


class BillIn(BaseModel):
    #: ``billDate`` (customerinfo) or ``RecordDate`` (CAList).
    bill_date: dt.date
    #: ``kwh`` / ``Unit``.
    units: Annotated[
        Decimal,
        Field(ge=0, max_digits=16, decimal_places=2, allow_inf_nan=False),
        *_decimal(UNITS_PATTERN, 0),
    ]
    #: ``Amount`` / ``Cost``.
    amount: Annotated[
        Decimal,
        Field(max_digits=16, decimal_places=2, allow_inf_nan=False),
        *_decimal(AMOUNT_PATTERN, -_LARGEST),
    ]
    #: CAList only: BillPeriod, DueDate, InvoiceNo, Paydate.
    info: dict[str, str] = Field(default_factory=dict)


def _layout_fields(schema: dict[str, Any]) -> None:
    """What importing.field_problem checks, said per layout: ``info`` holds only the layout's
    account fields, strings (CAList's RegisDate may be null); a bill's ``info`` only CAList's
    bill fields, strings, and nothing in the customerinfo layout."""
    from saphan.moi.importing import ACCOUNT_FIELDS, BILL_FIELDS  # it imports this module

    def info(layout: str) -> dict[str, Any]:
        fields: dict[str, Any] = {name: {"type": "string"} for name in ACCOUNT_FIELDS[layout]}
        if "RegisDate" in fields:
            fields["RegisDate"] = {"type": ["string", "null"]}
        return {"type": "object", "properties": fields, "additionalProperties": False}

    bill_info = {
        MEA: {"type": "object", "maxProperties": 0},
        PEA: {
            "type": "object",
            "properties": {name: {"type": "string"} for name in BILL_FIELDS},
            "additionalProperties": False,
        },
    }
    schema["oneOf"] = [
        {
            "properties": {
                "layout": {"const": layout},
                "info": info(layout),
                "bills": {"items": {"properties": {"info": bill_info[layout]}}},
            }
        }
        for layout in (MEA, PEA)
    ]


class AccountIn(BaseModel):
    model_config = ConfigDict(json_schema_extra=_layout_fields)

    citizen_id: str = Field(pattern=r"^[0-9]{13}$")
    layout: Literal["customerinfo", "CAList"]
    #: ``installationNumber`` or ``CANo``.
    account_no: str = Field(min_length=1, max_length=50)
    #: The layout's other fields, by their wire names.
    info: dict[str, Any] = Field(default_factory=dict)
    bills: list[BillIn] = Field(default_factory=list)


LAYOUTS = (MEA, PEA)


# -- the operator API's own models (``/admin/moi``): Saphan's wire, not MOI's ---------------------

#: A ClientID goes into URLs: letters, digits and ``. _ ~ -``, like the spec's ``8vWGC60OS2bjPc2``.
CLIENT_ID_PATTERN = r"^[A-Za-z0-9._~-]{1,100}$"
AGENT_ID_PATTERN = r"^[0-9]{13}$"
_AGENT_ID = re.compile(r"[0-9]{13}")


def thirteen_digits(value: str) -> bool:
    """An AgentID or CitizenID: 13 ASCII digits (Thai digits are refused, as on the MOI wire)."""
    return _AGENT_ID.fullmatch(value) is not None


def _agent_id(value: str) -> str:
    if not thirteen_digits(value):
        raise ValueError("AgentID must be 13 digits")
    return value


def has_no_controls(value: str) -> bool:
    """One line, no control or bidi formatting characters: the rule for names (core.boundary)."""
    return is_name_text(value)


#: A client system's name: shown in tables, so one line of text.
Name = Annotated[str, Field(max_length=200), NameText]

#: Checked by a validator (not ``pattern``) so the message says what an AgentID is.
AgentId = Annotated[
    str,
    AfterValidator(_agent_id),
    Field(json_schema_extra={"pattern": AGENT_ID_PATTERN}, examples=["1100400012345"]),
]


class ClientCreate(BaseModel):
    #: At least one agent, or anyAgent (operator.register_client), said as the document can.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["agents"], "properties": {"agents": {"minItems": 1}}},
                {"required": ["anyAgent"], "properties": {"anyAgent": {"const": True}}},
            ]
        }
    )

    clientId: str | None = Field(
        default=None,
        pattern=CLIENT_ID_PATTERN,
        description="Generated (15 letters and digits) when omitted",
        examples=["ministry-app"],
    )
    name: Name = Field(default="", examples=["ระบบสวัสดิการ กระทรวง"])
    anyAgent: bool = Field(default=False, description="Any 13-digit AgentID may use it")
    agents: list[AgentId] = Field(default_factory=list, max_length=10_000)


class ClientUpdate(BaseModel):
    """Only the fields given change."""

    name: Name | None = None
    anyAgent: bool | None = Field(
        default=None,
        description="Turning it off ends the open sessions of agents that are not listed",
    )


class ClientOut(BaseModel):
    clientId: str
    name: str
    anyAgent: bool
    agents: list[str]
    createdAt: str
    revokedAt: str
    activeSessions: int


class ClientCreated(ClientOut):
    clientSecret: str = Field(description="Shown this once; only its keyed hash is kept.")


class SessionOut(BaseModel):
    id: int
    clientId: str
    agentId: str
    createdAt: str
    expiresAt: str
    revokedAt: str
    status: Literal["active", "expired", "revoked"]


class SessionPage(BaseModel):
    total: int
    page: int
    perPage: int
    items: list[SessionOut]


class SessionsRevoke(BaseModel):
    """Every open session of a client system, of an agent (across client systems), or of an
    agent at one client system."""

    #: clientId, agentId or both (agent_sessions.revoke_sessions_of): null is neither.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["clientId"], "properties": {"clientId": {"type": "string"}}},
                {"required": ["agentId"], "properties": {"agentId": {"type": "string"}}},
            ]
        }
    )

    clientId: str | None = Field(default=None, examples=["ministry-app"])
    agentId: AgentId | None = None


class Revoked(BaseModel):
    revoked: int = Field(description="Open sessions ended")


class AuditOut(BaseModel):
    id: int
    at: str
    clientId: str
    agentId: str
    citizen: str = Field(description="Only the last 4 digits are kept", examples=["*********1917"])
    rows: int


class AuditPage(BaseModel):
    total: int
    page: int
    perPage: int
    items: list[AuditOut]


class ImportOut(BaseModel):
    accounts_created: int
    accounts_updated: int
    bills: int


class AccountOut(BaseModel):
    layout: Literal["customerinfo", "CAList"]
    accountNo: str
    citizenId: str
    info: dict[str, Any]
    bills: int
    firstBill: str = Field(description="Date of the oldest bill, YYYY-MM-DD; empty when none")
    lastBill: str
    createdAt: str
