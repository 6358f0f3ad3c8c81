"""The input boundary, said in a service's OpenAPI document (issue 13 item 9).

``core.boundary`` refuses, in every request, text holding NUL, another C0 control character but
tab, line feed and carriage return, or an unpaired surrogate, in values and property names
alike. A document that says only ``"type": "string"`` promises that such text is accepted;
``say_text_rule`` makes every request schema say what the boundary takes:

* a string without a pattern, format or fixed values of its own gets ``TEXT_PATTERN``;
* an object gets ``propertyNames`` with ``TEXT_PATTERN``, and where it lets in properties it
  does not name (a pydantic model ignores them), those are ``JsonValue``: any JSON whose text
  keeps the same rule (a recursive schema in the components).

Surrogates need no pattern: a JSON document holds Unicode text, in which none is unpaired.
Response schemas are left as they are: the services write only what they stored.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

__all__ = ["JSON_VALUE", "TEXT_PATTERN", "say_text_rule"]

#: What ``core.boundary`` lets a text hold, as a JSON schema ``pattern``.
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"
JSON_VALUE = "JsonValue"
_REF = {"$ref": f"#/components/schemas/{JSON_VALUE}"}
_TEXT = {"type": "string", "pattern": TEXT_PATTERN}
_JSON_VALUE_SCHEMA: dict[str, Any] = {
    "description": "Any JSON value whose text (strings and property names) holds no control "
    "character but tab, line feed and carriage return",
    "anyOf": [
        _TEXT,
        {"type": "number"},
        {"type": "boolean"},
        {"type": "null"},
        {"type": "array", "items": _REF},
        {"type": "object", "propertyNames": _TEXT, "additionalProperties": _REF},
    ],
}
#: Keywords under which a schema holds schemas (lists or single).
_SUBSCHEMAS = ("anyOf", "oneOf", "allOf", "items", "prefixItems", "not")


def _walk(schema: Any) -> None:
    if not isinstance(schema, dict) or "$ref" in schema:
        return
    kind = schema.get("type")
    if kind == "string" and not {"pattern", "format", "enum", "const"} & schema.keys():
        schema["pattern"] = TEXT_PATTERN
    if kind == "object" or "properties" in schema:
        schema.setdefault("propertyNames", dict(_TEXT))
        extra = schema.get("additionalProperties", True)
        if extra is True:
            schema["additionalProperties"] = dict(_REF)
        else:
            _walk(extra)
    for value in schema.get("properties", {}).values():
        _walk(value)
    for key in _SUBSCHEMAS:
        sub = schema.get(key)
        for item in sub if isinstance(sub, list) else [sub]:
            _walk(item)


def _request_refs(document: dict[str, Any]) -> set[str]:
    """The component names request bodies and parameters use, directly or through others."""
    schemas = document.get("components", {}).get("schemas", {})
    found: set[str] = set()
    todo: list[Any] = []
    for path in document.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict):
                continue
            todo.extend(operation.get("parameters", []))
            todo.append(operation.get("requestBody", {}))
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in found and name in schemas:
                    found.add(name)
                    todo.append(schemas[name])
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return found


def say_text_rule(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with the boundary's text rule on every request schema (changed in place)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _request_refs(document):
        _walk(schemas[name])
    for path in document.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                _walk(parameter.get("schema"))
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _walk(media.get("schema"))
    schemas[JSON_VALUE] = _JSON_VALUE_SCHEMA
    return document


def document_text_rule(app: FastAPI) -> None:
    """Make ``app``'s OpenAPI document say the text rule (``say_text_rule``), built once."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if not app.openapi_schema:
            app.openapi_schema = say_text_rule(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
