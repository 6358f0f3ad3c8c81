"""Faults in the providers' own words: an operation named as the service's OpenAPI names it, a
failure named by the code the service's ``errors`` module gives it, rendered in its envelope;
armed in the process's registry (``core.faults``), which ``Dispatch`` consults."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from fastapi import FastAPI

from saphan.control.errors import Invalid
from saphan.control.schemas import FaultArm, FaultView
from saphan.core.errors import ServiceError
from saphan.core.faults import Fault, Faults
from saphan.core.jsonresponse import dumps
from saphan.depa import errors as depa_errors
from saphan.easyslip import errors as easyslip_errors
from saphan.moi import errors as moi_errors
from saphan.rakmao import errors as rakmao_errors
from saphan.rakmao.tokens import INVALID_ACCESS

_ERROR_MODULES: dict[str, ModuleType] = {
    "moi": moi_errors,
    "depa": depa_errors,
    "rakmao": rakmao_errors,
    "easyslip": easyslip_errors,
}

_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


def _named(module: ModuleType) -> dict[str, ServiceError]:
    """Every error class the module defines, by its code (the first of a code wins)."""
    found: dict[str, ServiceError] = {}
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, ServiceError)
            and value.__module__ == module.__name__
        ):
            found.setdefault(value.code, value())
    return found


def _documented_failures() -> dict[str, dict[str, ServiceError]]:
    named = {service: _named(module) for service, module in _ERROR_MODULES.items()}
    # Rakmao answers an expired access token as any bad one: 401, "Invalid or expired ...".
    named["rakmao"]["TOKEN_EXPIRED"] = rakmao_errors.Unauthorized(INVALID_ACCESS)
    return named


class FaultControl:
    """The control API's side of the registry: names checked against the real routes."""

    def __init__(self, faults: Faults, services: Sequence[tuple[str, FastAPI]]) -> None:
        self.faults = faults
        self._services = services
        self._failures = _documented_failures()
        #: service -> operation name -> (prefix, method, template), built on first use.
        self._operations: dict[str, dict[str, tuple[str, str, str]]] | None = None

    def operations(self) -> dict[str, dict[str, tuple[str, str, str]]]:
        if self._operations is None:
            found: dict[str, dict[str, tuple[str, str, str]]] = {s: {} for s in _ERROR_MODULES}
            for prefix, api in self._services:
                service = prefix.strip("/").split("-")[0]  # "/rakmao-po" is Rakmao's too
                known = found.setdefault(service, {})
                for path, item in api.openapi().get("paths", {}).items():
                    for method, operation in item.items():
                        if method.upper() not in _METHODS:
                            continue
                        where = (prefix, method.upper(), path)
                        known.setdefault(f"{method.upper()} {path}", where)
                        if isinstance(operation, dict) and operation.get("operationId"):
                            known.setdefault(operation["operationId"], where)
            self._operations = found
        return self._operations

    def arm(self, request: FaultArm) -> FaultView:
        operations = self.operations()[request.service]
        name = request.operation.strip()
        method, _, template = name.partition(" ")
        where = operations.get(name) or operations.get(f"{method.upper()} {template.strip()}")
        if where is None:
            named = sorted(n for n in operations if " " not in n)
            raise Invalid(
                f"operation: {request.service} has no operation {name!r}; give an operationId"
                f" ({', '.join(named)}) or a method and path template"
            )
        prefix, method, template = where
        given = [what for what in ("error", "answer") if getattr(request, what) is not None]
        if request.drop:
            given.append("drop")
        if len(given) > 1:
            raise Invalid(
                f"{given[1]}: give one of error, answer and drop, not {' and '.join(given)}"
            )
        if not given and not request.latencyMs:
            raise Invalid("error: give error, answer, drop or latencyMs (what the fault does)")
        status: int | None = None
        body = b""
        body_for: Callable[[dict[str, str]], bytes] | None = None
        headers: list[tuple[bytes, bytes]] = []
        if request.error is not None:
            failure = self._failures[request.service].get(request.error)
            if failure is None:
                codes = ", ".join(sorted(self._failures[request.service]))
                raise Invalid(f"error: {request.service} documents no {request.error!r} ({codes})")
            render = _ERROR_MODULES[request.service].render
            status, body = failure.status, dumps(render(failure))
            if isinstance(failure, moi_errors.MoiError):
                body_for = _echoing_citizen_id(failure, render)
            headers = [(k.lower().encode(), v.encode()) for k, v in failure.headers.items()]
            headers.append((b"content-type", b"application/json"))
        elif request.answer is not None:
            answer = request.answer
            status = answer.status
            names = {k.lower() for k in answer.headers}
            if "content-length" in names or "transfer-encoding" in names:
                raise Invalid("answer.headers: the length of the body is Saphan's to say")
            headers = [(k.lower().encode(), v.encode()) for k, v in answer.headers.items()]
            if "body" in answer.model_fields_set and status in (204, 304):
                raise Invalid(f"answer.body: a {status} answer has no body")
            if "body" in answer.model_fields_set:
                body = dumps(answer.body)
                if "content-type" not in names:
                    headers.append((b"content-type", b"application/json"))
        fault = Fault(
            id=self.faults.new_id(),
            prefix=prefix,
            method=method,
            template=template,
            operation=name,
            remaining=request.times,
            caller=None if request.caller is None else self.faults.caller_digest(request.caller),
            delay=request.latencyMs / 1000,
            drop=request.drop,
            status=status,
            body=body,
            body_for=body_for,
            headers=headers,
            describe={
                "service": request.service,
                "operation": name,
                "method": method,
                "path": template,
                "scoped": request.caller is not None,
                "latencyMs": request.latencyMs,
                "drop": request.drop,
                "status": status,
                "error": request.error,
            },
        )
        self.faults.arm(fault)
        return view(fault)

    def list(self) -> list[FaultView]:
        return [view(fault) for fault in self.faults.all()]


def _echoing_citizen_id(
    failure: moi_errors.MoiError, render: Callable[[ServiceError], dict[str, Any]]
) -> Callable[[dict[str, str]], bytes]:
    """MOI echoes the CitizenID asked about in an error's ``id``, as its route does."""

    def body_for(params: dict[str, str]) -> bytes:
        error = copy.copy(failure)
        error.citizen_id = params.get("CitizenID", "")
        return dumps(render(error))

    return body_for


def view(fault: Fault) -> FaultView:
    fields: dict[str, Any] = {"id": fault.id, **fault.describe, "remaining": fault.remaining}
    return FaultView.model_validate(fields)
