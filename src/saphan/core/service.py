"""The FastAPI app every provider service is mounted as: its docs and OpenAPI at its prefix,
every error in its own envelope, and request bodies documented though routes read them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.telemetry import TelemetryConfig
from pydantic import BaseModel

from saphan.core.body import document_request_models
from saphan.core.errors import Renderer, install_error_handlers
from saphan.core.jsonresponse import ORJSONResponse
from saphan.core.openapi_text import say_text_rule
from saphan.core.runtime import Runtime

#: FastAPI's built-in OpenTelemetry hooks, off: they look up the global providers on every
#: request (environment reads included) though Saphan exports its metrics to Prometheus.
NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def create_service_app(
    rt: Runtime,
    *,
    title: str,
    version: str,
    description: str,
    render: Renderer,
    router: APIRouter,
    request_models: Sequence[type[BaseModel]] = (),
) -> FastAPI:
    app = FastAPI(
        telemetry=NO_TELEMETRY,
        title=title,
        version=version,
        description=description,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        default_response_class=ORJSONResponse,
    )
    app.state.runtime = rt
    install_error_handlers(app, render)
    app.include_router(router)
    document_request_models(app, request_models)
    drop_validation_422(app)
    return app


def drop_validation_422(app: FastAPI) -> None:
    """FastAPI documents a 422 for every route with parameters; the services answer those as
    400 in their own envelope, which the routes document themselves. The document also says
    what text the input boundary takes (``core.openapi_text``)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                operation.get("responses", {}).pop("422", None)
        schemas = schema.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        app.openapi_schema = say_text_rule(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
