"""``/_saphan`` Clock: read, set, advance, back to real time."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from saphan.control import clock
from saphan.control.documents import read_document
from saphan.control.schemas import ClockAdvance, ClockSet, ClockState
from saphan.core.body import json_body
from saphan.core.jsonresponse import json_response
from saphan.core.request_path import runtime

router = APIRouter(prefix="/clock", tags=["Clock"])


def _answer(state: ClockState) -> Response:
    return json_response(state.model_dump(mode="json"))


@router.get("", response_model=ClockState)
async def read(request: Request) -> Response:
    return _answer(clock.state(runtime(request)))


@router.put("", response_model=ClockState, openapi_extra=json_body(ClockSet))
async def put(request: Request) -> Response:
    """Put the clock at ``at``: running on from there, or standing still (``frozen``)."""
    body = await read_document(request, ClockSet)
    return _answer(clock.move_to(runtime(request), body.at, frozen=body.frozen))


@router.post("/advance", response_model=ClockState, openapi_extra=json_body(ClockAdvance))
async def advance(request: Request) -> Response:
    """Move the clock ahead, frozen or running as it is."""
    body = await read_document(request, ClockAdvance)
    return _answer(clock.advance(runtime(request), body.step()))


@router.delete("", response_model=ClockState)
async def real_time(request: Request) -> Response:
    """Back to real time."""
    return _answer(clock.to_real_time(runtime(request)))
