"""Refusals as sentences: a request FastAPI cannot validate, or a path or method the API does not have, is
answered with one `detail` sentence that names what to change, never pydantic's list of errors."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

# At most this many problems are told; the rest are counted.
MAX_PROBLEMS = 5
# A value sent is quoted up to this many characters; a longer one is cut, with its length.
MAX_QUOTED_CHARS = 40
ERROR_SCHEMA = {
    "title": "Refusal",
    "type": "object",
    "properties": {"detail": {"type": "string", "title": "Detail", "description": "What to change, as a sentence."}},
    "required": ["detail"],
}
# A query parameter is always text; one that reads as a number is shown as the number it says.
_NUMBER = re.compile(r"-?[0-9]{1,20}(\.[0-9]{1,20})?")
_LOCATION_WORDS = {"header": "the {} header", "cookie": "the {} cookie"}
# pydantic error types -> what the value must be, where its own message says it less plainly.
_MUST_BE = {
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "decimal_parsing": "a decimal number",
    "uuid_parsing": "a UUID such as 123e4567-e89b-12d3-a456-426614174000",
    "uuid_type": "a UUID such as 123e4567-e89b-12d3-a456-426614174000",
    "date_parsing": "a date such as 2024-06-30",
    "date_from_datetime_parsing": "a date such as 2024-06-30",
    "datetime_parsing": "a date and time such as 2024-06-30T12:00:00Z",
    "datetime_from_date_parsing": "a date and time such as 2024-06-30T12:00:00Z",
    "string_type": "text",
    "string_unicode": "valid Unicode text (a lone surrogate such as \\ud800 cannot be stored)",
    "dict_type": "a JSON object",
    "model_type": "a JSON object",
    "model_attributes_type": "a JSON object",
    "list_type": "a list",
}


class SentenceJSONResponse(JSONResponse):
    """JSON that can always be sent: where the content holds a lone surrogate (a JSON string may say
    "\\ud800", which no UTF-8 can hold), its characters are written as \\u escapes instead."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode()


def add_request_error_handlers(app: FastAPI) -> None:
    """422 for a request that fails validation and 404/405 for an unknown path or method, each with a
    sentence; the OpenAPI document describes the 422 body as it is sent ({"detail": "..."})."""
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _unknown_path_or_method)
    app.openapi = _openapi_with_sentences(app, app.openapi)


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    return SentenceJSONResponse({"detail": validation_sentence(exc.errors(), request)}, status_code=422)


async def _unknown_path_or_method(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """Starlette's own 404 and 405 ("Not Found", "Method Not Allowed") as sentences; every other
    HTTPException keeps its detail."""
    if exc.status_code == 404 and exc.detail == "Not Found":
        exc = StarletteHTTPException(
            404, f"There is no {_quote(request.url.path)} in this API; its paths are listed at /docs.", exc.headers
        )
    elif exc.status_code == 405 and exc.detail == "Method Not Allowed":
        allowed = (exc.headers or {}).get("Allow", "")
        exc = StarletteHTTPException(
            405,
            f"{request.method} is not allowed on {_quote(request.url.path)}; use {allowed or 'another method'}.",
            exc.headers,
        )
    return await http_exception_handler(request, exc)


def _openapi_with_sentences(app: FastAPI, build):
    """FastAPI documents every 422 as its list of errors (HTTPValidationError); it is a sentence here."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            schemas = build().get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = ERROR_SCHEMA
                schemas.pop("ValidationError", None)
        return app.openapi_schema

    return openapi


def validation_sentence(errors: list[dict], request: Request | None = None) -> str:
    """One sentence per problem (at most MAX_PROBLEMS, the rest counted), each naming the parameter or
    body field, what it must be and what was sent, e.g. "max_workers must be between 1 and 64; you sent 0."."""
    sentences = [_problem(error, request) for error in errors[:MAX_PROBLEMS]]
    if len(errors) > MAX_PROBLEMS:
        sentences.append(f"And {len(errors) - MAX_PROBLEMS:,} more problems.")
    return " ".join(sentences) or "The request is not valid."


def _problem(error: dict, request: Request | None) -> str:
    kind, loc, ctx = error.get("type", ""), tuple(error.get("loc", ())), error.get("ctx") or {}
    if kind == "json_invalid":
        where = f" at character {loc[1]}" if len(loc) > 1 and isinstance(loc[1], int) else ""
        reason = ctx.get("error", "")
        return f"The request body is not valid JSON ({reason}{where}); send a JSON object."
    name = _name(loc)
    if kind == "missing":
        return f"{name} is required and was not sent; add it."
    if kind == "extra_forbidden":
        return f"{name} is not a known field; remove it."
    sent = f"; you sent {_quote(error.get('input'))}."
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than", "int_parsing_size"):
        return f"{name} must be {_range(error, request)}{sent}"
    if kind in ("literal_error", "enum"):
        return f"{name} must be one of {ctx.get('expected', '')}{sent}"
    if kind in ("string_too_long", "too_long"):
        unit = "characters" if kind == "string_too_long" else "items"
        return f"{name} must have at most {ctx.get('max_length')} {unit}{sent}"
    if kind in ("string_too_short", "too_short"):
        unit = "characters" if kind == "string_too_short" else "items"
        return f"{name} must have at least {ctx.get('min_length')} {unit}{sent}"
    if kind in _MUST_BE:
        return f"{name} must be {_MUST_BE[kind]}{sent}"
    message = str(error.get("msg", "is not valid"))
    if message.startswith("Input should be "):
        return f"{name} must be {message.removeprefix('Input should be ')}{sent}"
    return f"{name} is not valid ({message.removeprefix('Value error, ')}){sent}"


def _name(loc: tuple) -> str:
    """('query', 'max_workers') -> max_workers; ('body', 'files', 0, 'key') -> files[0].key;
    ('header', 'Idempotency-Key') -> the Idempotency-Key header; ('body',) -> the request body."""
    location, path = (loc[0], loc[1:]) if loc and loc[0] in ("query", "path", "header", "cookie", "body") else ("", loc)
    if not path:
        return "the request body" if location == "body" else "the request"
    name = ""
    for part in path:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            part = str(part)
            shown = part if part.replace("_", "").replace("-", "").isalnum() and len(part) <= 64 else _quote(part)
            name += f".{shown}" if name else shown
    return _LOCATION_WORDS.get(location, "{}").format(name)


def _range(error: dict, request: Request | None) -> str:
    """'between 1 and 64' where the parameter has both bounds, else the one pydantic checked."""
    ctx = error.get("ctx") or {}
    low, high = _bounds(error.get("loc", ()), request)
    if low is not None and high is not None:
        return f"between {low} and {high}"
    for key, words in (("ge", "at least"), ("gt", "greater than"), ("le", "at most"), ("lt", "less than")):
        if key in ctx:
            return f"{words} {ctx[key]}"
    return "a smaller whole number" if error.get("type") == "int_parsing_size" else "in range"


def _bounds(loc: tuple, request: Request | None) -> tuple[Any, Any]:
    """(ge, le) declared on the route's query, path or header parameter at loc; (None, None) if unknown."""
    route = request.scope.get("route") if request is not None else None
    dependant = getattr(route, "dependant", None)
    if dependant is None or len(loc) != 2:
        return None, None
    pending = [dependant]
    while pending:
        current = pending.pop()
        pending.extend(current.dependencies)
        for param in (*current.query_params, *current.path_params, *current.header_params):
            if param.alias == loc[1]:
                metadata = param.field_info.metadata
                low = next((m.ge for m in metadata if hasattr(m, "ge")), None)
                high = next((m.le for m in metadata if hasattr(m, "le")), None)
                return low, high
    return None, None


def _quote(value: Any) -> str:
    """The value as sent, quoted and escaped (control characters and lone surrogates as \\ escapes), cut
    to MAX_QUOTED_CHARS with its length where longer."""
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, default=str)
    elif value is None:
        return "nothing"
    elif isinstance(value, (str, int, float, bool)):
        text = value if isinstance(value, str) else json.dumps(value)
    else:
        return f"a {type(value).__name__}"
    if len(text) > MAX_QUOTED_CHARS:
        return f"{text[:MAX_QUOTED_CHARS]!r}… ({len(text):,} characters)"
    if isinstance(value, str) and not _NUMBER.fullmatch(value):
        return repr(text)
    return text if isinstance(value, (str, int, float, bool)) else repr(text)
