"""The maintenance mode's diagnostics: one finding per device, from the adapters' own checks.

The card reader and the terminal as the health board last saw them (the fleet heartbeat's facts),
the printer's state with the paper estimate, the seal token's check with its certificate's
expiry, and a heartbeat to the central (reachability, and the clock difference from its answer).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final, TypeVar

from hardware.errors import BorneError
from kiosk import health
from kiosk.ports import DeviceCheck

if TYPE_CHECKING:  # the wire models (pydantic) load when first used
    from offline_queue import wire

if TYPE_CHECKING:
    from kiosk.maintenance.service import MaintenanceParts

log = logging.getLogger(__name__)
T = TypeVar("T")
U = TypeVar("U")

OK: Final = "ok"
WARNING: Final = "warning"
FAILED: Final = "failed"
SEAL_WARN_DAYS: Final = 30
SKEW_WARN_S: Final = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One line of the diagnostics: a device, its verdict (ok/warning/failed), what was seen."""

    device: str
    verdict: str
    key: str
    """Translation key of the sentence shown to staff."""
    params: Mapping[str, str]


def diagnose(
    parts: MaintenanceParts, *, now: Callable[[], datetime]
) -> Future[tuple[Finding, ...]]:
    states = parts.board.snapshot()
    details = parts.board.details()
    fixed = (_reader(states), _terminal(states, details))
    printer = _recover(
        settle(parts.printer.check(), lambda check: _printer(parts, check)),
        lambda err: _failed("printer", err),
    )
    seal = _recover(
        settle(parts.signer.check(), lambda _none: _seal(None, details, now())),
        lambda err: _seal(err, details, now()),
    )
    central = _recover(
        settle(parts.central.send_heartbeat(), lambda message: _central(parts, message)),
        lambda err: _failed("central", err),
    )
    return _gather(fixed, (printer, seal, central))


def _reader(states: Mapping[str, str]) -> Finding:
    state = states.get(health.CARD_READER, health.UNKNOWN)
    verdict = OK if state in ("ready", "present", "connected", "ok") else WARNING
    if state in ("unavailable", "lost", "failed"):
        verdict = FAILED
    return Finding(
        device="card_reader",
        verdict=verdict,
        key="maintenance.diag.reader",
        params={"state": state, "card": states.get(health.CARD, "-")},
    )


def _terminal(states: Mapping[str, str], details: Mapping[str, Mapping[str, datetime]]) -> Finding:
    state = states.get(health.PAYMENT_TERMINAL, health.UNKNOWN)
    last = details.get(health.PAYMENT_TERMINAL, {}).get("last_end_of_day")
    verdict = OK if state in ("ready", "idle", "ok") else WARNING
    if state in ("unavailable", "failed", "suspended"):
        verdict = FAILED
    return Finding(
        device="payment_terminal",
        verdict=verdict,
        key="maintenance.diag.terminal",
        params={"state": state, "last_end_of_day": when(last)},
    )


def _printer(parts: MaintenanceParts, check: DeviceCheck) -> Finding:
    paper = parts.paper.estimate() if parts.paper is not None else None
    verdict = OK if check.ready else FAILED
    if verdict == OK and paper is not None and paper.low:
        verdict = WARNING
    return Finding(
        device="printer",
        verdict=verdict,
        key="maintenance.diag.printer",
        params={
            "state": check.state,
            "pages_left": "-" if paper is None else str(paper.remaining),
            "level": "-" if paper is None else f"{round(paper.level * 100)}",
        },
    )


def _seal(
    err: BaseException | None, details: Mapping[str, Mapping[str, datetime]], now: datetime
) -> Finding:
    not_after = details.get(health.SEAL_TOKEN, {}).get("certificate_not_after")
    days = None if not_after is None else (not_after - now).days
    verdict = OK if err is None else FAILED
    if verdict == OK and days is not None and days < SEAL_WARN_DAYS:
        verdict = WARNING
    return Finding(
        device="seal",
        verdict=verdict,
        key="maintenance.diag.seal" if err is None else error_key(err),
        params={"not_after": when(not_after), "days": "-" if days is None else str(days)},
    )


def _central(parts: MaintenanceParts, message: wire.Heartbeat) -> Finding:
    reachable = parts.central.last_heartbeat is message
    skew = parts.clock_watch.skew_s
    verdict = OK if reachable else FAILED
    if verdict == OK and skew is not None and abs(skew) > SKEW_WARN_S:
        verdict = WARNING
    return Finding(
        device="central",
        verdict=verdict,
        key="maintenance.diag.central" if reachable else "maintenance.diag.central_down",
        params={
            "skew": "-" if skew is None else f"{skew:+.1f}",
            "backlog": str(message.outbox_backlog),
        },
    )


def when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M")


def error_key(err: BaseException) -> str:
    return err.translation_key if isinstance(err, BorneError) else "maintenance.diag.error"


def _failed(device: str, err: BaseException) -> Finding:
    log.warning("maintenance_check_failed", extra={"device": device, "error": type(err).__name__})
    return Finding(device=device, verdict=FAILED, key=error_key(err), params={})


def settle(future: Future[T], convert: Callable[[T], U]) -> Future[U]:
    """`future`'s value converted (its error, or the conversion's, stays an error)."""
    out: Future[U] = Future()

    def done(f: Future[T]) -> None:
        err = f.exception()
        if err is not None:
            out.set_exception(err)
            return
        try:
            out.set_result(convert(f.result()))
        except Exception as failure:  # noqa: BLE001 - the caller sees it as the future's error
            out.set_exception(failure)

    future.add_done_callback(done)
    return out


def _recover(future: Future[T], convert: Callable[[BaseException], T]) -> Future[T]:
    out: Future[T] = Future()

    def done(f: Future[T]) -> None:
        err = f.exception()
        out.set_result(f.result() if err is None else convert(err))

    future.add_done_callback(done)
    return out


def _gather(
    fixed: Sequence[Finding], pending: Sequence[Future[Finding]]
) -> Future[tuple[Finding, ...]]:
    out: Future[tuple[Finding, ...]] = Future()
    left = [len(pending)]

    def done(_f: Future[Finding]) -> None:
        left[0] -= 1
        if left[0] == 0:
            out.set_result((*fixed, *(f.result() for f in pending)))

    for future in pending:
        future.add_done_callback(done)
    return out
