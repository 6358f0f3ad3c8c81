"""The input boundary: what no value a request carries may hold, checked once for every service.

The rule (docs/architecture.md, "The input boundary"):

* **Text** -- every JSON string and property name, every path segment, every query name and
  value, every line of a text or CSV body -- holds no NUL, no other C0 control character but
  tab, line feed and carriage return, and no unpaired surrogate (``"\\ud800"``). PostgreSQL
  cannot store NUL at all, orjson cannot write a lone surrogate back, and no provider's field
  means a control character (in a name shown in a terminal, ESC is an attack).
* **Numbers** -- no JSON number has a run of more than ``MAX_DIGITS`` digits (its integer part,
  fraction or exponent). No column holds one (the widest is ``Numeric(18, 4)``), and past 4,300
  digits Python itself refuses to read the integer.

A value that breaks the rule is a 400 (``InvalidInput``) in the service's own envelope, naming
the field (``vouchers[3].voucherCode``, ``Keyword``, ``line 7``), before any database sees it.

**Names** -- what an operator or a caller names something that is shown in tables and
terminals (a DP, a client system, an application, a branch, an account, a person) -- are one
line: ``NameText`` refuses every control character (C0 with tab and newlines, DEL, C1) and the
bidirectional embedding, override and isolate characters (U+202A-U+202E, U+2066-U+2069), which
can make a name display as another. That check belongs to a field, so the models use it;
everything else here applies to every value.

Where it runs: the URL when the request reaches its service (``core.plain_routes`` for the
providers' APIs, ``core.admin``'s middleware for the operator APIs), before the caller is
identified, as routing is; the body once the caller is (``RequestPath.body``, the operator
middleware once the token is right), so a bad key is 401 whatever the body holds.

What it costs a valid request: a handful of byte-string scans (``in`` on the raw body, one
``translate``); values are only walked when a scan finds an escape or a digit run that could
break the rule, and then the body is read once more by the standard library.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import parse_qsl

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema
from starlette.routing import BaseRoute, compile_path
from starlette.types import Scope

from saphan.core.errors import ServiceError

__all__ = [
    "MAX_DIGITS",
    "NAME_PATTERN",
    "InvalidInput",
    "Loads",
    "NameText",
    "UrlCheck",
    "check_body",
    "check_json",
    "check_text",
    "check_value",
    "is_name_text",
    "name_text",
    "route_templates",
]

#: The longest run of digits a JSON number may have.
MAX_DIGITS = 100

NUL = "Must not contain NUL characters"
CONTROL = "Must not contain control characters"
SURROGATE = "Must not contain unpaired surrogates"
LONG_NUMBER = f"A number must have at most {MAX_DIGITS} digits"
NAME = "Control characters are not allowed"

#: What no text may hold: NUL, C0 controls but tab/LF/CR, unpaired surrogates.
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_REFUSED_BYTES = re.compile(b"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: A surrogate written straight into UTF-8 (CESU-8): Python's ``json.loads(bytes)`` reads it.
_RAW_SURROGATE = re.compile(b"\xed[\xa0-\xbf]")
#: What no name may hold besides: every control character, and the bidi controls that reorder.
_NAME_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: The same, as a JSON schema ``pattern``.
NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
#: Digits -> "0", to find a long run of them with one substring search.
_DIGITS = bytes.maketrans(b"123456789", b"000000000")
_LONG_RUN = b"0" * (MAX_DIGITS + 1)
_RUNS = re.compile(r"\d+")

#: ``json.loads``'s signature: how a service reads its JSON (Rakmao's tolerates trailing commas).
Loads = Callable[..., Any]


class InvalidInput(ServiceError):
    """A value the boundary refuses; every service renders it in its envelope."""

    status = 400
    code = "BAD_REQUEST"
    message = "Bad request"


# -- text -----------------------------------------------------------------------------------------


def _text_problem(text: str) -> str | None:
    found = _REFUSED.search(text)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return NUL
    return SURROGATE if "\ud800" <= char <= "\udfff" else CONTROL


def _shown(name: str) -> str:
    """A property or parameter name fit to print: refused characters escaped, at most 100."""
    shown = _REFUSED.sub(lambda m: f"\\u{ord(m.group()):04x}", name)
    return shown if len(shown) <= 100 else shown[:100] + "..."


def _refuse(message: str, field: str) -> InvalidInput:
    return InvalidInput(f"{message} ({field})" if field else message)


def name_text(value: str) -> str:
    """A name's own check; see the module docstring."""
    if _NAME_REFUSED.search(value) is not None:
        raise PydanticCustomError("name_characters", NAME)
    return value


def is_name_text(value: str) -> bool:
    return _NAME_REFUSED.search(value) is None


class _NameText:
    """``Annotated[str, NameText]``: ``name_text`` checks the value, and the JSON schema says
    the same with a ``pattern`` (unless the field has a pattern of its own)."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(name_text, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.setdefault("pattern", NAME_PATTERN)
        return json_schema


NameText = _NameText()


# -- parsed values --------------------------------------------------------------------------------


class _LongNumber:
    """What a number literal past ``MAX_DIGITS`` is read as, so the walk can name its field."""


_LONG = _LongNumber()


def _number(literal: str) -> object:
    if len(literal) > MAX_DIGITS and max(map(len, _RUNS.findall(literal))) > MAX_DIGITS:
        return _LONG
    return 0


def _zero(_literal: str) -> int:
    return 0


def _join(path: str, part: int | str) -> str:
    if isinstance(part, int):
        return f"{path}[{part}]"
    return f"{path}.{part}" if path else part


def check_value(value: Any, field: str = "") -> None:
    """Raise ``InvalidInput`` for the first text or number in ``value`` (parsed JSON, or a
    form's fields: property names too) that breaks the rule, naming where it is."""
    stack: list[tuple[str, Any]] = [(field, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            problem = _text_problem(item)
            if problem is not None:
                raise _refuse(problem, path)
        elif item is _LONG:
            raise _refuse(LONG_NUMBER, path)
        elif isinstance(item, dict):
            children: list[tuple[str, Any]] = []
            for key, child in item.items():
                name = _join(path, _shown(str(key)))
                if isinstance(key, str) and (problem := _text_problem(key)) is not None:
                    raise _refuse(problem, name)
                children.append((name, child))
            stack.extend(reversed(children))
        elif isinstance(item, list | tuple):
            stack.extend(reversed([(_join(path, i), child) for i, child in enumerate(item)]))


# -- bodies ---------------------------------------------------------------------------------------


def _suspect(body: bytes) -> bool:
    """Whether the raw JSON could break the rule: an escape of a control character or a
    surrogate, a surrogate written raw, or a run of digits too long for a number."""
    if b"\\" in body and (
        b"\\u00" in body or b"\\ud" in body or b"\\uD" in body or b"\\b" in body or b"\\f" in body
    ):
        return True
    if b"\xed" in body and _RAW_SURROGATE.search(body) is not None:
        return True
    return len(body) > MAX_DIGITS and _LONG_RUN in body.translate(_DIGITS)


def check_json(body: bytes, loads: Loads = json.loads) -> None:
    """A JSON body: raise ``InvalidInput`` for a value that breaks the rule. A body that does
    not parse is left to the service's parser, which says what is wrong with it."""
    if not _suspect(body):
        return
    try:
        text = body.decode("utf-8-sig", "surrogatepass")
        value = loads(text, parse_int=_number, parse_float=_number, parse_constant=_zero)
    except (ValueError, RecursionError):
        return
    check_value(value)


def check_text(body: bytes) -> None:
    """A text or CSV body: no NUL or control character but tab and line ends, on any line."""
    found = _REFUSED_BYTES.search(body)
    if found is None and (body.isascii() or _RAW_SURROGATE.search(body) is None):
        return
    at = found.start() if found is not None else _first_surrogate(body)
    line = body.count(b"\n", 0, at) + 1
    problem = NUL if found is not None and found.group() == b"\x00" else None
    if problem is None:
        problem = CONTROL if found is not None else SURROGATE
    raise _refuse(problem, f"line {line}")


def _first_surrogate(body: bytes) -> int:
    found = _RAW_SURROGATE.search(body)
    return found.start() if found is not None else 0


def check_body(body: bytes, content_type: str | None, loads: Loads = json.loads) -> None:
    """The body by its Content-Type: text (``text/*``) line by line, multipart left to the
    form's reader (its fields go through ``check_value``), anything else as JSON (a service
    answers 415 for what it does not take)."""
    if content_type is None or content_type.startswith("application/json"):
        check_json(body, loads)
        return
    kind = content_type.lstrip()[:10].lower()
    if kind.startswith("text/"):
        check_text(body)
    elif not kind.startswith("multipart/"):
        check_json(body, loads)


# -- the URL --------------------------------------------------------------------------------------


class UrlCheck:
    """A service's URL check: its path parameters and query, named as its routes name them.

    ``suspect`` is the cheap test every request takes; ``problem`` the full one."""

    def __init__(self, routes: Callable[[], Iterable[tuple[str, frozenset[str]]]]) -> None:
        #: The service's route templates and their methods (read when first needed: routes
        #: are added after the check is made).
        self._routes = routes
        self._patterns: list[tuple[re.Pattern[str], frozenset[str]]] | None = None

    @staticmethod
    def suspect(scope: Scope) -> bool:
        query: bytes = scope.get("query_string", b"")
        return not scope["path"].isprintable() or b"%0" in query or b"%1" in query

    def problem(self, scope: Scope) -> InvalidInput | None:
        if not self.suspect(scope):
            return None
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        if _text_problem(path) is not None:
            params = self._params(path, scope["method"])
            for name, value in params.items():
                if (problem := _text_problem(value)) is not None:
                    return _refuse(problem, name)
            return _refuse(_text_problem(path) or CONTROL, "path")
        query = scope.get("query_string", b"").decode("latin-1")
        for name, value in parse_qsl(query, keep_blank_values=True):
            if (problem := _text_problem(name)) is not None:
                return _refuse(problem, _shown(name))
            if (problem := _text_problem(value)) is not None:
                return _refuse(problem, _shown(name))
        return None

    def _params(self, path: str, method: str) -> dict[str, str]:
        """The path parameters of the route the path names (of one serving ``method`` first,
        as ``/Buyer/{OrgId}`` and ``/Buyer/{PoId}`` differ only by their methods)."""
        if self._patterns is None:
            self._patterns = [
                (compile_path(template)[0], methods) for template, methods in self._routes()
            ]
        found: dict[str, str] | None = None
        for pattern, methods in self._patterns:
            match = pattern.match(path)
            if match is not None and method in methods:
                return match.groupdict()
            if match is not None and found is None:
                found = match.groupdict()
        return found or {}


def route_templates(
    routes: Sequence[BaseRoute], prefix: str = ""
) -> Iterator[tuple[str, frozenset[str]]]:
    """Every route's full template and methods, through routers included with a prefix."""
    for route in routes:
        included = getattr(route, "original_router", None)
        context = getattr(route, "include_context", None)
        if included is not None and context is not None:
            yield from route_templates(included.routes, prefix + (context.prefix or ""))
        elif getattr(getattr(route, "endpoint", None), "refusal", False):
            continue  # core.allow.concrete_first's 405 for a concrete path: serves nothing
        elif isinstance(getattr(route, "path", None), str):
            methods = frozenset(getattr(route, "methods", None) or ())
            yield prefix + route.path, methods  # type: ignore[attr-defined]
