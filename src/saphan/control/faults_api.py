"""``/_saphan/faults``: arm, list and clear the faults the services' routes meet."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from saphan.control.documents import read_document
from saphan.control.faults import FaultControl
from saphan.control.schemas import FaultArm, FaultList, FaultsCleared, FaultView
from saphan.core.body import json_body
from saphan.core.errors import http_error
from saphan.core.jsonresponse import json_response

router = APIRouter(prefix="/faults", tags=["Faults"])


def _control(request: Request) -> FaultControl:
    control: FaultControl = request.app.state.faults
    return control


@router.post("", status_code=201, response_model=FaultView, openapi_extra=json_body(FaultArm))
async def arm(request: Request) -> Response:
    """The next `times` calls (omitted: every call until cleared) of one operation, from every
    caller or from one, answer as told: a documented failure, a given answer, a cut connection,
    or the service's own answer after `latencyMs`."""
    document = await read_document(request, FaultArm)
    armed = _control(request).arm(document)
    return json_response(armed.model_dump(), status=201)


@router.get("", response_model=FaultList)
async def armed(request: Request) -> Response:
    """The armed faults, in the order they are tried, with the calls each has left."""
    return json_response({"faults": [f.model_dump() for f in _control(request).list()]})


@router.delete("", response_model=FaultsCleared)
async def clear(request: Request) -> Response:
    """Clear every fault."""
    faults = _control(request).faults
    cleared = len(faults.all())
    faults.clear()
    return json_response({"cleared": cleared})


@router.delete("/{fault_id}", response_model=FaultsCleared)
async def clear_one(request: Request, fault_id: str) -> Response:
    """Clear one fault."""
    if not _control(request).faults.remove(fault_id):
        raise http_error(404, f"No armed fault {fault_id!r}")
    return json_response({"cleared": 1})
