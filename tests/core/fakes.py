"""Small in-memory implementations of the journey's ports, for controller and UI tests.

With `threaded=True` every call completes on a worker thread (like the real device runners), so
the UI tests exercise the bridge; otherwise calls complete before they return.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TypeVar

from hardware.eid.model import CitizenProof
from hardware.errors import BorneError
from hardware.payment.errors import PaymentsSuspended
from hardware.payment.model import BrandTotal, EndOfDay
from kiosk.claim_slip import ClaimSlip, SlipLine, claim_code
from kiosk.journey import JourneyController, JourneySettings, JourneyView
from kiosk.ports import (
    CardEventKind,
    CardHolder,
    Catalogue,
    DeviceCheck,
    EarlierDocument,
    EarlierDocuments,
    HouseholdMember,
    IssuanceRecord,
    IssuedDocument,
    IssueRequest,
    PaymentResult,
    PaymentStatus,
    PinOutcome,
    PinResult,
    Ports,
    PostalAddress,
    Presence,
    PrintOutcome,
    ReceiptRequest,
    RegisterExtract,
    StaffAlert,
)
from kiosk.session import SessionData

T = TypeVar("T")

NATIONAL_NUMBER = "85031412345"
ADDRESS = PostalAddress(street="Rue de la Gare 1", zip_code="5999", municipality="Démo")


def make_holder() -> CardHolder:
    return CardHolder(
        national_number=NATIONAL_NUMBER,
        surname="Peeters",
        first_names="Anna",
        birth_date=date(1985, 3, 14),
        sex="F",
        nationality="BE",
        address=ADDRESS,
        card_valid_until=date(2031, 1, 1),
    )


class Completer:
    """Completes work inline or on a worker thread."""

    def __init__(self, *, threaded: bool) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1) if threaded else None

    def run(self, fn: Callable[[], T]) -> Future[T]:
        if self._pool is not None:
            return self._pool.submit(fn)
        future: Future[T] = Future()
        try:
            future.set_result(fn())
        except BorneError as err:
            future.set_exception(err)
        return future

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)


class FakeCard:
    def __init__(self, completer: Completer, *, pin: str = "1234", tries: int = 3) -> None:
        self._c = completer
        self.pin = pin
        self.tries = tries
        self.received_pins: list[bytes] = []
        self.wiped_after_use = True
        self.read_error: BorneError | None = None
        self.end_sessions = 0
        self.proved: list[str] = []
        self.pinpad = False
        self.typed_on_reader: list[str | None] = []
        self.reader_entries: list[str] = []
        self._watchers: list[Callable[[CardEventKind], None]] = []

    # CardPort
    def watch(self, on_event: Callable[[CardEventKind], None]) -> None:
        self._watchers.append(on_event)

    def read_holder(self) -> Future[CardHolder]:
        def work() -> CardHolder:
            if self.read_error is not None:
                raise self.read_error
            return make_holder()

        return self._c.run(work)

    def pin_tries_left(self) -> Future[int | None]:
        return self._c.run(lambda: self.tries)

    def verify_pin(self, pin: bytearray) -> Future[PinResult]:
        def work() -> PinResult:
            given = bytes(pin)
            for i in range(len(pin)):
                pin[i] = 0
            self.received_pins.append(given)
            return self._check(given)

        return self._c.run(work)

    def _check(self, given: bytes) -> PinResult:
        if self.tries == 0:
            return PinResult(outcome=PinOutcome.BLOCKED, tries_left=0)
        if given == self.pin.encode("ascii"):
            self.tries = 3
            return PinResult(outcome=PinOutcome.ACCEPTED, tries_left=3)
        self.tries -= 1
        if self.tries == 0:
            return PinResult(outcome=PinOutcome.BLOCKED, tries_left=0)
        return PinResult(outcome=PinOutcome.WRONG, tries_left=self.tries)

    def reader_has_pinpad(self) -> Future[bool]:
        return self._c.run(lambda: self.pinpad)

    def verify_pin_on_reader(self, *, language: str) -> Future[PinResult]:
        """The PIN `typed_on_reader` (None: the reader's time-out; "" its cancel key)."""

        def work() -> PinResult:
            typed = self.typed_on_reader.pop(0) if self.typed_on_reader else None
            self.reader_entries.append(language)
            if typed is None:
                return PinResult(outcome=PinOutcome.TIMED_OUT)
            if not typed:
                return PinResult(outcome=PinOutcome.CANCELLED)
            return self._check(typed.encode("ascii"))

        return self._c.run(work)

    def prove_presence(self, nonce: str) -> Future[Presence]:
        def work() -> Presence:
            self.proved.append(nonce)
            proof = CitizenProof(
                signature=b"signature",
                certificate=b"cert",
                ca_certificate=b"ca",
                applet_version=0x18,
            )
            return Presence(nonce=nonce, proof=proof)

        return self._c.run(work)

    def end_session(self) -> Future[None]:
        def work() -> None:
            self.end_sessions += 1

        return self._c.run(work)

    # test side
    def insert(self) -> None:
        for watcher in list(self._watchers):
            watcher(CardEventKind.INSERTED)

    def remove(self) -> None:
        self.signal(CardEventKind.REMOVED)

    def signal(self, kind: CardEventKind) -> None:
        for watcher in list(self._watchers):
            watcher(kind)


class FakeRegister:
    def __init__(self, completer: Completer) -> None:
        self._c = completer
        self.asked: list[str] = []
        self.nonces: list[str] = []
        self.proof_error: BorneError | None = None
        self.staff_proved: list[str] = []
        """National numbers whose staff card proved itself (no register look-up)."""

    def challenge(self) -> Future[str]:
        def work() -> str:
            nonce = f"{len(self.nonces):064x}"
            self.nonces.append(nonce)
            return nonce

        return self._c.run(work)

    def extract(self, national_number: str, presence: Presence) -> Future[RegisterExtract]:
        def work() -> RegisterExtract:
            if presence.nonce not in self.nonces:
                raise AssertionError("a proof over a nonce the register did not issue")
            if self.proof_error is not None:
                raise self.proof_error
            self.asked.append(national_number)
            member = HouseholdMember(
                national_number=NATIONAL_NUMBER,
                surname="Peeters",
                first_names="Anna",
                birth_date=date(1985, 3, 14),
                sex="F",
                nationality="BE",
                relation="reference",
            )
            return RegisterExtract(household_id="H1", address=ADDRESS, members=(member,))

        return self._c.run(work)

    def prove_staff(self, national_number: str, presence: Presence) -> Future[None]:
        def work() -> None:
            if presence.nonce not in self.nonces:
                raise AssertionError("a proof over a nonce the central did not issue")
            if self.proof_error is not None:
                raise self.proof_error
            self.staff_proved.append(national_number)

        return self._c.run(work)


_REASONS = {
    PaymentStatus.DECLINED: "payment.declined",
    PaymentStatus.CANCELLED: "payment.cancelled",
    PaymentStatus.UNKNOWN: "payment.result_unknown",
}
"""The reason the adapter gives for an outcome the terminal did not explain further."""


class FakePayment:
    """Approves by default; `hold=True` leaves `pay` pending until `release()`."""

    def __init__(
        self, completer: Completer, *, status: PaymentStatus = PaymentStatus.APPROVED
    ) -> None:
        self._c = completer
        self.status = status
        self.reason: str | None = None  # e.g. "payment.too_many_attempts", as the adapter reports
        self.hold = False
        self.charged: dict[str, int] = {}
        self.reversed: list[str] = []
        self.completed: list[str] = []
        self.prompts = (
            "payment.status.insert_card",
            "payment.status.enter_pin",
            "payment.status.processing",
        )
        self._held: list[tuple[Future[PaymentResult], PaymentResult]] = []
        self.reverse_started = threading.Event()
        self.reverse_ok = True
        self.receipt_lines: tuple[str, ...] = ()
        self.acknowledged: list[str] = []
        self.cancels = 0
        self.error: BaseException | None = None
        self.still_unknown = False
        """`acknowledge` fails as the adapter does while a payment's outcome is still unknown."""
        """Raised by `pay`, as the adapter raises when the terminal started no transaction."""

    def cancel(self) -> None:
        self.cancels += 1

    def end_of_day(self) -> Future[EndOfDay]:
        def work() -> EndOfDay:
            total = sum(self.charged.values())
            return EndOfDay(
                approved=True,
                result_code=0,
                total_cents=total,
                totals=(BrandTotal(brand="other", count=len(self.charged), amount_cents=total),),
            )

        return self._c.run(work)

    def pay(
        self, *, amount_cents: int, reference: str, on_prompt: Callable[[str], None]
    ) -> Future[PaymentResult]:
        result = PaymentResult(
            status=self.status,
            reference=reference,
            amount_cents=amount_cents,
            receipt_number="R0001" if self.status is PaymentStatus.APPROVED else None,
            receipt_lines=self.receipt_lines,
            reason=self.reason or _REASONS.get(self.status),
        )

        def work() -> PaymentResult:
            if self.error is not None:
                raise self.error
            for prompt in self.prompts:
                on_prompt(prompt)
            if result.status is PaymentStatus.APPROVED:
                self.charged[reference] = amount_cents
            return result

        if self.hold:
            pending: Future[PaymentResult] = Future()
            self._held.append((pending, result))
            return pending
        return self._c.run(work)

    def release(self) -> None:
        for pending, result in self._held:
            if result.status is PaymentStatus.APPROVED:
                self.charged[result.reference] = result.amount_cents
            pending.set_result(result)
        self._held.clear()

    def reverse(self, *, reference: str, receipt_number: str) -> Future[PaymentResult]:
        def work() -> PaymentResult:
            # reported as the real adapter does: the charged amount and the payment's receipt
            # number, and why staff are needed when the reversal is refused
            self.reverse_started.set()
            amount = self.charged.get(reference, 0)
            if not self.reverse_ok:
                return PaymentResult(
                    status=PaymentStatus.UNKNOWN,
                    reference=reference,
                    amount_cents=amount,
                    receipt_number=receipt_number or None,
                    reason="manual_review",
                )
            self.reversed.append(reference)
            return PaymentResult(
                status=PaymentStatus.APPROVED,
                reference=reference,
                amount_cents=amount,
                receipt_number=receipt_number or None,
            )

        return self._c.run(work)

    def claim_code(self, *, reference: str) -> str:
        return claim_code(reference)

    def claim_slip(self, *, reference: str) -> Future[ClaimSlip]:
        def work() -> ClaimSlip:
            code = claim_code(reference)
            return ClaimSlip(
                claim_code=code,
                reference=reference,
                amount_cents=self.charged.get(reference, 0),
                currency="EUR",
                date="2024-05-02",
                time="10:15",
                receipt_number="R0001",
                masked_pan="",
                card_brand="",
                terminal_id="",
                trace="",
                commune="Démo",
                kiosk_id="kiosk-test",
                title=SlipLine(key="payment.claim.title", params=(("commune", "Démo"),)),
                lines=(SlipLine(key="payment.claim.code", params=(("code", code),)),),
            )

        return self._c.run(work)

    def acknowledge(self, *, references: tuple[str, ...]) -> Future[None]:
        def work() -> None:
            self.acknowledged.extend(references)
            if self.still_unknown:
                raise PaymentsSuspended("a payment outcome is still unknown")

        return self._c.run(work)

    def complete(self, *, reference: str) -> Future[None]:
        return self._c.run(lambda: self.completed.append(reference))

    @property
    def net_charged(self) -> int:
        """Cents kept by the commune: charges minus the ones reversed."""
        return sum(v for ref, v in self.charged.items() if ref not in self.reversed)


class FakeIssuer:
    def __init__(self, completer: Completer, *, directory: Path) -> None:
        self._c = completer
        self.directory = directory
        self.fail_on: str | None = None
        self.requests: list[IssueRequest] = []
        self.check_error: BorneError | None = None
        self.checks = 0
        self.with_codes = True
        """False: issue documents without a verification code, as before codes existed."""

    def check(self) -> Future[None]:
        def work() -> None:
            self.checks += 1
            if self.check_error is not None:
                raise self.check_error

        return self._c.run(work)

    @staticmethod
    def code_of(document_id: str) -> str:
        """The verification code this fake prints on `document_id`, in its printed form."""
        digest = hashlib.sha256(document_id.encode()).hexdigest()[:12].upper()
        return f"{digest[0:4]}-{digest[4:8]}-{digest[8:12]}"

    def issue(self, request: IssueRequest) -> Future[IssuedDocument]:
        def work() -> IssuedDocument:
            self.requests.append(request)
            if request.document_type == self.fail_on:
                raise BorneError("sealing failed", translation_key="error.device")
            return IssuedDocument(
                document_id=request.document_id,
                document_type=request.document_type,
                language=request.language,
                pdf_path=self.directory / f"{request.document_id}.pdf",
                sha256="0" * 64,
                pages=1,
                verification_code=self.code_of(request.document_id) if self.with_codes else "",
                sealed=b"%PDF-1.7 sealed " + request.document_id.encode(),
            )

        return self._c.run(work)


class FakeRequests:
    """`RequestsPort`: answers `documents` against a proof over a nonce the register issued."""

    def __init__(self, completer: Completer, register: FakeRegister) -> None:
        self._c = completer
        self._register = register
        self.documents: tuple[EarlierDocument, ...] = ()
        self.more = False
        self.asked: list[tuple[str, str]] = []
        self.fail_with: BorneError | None = None

    def citizen_requests(
        self, national_number: str, presence: Presence
    ) -> Future[EarlierDocuments]:
        def work() -> EarlierDocuments:
            if presence.nonce not in self._register.nonces:
                raise AssertionError("a proof over a nonce the register did not issue")
            if self.fail_with is not None:
                raise self.fail_with
            self.asked.append((national_number, presence.nonce))
            return EarlierDocuments(documents=self.documents, more=self.more)

        return self._c.run(work)


class FakeMail:
    """`MailPort`: keeps what the kiosk asked to send; `fail_with` makes the next sends fail."""

    def __init__(self, completer: Completer) -> None:
        self._c = completer
        self.sent: list[tuple[str, str, str, bytes]] = []
        self.fail_with: BorneError | None = None

    def email_document(
        self, *, document_id: str, address: str, language: str, pdf: bytes
    ) -> Future[None]:
        def work() -> None:
            if self.fail_with is not None:
                raise self.fail_with
            self.sent.append((document_id, address, language, pdf))

        return self._c.run(work)


class FakePrinter:
    def __init__(self, completer: Completer) -> None:
        self._c = completer
        self.complete = True
        self.printed: list[str] = []
        self.receipts: list[ReceiptRequest] = []
        self.receipt_error: BorneError | None = None
        self.slips: list[tuple[ClaimSlip, str]] = []
        self.state = "ready"
        self.checks = 0

    def check(self) -> Future[DeviceCheck]:
        def work() -> DeviceCheck:
            self.checks += 1
            ready = self.state in ("ready", "busy", "paper_low")
            return DeviceCheck(ready=ready, state=self.state, key=f"printing.state.{self.state}")

        return self._c.run(work)

    def print_receipt(self, receipt: ReceiptRequest) -> Future[PrintOutcome]:
        def work() -> PrintOutcome:
            if self.receipt_error is not None:
                raise self.receipt_error
            self.receipts.append(receipt)
            return PrintOutcome(job_id=100 + len(self.receipts), completed=True)

        return self._c.run(work)

    def print_claim_slip(self, slip: ClaimSlip, *, language: str) -> Future[PrintOutcome]:
        def work() -> PrintOutcome:
            self.slips.append((slip, language))
            return PrintOutcome(job_id=200 + len(self.slips), completed=True)

        return self._c.run(work)

    def print_document(self, document: IssuedDocument) -> Future[PrintOutcome]:
        def work() -> PrintOutcome:
            if not self.complete:
                return PrintOutcome(job_id=7, completed=False, reason="jam")
            self.printed.append(document.document_type)
            return PrintOutcome(job_id=len(self.printed), completed=True)

        return self._c.run(work)


class FakeOutbox:
    """`records`: the orders' and alerts' records; `issued`: the per-document `issued` records
    (queued before each document is printed); `log`: both, in the order they were queued."""

    def __init__(self, completer: Completer) -> None:
        self._c = completer
        self.records: list[IssuanceRecord] = []
        self.issued: list[IssuanceRecord] = []
        self.log: list[IssuanceRecord] = []

    def record(self, record: IssuanceRecord) -> Future[None]:
        def work() -> None:
            self.log.append(record)
            (self.issued if record.outcome == "issued" else self.records).append(record)

        return self._c.run(work)


@dataclass(kw_only=True)
class FakePorts:
    completer: Completer
    card: FakeCard
    register: FakeRegister
    payment: FakePayment
    issuer: FakeIssuer
    printer: FakePrinter
    outbox: FakeOutbox
    ports: Ports = field(init=False)

    def __post_init__(self) -> None:
        self.ports = Ports(
            card=self.card,
            register=self.register,
            payment=self.payment,
            issuer=self.issuer,
            printer=self.printer,
            outbox=self.outbox,
        )


def make_ports(*, threaded: bool, directory: Path) -> FakePorts:
    c = Completer(threaded=threaded)
    return FakePorts(
        completer=c,
        card=FakeCard(c),
        register=FakeRegister(c),
        payment=FakePayment(c),
        issuer=FakeIssuer(c, directory=directory),
        printer=FakePrinter(c),
        outbox=FakeOutbox(c),
    )


def make_settings(**prices: int) -> JourneySettings:
    catalogue = Catalogue(
        prices_cents=prices or {"household": 250, "residence": 250, "life": 0},
        languages=("fr", "nl", "de"),
    )
    return JourneySettings(commune_name="Démo", catalogue=catalogue, kiosk_id="kiosk-test")


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Ids:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"op{self.n:04d}abcdef"


class QueuePoster:
    """The controller's thread in tests: posted continuations run when the test pumps."""

    def __init__(self) -> None:
        self.queue: list[Callable[[], None]] = []

    def __call__(self, fn: Callable[[], None]) -> None:
        self.queue.append(fn)

    def pump(self) -> int:
        ran = 0
        while self.queue:
            self.queue.pop(0)()
            ran += 1
        return ran


class Rig:
    def __init__(
        self,
        tmp_path: Path,
        *,
        alerts: tuple[StaffAlert, ...] = (),
        settings: JourneySettings | None = None,
        citizen: bool = False,
        **prices: int,
    ) -> None:
        self.fakes: FakePorts = make_ports(threaded=False, directory=tmp_path)
        self.mail = FakeMail(self.fakes.completer)
        self.requests = FakeRequests(self.fakes.completer, self.fakes.register)
        ports = (
            replace(self.fakes.ports, mail=self.mail, requests=self.requests)
            if citizen  # the citizen services: e-mail and my requests
            else self.fakes.ports
        )
        self.poster = QueuePoster()
        self.clock = ManualClock()
        self.views: list[JourneyView] = []
        self.controller = JourneyController(
            ports=ports,
            settings=settings or make_settings(**prices),
            post=self.poster,
            clock=self.clock,
            ids=Ids(),
            alerts=alerts,
        )
        self.controller.on_change(self.views.append)
        self.fakes.card.watch(self.controller.card_event)

    def pump(self) -> JourneyView:
        self.poster.pump()
        return self.controller.view

    def controller_session(self) -> SessionData:
        """The session the controller holds now (what a test checks is wiped)."""
        return self.controller._s

    def to_pin(self, *, language: str = "fr") -> JourneyView:
        c = self.controller
        c.touch()
        c.choose_language(language)
        self.fakes.card.insert()
        return self.pump()

    def enter_pin(self, pin: str) -> JourneyView:
        for digit in pin:
            self.controller.pin_digit(digit)
        self.controller.pin_submit()
        return self.pump()


def pump_until(rig: Rig, state: object) -> None:
    """Run posted continuations one by one until the controller reaches `state`."""
    while rig.controller.state is not state:
        assert rig.poster.queue, f"queue ran dry before {state}"
        rig.poster.queue.pop(0)()
