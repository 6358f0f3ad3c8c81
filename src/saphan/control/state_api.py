"""``/_saphan`` State: reset, seed, export and load."""

from __future__ import annotations

from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from saphan.control import seeding
from saphan.control.documents import read_document
from saphan.control.schemas import Loaded, ResetDone, SeedDocument, Seeded, Snapshot
from saphan.control.state import State, Target
from saphan.core.body import json_body
from saphan.core.jsonresponse import json_response
from saphan.core.request_path import runtime

router = APIRouter(tags=["State"])


def _state(request: Request) -> State:
    state: State = request.app.state.control
    return state


@router.post("/reset", response_model=ResetDone)
async def reset(
    request: Request,
    to: Annotated[Target, Query(description="The demo data, or nothing at all")] = "demo",
) -> Response:
    """Back to the demo data (or to empty), and the clock back to real time."""
    await to_thread.run_sync(_state(request).reset, to)
    return json_response({"status": "reset"})


@router.post("/seed", status_code=201, response_model=Seeded, openapi_extra=json_body(SeedDocument))
async def seed(request: Request) -> Response:
    """Add what the document holds, all or nothing, validated as the operator APIs validate."""
    document = await read_document(request, SeedDocument)
    rt = runtime(request)

    def work() -> Seeded:
        with rt.db.write() as session:
            return seeding.seed(session, rt.secret, document, rt.clock.now())

    seeded = await to_thread.run_sync(work)
    return json_response(seeded.model_dump(), status=201)


@router.get("/state", response_model=Snapshot, response_model_by_alias=True)
async def export(request: Request) -> Response:
    """Every row of the state: a snapshot to load back with ``PUT /_saphan/state``."""
    return json_response(await to_thread.run_sync(_state(request).export))


@router.put("/state", response_model=Loaded, openapi_extra=json_body(Snapshot))
async def load(request: Request) -> Response:
    """Replace the whole state with a snapshot's (all or nothing); the clock is left as it is."""
    document = await read_document(request, Snapshot)
    rows = await to_thread.run_sync(_state(request).load, document)
    return json_response({"status": "loaded", "rows": rows})
