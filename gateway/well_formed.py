"""Input no route should ever see, refused once at the edge before routing, audit or any service.

- An address whose path is not UTF-8 or holds a control character (`%00`, `%0A`, `%FF`) names no page:
  404, before the audit log would try to record it.
- A query string, form field or JSON string holding a NUL character, or bytes that are not UTF-8: 422,
  naming each field (the OAuth token endpoint answers 400 `invalid_request`, as RFC 6749 asks).
- A JSON body nested deeper than `JSON_MAX_DEPTH`: 422 (its size is capped by `BodyLimit`, as every body).

Text that passes is exactly what the client sent; nothing is rewritten (no replacement characters).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.auth import authenticate
from gateway.deps import PAGE_NOT_FOUND, error_response
from gateway.security import read_body, replaying

# Deeper than any form's answers (a child inside a notification is 3 levels), far below Python's recursion.
JSON_MAX_DEPTH = 32
OAUTH_TOKEN_ROUTE = "/api/oauth/token"  # noqa: S105 - an address, not a secret
PROBLEM_DETAIL = "The request has problems: fix each one named"


@dataclass(frozen=True)
class Problem:
    """One thing to fix, in the shape every 422 body has."""

    field: str
    message: str
    type: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "type": self.type}


def nul_problem(field: str) -> Problem:
    return Problem(field, f"{field} contains a null character (NUL), which cannot be used: remove it", "nul")


def utf8_problem(field: str) -> Problem:
    return Problem(field, f"{field} has characters that could not be read: send it as UTF-8 text", "utf8")


def path_is_well_formed(raw_path: bytes) -> bool:
    """True if the percent-decoded path is UTF-8 without control characters."""
    try:
        path = unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in path)


def form_problems(encoded: bytes, *, source: str = "") -> list[Problem]:
    """The problems of an `application/x-www-form-urlencoded` body or a query string, field by field."""
    problems: dict[str, Problem] = {}
    for pair in encoded.split(b"&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition(b"=")
        name_bytes = unquote_to_bytes(raw_name.replace(b"+", b" "))
        value_bytes = unquote_to_bytes(raw_value.replace(b"+", b" "))
        field = source + name_bytes.decode("utf-8", errors="replace").replace("\x00", "").strip()
        field = field or f"{source}(a field without a name)"
        for part in (name_bytes, value_bytes):
            try:
                text = part.decode("utf-8")
            except UnicodeDecodeError:
                problems.setdefault(field, utf8_problem(field))
                continue
            if "\x00" in text:
                problems.setdefault(field, nul_problem(field))
    return list(problems.values())


def json_problems(body: bytes) -> list[Problem]:
    """The problems of a JSON body: not UTF-8, nested too deep, or a NUL in any key or string.

    A body that is not JSON at all is left to the route's own validation, which names it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return [Problem("body", "The body is not UTF-8: send the JSON encoded as UTF-8", "utf8")]
    try:
        document = json.loads(text)
    except RecursionError:
        return [_too_deep()]
    except ValueError:
        return []
    problems: dict[str, Problem] = {}
    stack: list[tuple[Any, str, int]] = [(document, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= JSON_MAX_DEPTH:
                return [_too_deep()]
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                child = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and "\x00" in key:
                    shown = child.replace("\x00", "")
                    problems.setdefault(shown, nul_problem(shown))
                stack.append((item, child, depth + 1))
        elif isinstance(value, str) and "\x00" in value:
            shown = path.replace("\x00", "") or "body"
            problems.setdefault(shown, nul_problem(shown))
    return sorted(problems.values(), key=lambda problem: problem.field)


def _too_deep() -> Problem:
    return Problem(
        "body", f"The JSON is nested more than {JSON_MAX_DEPTH} levels deep: send a flatter object", "depth"
    )


def multipart_problems(content_type: str, body: bytes) -> list[Problem]:
    """The problems of a `multipart/form-data` body's text fields (a file's bytes are its checker's to
    judge: a chronology file is read by its own, which names a NUL or an encoding by row)."""
    from python_multipart.multipart import MultipartParser, parse_options_header

    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        return [Problem("body", "The form has no multipart boundary: send it as a browser does", "multipart")]
    problems: dict[str, Problem] = {}
    part: dict[str, Any] = {}

    def on_part_begin() -> None:
        part.clear()
        part.update(header="", field=b"", headers={}, value=b"", is_file=False)

    def on_header_field(data: bytes, start: int, end: int) -> None:
        part["header"] += data[start:end].decode("latin-1")

    def on_header_value(data: bytes, start: int, end: int) -> None:
        part["headers"][part["header"].lower()] = (
            part["headers"].get(part["header"].lower(), b"") + data[start:end]
        )

    def on_header_end() -> None:
        part["header"] = ""

    def on_part_data(data: bytes, start: int, end: int) -> None:
        disposition = part["headers"].get("content-disposition", b"")
        if b"filename=" not in disposition:
            part["value"] += data[start:end][:100_000]

    def on_part_end() -> None:
        disposition = part["headers"].get("content-disposition", b"")
        if b"filename=" in disposition:
            return
        _, params = parse_options_header(disposition)
        name = params.get(b"name", b"").decode("utf-8", errors="replace").replace("\x00", "") or "(a field)"
        for raw in (params.get(b"name", b""), part["value"]):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                problems.setdefault(name, utf8_problem(name))
                continue
            if "\x00" in text:
                problems.setdefault(name, nul_problem(name))

    callbacks = {
        "on_part_begin": on_part_begin,
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_part_data": on_part_data,
        "on_part_end": on_part_end,
    }
    try:
        parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
        parser.write(body)
        parser.finalize()
    except Exception:
        return [Problem("body", "The form could not be read: send it again from the page", "multipart")]
    return list(problems.values())


def body_problems(content_type: str, body: bytes) -> list[Problem]:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        return form_problems(body)
    if media_type == "multipart/form-data":
        return multipart_problems(content_type, body)
    if media_type == "application/json" or media_type.endswith("+json"):
        return json_problems(body)
    return []


class WellFormedRequests:
    """ASGI middleware: refuse the malformed input above before any route, audit or service meets it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not path_is_well_formed(scope.get("raw_path") or scope["path"].encode()):
            await self._refuse(scope, receive, send, 404, [])
            return
        problems = form_problems(scope.get("query_string", b""), source="query parameter ")
        body: bytes | None = None
        if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            body = await read_body(receive)  # within BodyLimit: already capped and buffered
            if body is None:
                return
            headers = dict(scope.get("headers") or [])
            problems += body_problems(headers.get(b"content-type", b"").decode("latin-1"), body)
        if problems:
            await self._refuse(scope, receive, send, 422, problems)
            return
        await self.app(scope, receive if body is None else replaying(body, receive), send)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, status: int, problems: list[Problem]
    ) -> None:
        response = await refusal(Request(scope, receive), status, problems)
        await response(scope, receive, send)


async def refusal(request: Request, status: int, problems: list[Problem]) -> Response:
    """The answer to malformed input: OAuth's error for the token endpoint, else the app's own error page
    or JSON body (`detail`, and `problems` for a 422)."""
    if request.url.path == OAUTH_TOKEN_ROUTE and status == 422:
        return JSONResponse(
            {"error": "invalid_request", "error_description": "; ".join(p.message for p in problems)},
            status_code=400,
            headers={"Cache-Control": "no-store"},
        )
    # The error page shows who is signed in, as every page does.
    request.state.principal, _ = await run_in_threadpool(authenticate, request, touch=False)
    if status == 404:
        return error_response(request, 404, "Page not found", PAGE_NOT_FOUND)
    return error_response(
        request, status, "There is a problem", PROBLEM_DETAIL, [problem.as_dict() for problem in problems]
    )
