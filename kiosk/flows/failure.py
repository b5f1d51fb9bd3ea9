"""What the resident is shown when a step fails before any money moved."""

from __future__ import annotations

import logging

from hardware.errors import BorneError, DeviceBusy, DeviceTimeout
from kiosk.flows.staff import KEY_GENERIC
from kiosk.session import SessionState

log = logging.getLogger(__name__)


def failure_shown(
    err: BaseException, *, state: SessionState, card_present: bool
) -> tuple[str, SessionState | None]:
    """The error's translation key, and the step a Retry goes back to (reading again, when the
    reader was busy or slow and the card is still there), else None."""
    if isinstance(err, BorneError):
        key = err.translation_key
    else:
        log.error("unexpected_failure", exc_info=err)
        key = KEY_GENERIC
    retriable = isinstance(err, DeviceTimeout | DeviceBusy) and card_present
    return key, SessionState.READING if retriable and state is SessionState.READING else None
