"""Staff log in with their own eID: identity read, allow-list, PIN on the card, citizen proof.

The card's identity is read first; a national number absent from the central's staff allow-list
(`staff.allow`) is refused before any PIN is sent, so a resident's card never loses a PIN try
here. Then the PIN is verified by the card, and the card signs a fresh nonce of the central, which
checks the signature and the certificate chain to the Belgian roots exactly as for a resident
(`POST /api/v1/staff/proof`, audited as a staff proof; the register is not asked): a cloned card,
whose chip cannot sign for that certificate, is refused.
The card's session is ended after every attempt; nothing read is kept but the pseudonymous id.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol, TypeVar

from hardware.eid.errors import CardVerificationError
from kiosk.maintenance.audit import Pseudonyms
from kiosk.maintenance.session import AttemptLimiter, LoginMethod, StaffIdentity
from kiosk.ports import CardHolder, PinOutcome, PinResult, Presence
from offline_queue.errors import CitizenProofRefused, SyncError
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
    def prove_staff(self, national_number: str, presence: Presence) -> Future[None]: ...


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
        _Attempt(self, pin, out).start()
        return out

    def _finish(self, login: CardLogin, out: Future[CardLogin]) -> None:
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


class _Attempt:
    """One login: each step runs when the previous one's future settles (any thread)."""

    def __init__(self, login: StaffCardLogin, pin: bytearray, out: Future[CardLogin]) -> None:
        self._login = login
        self._card = login._card
        self._central = login._central
        self._pin = pin
        self._out = out
        self._number = ""
        self._identity: StaffIdentity | None = None

    def start(self) -> None:
        _then(self._card.read_holder(), self._holder_read, self._not_read)

    def _finish(self, result: CardLoginResult, *, tries_left: int | None = None) -> None:
        wipe(self._pin)
        identity = self._identity if result is CardLoginResult.ACCEPTED else None
        login = CardLogin(result=result, identity=identity, tries_left=tries_left)
        self._login._finish(login, self._out)

    def _failed(self, result: CardLoginResult) -> Callable[[BaseException], None]:
        def handle(err: BaseException) -> None:
            log.warning(
                "staff_card_login_step_failed",
                extra={"result": result.value, "error": type(err).__name__},
            )
            self._finish(result)

        return handle

    def _not_read(self, err: BaseException) -> None:
        # a card that fails its own checks (cloned chip, tampered files) is refused, not missing
        refused = isinstance(err, CardVerificationError)
        self._failed(CardLoginResult.PROOF_REFUSED if refused else CardLoginResult.NO_CARD)(err)

    def _holder_read(self, holder: CardHolder) -> None:
        self._number = holder.national_number
        role = self._login._role_of(self._number)
        if role is None:
            self._finish(CardLoginResult.NOT_STAFF)  # before any PIN: no try is spent
            return
        actor = self._login._pseudonyms.of(self._number)
        self._identity = StaffIdentity(actor=actor, role=role, method=LoginMethod.EID)
        _then(
            self._card.verify_pin(self._pin),
            self._pin_checked,
            self._failed(CardLoginResult.NO_CARD),
        )

    def _pin_checked(self, result: PinResult) -> None:
        if result.outcome is PinOutcome.BLOCKED or result.tries_left == 0:
            self._finish(CardLoginResult.BLOCKED, tries_left=0)
        elif result.outcome is not PinOutcome.ACCEPTED:
            self._finish(CardLoginResult.WRONG_PIN, tries_left=result.tries_left)
        else:
            _then(
                self._central.challenge(),
                self._prove,
                self._failed(CardLoginResult.CENTRAL_UNAVAILABLE),
            )

    def _prove(self, nonce: str) -> None:
        _then(
            self._card.prove_presence(nonce),
            self._check,
            self._failed(CardLoginResult.PROOF_REFUSED),
        )

    def _check(self, presence: Presence) -> None:
        _then(
            self._central.prove_staff(self._number, presence),
            lambda _proved: self._finish(CardLoginResult.ACCEPTED),
            self._refused,
        )

    def _refused(self, err: BaseException) -> None:
        if isinstance(err, SyncError) and not isinstance(err, CitizenProofRefused):
            self._failed(CardLoginResult.CENTRAL_UNAVAILABLE)(err)
        else:
            self._failed(CardLoginResult.PROOF_REFUSED)(err)


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
