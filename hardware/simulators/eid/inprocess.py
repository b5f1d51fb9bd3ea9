"""The virtual eID card in a reader that lives inside this process: no pcscd, no vpcd, no socket.

For machines where pcscd cannot be installed (a developer laptop without apt).
`InProcessCardTransport` is a `hardware.eid.transport.CardTransport`: the reader's APDUs go straight
to an `EidApplet`, and `insert()` / `remove()` play the resident's hand, which wakes any
`CardMonitor` waiting on it. It behaves like one PC/SC reader slot: a removed card fails the open handles with
`SCARD_W_REMOVED_CARD`, a reset by another handle shows as `SCARD_W_RESET_CARD`, and transactions
are exclusive between handles. It knows nothing of status words: 61xx / 6Cxx are the reader's job.

Test data only; CI always goes through the real pcscd (see `devstack.sim`).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from smartcard import scard

from hardware.simulators.eid.card import EidApplet
from hardware.simulators.eid.image import build_card_image
from hardware.simulators.eid.persona import Persona, load_persona
from hardware.simulators.eid.pki import default_pki_dir, ensure_card_pki

log = logging.getLogger(__name__)

# PC/SC codes and reader-state flags, typed.
E_INVALID_HANDLE: int = scard.SCARD_E_INVALID_HANDLE
E_NO_SMARTCARD: int = scard.SCARD_E_NO_SMARTCARD
E_SHARING_VIOLATION: int = scard.SCARD_E_SHARING_VIOLATION
E_TIMEOUT: int = scard.SCARD_E_TIMEOUT
E_UNKNOWN_READER: int = scard.SCARD_E_UNKNOWN_READER
E_UNSUPPORTED_FEATURE: int = scard.SCARD_E_UNSUPPORTED_FEATURE
PROTOCOL_T0: int = scard.SCARD_PROTOCOL_T0
STATE_CHANGED: int = scard.SCARD_STATE_CHANGED
STATE_EMPTY: int = scard.SCARD_STATE_EMPTY
STATE_PRESENT: int = scard.SCARD_STATE_PRESENT
STATE_UNAWARE: int = scard.SCARD_STATE_UNAWARE
S_SUCCESS: int = scard.SCARD_S_SUCCESS
W_REMOVED_CARD: int = scard.SCARD_W_REMOVED_CARD
W_RESET_CARD: int = scard.SCARD_W_RESET_CARD

READER_NAME = "Borne in-process eID reader 00 00"
PROTOCOL = PROTOCOL_T0
TRANSACTION_WAIT_S = 5.0


@dataclass(slots=True, kw_only=True)
class _Handle:
    context: int
    insertion: int
    resets_seen: int


class InProcessCardTransport:
    """One reader slot with the virtual card in it (or not). Thread-safe."""

    def __init__(
        self,
        persona: Persona | str,
        *,
        pki_dir: Path | None = None,
        reader_name: str = READER_NAME,
        inserted: bool = False,
    ) -> None:
        self.reader_name = reader_name
        self._pki = ensure_card_pki(pki_dir or default_pki_dir())
        self.applet = self._build(persona)
        self._changed = threading.Condition()
        self._present = False
        self._insertion = 0  # counts insertions; a handle belongs to one insertion
        self._resets = 0  # counts card resets within the insertion
        self._events = 0  # counts presence changes, reported in the state's high 16 bits
        self._contexts: set[int] = set()
        self._handles: dict[int, _Handle] = {}
        self._ids = itertools.count(1)
        self._transaction: int | None = None
        self.apdu_count = 0
        if inserted:
            self.insert()

    def _build(self, persona: Persona | str) -> EidApplet:
        loaded = load_persona(persona) if isinstance(persona, str) else persona
        return EidApplet(build_card_image(loaded, self._pki))

    @property
    def persona(self) -> str:
        return self.applet.image.persona

    @property
    def present(self) -> bool:
        return self._present

    # -- the resident's hand -------------------------------------------------------------------
    def insert(self) -> None:
        with self._changed:
            if self._present:
                return
            self.applet.reset()
            self._present = True
            self._insertion += 1
            self._resets = 0
            self._events += 1
            self._changed.notify_all()
        log.info("in-process virtual card inserted", extra={"persona": self.persona})

    def remove(self) -> None:
        with self._changed:
            if not self._present:
                return
            self._present = False
            self._transaction = None
            self.applet.reset()
            self._events += 1
            self._changed.notify_all()
        log.info("in-process virtual card removed", extra={"persona": self.persona})

    def swap(self, persona: Persona | str) -> None:
        """Pull the card out and insert another persona's card."""
        self.remove()
        self.applet = self._build(persona)
        self.insert()

    # -- CardTransport: contexts and reader state ------------------------------------------
    def establish(self) -> tuple[int, int]:
        with self._changed:
            context = next(self._ids)
            self._contexts.add(context)
        return S_SUCCESS, context

    def release(self, context: int) -> None:
        with self._changed:
            self._contexts.discard(context)
            self._changed.notify_all()

    def list_readers(self, context: int) -> tuple[int, list[str]]:
        if context not in self._contexts:
            return E_INVALID_HANDLE, []
        return S_SUCCESS, [self.reader_name]

    def _state(self) -> int:
        flags = STATE_PRESENT if self._present else STATE_EMPTY
        return flags | ((self._events & 0xFFFF) << 16)

    def status_change(
        self, context: int, reader: str, known_state: int, timeout_ms: int
    ) -> tuple[int, int]:
        if reader != self.reader_name:
            return E_UNKNOWN_READER, 0
        deadline = time.monotonic() + timeout_ms / 1000
        with self._changed:
            while True:
                if context not in self._contexts:
                    return E_INVALID_HANDLE, 0
                state = self._state()
                if known_state == STATE_UNAWARE or (state & ~STATE_CHANGED) != (
                    known_state & ~STATE_CHANGED
                ):
                    return S_SUCCESS, state | STATE_CHANGED
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return E_TIMEOUT, state
                self._changed.wait(remaining)

    # -- CardTransport: the card -----------------------------------------------------------
    def connect(self, context: int, reader: str) -> tuple[int, int, int]:
        with self._changed:
            if context not in self._contexts:
                return E_INVALID_HANDLE, 0, 0
            if reader != self.reader_name:
                return E_UNKNOWN_READER, 0, 0
            if not self._present:
                return E_NO_SMARTCARD, 0, 0
            card = next(self._ids)
            self._handles[card] = _Handle(
                context=context, insertion=self._insertion, resets_seen=self._resets
            )
        return S_SUCCESS, card, PROTOCOL

    def _check(self, card: int) -> int:
        """The handle's standing (call with the lock held)."""
        handle = self._handles.get(card)
        if handle is None:
            return E_INVALID_HANDLE
        if not self._present or handle.insertion != self._insertion:
            return W_REMOVED_CARD
        if handle.resets_seen != self._resets:
            return W_RESET_CARD
        return S_SUCCESS

    def reconnect_with_reset(self, card: int) -> tuple[int, int]:
        with self._changed:
            code = self._check(card)
            if code == W_RESET_CARD:
                code = S_SUCCESS
            if code != S_SUCCESS:
                return code, 0
            self._reset_locked(card)
        return S_SUCCESS, PROTOCOL

    def _reset_locked(self, card: int) -> None:
        self.applet.reset()
        self._resets += 1
        self._handles[card].resets_seen = self._resets
        if self._transaction == card:
            self._transaction = None

    def atr(self, card: int) -> tuple[int, bytes]:
        with self._changed:
            code = self._check(card)
            return code, self.applet.atr if code == S_SUCCESS else b""

    def begin_transaction(self, card: int) -> int:
        deadline = time.monotonic() + TRANSACTION_WAIT_S
        with self._changed:
            while True:
                code = self._check(card)
                if code != S_SUCCESS:
                    return code
                if self._transaction in (None, card):
                    self._transaction = card
                    return S_SUCCESS
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return E_SHARING_VIOLATION
                self._changed.wait(remaining)

    def end_transaction(self, card: int) -> int:
        with self._changed:
            code = self._check(card)
            if self._transaction == card:
                self._transaction = None
                self._changed.notify_all()
            return code

    def transmit(self, card: int, protocol: int, apdu: bytes) -> tuple[int, bytes]:
        with self._changed:
            code = self._check(card)
            if code != S_SUCCESS:
                return code, b""
            if self._transaction not in (None, card):
                return E_SHARING_VIOLATION, b""
            self.apdu_count += 1
            return S_SUCCESS, self.applet.process(bytes(apdu))

    def control(self, card: int, code: int, data: bytes) -> tuple[int, bytes]:
        """A plain reader: no PC/SC part 10 features, so no pinpad."""
        with self._changed:
            standing = self._check(card)
        if standing != S_SUCCESS:
            return standing, b""
        return E_UNSUPPORTED_FEATURE, b""

    def disconnect_with_reset(self, card: int) -> int:
        with self._changed:
            code = self._check(card)
            if code in (S_SUCCESS, W_RESET_CARD):
                self._reset_locked(card)
            self._handles.pop(card, None)
            if self._transaction == card:
                self._transaction = None
            self._changed.notify_all()
        return S_SUCCESS
