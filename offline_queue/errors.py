"""Typed errors of the outbox and of the central client.

The exception type selects the recovery path:

* `CentralUnavailable` (network failure, timeout, 5xx, 429, unreadable answer): retry later, after
  `retry_after` seconds when the server said so.
* `CentralUnauthorized` (401/403): the kiosk's token is wrong; retry later, an operator must act.
* `CentralRejected` (any other 4xx): the request itself is wrong; resending it will not help.
* `NotInRegister`: the register has no resident with this national number (a normal outcome of
  the journey, shown to the resident).
"""

from __future__ import annotations

from collections.abc import Mapping

from hardware.errors import BorneError


class OutboxError(BorneError):
    """The local outbox database cannot be used (corrupt, newer schema, disk full...)."""

    translation_key = "error.outbox"


class SyncError(BorneError):
    """Talking to the central server failed. `retry_after` is in seconds, None when unknown."""

    translation_key = "error.sync"

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        translation_key: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, translation_key=translation_key, params=params)
        self.retry_after = retry_after


class CentralUnavailable(SyncError):
    translation_key = "error.central_unavailable"


class CentralUnauthorized(SyncError):
    translation_key = "error.central_unauthorized"


class CentralRejected(SyncError):
    """The server refused the request as invalid; `status` and `code` say why."""

    translation_key = "error.central_rejected"

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str,
        translation_key: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, translation_key=translation_key, params=params)
        self.status = status
        self.code = code


class NotInRegister(CentralRejected):
    translation_key = "error.not_in_register"


class CitizenProofRefused(CentralRejected):
    """The central did not accept the card's proof that its holder is at the kiosk."""

    translation_key = "error.citizen_proof_refused"
