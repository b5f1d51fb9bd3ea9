"""The kiosk's HTTP client for the central server.

Blocking, built on one `requests.Session` (connection reuse). An instance belongs to one thread (the
sync thread, or the register adapter's runner thread); make one client per owner thread. National
numbers travel only in request bodies, never in a URL, and are never logged unmasked.

An enrolled kiosk authenticates with its own key (`KioskKey`): the client asks for a short-lived
token with a signed request (`AuthRequest`, fresh nonce and timestamp), uses it until shortly
before it expires, and asks again after a 401. Without a key it sends the fleet's shared token.
"""

from __future__ import annotations

import base64
import logging
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from typing import Final, Self, TypeVar

import requests
from pydantic import BaseModel, ValidationError

from hardware.eid.model import CitizenProof
from hardware.national_number import mask_national_number
from offline_queue import wire_logs
from offline_queue.errors import (
    CentralRejected,
    CentralUnauthorized,
    CentralUnavailable,
    CitizenProofRefused,
    NotInRegister,
)
from offline_queue.kiosk_key import KioskKey as KioskKey  # noqa: PLC0414 - importable here too
from offline_queue.kiosk_key import SoftwareKioskKey as SoftwareKioskKey  # noqa: PLC0414
from offline_queue.kiosk_key import signed_auth_request as signed_auth_request  # noqa: PLC0414
from offline_queue.wire import (
    AuthToken,
    BatchAck,
    CitizenChallenge,
    CitizenProofWire,
    CitizenRequests,
    CitizenRequestsRequest,
    CommandResult,
    ConfigReport,
    DocumentEmailAck,
    DocumentEmailRequest,
    EnrollmentRequest,
    EnrollmentState,
    EnrollmentStatus,
    ErrorBody,
    ErrorCode,
    Heartbeat,
    HeartbeatAck,
    KioskConfigDocument,
    LogUpload,
    LogUploadAck,
    RecordBatch,
    RegisterExtractRequest,
    RegisterExtractResponse,
    StaffAuditAck,
    StaffAuditBatch,
    StaffProofAck,
    StaffProofRequest,
)
from offline_queue.wire_citizen import STAFF_PROOF_PATH

logger = logging.getLogger(__name__)

_Model = TypeVar("_Model", bound=BaseModel)

RECORDS_PATH: Final = "/api/v1/records"
REGISTER_EXTRACT_PATH: Final = "/api/v1/register/extract"
HEARTBEAT_PATH: Final = "/api/v1/heartbeat"
CITIZEN_CHALLENGE_PATH: Final = "/api/v1/citizen/challenge"
ENROLL_PATH: Final = "/api/v1/enroll"
AUTH_TOKEN_PATH: Final = "/api/v1/auth/token"  # noqa: S105 (a path)
CONFIG_PATH: Final = "/api/v1/kiosks/{kiosk_id}/config"
CONFIG_REPORT_PATH: Final = "/api/v1/kiosks/{kiosk_id}/config/report"
COMMAND_RESULT_PATH: Final = "/api/v1/commands/{command_id}/result"
STAFF_AUDIT_PATH: Final = "/api/v1/staff-audit"
DOCUMENT_EMAIL_PATH: Final = "/api/v1/documents/{document_id}/email"
CITIZEN_REQUESTS_PATH: Final = "/api/v1/citizens/requests"
LOGS_PATH: Final = wire_logs.LOGS_PATH
TOKEN_RENEW_MARGIN_S: Final = 60.0
KIOSK_HEADER: Final = "X-Borne-Kiosk"
MAX_RETRY_AFTER_S: Final = 3600.0
_PROOF_CODES: Final = frozenset({ErrorCode.PROOF_REQUIRED.value, ErrorCode.PROOF_REFUSED.value})


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


class _Empty(BaseModel):
    """A request without content."""


def proof_to_wire(proof: CitizenProof, *, nonce: str) -> CitizenProofWire:
    """The card's citizen proof over `nonce` (hex, as the central issued it) for the wire."""
    return CitizenProofWire(
        nonce=nonce,
        signature=base64.b64encode(proof.signature).decode(),
        certificate=base64.b64encode(proof.certificate).decode(),
        ca_certificate=base64.b64encode(proof.ca_certificate).decode(),
        applet_version=proof.applet_version,
    )


class CentralClient:
    """Calls the central server's kiosk API; every failure is a typed `SyncError`."""

    def __init__(
        self,
        *,
        base_url: str,
        kiosk_id: str,
        token: str = "",
        timeout: float,
        session: requests.Session | None = None,
        key: KioskKey | None = None,
        ca_file: Path | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.kiosk_id = kiosk_id
        self._timeout = timeout
        self._session = session or requests.Session()
        self._key = key
        self._token = token
        # pin the central's CA (passed with each request: the environment's bundle cannot win)
        self._verify: str | bool = str(ca_file) if ca_file is not None else True
        self._token_renew_at = float("inf") if key is None else 0.0
        self._session.headers.update(
            {
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

    def post_staff_audit(self, batch: StaffAuditBatch) -> StaffAuditAck:
        """Deliver staff audit events; the central checks their chain on arrival."""
        ack = self._post(STAFF_AUDIT_PATH, batch, StaffAuditAck)
        logger.info(
            "staff audit delivered",
            extra={"events": len(batch.events), "chain_ok": ack.chain_ok},
        )
        return ack

    def post_logs(self, upload: LogUpload) -> LogUploadAck:
        """Deliver the kiosk's redacted logs (the central refuses any holding a national number)."""
        ack = self._post(LOGS_PATH, upload, LogUploadAck)
        logger.info("logs delivered", extra={"lines": upload.lines, "upload_id": ack.upload_id})
        return ack

    def citizen_challenge(self) -> CitizenChallenge:
        """A single-use nonce for the resident's card to sign (the central's proof of presence)."""
        return self._post(CITIZEN_CHALLENGE_PATH, _Empty(), CitizenChallenge)

    def register_extract(
        self, national_number: str, proof: CitizenProofWire | None = None
    ) -> RegisterExtractResponse:
        """The register's data on the resident's household; `NotInRegister` when unknown.

        The central answers only with `proof`, the card's signature over a fresh challenge.
        """
        masked = mask_national_number(national_number)
        try:
            request = RegisterExtractRequest(national_number=national_number, proof=proof)
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
        except CentralUnauthorized as err:
            refused = _proof_refused(err, masked)
            if refused is not None:
                raise refused from err
            raise
        logger.info(
            "register extract received",
            extra={"national_number": masked, "members": len(extract.members)},
        )
        return extract

    def staff_proof(self, national_number: str, proof: CitizenProofWire) -> None:
        """A staff card's proof at the maintenance login; the central does not ask the register.

        Raises `CitizenProofRefused` when the central refuses the proof."""
        request = StaffProofRequest(national_number=national_number, proof=proof)
        try:
            self._post(STAFF_PROOF_PATH, request, StaffProofAck)
        except CentralUnauthorized as err:
            refused = _proof_refused(err, mask_national_number(national_number))
            if refused is not None:
                raise refused from err
            raise

    def email_document(self, document_id: str, *, address: str, language: str, pdf: bytes) -> None:
        """Have the central mail this sealed PDF to `address` (never logged, not kept there)."""
        request = DocumentEmailRequest.model_validate(
            {"address": address, "language": language, "pdf": base64.b64encode(pdf).decode()}
        )
        self._post(DOCUMENT_EMAIL_PATH.format(document_id=document_id), request, DocumentEmailAck)
        logger.info("document mailed", extra={"document_id": document_id})

    def citizen_requests(self, national_number: str, proof: CitizenProofWire) -> CitizenRequests:
        """The documents the resident obtained, against the card's proof over a fresh nonce."""
        request = CitizenRequestsRequest(national_number=national_number, proof=proof)
        return self._post(CITIZEN_REQUESTS_PATH, request, CitizenRequests)

    def heartbeat(self, hb: Heartbeat) -> HeartbeatAck:
        return self._post(HEARTBEAT_PATH, hb, HeartbeatAck)

    def fetch_config(self, *, etag: str) -> KioskConfigDocument | None:
        """This kiosk's configuration document; None when the central answers 304 (unchanged).

        The document holds the staff allow-list's national numbers: it is never logged.
        """
        path = CONFIG_PATH.format(kiosk_id=self.kiosk_id)
        headers = {"If-None-Match": f'"{etag}"'} if etag else {}
        response = self._call("GET", path, headers=headers, body=None)
        with response:
            if response.status_code == 304:
                return None
            if response.status_code >= 400:
                raise self._error(response, path)
            return self._decode(response, path, KioskConfigDocument)

    def report_config(self, report: ConfigReport) -> None:
        """Tell the central whether a configuration was applied (and why not)."""
        path = CONFIG_REPORT_PATH.format(kiosk_id=self.kiosk_id)
        self._send_only(path, report)

    def report_command(self, result: CommandResult) -> None:
        """Report what became of a command; the central acknowledges with 2xx."""
        self._send_only(COMMAND_RESULT_PATH.format(command_id=result.command_id), result)

    def enroll(self, enrollment_code: str) -> EnrollmentState:
        """Ask to be enrolled with the kiosk key and a one-time code; pending until accepted."""
        if self._key is None:
            raise ValueError("enrolling needs the kiosk key")
        request = EnrollmentRequest(
            kiosk_id=self.kiosk_id,
            public_key_pem=self._key.public_key_pem(),
            enrollment_code=enrollment_code,
        )
        status = self._post(ENROLL_PATH, request, EnrollmentStatus, authenticated=False)
        logger.info("enrollment", extra={"state": status.state.value})
        return status.state

    def _authorization(self, *, renew: bool = False) -> str:
        if self._key is not None and (renew or time.monotonic() >= self._token_renew_at):
            request = signed_auth_request(self._key, kiosk_id=self.kiosk_id)
            answer = self._post(AUTH_TOKEN_PATH, request, AuthToken, authenticated=False)
            lifetime = (answer.expires_at - datetime.now(tz=UTC)).total_seconds()
            self._token = answer.token
            self._token_renew_at = time.monotonic() + max(lifetime - TOKEN_RENEW_MARGIN_S, 0.0)
        return f"Bearer {self._token}"

    # -- plumbing ------------------------------------------------------------------------------

    def _post(
        self, path: str, body: BaseModel, answer: type[_Model], *, authenticated: bool = True
    ) -> _Model:
        try:
            return self._post_once(path, body, answer, authenticated=authenticated)
        except CentralUnauthorized as err:
            if not authenticated or self._key is None or err.params.get("status") != "401":
                raise
            # the token expired or the server restarted with another secret: sign in again
            self._token_renew_at = 0.0
            return self._post_once(path, body, answer, authenticated=True)

    def _post_once(
        self, path: str, body: BaseModel, answer: type[_Model], *, authenticated: bool
    ) -> _Model:
        response = self._request("POST", path, body=body, authenticated=authenticated)
        with response:
            if response.status_code >= 400:
                raise self._error(response, path)
            return self._decode(response, path, answer)

    def _send_only(self, path: str, body: BaseModel) -> None:
        """POST `body` where the answer's content does not matter, only its status."""
        with self._call("POST", path, body=body) as response:
            if response.status_code >= 400:
                raise self._error(response, path)

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: BaseModel | None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """An authenticated request; with a kiosk key, signs in again once after a 401."""
        response = self._request(method, path, body=body, headers=headers)
        if response.status_code == 401 and self._key is not None:
            response.close()
            self._token_renew_at = 0.0
            response = self._request(method, path, body=body, headers=headers)
        return response

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: BaseModel | None,
        headers: dict[str, str] | None = None,
        authenticated: bool = True,
    ) -> requests.Response:
        url = self.base_url + path
        sent = dict(headers or {})
        if body is not None:
            sent["Content-Type"] = "application/json"
        if authenticated:
            sent["Authorization"] = self._authorization()
        try:
            return self._session.request(
                method,
                url,
                data=body.model_dump_json().encode() if body is not None else None,
                headers=sent,
                timeout=self._timeout,
                verify=self._verify,
            )
        except requests.Timeout as err:
            raise CentralUnavailable("central server timed out", params={"path": path}) from err
        except requests.RequestException as err:
            raise CentralUnavailable("central server unreachable", params={"path": path}) from err

    @staticmethod
    def _decode(response: requests.Response, path: str, answer: type[_Model]) -> _Model:
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
            params["code"] = code
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


def _proof_refused(err: CentralUnauthorized, masked: str) -> CitizenProofRefused | None:
    """The central's refusal of a card's proof, as the kiosk tells it; None for another 401/403."""
    if err.params.get("code") not in _PROOF_CODES:
        return None
    logger.warning("citizen proof refused", extra={"national_number": masked})
    return CitizenProofRefused(
        "citizen proof refused",
        status=403,
        code=err.params["code"],
        params={"national_number": masked},
    )
