"""The kiosk's HTTP client for the central server.

Blocking, built on one `requests.Session` (connection reuse). An instance belongs to one thread (the
sync thread, or the register adapter's runner thread); make one client per owner thread. National
numbers travel only in request bodies, never in a URL, and are never logged unmasked.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Final, Self, TypeVar

import requests
from pydantic import BaseModel, ValidationError

from hardware.national_number import mask_national_number
from offline_queue.errors import (
    CentralRejected,
    CentralUnauthorized,
    CentralUnavailable,
    NotInRegister,
)
from offline_queue.wire import (
    BatchAck,
    ErrorBody,
    ErrorCode,
    Heartbeat,
    HeartbeatAck,
    RecordBatch,
    RegisterExtractRequest,
    RegisterExtractResponse,
)

logger = logging.getLogger(__name__)

_Model = TypeVar("_Model", bound=BaseModel)

RECORDS_PATH: Final = "/api/v1/records"
REGISTER_EXTRACT_PATH: Final = "/api/v1/register/extract"
HEARTBEAT_PATH: Final = "/api/v1/heartbeat"
KIOSK_HEADER: Final = "X-Borne-Kiosk"
MAX_RETRY_AFTER_S: Final = 3600.0


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delay in seconds or an HTTP date)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER_S)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delay = (when - (now or datetime.now(tz=UTC))).total_seconds()
    return min(max(delay, 0.0), MAX_RETRY_AFTER_S)


class CentralClient:
    """Calls the central server's kiosk API; every failure is a typed `SyncError`."""

    def __init__(
        self,
        *,
        base_url: str,
        kiosk_id: str,
        token: str,
        timeout: float,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.kiosk_id = kiosk_id
        self._timeout = timeout
        self._session = session or requests.Session()
        self._session.headers.update(
            {
                "Authorization": f"Bearer {token}",
                KIOSK_HEADER: kiosk_id,
                "Accept": "application/json",
                "User-Agent": "borne-kiosk",
            }
        )

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- API -----------------------------------------------------------------------------------

    def post_records(self, batch: RecordBatch) -> BatchAck:
        """Deliver a batch; records the server already has come back as `duplicates`."""
        ack = self._post(RECORDS_PATH, batch, BatchAck)
        logger.info(
            "records delivered",
            extra={
                "batch_id": batch.batch_id,
                "accepted": len(ack.accepted),
                "duplicates": len(ack.duplicates),
            },
        )
        return ack

    def register_extract(self, national_number: str) -> RegisterExtractResponse:
        """The register's data on the resident's household; `NotInRegister` when unknown."""
        masked = mask_national_number(national_number)
        try:
            request = RegisterExtractRequest(national_number=national_number)
        except ValidationError as err:
            raise NotInRegister(
                "malformed national number",
                status=0,
                code=ErrorCode.INVALID_REQUEST.value,
                params={"national_number": masked},
            ) from err
        try:
            extract = self._post(REGISTER_EXTRACT_PATH, request, RegisterExtractResponse)
        except CentralRejected as err:
            if err.code == ErrorCode.NOT_IN_REGISTER.value:
                logger.info("not in register", extra={"national_number": masked})
                raise NotInRegister(
                    "not in the population register",
                    status=err.status,
                    code=err.code,
                    params={"national_number": masked},
                ) from err
            raise
        logger.info(
            "register extract received",
            extra={"national_number": masked, "members": len(extract.members)},
        )
        return extract

    def heartbeat(self, hb: Heartbeat) -> HeartbeatAck:
        return self._post(HEARTBEAT_PATH, hb, HeartbeatAck)

    # -- plumbing ------------------------------------------------------------------------------

    def _post(self, path: str, body: BaseModel, answer: type[_Model]) -> _Model:
        url = self.base_url + path
        try:
            response = self._session.post(
                url,
                data=body.model_dump_json().encode(),
                headers={"Content-Type": "application/json"},
                timeout=self._timeout,
            )
        except requests.Timeout as err:
            raise CentralUnavailable("central server timed out", params={"path": path}) from err
        except requests.RequestException as err:
            raise CentralUnavailable("central server unreachable", params={"path": path}) from err
        with response:
            if response.status_code >= 400:
                raise self._error(response, path)
            try:
                return answer.model_validate_json(response.content)
            except ValidationError as err:
                raise CentralUnavailable(
                    "unreadable answer from the central server",
                    params={"path": path, "status": str(response.status_code)},
                ) from err

    @staticmethod
    def _error(response: requests.Response, path: str) -> Exception:
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        params = {"path": path, "status": str(status)}
        try:
            code = ErrorBody.model_validate_json(response.content).code
        except ValidationError:
            code = ""
        logger.warning(
            "central server error",
            extra={"path": path, "status": status, "code": code, "retry_after": retry_after},
        )
        if status in (401, 403):
            return CentralUnauthorized(
                "central server refused the kiosk token", retry_after=retry_after, params=params
            )
        if status == 429 or status >= 500 or (status == 404 and not code):
            return CentralUnavailable(
                "central server unavailable", retry_after=retry_after, params=params
            )
        return CentralRejected(
            "central server rejected the request", status=status, code=code, params=params
        )
