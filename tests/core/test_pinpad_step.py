"""The pinpad step's logic with the fakes: which outcome leads where, and no digit from the screen.

The same paths through pcscd and the real stack are in tests/journey/test_pinpad_journey.py.
"""

from __future__ import annotations

from kiosk.flows.identify import KEY_PIN_LAST_TRY, KEY_PIN_WRONG
from kiosk.flows.pinpad import KEY_PINPAD_CANCELLED, KEY_PINPAD_TIMED_OUT, PINPAD
from kiosk.session import SessionState as S
from kiosk.speech import screen_utterance
from tests.core.fakes import Rig


def test_a_reader_without_pinpad_keeps_the_screen_pad(rig: Rig) -> None:
    assert rig.to_pin().state is S.PIN
    assert rig.fakes.card.reader_entries == []


def test_the_pin_typed_on_the_reader_proves_the_citizen(rig: Rig) -> None:
    card = rig.fakes.card
    card.pinpad = True
    card.typed_on_reader = ["1234"]
    view = rig.to_pin(language="nl")
    assert view.state is S.CHOOSE_DOCUMENTS
    assert card.reader_entries == ["nl"]
    assert card.received_pins == [], "no PIN from the screen"
    assert len(card.proved) == 1
    assert any(v.state is PINPAD for v in rig.views)


def test_screen_digits_are_ignored_while_the_reader_waits(rig: Rig) -> None:
    card = rig.fakes.card
    card.pinpad = True
    card.typed_on_reader = ["1234"]
    c = rig.controller
    c.touch()
    c.choose_language("fr")
    card.insert()
    while c.state is not PINPAD:
        rig.poster.queue.pop(0)()
    for digit in "1234":
        c.pin_digit(digit)
    c.pin_submit()
    assert c.view.pin_dots == 0
    assert c.state is PINPAD
    assert rig.pump().state is S.CHOOSE_DOCUMENTS
    assert card.received_pins == []


def test_a_wrong_pin_on_the_reader_asks_the_reader_again(rig: Rig) -> None:
    card = rig.fakes.card
    card.pinpad = True
    card.typed_on_reader = ["9999", "8888", "1234"]
    assert rig.to_pin().state is S.CHOOSE_DOCUMENTS
    notices = [v.notice_key for v in rig.views if v.state is PINPAD]
    assert KEY_PIN_WRONG in notices
    assert KEY_PIN_LAST_TRY in notices
    assert len(card.reader_entries) == 3


def test_three_wrong_pins_on_the_reader_block_the_card(rig: Rig) -> None:
    card = rig.fakes.card
    card.pinpad = True
    card.typed_on_reader = ["9999", "8888", "7777"]
    view = rig.to_pin()
    assert view.state is S.ERROR
    assert view.error_key == "eid.error.pin_blocked"


def test_the_readers_time_out_then_try_again(rig: Rig) -> None:
    card = rig.fakes.card
    card.pinpad = True
    card.typed_on_reader = [None]
    view = rig.to_pin()
    assert (view.state, view.error_key) == (S.ERROR, KEY_PINPAD_TIMED_OUT)
    assert card.tries == 3
    card.typed_on_reader = ["1234"]
    rig.controller.retry()
    assert rig.pump().state is S.CHOOSE_DOCUMENTS


def test_the_readers_cancel_key_then_cancel(rig: Rig) -> None:
    card = rig.fakes.card
    card.pinpad = True
    card.typed_on_reader = [""]
    view = rig.to_pin()
    assert (view.state, view.error_key) == (S.ERROR, KEY_PINPAD_CANCELLED)
    rig.controller.cancel()
    assert rig.pump().state is S.REMOVE_CARD


def test_the_pinpad_screen_is_spoken(rig: Rig) -> None:
    card = rig.fakes.card
    card.pinpad = True
    card.typed_on_reader = ["9999"]
    rig.to_pin(language="en")
    view = next(v for v in rig.views if v.state is PINPAD and v.notice_key)
    text = screen_utterance(view).text
    assert "Type your PIN on the card reader's keypad" in text
    assert "Incorrect PIN" in text or "wrong" in text.lower()
    assert "tries left" in text.lower() or "2" in text
