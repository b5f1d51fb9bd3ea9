"""Crash injection for tests only: SIGKILL this process at a chosen point of the product's code.

The product carries no hook: a test launcher (a child process started by the test) calls
`arm_journal(state)` or `arm_after(owner, name, ...)` before it starts the code under test; the
chosen method is wrapped so that the process kills itself right after the wrapped call returned
(for the journal: right after the chosen state was committed).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

from hardware.payment.journal import PaymentJournal, PaymentRecord, PaymentState


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm_after(
    owner: Any, name: str, *, when: Callable[..., bool] = lambda *_a, **_k: True, nth: int = 1
) -> None:
    """Kill the process after the `nth` call of `owner.name` for which `when(*args, **kwargs)`."""
    original = getattr(owner, name)
    seen = [0]

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if when(*args, **kwargs):
            seen[0] += 1
            if seen[0] >= nth:
                die()
        return result

    setattr(owner, name, wrapped)


def arm_journal(state: PaymentState) -> None:
    """Kill the process right after the payment journal committed `state`."""
    create, set_state = PaymentJournal.create, PaymentJournal.set_state

    def created(self: PaymentJournal, **kwargs: Any) -> PaymentRecord:
        record = create(self, **kwargs)
        if state is PaymentState.CREATED:
            die()
        return record

    def moved(self: PaymentJournal, reference: str, to: PaymentState, **fields: Any) -> Any:
        record = set_state(self, reference, to, **fields)
        if to is state:
            die()
        return record

    PaymentJournal.create = created  # type: ignore[method-assign]
    PaymentJournal.set_state = moved  # type: ignore[method-assign,assignment]
