"""The integrator's test kit over HTTP: ``/_saphan``, in demo mode only (``saphan.app``).

One FastAPI app with its own OpenAPI (``/_saphan/openapi.json``, ``/_saphan/docs``) and its own
envelope (``control.errors``); one router per section (State, Clock, Faults; the request
journal and webhook capture will join them the same way). It is beside ``saphan.app`` and
``saphan.demo`` rather than in ``core`` because it composes the services, as they do.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI

from saphan import __version__
from saphan.control import clock_api, faults_api, state_api
from saphan.control.errors import ERRORS, render
from saphan.control.faults import FaultControl
from saphan.control.schemas import ClockAdvance, ClockSet, FaultArm, SeedDocument, Snapshot
from saphan.control.state import State
from saphan.core.body import document_request_models
from saphan.core.errors import install_error_handlers
from saphan.core.faults import Faults
from saphan.core.jsonresponse import ORJSONResponse
from saphan.core.openapi_text import document_text_rule
from saphan.core.runtime import Runtime
from saphan.core.service import NO_TELEMETRY

DESCRIPTION = """Drive a demo Saphan from a test suite, in any language (demo mode only).

**State**: reset to the demo data or to nothing, seed a document through the services' own
rules, export everything and load it back. **Clock**: read, set, advance, back to real time; every
service follows it. **Faults**: the next calls of an operation answer a documented failure or a
given answer, wait, or lose their connection. Errors: `{"error": {"code": ..., "message": ...}}`.
See docs/testing.md."""


def create_control_app(
    rt: Runtime, faults: Faults, services: Sequence[tuple[str, FastAPI]]
) -> FastAPI:
    """``services``: each service's mount prefix and app, whose routes faults name."""
    app = FastAPI(
        telemetry=NO_TELEMETRY,
        title="Saphan control API (test kit)",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        default_response_class=ORJSONResponse,
        responses=ERRORS,
    )
    app.state.runtime = rt
    app.state.control = State(rt, faults)
    app.state.faults = FaultControl(faults, services)
    install_error_handlers(app, render, validation_status=422)
    app.include_router(state_api.router)
    app.include_router(clock_api.router)
    app.include_router(faults_api.router)
    document_request_models(app, [SeedDocument, Snapshot, ClockSet, ClockAdvance, FaultArm])
    document_text_rule(app)  # the input boundary's text rule, said
    return app
