"""The card reader device: one eID session per resident, owned by the reader's runner thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future

from hardware.eid import CardMonitor, CardRead, EidReader, EidSession, PinCheck, PinStatus
from hardware.eid.apdu import DF_BELPIC, EF_AUTHENTICATION_CERTIFICATE
from hardware.eid.errors import (
    NoAuthenticationCertificate,
    NoCard,
    PinEntryCancelled,
    PinEntryTimeout,
)
from hardware.runner import DeviceRunner
from kiosk import health
from kiosk.health import HealthBoard
from kiosk.ports import (
    CardEventKind,
    CardHolder,
    PinOutcome,
    PinResult,
    PostalAddress,
    Presence,
)

log = logging.getLogger(__name__)

_PIN_OUTCOMES = {
    PinStatus.ACCEPTED: PinOutcome.ACCEPTED,
    PinStatus.WRONG: PinOutcome.WRONG,
    PinStatus.BLOCKED: PinOutcome.BLOCKED,
}


def holder_from_card(read: CardRead) -> CardHolder:
    identity, address = read.identity, read.address
    return CardHolder(
        national_number=identity.national_number,
        surname=identity.surname,
        first_names=identity.first_names,
        birth_date=identity.birth_date,
        sex=identity.sex,
        nationality=identity.nationality,
        address=PostalAddress(
            street=address.street, zip_code=address.zip_code, municipality=address.municipality
        ),
        card_valid_until=identity.validity_end,
    )


def pin_result(check: PinCheck) -> PinResult:
    return PinResult(outcome=_PIN_OUTCOMES[check.status], tries_left=check.tries_left)


class EidCardAdapter:
    """`CardPort` over pyscard. Only the runner's thread touches the PC/SC session."""

    def __init__(
        self,
        *,
        runner: DeviceRunner,
        reader: EidReader,
        reader_prefix: str,
        health_board: HealthBoard | None = None,
        forward_restored: bool = False,
    ) -> None:
        """`forward_restored`: pass "reader_restored" on to the journey (once it handles it)."""
        self._runner = runner
        self._health = health_board
        self._reader = reader
        self._prefix = reader_prefix
        self._session: EidSession | None = None
        self._monitor: CardMonitor | None = None
        self._forward_restored = forward_restored

    def watch(self, on_event: Callable[[CardEventKind], None]) -> None:
        def forward(kind: str) -> None:
            log.info("card_event", extra={"kind": kind})
            event = CardEventKind(kind)
            if self._health is not None:
                lost = event in (CardEventKind.READER_LOST, CardEventKind.READER_UNAVAILABLE)
                self._health.set(health.CARD_READER, "lost" if lost else "present")
                if event in (CardEventKind.INSERTED, CardEventKind.REMOVED):
                    self._health.set(health.CARD, event.value)
            if event is CardEventKind.READER_RESTORED and not self._forward_restored:
                return
            on_event(event)

        if self._monitor is not None:  # one watcher: a new journey replaces the last one's
            self._monitor.stop()
        self._monitor = CardMonitor(reader_prefix=self._prefix, on_event=forward)
        self._monitor.start()

    def read_holder(self) -> Future[CardHolder]:
        return self._runner.submit(self._read)

    def pin_tries_left(self) -> Future[int | None]:
        return self._runner.submit(lambda: self._current().pin_tries_left())

    def verify_pin(self, pin: bytearray) -> Future[PinResult]:
        return self._runner.submit(self._verify, pin)

    def reader_has_pinpad(self) -> Future[bool]:
        return self._runner.submit(lambda: self._current().has_pinpad)

    def verify_pin_on_reader(self, *, language: str) -> Future[PinResult]:
        return self._runner.submit(self._verify_on_reader, language)

    def prove_presence(self, nonce: str) -> Future[Presence]:
        return self._runner.submit(self._prove, nonce)

    def end_session(self) -> Future[None]:
        return self._runner.submit(self._end)

    def close(self) -> None:
        """Owner-thread close for `DeviceRunner.stop(close=...)`."""
        if self._monitor is not None:
            self._monitor.stop()
            self._monitor = None
        self._end()

    # -- owner thread -----------------------------------------------------------------------
    def _current(self) -> EidSession:
        self._runner.assert_owner_thread()
        if self._session is None:
            raise NoCard("no card session open")
        return self._session

    def _read(self) -> CardHolder:
        self._runner.assert_owner_thread()
        self._end()
        self._session = self._reader.open_session()
        try:
            holder = holder_from_card(self._session.read())
            # the register needs the card's citizen proof: a card without an Authentication key
            # (a Kids-ID) is told so before any PIN is asked
            certificate = self._session.read_file(
                DF_BELPIC, EF_AUTHENTICATION_CERTIFICATE, der=True
            )
            if not certificate or not certificate[0]:
                raise NoAuthenticationCertificate("the card has no authentication certificate")
            return holder
        except Exception:
            self._end()
            raise

    def _verify(self, pin: bytearray) -> PinResult:
        try:
            return pin_result(self._current().verify_pin(pin))
        finally:
            pin[:] = bytes(len(pin))

    def _verify_on_reader(self, language: str) -> PinResult:
        """VERIFY_PIN_DIRECT: the PIN goes from the reader's keypad to the card, never through here."""
        try:
            return pin_result(self._current().verify_pin(None, language=language))
        except PinEntryTimeout:
            log.info("pinpad_entry_timed_out")
            return PinResult(outcome=PinOutcome.TIMED_OUT)
        except PinEntryCancelled:
            log.info("pinpad_entry_cancelled")
            return PinResult(outcome=PinOutcome.CANCELLED)

    def _prove(self, nonce: str) -> Presence:
        # the PIN was verified in this session, on the screen or on the reader's pinpad: the card
        # signs without asking again (None would ask the pinpad if it were not)
        proof = self._current().prove_presence(bytes.fromhex(nonce), None)
        return Presence(nonce=nonce, proof=proof)

    def _end(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            try:
                session.close()
            except Exception as err:  # noqa: BLE001 - the card may already be gone; nothing to undo
                log.info("card_session_close_failed", extra={"error": type(err).__name__})
