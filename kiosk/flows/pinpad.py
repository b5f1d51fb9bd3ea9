"""The PIN typed on the reader: when the eID reader has a pinpad (PC/SC part 10
FEATURE_VERIFY_PIN_DIRECT), the PIN goes from its keypad to the card and never crosses the kiosk.

The step is declared here (`kiosk.steps.declare_step`): entered from READING instead of the
on-screen PIN pad, it waits on the reader (its own time-out, 30 s, stands for the step's
inactivity time-out) and leads to VERIFYING once the card accepted the PIN. The screen has no
digits and the controller takes none in this state (`JourneyController.pin_digit` only acts on
PIN). `kiosk.flows.identify.IdentifyFlow` asks the reader and maps its answers:

* accepted: VERIFYING, then the citizen proof (the card signs: PIN once, no second entry);
* wrong PIN with tries left: the same step, the notice says so, and the reader asks again;
* blocked: the error of a blocked PIN;
* the reader's time-out or its cancel key: an error screen saying so, whose "Try again" reads the
  card again and asks the reader again (nothing was lost: neither costs a try).
"""

from __future__ import annotations

from kiosk.session import SessionState
from kiosk.steps import Step, declare_step

__all__ = ["KEY_PINPAD_CANCELLED", "KEY_PINPAD_TIMED_OUT", "PINPAD"]

S = SessionState

KEY_PINPAD_TIMED_OUT = "pinpad.timed_out"
KEY_PINPAD_CANCELLED = "pinpad.cancelled"

PINPAD = SessionState.declare("pinpad")
declare_step(
    Step(
        state=PINPAD,
        screen="ui.screens.pinpad:PinpadScreen",
        prompt_key="pinpad.prompt",
        timeout_s=None,  # the reader's own time-out
        personal_data=True,
        entered_from=frozenset({S.READING}),
        forward=frozenset({S.VERIFYING, S.REMOVE_CARD}),
    )
)
