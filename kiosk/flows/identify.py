"""Who is at the kiosk: read the eID, verify the PIN, prove the citizen's presence, load the
register extract.

The PIN buffer stays with the controller; `verify` takes a copy whose ownership passes to the
card adapter, which wipes it. When the reader has a pinpad the PIN is typed on it instead
(`kiosk.flows.pinpad`): the kiosk never asks for digits on its screen then.
"""

from __future__ import annotations

from kiosk.flows.host import HostedFlow
from kiosk.flows.pinpad import KEY_PINPAD_CANCELLED, KEY_PINPAD_TIMED_OUT, PINPAD
from kiosk.flows.staff import KEY_GENERIC
from kiosk.ports import CardHolder, PinOutcome, PinResult, Presence, RegisterExtract
from kiosk.session import SessionState

S = SessionState

KEY_PIN_WRONG = "pin.wrong"
KEY_PIN_LAST_TRY = "pin.last_try"
KEY_PIN_TIMED_OUT = "pin.timed_out"
KEY_PIN_BLOCKED = "eid.error.pin_blocked"


class IdentifyFlow(HostedFlow):
    """From the inserted card to the register extract; used on the controller's thread only."""

    def verify(self, pin: bytearray) -> None:
        """Check `pin` on the card (the session is in VERIFYING)."""
        self._await(
            lambda: self._ports.card.verify_pin(pin), step="verify_pin", then=self._pin_checked
        )

    def start_reading(self) -> None:
        self._go(S.READING, reason="card_inserted")
        self._await(self._ports.card.read_holder, step="read_holder", then=self._holder_read)

    def _holder_read(self, holder: CardHolder) -> None:
        self._s.holder = holder
        self._s.card_read = True
        self._await(self._ports.card.pin_tries_left, step="pin_tries", then=self._tries_known)

    def _tries_known(self, tries: int | None) -> None:
        self._s.tries_left = tries
        if tries == 0:
            self._error(KEY_PIN_BLOCKED, outcome="failed")
            return
        self._s.notice_key = KEY_PIN_LAST_TRY if tries == 1 else None
        self._await(self._ports.card.reader_has_pinpad, step="pinpad", then=self._entry_known)

    def _entry_known(self, pinpad: bool) -> None:
        """On the reader's keypad when it has one, else on the screen's PIN pad."""
        if not pinpad:
            self._go(S.PIN, reason="holder_read")
            return
        self._go(PINPAD, reason="holder_read")
        self._ask_reader()

    def _ask_reader(self) -> None:
        language = self._s.language
        self._await(
            lambda: self._ports.card.verify_pin_on_reader(language=language),
            step="verify_pin_on_reader",
            then=self._reader_checked,
        )

    def _reader_checked(self, result: PinResult) -> None:
        s = self._s
        if result.tries_left is not None:
            s.tries_left = result.tries_left
        if result.outcome is PinOutcome.ACCEPTED:
            s.notice_key = None
            self._go(S.VERIFYING, reason="pin_accepted_on_reader")
            self._pin_checked(result)
        elif result.outcome is PinOutcome.BLOCKED or s.tries_left == 0:
            self._error(KEY_PIN_BLOCKED, outcome="failed")
        elif result.outcome is PinOutcome.WRONG:
            s.notice_key = KEY_PIN_LAST_TRY if s.tries_left == 1 else KEY_PIN_WRONG
            self._refresh()
            self._ask_reader()
        elif result.outcome is PinOutcome.TIMED_OUT:
            self._error(KEY_PINPAD_TIMED_OUT, outcome="timed_out", retry=S.READING)
        else:
            self._error(KEY_PINPAD_CANCELLED, outcome="cancelled", retry=S.READING)

    def _pin_checked(self, result: PinResult) -> None:
        s = self._s
        if result.tries_left is not None:
            s.tries_left = result.tries_left
        if result.outcome is PinOutcome.ACCEPTED:
            holder = s.holder
            if holder is None:  # pragma: no cover - read_holder always precedes the PIN
                self._error(KEY_GENERIC, outcome="failed")
                return
            self._await(self._ports.register.challenge, step="citizen_challenge", then=self._prove)
        elif result.outcome is PinOutcome.BLOCKED or s.tries_left == 0:
            self._error(KEY_PIN_BLOCKED, outcome="failed")
        else:
            if result.outcome is PinOutcome.WRONG:
                s.notice_key = KEY_PIN_LAST_TRY if s.tries_left == 1 else KEY_PIN_WRONG
            elif result.outcome is PinOutcome.TIMED_OUT:
                s.notice_key = KEY_PIN_TIMED_OUT
            self._go(S.PIN, reason=f"pin_{result.outcome.value}")

    def _prove(self, nonce: str) -> None:
        """The card signs the central's nonce: only the citizen present gets the register's data."""
        self._await(
            lambda: self._ports.card.prove_presence(nonce),
            step="citizen_proof",
            then=self._proved,
        )

    def _proved(self, presence: Presence) -> None:
        holder = self._s.holder
        if holder is None:  # pragma: no cover - read_holder always precedes the PIN
            self._error(KEY_GENERIC, outcome="failed")
            return
        number = holder.national_number
        self._await(
            lambda: self._ports.register.extract(number, presence),
            step="register_extract",
            then=self._extract_loaded,
        )

    def _extract_loaded(self, extract: RegisterExtract) -> None:
        self._s.extract = extract
        self._go(S.CHOOSE_DOCUMENTS, reason="pin_accepted")
