"""Staff log in with their own eID: identity read, allow-list, PIN on the card, citizen proof.

The card's identity is read first; a national number absent from the central's staff allow-list
(`staff.allow`) is refused before any PIN is sent, so a resident's card never loses a PIN try
here. Then the PIN is verified by the card, and the card signs a fresh nonce of the central, which
checks the signature and the certificate chain to the Belgian roots exactly as for a resident
(`RegisterPort.extract`): a cloned card, whose chip cannot sign for that certificate, is refused.
The central answering "not in the register" still means the proof held (it is checked first).
The card's session is ended after every attempt; nothing read is kept but the pseudonymous id.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol, TypeVar

from kiosk.maintenance.audit import Pseudonyms
from kiosk.maintenance.session import AttemptLimiter, LoginMethod, StaffIdentity
from kiosk.ports import CardHolder, PinOutcome, PinResult, Presence, RegisterExtract
from offline_queue.errors import CitizenProofRefused, NotInRegister, SyncError
from offline_queue.managed_config import StaffRole

log = logging.getLogger(__name__)
T = TypeVar("T")


class CardLoginResult(enum.Enum):
    ACCEPTED = "accepted"
    NOT_STAFF = "not_staff"  # a card, but not of someone on the staff allow-list
    WRONG_PIN = "wrong_pin"
    BLOCKED = "blocked"
    PROOF_REFUSED = "proof_refused"
    NO_CARD = "no_card"  # no card, or one that cannot be read
    CENTRAL_UNAVAILABLE = "central_unavailable"
    LOCKED = "locked"


@dataclass(frozen=True, slots=True, kw_only=True)
class CardLogin:
    result: CardLoginResult
    identity: StaffIdentity | None = None
    tries_left: int | None = None
    locked_for_s: float = 0.0


class StaffCard(Protocol):
    def read_holder(self) -> Future[CardHolder]: ...
    def verify_pin(self, pin: bytearray) -> Future[PinResult]: ...
    def prove_presence(self, nonce: str) -> Future[Presence]: ...
    def end_session(self) -> Future[None]: ...


class ProofChecker(Protocol):
    def challenge(self) -> Future[str]: ...
    def extract(self, national_number: str, presence: Presence) -> Future[RegisterExtract]: ...


def wipe(pin: bytearray) -> None:
    for index in range(len(pin)):
        pin[index] = 0


class StaffCardLogin:
    """`login(pin)` runs the whole check on the card's and the central's threads."""

    def __init__(
        self,
        *,
        card: StaffCard,
        central: ProofChecker,
        role_of: Callable[[str], StaffRole | None],
        pseudonyms: Pseudonyms,
        limiter: AttemptLimiter,
    ) -> None:
        self._card = card
        self._central = central
        self._role_of = role_of
        self._pseudonyms = pseudonyms
        self._limiter = limiter

    def login(self, pin: bytearray) -> Future[CardLogin]:
        """The staff member's card is in the reader; `pin` is wiped whatever happens."""
        out: Future[CardLogin] = Future()
        locked = self._limiter.locked_for_s()
        if locked > 0:
            wipe(pin)
            out.set_result(CardLogin(result=CardLoginResult.LOCKED, locked_for_s=locked))
            return out

        def finish(login: CardLogin) -> None:
            if login.result is CardLoginResult.ACCEPTED:
                self._limiter.succeeded()
            elif login.result in _COUNTED:
                self._limiter.failed()
            log.info(
                "staff_card_login",
                extra={"result": login.result.value, "failures": self._limiter.failures},
            )
            ended = self._card.end_session()
            ended.add_done_callback(lambda _f: out.set_result(login))

        def failed(result: CardLoginResult) -> Callable[[BaseException], None]:
            def handle(err: BaseException) -> None:
                log.warning(
                    "staff_card_login_step_failed",
                    extra={"result": result.value, "error": type(err).__name__},
                )
                finish(CardLogin(result=result))

            return handle

        def holder_read(holder: CardHolder) -> None:
            number = holder.national_number
            role = self._role_of(number)
            if role is None:
                wipe(pin)
                finish(CardLogin(result=CardLoginResult.NOT_STAFF))
                return
            identity = StaffIdentity(
                actor=self._pseudonyms.of(number), role=role, method=LoginMethod.EID
            )
            _then(
                self._card.verify_pin(pin),
                lambda r: pin_checked(r, number, identity),
                failed(CardLoginResult.NO_CARD),
            )

        def pin_checked(result: PinResult, number: str, identity: StaffIdentity) -> None:
            if result.outcome is PinOutcome.BLOCKED or result.tries_left == 0:
                finish(CardLogin(result=CardLoginResult.BLOCKED, tries_left=0))
                return
            if result.outcome is not PinOutcome.ACCEPTED:
                finish(CardLogin(result=CardLoginResult.WRONG_PIN, tries_left=result.tries_left))
                return
            _then(
                self._central.challenge(),
                lambda nonce: prove(nonce, number, identity),
                failed(CardLoginResult.CENTRAL_UNAVAILABLE),
            )

        def prove(nonce: str, number: str, identity: StaffIdentity) -> None:
            _then(
                self._card.prove_presence(nonce),
                lambda presence: check(presence, number, identity),
                failed(CardLoginResult.PROOF_REFUSED),
            )

        def check(presence: Presence, number: str, identity: StaffIdentity) -> None:
            def refused(err: BaseException) -> None:
                if isinstance(err, NotInRegister):  # the proof held; the register is no matter
                    finish(CardLogin(result=CardLoginResult.ACCEPTED, identity=identity))
                elif isinstance(err, CitizenProofRefused):
                    failed(CardLoginResult.PROOF_REFUSED)(err)
                elif isinstance(err, SyncError):
                    failed(CardLoginResult.CENTRAL_UNAVAILABLE)(err)
                else:
                    failed(CardLoginResult.PROOF_REFUSED)(err)

            _then(
                self._central.extract(number, presence),
                lambda _extract: finish(
                    CardLogin(result=CardLoginResult.ACCEPTED, identity=identity)
                ),
                refused,
            )

        def not_read(err: BaseException) -> None:
            wipe(pin)
            failed(CardLoginResult.NO_CARD)(err)

        _then(self._card.read_holder(), holder_read, not_read)
        return out


_COUNTED = frozenset(
    {CardLoginResult.NOT_STAFF, CardLoginResult.WRONG_PIN, CardLoginResult.PROOF_REFUSED}
)


def _then(
    future: Future[T], on_ok: Callable[[T], None], on_error: Callable[[BaseException], None]
) -> None:
    def done(f: Future[T]) -> None:
        err = f.exception()
        if err is not None:
            on_error(err)
        else:
            on_ok(f.result())

    future.add_done_callback(done)
