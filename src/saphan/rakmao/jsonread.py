"""Request bodies read the way Rakmao's own JSON reader evidently reads them.

The spec's examples end arrays and objects with a trailing comma (``{ ... }, ] }``) and mix the
casing of property names (``ActionBy``/``ActionByType``), so:

* ``tolerant_loads`` parses with the standard library, numbers with a fraction as exact
  ``Decimal``, without the commas that close an array or object (never one inside a string);
* ``canonical_keys`` renames property names, matched case-insensitively, to a model's own.

A missing comma is still an error: the examples that lack one are errors in the document.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any, get_args, get_origin

from pydantic import AliasChoices, BaseModel

#: What the trailing-comma pass finds, left to right: a string (group 1, kept whole; one that is
#: never closed runs to the end, so nothing after its opening quote is looked at twice), or a
#: comma after a value (not after ``[``, ``{`` or another comma) with only whitespace between
#: it and the bracket it closes (dropped; the whitespace before it, group 2, is kept).
#: Possessive quantifiers: nothing backtracks, so each character is looked at a bounded number
#: of times.
_STRING_OR_TRAILING_COMMA = re.compile(
    r'("[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z))'
    r"|(?<=[^ \t\r\n\[{,])([ \t\r\n]*+),(?=[ \t\r\n]*+[\]}])",
    re.DOTALL,
)
_WHITESPACE = " \t\r\n"


class MalformedJSON(ValueError):
    pass


def strip_trailing_commas(text: str) -> str:
    """``[1, 2, ]`` -> ``[1, 2 ]``; strings, and commas with nothing before them, untouched.

    One pass of the regular expression engine, and the pieces joined in C (``re.split`` keeps
    the groups: the strings and the whitespace, ``None`` where a group did not take part): no
    Python code runs per string or comma, so hostile input (a megabyte of quotes, commas or
    empty strings) costs tens of milliseconds, not seconds."""
    return "".join(filter(None, _STRING_OR_TRAILING_COMMA.split(text)))


#: Commas removed one at a time where the parser stops at them, at most this many, before the
#: whole text is scanned for them at once (each such removal costs a parse of the text).
_ONE_AT_A_TIME = 4


def _trailing_comma_before(text: str, at: int) -> int | None:
    """Where the comma is that closes an array or object just before ``at`` (where a parser
    stopped at the bracket after it), if that is what made it stop; the parser stood outside
    any string there, so the comma is one."""
    if at >= len(text) or text[at] not in "]}":
        return None
    comma = at - 1
    while comma >= 0 and text[comma] in _WHITESPACE:
        comma -= 1
    if comma < 0 or text[comma] != ",":
        return None
    before = comma - 1
    while before >= 0 and text[before] in _WHITESPACE:
        before -= 1
    if before < 0 or text[before] in "[{,":  # "[,]" stays an error
        return None
    return comma


def _tolerant(text: str, loads: Callable[[str], Any]) -> Any:
    """``loads(text)``, without the commas that close an array or object: a body copied from
    the spec has one or two, each found where the parser stops (no scan of the whole text);
    past a few, one pass of ``strip_trailing_commas`` removes them all."""
    attempt = text
    for _ in range(_ONE_AT_A_TIME):
        try:
            return loads(attempt)
        except json.JSONDecodeError as exc:
            comma = _trailing_comma_before(attempt, exc.pos)
            if comma is None:
                break
            attempt = attempt[:comma] + attempt[comma + 1 :]
    return loads(strip_trailing_commas(text))


def _refuse_constant(name: str) -> Any:
    raise MalformedJSON(f"{name} is not a JSON number")


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)


def lenient_loads(text: str, **hooks: Any) -> Any:
    """``json.loads`` with the same tolerance (``hooks``: its keyword arguments), for the input
    boundary (``core.boundary``) to read a body as this reader does."""
    return _tolerant(text, lambda attempt: json.loads(attempt, **hooks))


def tolerant_loads(body: bytes) -> Any:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedJSON("the body is not UTF-8") from exc
    try:
        return _tolerant(text, _loads)
    except json.JSONDecodeError as exc:
        # "Unterminated string starting at": the position is where the string starts
        what = exc.msg.removesuffix(" at")
        raise MalformedJSON(f"{what} at line {exc.lineno} column {exc.colno}") from exc
    except RecursionError as exc:
        raise MalformedJSON("nested too deeply") from exc
    except MalformedJSON:
        raise
    except ValueError as exc:  # an integer past Python's 4,300-digit conversion limit (the
        # input boundary refuses one first, naming its field; the authen string's JSON is not
        # a request body)
        raise MalformedJSON("a number has too many digits") from exc


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside ``list[Model]``, ``Model | None`` and the like."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) is not None:
        for arg in get_args(annotation):
            found = _nested_model(arg)
            if found is not None:
                return found
    return None


@cache
def _names(model: type[BaseModel]) -> dict[str, tuple[str, type[BaseModel] | None]]:
    """Lower-cased spelling -> (the model's own spelling, the nested model if any)."""
    names: dict[str, tuple[str, type[BaseModel] | None]] = {}
    for name, field in model.model_fields.items():
        nested = _nested_model(field.annotation)
        for spelling in (name, field.alias):
            if spelling:
                names[spelling.lower()] = (field.alias or name, nested)
        if isinstance(field.validation_alias, AliasChoices):
            for choice in field.validation_alias.choices:
                if isinstance(choice, str):
                    names[choice.lower()] = (choice, nested)
    return names


def canonical_keys(data: Any, model: type[BaseModel]) -> Any:
    """``data`` with each object's property names spelled as ``model`` spells them (its
    aliases), matched case-insensitively, recursively into nested models. Unknown names stay."""
    if not isinstance(data, dict):
        return data
    names = _names(model)
    out: dict[str, Any] = {}
    for key, value in data.items():
        wire, nested = names.get(key.lower(), (key, None)) if isinstance(key, str) else (key, None)
        if nested is not None:
            if isinstance(value, list):
                value = [canonical_keys(v, nested) for v in value]
            else:
                value = canonical_keys(value, nested)
        if wire in out and wire != key:
            continue  # the exact spelling wins over a differently cased duplicate
        out[wire] = value
    return out
