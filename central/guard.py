"""The outer layer of the central server: authentication and body limits before any body is read.

`RequestGuard` is a plain ASGI middleware in front of the routes. For each protected route it
checks the bearer token from the headers alone, and it refuses a body larger than the route's limit
from its `Content-Length` (413) or, for a body sent without one, as soon as the bytes read pass the
limit. So a stranger cannot make the server read (or parse) a large body, and a kiosk cannot make
it read more than a batch may hold. Answers are `ErrorBody` JSON documents.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Final

from starlette.exceptions import HTTPException
from starlette.requests import Request

from central.errors import Refusal
from offline_queue.wire import ErrorBody, ErrorCode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_MAX_BODY_BYTES: Final = 1024 * 1024
"""A batch of 500 records with their documents fits in well under a megabyte."""


PRINCIPAL_KEY: Final = "borne_principal"
"""Where the guard leaves who called (in the request's state) for the routes."""


def principal_of(request: Request) -> str:
    """Who called the route, as the guard authenticated them (a kiosk id or an operator name).

    The guard lets no unauthenticated call reach a protected route; a route served without its
    rule is refused here rather than answered for nobody."""
    principal = getattr(request.state, PRINCIPAL_KEY, None)
    if not isinstance(principal, str):
        raise Refusal(status=401, code=ErrorCode.UNAUTHORIZED, message="invalid bearer token")
    return principal


class Role(enum.Enum):
    KIOSK = "kiosk"
    OPERATOR = "operator"


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardRule:
    role: Role | None
    max_body_bytes: int


def _json_answer(
    status: int, code: ErrorCode, message: str
) -> tuple[list[tuple[bytes, bytes]], bytes]:
    body = json.dumps(ErrorBody(code=code.value, message=message).model_dump(mode="json")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    return headers, body


async def _answer(send: Send, status: int, code: ErrorCode, message: str) -> None:
    headers, body = _json_answer(status, code, message)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _bearer(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else ""
    return ""


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return -1
    return None


class RequestGuard:
    """ASGI middleware: route rules by (method, path); per role, a function from bearer token to
    principal (None: refused). Only headers are looked at before the route runs."""

    def __init__(
        self,
        app: App,
        *,
        rules: dict[tuple[str, str], GuardRule],
        authenticators: dict[Role, Callable[[str], str | None]],
        default_max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self._app = app
        self._rules = {key: rule for key, rule in rules.items() if "{" not in key[1]}
        self._templates = [
            (method, _template(path), rule) for (method, path), rule in rules.items() if "{" in path
        ]
        self._authenticators = authenticators
        self._default = GuardRule(role=None, max_body_bytes=default_max_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        rule = self._rule(scope["method"], scope["path"])
        if rule.role is not None:
            presented = _bearer(scope)
            principal = self._authenticators[rule.role](presented) if presented else None
            if principal is None:
                await _answer(send, 401, ErrorCode.UNAUTHORIZED, "invalid bearer token")
                return
            scope.setdefault("state", {})[PRINCIPAL_KEY] = principal
        declared = _content_length(scope)
        if declared is not None and (declared < 0 or declared > rule.max_body_bytes):
            status = 400 if declared < 0 else 413
            code = ErrorCode.INVALID_REQUEST if declared < 0 else ErrorCode.TOO_LARGE
            await _answer(send, status, code, f"body larger than {rule.max_body_bytes} bytes")
            return
        await self._app(scope, _capped(receive, rule.max_body_bytes), send)

    def _rule(self, method: str, path: str) -> GuardRule:
        rule = self._rules.get((method, path))
        if rule is not None:
            return rule
        for rule_method, pattern, templated in self._templates:
            if rule_method == method and pattern.fullmatch(path):
                return templated
        return self._default


def _template(path: str) -> re.Pattern[str]:
    """`/api/v1/kiosks/{kiosk_id}/config` → a pattern where each `{…}` is one path segment."""
    parts = re.split(r"\{[^/{}]+\}", path)
    return re.compile("[^/]+".join(re.escape(part) for part in parts))


def _capped(receive: Receive, limit: int) -> Receive:
    read = 0

    async def capped_receive() -> Message:
        nonlocal read
        message = await receive()
        if message["type"] == "http.request":
            read += len(message.get("body", b""))
            if read > limit:
                raise HTTPException(status_code=413, detail=f"body larger than {limit} bytes")
        return message

    return capped_receive
