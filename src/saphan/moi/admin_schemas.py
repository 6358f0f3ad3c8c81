"""The operator's models: accounts of either layout with their bills (what ``saphan moi import``
and ``POST /admin/moi/imports`` load), and the rest of the operator API's wire (``/admin/moi``)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

from saphan.core.boundary import NameText, is_name_text
from saphan.moi.models import MEA, PEA


class BillIn(BaseModel):
    #: ``billDate`` (customerinfo) or ``RecordDate`` (CAList).
    bill_date: dt.date
    #: ``kwh`` / ``Unit``.
    units: Decimal = Field(ge=0, max_digits=16, decimal_places=2)
    #: ``Amount`` / ``Cost``.
    amount: Decimal = Field(max_digits=16, decimal_places=2)
    #: CAList only: BillPeriod, DueDate, InvoiceNo, Paydate.
    info: dict[str, str] = Field(default_factory=dict)


class AccountIn(BaseModel):
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
