"""The sync client device: register look-ups and the outbox, both owned by one runner thread.

The outbox and the HTTP session are confined to the sync runner's thread. A small ticker thread
only *submits* delivery attempts to that runner; it never touches the outbox itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from hardware.errors import RunnerStopped
from hardware.runner import DeviceRunner
from kiosk import __version__
from kiosk.adapters.kiosk_key import Pkcs11KioskKey
from kiosk.adapters.reachability import Reachability
from kiosk.health import HealthBoard
from kiosk.issued import IssuanceLog
from kiosk.maintenance.parts import Backlog
from kiosk.ports import (
    EarlierDocument,
    EarlierDocuments,
    IssuanceRecord,
    Presence,
    RegisterExtract,
)
from kiosk.records import RECOVERED_SUFFIX, SETTLED_OUTCOMES
from offline_queue import wire
from offline_queue.client import CentralClient, KioskKey, SoftwareKioskKey, proof_to_wire
from offline_queue.errors import CentralUnavailable, SyncError
from offline_queue.outbox import Outbox, OutboxState
from offline_queue.sender import OutboxSender, enqueue_issuance
from offline_queue.staff_delivery import enqueue_staff_event
from printing.model import Address, AddressPeriod, Person
from printing.token import TokenConfig

log = logging.getLogger(__name__)


def extract_from_wire(answer: wire.RegisterExtractResponse) -> RegisterExtract:
    """The one conversion of the wire's register extract into the register domain model."""

    def address(a: wire.WireAddress) -> Address:
        return Address(street=a.street, zip_code=a.zip_code, municipality=a.municipality)

    return RegisterExtract(
        household_id=answer.household_id,
        address=address(answer.address),
        members=tuple(
            Person(
                national_number=m.national_number,
                surname=m.surname,
                first_names=m.first_names,
                birth_date=m.birth_date,
                birth_place=m.birth_place,
                sex=m.sex.value,
                nationality=m.nationality,
                relation=m.relation,
                noble_title=m.noble_title,
                register_type=m.register_type,
                address_history=tuple(
                    AddressPeriod(address=address(p.address), start=p.start, end=p.end)
                    for p in m.address_history
                ),
            )
            for m in answer.members
        ),
        holder_ref=answer.holder_ref,
    )


def record_to_wire(record: IssuanceRecord, *, occurred_at: datetime) -> wire.IssuanceRecord:
    return wire.IssuanceRecord(
        schema_version=wire.SCHEMA_VERSION,
        operation_id=record.operation_id,
        kiosk_id=record.kiosk_id,
        occurred_at=occurred_at,
        outcome=record.outcome,
        documents=record.documents,
        document_ids=record.document_ids,
        document_codes=record.document_codes,
        amount_cents=record.amount_cents,
        payment_status=wire.PaymentStatus(
            "not_required" if record.payment_status == "none" else record.payment_status
        ),
        receipt_number=record.receipt_number,
        extra=record.extra,
        holder_ref=record.holder_ref,
    )


class SyncService:
    """`RegisterPort` and `OutboxPort` over the central server, with background delivery."""

    def __init__(
        self,
        *,
        runner: DeviceRunner,
        base_url: str,
        kiosk_id: str,
        token: str,
        outbox_path: Path,
        timeout_s: float,
        retry_interval_s: float = 5.0,
        clock: Callable[[], datetime] = lambda: datetime.now(tz=UTC),
        heartbeat_s: float = 60.0,
        health_board: HealthBoard | None = None,
        key_file: Path | None = None,
        key_token: TokenConfig | None = None,
        enrollment_code: str | None = None,
        issuance_log: IssuanceLog | None = None,
        heartbeat_facts: Callable[[], Mapping[str, object]] | None = None,
        on_ack: Callable[[CentralClient, wire.HeartbeatAck], float] | None = None,
        ca_file: Path | None = None,
    ) -> None:
        """Every `heartbeat_s` a `wire.Heartbeat` carries `health_board`'s device states.

        With `key_token` (its PKCS#11 token) or `key_file` (the software fallback) the kiosk has
        its own key: it enrolls with `enrollment_code` (once; the
        central keeps it pending until an operator accepts) and signs in with short-lived tokens
        instead of sending the shared `token`. `ca_file` pins the central's CA.

        `heartbeat_facts` adds fields to each heartbeat (versions, channel, health, counters);
        `on_ack` handles the central's answer on this thread and returns the seconds until the
        next heartbeat (`next_poll_seconds`, bounded by the caller).
        """
        self._facts = heartbeat_facts
        self._on_ack = on_ack
        self._next_beat_at = time.monotonic()
        self._ca_file = ca_file
        self._key_file = key_file
        self._key_token = key_token
        self._token_key: Pkcs11KioskKey | None = None
        self._issued = issuance_log
        self._enrollment_code = enrollment_code
        self.enrollment: wire.EnrollmentState | None = None
        self._runner = runner
        self._base_url = base_url
        self._kiosk_id = kiosk_id
        self._token = token
        self._outbox_path = outbox_path
        self._timeout = timeout_s
        self._interval = retry_interval_s
        self._clock = clock
        self._client: CentralClient | None = None
        self._outbox: Outbox | None = None
        self._sender: OutboxSender | None = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._heartbeat_s = heartbeat_s
        self._health = health_board
        self.last_heartbeat: wire.Heartbeat | None = None
        self.reachability = Reachability()
        """Whether the central answers, from the heartbeats and register look-ups."""

    # -- life cycle (open and close run on the owner thread) ---------------------------------
    def start(self) -> Future[None]:
        opened = self._runner.submit(self._open)
        self._ticker = threading.Thread(target=self._tick, name="sync-ticker", daemon=True)
        self._ticker.start()
        return opened

    def close(self) -> None:
        """Owner-thread close, for `DeviceRunner.stop(close=...)`."""
        self._stop.set()
        if self._outbox is not None:
            self._outbox.close()
        if self._client is not None:
            self._client.close()
        if self._token_key is not None:
            self._token_key.close()
        self._outbox = self._client = self._sender = None
        self._token_key = None

    def _open(self) -> None:
        self._outbox_path.parent.mkdir(parents=True, exist_ok=True)
        key: KioskKey | None = None
        if self._key_token is not None:
            key = self._token_key = Pkcs11KioskKey.open_or_create(self._key_token)
        elif self._key_file is not None:
            key = SoftwareKioskKey.load_or_create(self._key_file)
        self._client = CentralClient(
            base_url=self._base_url,
            kiosk_id=self._kiosk_id,
            token=self._token,
            timeout=self._timeout,
            key=key,
            ca_file=self._ca_file,
        )
        if key is not None and self._enrollment_code:
            self._enroll(self._client, self._enrollment_code)
        self._outbox = Outbox(self._outbox_path)
        self._sender = OutboxSender(
            outbox=self._outbox, client=self._client, staff_sink=self._client
        )

    def _enroll(self, client: CentralClient, code: str) -> None:
        """Owner thread: ask to be enrolled; a refusal is logged, delivery retries later."""
        try:
            self.enrollment = client.enroll(code)
        except SyncError as err:
            log.warning("enrollment_not_sent", extra={"reason": err.translation_key})
            return
        log.info("enrollment_sent", extra={"state": self.enrollment.value})

    def _tick(self) -> None:
        while True:
            now = time.monotonic()
            try:
                if self._health is not None and now >= self._next_beat_at:
                    # provisional: the central's next_poll_seconds moves it once answered
                    self._next_beat_at = now + self._heartbeat_s
                    self._runner.submit(self._heartbeat)
                else:
                    self._runner.submit(self._deliver)
            except RunnerStopped:
                return
            wait = self._interval
            if self._health is not None:
                wait = max(0.0, min(wait, self._next_beat_at - time.monotonic()))
            if self._stop.wait(wait):
                return

    # -- ports ------------------------------------------------------------------------------
    def challenge(self) -> Future[str]:
        return self._runner.submit(self._challenge)

    def extract(self, national_number: str, presence: Presence) -> Future[RegisterExtract]:
        return self._runner.submit(self._extract, national_number, presence)

    def prove_staff(self, national_number: str, presence: Presence) -> Future[None]:
        """A staff card's proof at the maintenance login (the central asks no register)."""
        return self._runner.submit(self._prove_staff, national_number, presence)

    def record(self, record: IssuanceRecord) -> Future[None]:
        return self._runner.submit(self._record, record)

    def record_once(self, record: IssuanceRecord) -> Future[bool]:
        """Start-up recovery: queue `record` unless its outcome is already queued.

        Under the order's own id, or under ``<id>.recovered`` when the dead process had queued a
        different, provisional outcome (``payment_unknown``) under the order's id. False when
        nothing was queued.
        """
        return self._runner.submit(self._record_once, record)

    def queue_staff_event(self, event: wire.StaffAuditEvent) -> Future[bool]:
        """Queue one staff audit event (`kiosk.staff_audit`); False when it was queued before."""
        return self._runner.submit(lambda: enqueue_staff_event(self._require_outbox(), event))

    def upload_logs(self, collect: Callable[[], wire.LogUpload]) -> Future[wire.LogUploadAck]:
        """Collect the redacted logs (`collect`) and send them, both on the owner thread."""

        def send() -> wire.LogUploadAck:
            self._require_outbox()
            assert self._client is not None
            return self._client.post_logs(collect())

        return self._runner.submit(send)

    def citizen_requests(
        self, national_number: str, presence: Presence
    ) -> Future[EarlierDocuments]:
        """`RequestsPort`: the resident's earlier documents, against the card's proof."""
        return self._runner.submit(self._requests, national_number, presence)

    def email_document(
        self, *, document_id: str, address: str, language: str, pdf: bytes
    ) -> Future[None]:
        """`MailPort`: after the records waiting here (the central mails only a document it
        knows), the central sends `pdf` to `address`."""
        return self._runner.submit(self._email, document_id, address, language, pdf)

    def deliver_now(self) -> Future[int]:
        return self._runner.submit(self._deliver)

    def send_heartbeat(self) -> Future[wire.Heartbeat]:
        """Build and send one heartbeat now (the ticker sends one every `heartbeat_s`)."""
        return self._runner.submit(self._heartbeat)

    def pending(self) -> Future[int]:
        return self._runner.submit(lambda: self._require_outbox().pending_count())

    def backlog(self) -> Future[Backlog]:
        """Maintenance: what waits in the outbox, and the rows that failed for good."""

        def read() -> Backlog:
            outbox = self._require_outbox()
            failed = outbox.counts()[OutboxState.FAILED_PERMANENT]
            return Backlog(
                pending=outbox.pending_count(), oldest=outbox.oldest_pending_at(), failed=failed
            )

        return self._runner.submit(read)

    def retry_failed(self) -> Future[int]:
        """Maintenance: rows that failed for good are queued again, then delivery is tried."""

        def retry() -> int:
            moved = self._require_outbox().retry_failed()
            log.info("outbox_retry_failed", extra={"rows": moved})
            self._deliver()
            return moved

        return self._runner.submit(retry)

    # -- owner-thread work ------------------------------------------------------------------
    def _require_outbox(self) -> Outbox:
        if self._outbox is None:
            self._open()
        assert self._outbox is not None
        return self._outbox

    def _challenge(self) -> str:
        self._require_outbox()
        assert self._client is not None
        return self._client.citizen_challenge().nonce

    def _extract(self, national_number: str, presence: Presence) -> RegisterExtract:
        self._require_outbox()
        assert self._client is not None
        proof = proof_to_wire(presence.proof, nonce=presence.nonce)
        try:
            found = self._client.register_extract(national_number, proof)
        except SyncError as err:
            self._contact(err)
            raise
        self.reachability.succeeded()
        return extract_from_wire(found)

    def _prove_staff(self, national_number: str, presence: Presence) -> None:
        self._require_outbox()
        assert self._client is not None
        try:
            self._client.staff_proof(
                national_number, proof_to_wire(presence.proof, nonce=presence.nonce)
            )
        except SyncError as err:
            self._contact(err)
            raise
        self.reachability.succeeded()

    def _requests(self, national_number: str, presence: Presence) -> EarlierDocuments:
        self._require_outbox()
        assert self._client is not None
        proof = proof_to_wire(presence.proof, nonce=presence.nonce)
        try:
            found = self._client.citizen_requests(national_number, proof)
        except SyncError as err:
            self._contact(err)
            raise
        self.reachability.succeeded()
        return EarlierDocuments(
            documents=tuple(
                EarlierDocument(
                    document_id=d.document_id,
                    document_type=d.document_type or "",
                    issued_at=d.issued_at,
                    commune=d.commune or "",
                    verification_code=wire.format_verification_code(d.verification_code)
                    if d.verification_code
                    else "",
                )
                for d in found.documents
            ),
            more=found.more,
        )

    def _email(self, document_id: str, address: str, language: str, pdf: bytes) -> None:
        self._deliver()
        assert self._client is not None
        try:
            self._client.email_document(document_id, address=address, language=language, pdf=pdf)
        except SyncError as err:
            self._contact(err)
            raise
        self.reachability.succeeded()

    def _record(self, record: IssuanceRecord) -> None:
        enqueue_issuance(self._require_outbox(), record_to_wire(record, occurred_at=self._clock()))
        if self._issued is not None and record.outcome in SETTLED_OUTCOMES:
            self._issued.settle(record.operation_id)  # the order's outcome is safe in the outbox
        self._deliver()

    def _contact(self, err: SyncError) -> None:
        """A call failed: lost to the network or the server (a busy central that says so with a
        429 is there), or answered with a refusal."""
        lost = isinstance(err, CentralUnavailable) and err.params.get("status") != "429"
        if lost:
            self.reachability.failed()
        else:
            self.reachability.succeeded()

    def _queued_outcome(self, operation_id: str) -> str | None:
        row = self._require_outbox().get(operation_id)
        if row is None:
            return None
        return wire.IssuanceRecord.model_validate_json(row.payload_json).outcome

    def _record_once(self, record: IssuanceRecord) -> bool:
        queued = self._queued_outcome(record.operation_id)
        if queued == record.outcome:
            return False
        if queued is not None:
            again = f"{record.operation_id}{RECOVERED_SUFFIX}"
            if self._queued_outcome(again) is not None:
                return False
            extra = {**record.extra, "previous_outcome": queued, "order": record.operation_id}
            record = replace(record, operation_id=again, extra=extra)
        added = enqueue_issuance(
            self._require_outbox(), record_to_wire(record, occurred_at=self._clock())
        )
        self._deliver()
        return added

    def heartbeat_message(self) -> wire.Heartbeat:
        """Owner thread: device states and the outbox backlog; never personal data."""
        board = self._health
        outbox = self._require_outbox()
        now = self._clock()
        oldest = outbox.oldest_pending_at()
        fields: dict[str, object] = {
            "kiosk_id": self._kiosk_id,
            "version": __version__,
            "sent_at": now,
            "devices": dict(board.snapshot()) if board is not None else {},
            "outbox_backlog": outbox.pending_count(),
            "outbox_oldest_age_s": None
            if oldest is None
            else max(0, int((now - oldest).total_seconds())),
            "mode": board.mode if board is not None else "in_service",
        }
        if self._facts is not None:
            fields.update(self._facts())
        return wire.Heartbeat.model_validate(fields)

    def _heartbeat(self) -> wire.Heartbeat:
        message = self.heartbeat_message()
        assert self._client is not None
        try:
            ack = self._client.heartbeat(message)
        except SyncError as err:
            log.warning("heartbeat_not_sent", extra={"reason": err.translation_key})
            self._contact(err)
            return message
        self.reachability.succeeded()
        self.last_heartbeat = message
        if self._on_ack is not None:
            delay = self._on_ack(self._client, ack)
            self._next_beat_at = time.monotonic() + delay
        log.info("heartbeat_sent", extra={"backlog": message.outbox_backlog})
        self._deliver()
        return message

    def _deliver(self) -> int:
        self._require_outbox()
        assert self._sender is not None
        try:
            return self._sender.drain()
        except SyncError as err:
            log.warning("sync_deferred", extra={"reason": err.translation_key})
            return 0
