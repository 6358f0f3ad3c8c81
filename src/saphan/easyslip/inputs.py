"""A verification request's body -> its one slip source and its options.

JSON bodies are validated whole by the route's model; multipart bodies carry ``image`` as a file
and the other fields as strings (``checkDuplicate=true``, ``matchAmount=250.00``), validated by
the same model. Exactly one source must be sent.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from decimal import Decimal
from email.message import Message
from typing import Literal, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from saphan.core.body import parse_json
from saphan.core.boundary import check_json, check_value
from saphan.core.errors import ServiceError, describe_validation
from saphan.easyslip.errors import ValidationFailed
from saphan.easyslip.logic.verify import Options
from saphan.easyslip.schemas import VerifyOptions

M = TypeVar("M", bound=BaseModel)
Kind = Literal["payload", "image", "base64", "url"]
#: A 4 MB image in base64 (5.6 MB) and the rest of the form.
MAX_BODY_BYTES = 6 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class SlipInput:
    kind: Kind
    text: str
    image: bytes
    options: Options


def _content_type(header: str | None) -> str:
    if not header:
        return "application/json"
    parsed = Message()
    parsed["content-type"] = header
    return parsed.get_content_type()


async def _form(body: bytes, headers: Headers) -> tuple[dict[str, str], bytes | None]:
    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    parser = MultiPartParser(
        headers, stream(), max_files=1, max_fields=20, max_part_size=MAX_BODY_BYTES
    )
    try:
        form = await parser.parse()
    except (MultiPartException, ValueError, KeyError) as exc:
        raise ValidationFailed(f"Malformed multipart body: {exc}") from exc
    fields: dict[str, str] = {}
    image: bytes | None = None
    try:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                if name != "image":
                    raise ValidationFailed(f"Unexpected file field {name}")
                image = await value.read()
            elif name == "image":
                raise ValidationFailed("image must be sent as a file")
            else:
                fields[name] = value
    finally:
        await form.close()
    return fields, image


def parse_body(model: type[M], body: bytes, content_type: str | None) -> M:
    """A JSON body of ``model``, every problem a VALIDATION_ERROR naming the field."""
    try:
        return parse_json(model, body, content_type)
    except ServiceError as exc:
        if exc.status == 415:
            raise ValidationFailed(
                "Content-Type must be application/json or multipart/form-data"
            ) from exc
        raise ValidationFailed(exc.message) from exc


def _options(model: VerifyOptions) -> Options:
    amount: Decimal | None = model.matchAmount
    return Options(
        remark=model.remark,
        match_account=bool(model.matchAccount),
        match_amount=amount,
    )


async def read_input(
    body: bytes,
    headers: Headers,
    model: type[VerifyOptions],
    sources: tuple[Kind, ...],
) -> SlipInput:
    """The request's one source (of ``sources``) and its options, or VALIDATION_ERROR."""
    content_type = _content_type(headers.get("content-type"))
    image: bytes | None = None
    if content_type == "multipart/form-data":
        fields, image = await _form(body, headers)
        check_value(fields)  # the input boundary's rule, for the form's text
        try:
            parsed = model.model_validate(fields)
        except ValidationError as exc:
            raise ValidationFailed(describe_validation(exc.errors())) from exc
    else:
        check_json(body)  # the input boundary (the request path's, for a body read here)
        parsed = parse_body(model, body, headers.get("content-type"))
    given = {name: getattr(parsed, name, None) for name in sources if name != "image"}
    given = {name: value for name, value in given.items() if value is not None}
    count = len(given) + (image is not None)
    if count != 1:
        raise ValidationFailed(_exactly_one(sources))
    options = _options(parsed)
    if image is not None:
        return SlipInput("image", "", image, options)
    [(kind, value)] = given.items()
    return SlipInput(kind, str(value), b"", options)


def _exactly_one(sources: tuple[Kind, ...]) -> str:
    names = list(sources)
    return f"You must provide exactly one of: {', '.join(names[:-1])}, or {names[-1]}"
