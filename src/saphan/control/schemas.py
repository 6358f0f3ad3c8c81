"""The control API's wire: Saphan's own, not a provider's.

A seed document reuses each service's operator models field for field (``VoucherIn``,
``ClientCreate``, ``AccountIn``, ``AccountCreate``, ``ApplicationCreate``, ``BranchCreate``,
``TransferIn``) and Rakmao's own ``CreatePo``, so it is validated as the operator APIs and the
provider's routes validate; what it adds are the secrets an integrator fixes in advance (keys,
client secrets), which the operator APIs make up."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from saphan.core.boundary import NameText
from saphan.depa.admin_schemas import DPCreate, KeyCreate, VoucherIn
from saphan.easyslip.admin_schemas import ApplicationCreate, BranchCreate, TransferIn
from saphan.moi.admin_schemas import CLIENT_ID_PATTERN, AccountIn, ClientCreate
from saphan.rakmao.admin_schemas import AccountCreate
from saphan.rakmao.schemas import CreatePo, StatusValue

#: An API key as depa and EasySlip issue them: a UUID v4, lower or upper case.
UUID4_PATTERN = (
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
)
ApiKey = Annotated[
    str, Field(pattern=UUID4_PATTERN, examples=["3f0c1d2e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"])
]
_STRICT = ConfigDict(extra="forbid")


class Strict(BaseModel):
    model_config = _STRICT


# -- seed ----------------------------------------------------------------------------------------


class DepaKeySeed(KeyCreate):
    model_config = _STRICT
    key: ApiKey


class DepaDpSeed(DPCreate):
    model_config = _STRICT
    keys: list[DepaKeySeed] = Field(default_factory=list)
    vouchers: list[VoucherIn] = Field(default_factory=list)


class DepaSeed(Strict):
    dps: list[DepaDpSeed] = Field(default_factory=list)


class MoiClientSeed(ClientCreate):
    """A client system with the ClientID and ClientSecret the integrator's code sends."""

    model_config = _STRICT
    clientId: str = Field(pattern=CLIENT_ID_PATTERN, examples=["ministry-app"])
    clientSecret: Annotated[str, Field(min_length=1, max_length=200), NameText]


class MoiSeed(Strict):
    clients: list[MoiClientSeed] = Field(default_factory=list)
    #: Citizens' (and companies') electricity accounts with their bills, as the operator
    #: API's JSON import takes them.
    accounts: list[AccountIn] = Field(default_factory=list)


class RakmaoPoSeed(Strict):
    """A PO the ``buyer`` account creates (a Draft, as the provider's create makes it), then
    moves to ``status`` as the buyer's status change does."""

    buyer: str = Field(min_length=1, max_length=100, description="The buyer account's username")
    po: CreatePo
    status: StatusValue | None = None


class RakmaoSeed(Strict):
    accounts: list[AccountCreate] = Field(default_factory=list)
    pos: list[RakmaoPoSeed] = Field(default_factory=list)


class EasySlipBranchSeed(BranchCreate):
    key: ApiKey


class EasySlipApplicationSeed(ApplicationCreate):
    branches: list[EasySlipBranchSeed] = Field(default_factory=list)


class EasySlipSeed(Strict):
    applications: list[EasySlipApplicationSeed] = Field(default_factory=list)
    transfers: list[TransferIn] = Field(default_factory=list)


class SeedDocument(Strict):
    """What to add to the server's state, all or nothing."""

    depa: DepaSeed = Field(default_factory=DepaSeed)
    moi: MoiSeed = Field(default_factory=MoiSeed)
    rakmao: RakmaoSeed = Field(default_factory=RakmaoSeed)
    easyslip: EasySlipSeed = Field(default_factory=EasySlipSeed)


class Named(BaseModel):
    id: int
    name: str


class DepaSeeded(BaseModel):
    dps: list[Named]


class MoiSeeded(BaseModel):
    clients: list[str]
    accounts: int = Field(description="Accounts created or updated")
    bills: int


class RakmaoAccountSeeded(BaseModel):
    id: int
    username: str
    authenString: str


class RakmaoPoSeeded(BaseModel):
    PoId: str
    PoCode: str


class RakmaoSeeded(BaseModel):
    accounts: list[RakmaoAccountSeeded]
    pos: list[RakmaoPoSeeded]


class ApplicationSeeded(Named):
    branches: list[Named]


class TransferSeeded(BaseModel):
    id: int
    payload: str = Field(description="The slip's mini-QR text: what /v2/verify/bank takes")


class EasySlipSeeded(BaseModel):
    applications: list[ApplicationSeeded]
    transfers: list[TransferSeeded]


class Seeded(BaseModel):
    """What the seed made, with the ids the server gave it."""

    depa: DepaSeeded
    moi: MoiSeeded
    rakmao: RakmaoSeeded
    easyslip: EasySlipSeeded


# -- reset and snapshots -------------------------------------------------------------------------


class ResetDone(BaseModel):
    status: Literal["reset"]


class TableRows(Strict):
    columns: list[str]
    rows: list[list[Any]]


class Snapshot(Strict):
    """Every row of every table, as stored (keys and passwords as their hashes); what a table
    keeps from other tables' rows by database triggers is left out and made again on load."""

    saphan: Literal["snapshot"]
    version: Literal[1]
    schema_: str = Field(alias="schema", description="The database's migration revision")
    tables: dict[str, TableRows]


class Loaded(BaseModel):
    status: Literal["loaded"]
    rows: int


# -- clock ---------------------------------------------------------------------------------------


class ClockState(BaseModel):
    now: dt.datetime = Field(description="The server's time, ISO 8601 in Asia/Bangkok")
    real: dt.datetime = Field(description="Real time, for comparison")
    mode: Literal["real", "moved", "frozen"] = Field(
        description="real: not moved; moved: runs at real speed from where it was put;"
        " frozen: stands still"
    )


#: The years the clock may be put in: every service's dates (and unix times) hold them.
EARLIEST, LATEST = dt.datetime(1970, 1, 2, tzinfo=dt.UTC), dt.datetime(2999, 12, 31, tzinfo=dt.UTC)


class ClockSet(Strict):
    at: dt.datetime = Field(
        description="ISO 8601; without an offset it is Asia/Bangkok time",
        examples=["2025-12-01T00:00:00+07:00"],
    )
    frozen: bool = Field(
        default=False, strict=True, description="Stand still at `at` instead of running on"
    )


#: A hundred years: past anything a test waits for.
_MAX_STEP = 100 * 366 * 24 * 3600


class ClockAdvance(Strict):
    """How far to move the clock ahead: the sum of the fields given (at least one)."""

    days: Annotated[float, Field(ge=0, le=_MAX_STEP / 86400)] = 0
    hours: Annotated[float, Field(ge=0, le=_MAX_STEP / 3600)] = 0
    minutes: Annotated[float, Field(ge=0, le=_MAX_STEP / 60)] = 0
    seconds: Annotated[float, Field(ge=0, le=_MAX_STEP)] = 0

    def step(self) -> dt.timedelta:
        return dt.timedelta(
            days=self.days, hours=self.hours, minutes=self.minutes, seconds=self.seconds
        )


# -- faults --------------------------------------------------------------------------------------

Service = Literal["moi", "depa", "rakmao", "easyslip"]
#: depa documents VoucherUsage answering in 5-60 s: a fault may wait as long.
MAX_LATENCY_MS = 60_000


class FaultAnswer(Strict):
    """An answer given as is: status, JSON body, headers."""

    status: Annotated[int, Field(ge=200, le=599, strict=True, examples=[503])]
    body: Any = Field(
        default=None, description="Any JSON; sent as application/json (omitted: no body)"
    )
    headers: dict[
        Annotated[str, Field(min_length=1, max_length=100), NameText],
        Annotated[str, Field(max_length=1000), NameText],
    ] = Field(default_factory=dict, description="Extra response headers")


class FaultArm(Strict):
    """What to do to the next calls of one operation: answer with the provider's documented
    failure (``error``) or a given ``answer``, cut the connection (``drop``), wait first
    (``latencyMs``, alone or before any of those)."""

    service: Service
    operation: Annotated[str, Field(min_length=1, max_length=300), NameText] = Field(
        description="The operationId in the service's OpenAPI (`VoucherUsage`), or method and"
        " path template below the service's base URL (`POST /api/v1/voucher/usage`)",
        examples=["VoucherUsage"],
    )
    times: Annotated[int, Field(ge=1, le=1_000_000, strict=True)] | None = Field(
        default=None, description="How many calls to fault; omitted: every call until cleared"
    )
    caller: Annotated[str, Field(min_length=1, max_length=4096), NameText] | None = Field(
        default=None,
        description="Only calls with this credential (API key, token, or the Authorization"
        " header's value); kept as a keyed digest, never as given",
    )
    error: Annotated[str, Field(min_length=1, max_length=100), NameText] | None = Field(
        default=None,
        description="A failure the provider documents, by its code (`SLIP_PENDING`,"
        " `TOKEN_EXPIRED`, ...): its status and body in the provider's envelope",
        examples=["SLIP_PENDING"],
    )
    answer: FaultAnswer | None = None
    drop: bool = Field(default=False, strict=True, description="Cut the connection, no answer")
    latencyMs: Annotated[int, Field(ge=0, le=MAX_LATENCY_MS, strict=True)] = Field(
        default=0, description="Wait this long first (up to 60,000 ms)"
    )


class FaultView(BaseModel):
    id: str
    service: Service
    operation: str
    method: str
    path: str = Field(description="The route's template below the service's base URL")
    remaining: int | None = Field(description="Calls still to fault; null: until cleared")
    scoped: bool = Field(description="Only one caller's calls (the credential is not shown)")
    latencyMs: int
    drop: bool
    status: int | None = Field(description="The answer's status; null: the service answers")
    error: str | None


class FaultList(BaseModel):
    faults: list[FaultView]


class FaultsCleared(BaseModel):
    cleared: int
