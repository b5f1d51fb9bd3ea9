"""What the central's OpenAPI document declares beyond the routes: every error answer, who may call.

- Every operation may answer with an `ErrorBody` for the statuses the server gives on bad input or
  a refusal (`ERROR_RESPONSES`, applied app-wide), so a client (and schemathesis) finds each answer
  documented. No 5xx is declared but 503, the clean answer of an unavailable database or an
  unconfigured verification.
- The bearer schemes of the kiosks (short-lived tokens from `/api/v1/auth/token`) and of the
  operators are declared, and each operation names the one `RequestGuard` enforces on it.
- Numbers that reach the database as row ids are bounded to what a BIGINT holds (`RowAfter`,
  `RowBefore`, `RowIdPath`): larger ones are a 422, never an overflow inside the driver.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Final

from fastapi import FastAPI, Path, Query
from fastapi.openapi.utils import get_openapi

from central.guard import GuardRule, Role
from offline_queue.wire import ErrorBody

MAX_ROW_ID: Final = 2**63 - 1
"""The largest id SQLite's INTEGER and PostgreSQL's BIGINT hold."""

RowAfter = Annotated[int, Query(ge=0, le=MAX_ROW_ID)]
RowBefore = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)]
RowIdPath = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]

_ERRORS: Final = {
    400: "malformed request (body, header or parameter)",
    401: "no valid bearer token for this route",
    403: "authenticated, but not allowed (another kiosk's data, a refused proof, a revoked kiosk)",
    404: "no such resource",
    405: "method not allowed on this path",
    409: "conflicts with the current state (a document id held by another kiosk, a used nonce)",
    413: "body larger than the route's limit",
    422: "a field or parameter fails validation (locations and kinds only, never the input)",
    429: "rate limit reached; see Retry-After",
    503: "database unavailable, the service not configured or the mail server unavailable",
}
ERROR_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    status: {"model": ErrorBody, "description": text} for status, text in _ERRORS.items()
}

_SCHEMES: Final = {
    Role.KIOSK: (
        "kioskToken",
        "a kiosk's short-lived token, from POST /api/v1/auth/token signed with its enrolled key",
    ),
    Role.OPERATOR: ("operatorToken", "the operators' API token (BORNE_CENTRAL_OPERATOR_TOKEN)"),
}


def install_openapi(app: FastAPI, rules: Mapping[tuple[str, str], GuardRule]) -> None:
    """Make `app.openapi()` declare the bearer schemes and, per operation, the one it needs."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, routes=app.routes, description=app.description
        )
        components = schema.setdefault("components", {})
        components["securitySchemes"] = {
            name: {"type": "http", "scheme": "bearer", "description": text}
            for name, text in _SCHEMES.values()
        }
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                rule = rules.get((method.upper(), path))
                if rule is not None and rule.role is not None:
                    operation["security"] = [{_SCHEMES[rule.role][0]: []}]
                else:
                    operation["security"] = []
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
