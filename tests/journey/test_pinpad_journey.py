"""The pinpad path on the real stack: the eID reader is a pinpad reader simulated at the
SCardControl level only (`hardware.simulators.eid.pinpad`); the card, pcscd and vpcd, the terminal,
SoftHSM2, cupsd and the central are real.

The kiosk's sent APDUs (every SCardTransmit of its transport) and its log hold no PIN: the only
VERIFY with a PIN block is the reader's own, built from the digits typed on its keys.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.sim import SimStack
from hardware.eid.transport import PcscTransport
from hardware.simulators.eid.pinpad import SimulatedPinpad
from kiosk.flows.pinpad import KEY_PINPAD_CANCELLED, KEY_PINPAD_TIMED_OUT, PINPAD
from kiosk.flows.purpose import PURPOSE
from kiosk.session import SessionState as S
from tests.journey.conftest import REPO, Rig, lp_readable_dir

pytestmark = [
    pytest.mark.pcsc,
    pytest.mark.hsm,
    pytest.mark.cups,
    pytest.mark.central,
    pytest.mark.serial,
]


@pytest.fixture(scope="module")
def stack(var_dir: Path) -> Iterator[SimStack]:
    with SimStack(var_dir=var_dir, persona="marie", pinpad=True) as s:
        yield s


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every APDU that goes through pcscd (the kiosk's and the reader's own)."""
    apdus: list[bytes] = []
    transmit = PcscTransport.transmit

    def recording(self: PcscTransport, card: int, protocol: int, apdu: bytes) -> tuple[int, bytes]:
        apdus.append(bytes(apdu))
        return transmit(self, card, protocol, apdu)

    monkeypatch.setattr(PcscTransport, "transmit", recording)
    return apdus


def pinpad_of(rig: Rig) -> SimulatedPinpad:
    assert rig.stack.pinpad is not None
    return rig.stack.pinpad


def to_pinpad(rig: Rig) -> None:
    c = rig.controller
    c.touch()
    rig.state(S.LANGUAGE)
    c.choose_language("fr")
    rig.state(S.INSERT_CARD)
    rig.stack.insert_card()
    rig.state(PINPAD)


def pin_verifies(apdus: list[bytes]) -> list[bytes]:
    """The VERIFY commands that carry a PIN block (not the empty status query)."""
    return [a for a in apdus if a[1:2] == b"\x20" and len(a) > 5]


def test_pin_on_the_pinpad_to_printed_documents(
    rig: Rig, sent: list[bytes], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pinpad = pinpad_of(rig)
    entries = pinpad.entries
    c = rig.controller
    to_pinpad(rig)
    assert rig.controller.view.prompt_key == "pinpad.prompt"
    for digit in rig.stack.pin:  # digits pressed on the screen are never taken
        c.pin_digit(digit)
    c.pin_submit()
    assert c.view.pin_dots == 0
    assert c.state is PINPAD
    rig.stack.type_on_reader(rig.stack.pin)
    rig.state(S.CHOOSE_DOCUMENTS)
    assert pinpad.entries == entries + 1, "one entry on the reader, the proof asks no other"
    c.toggle_document("household")
    c.set_document_language("fr")
    c.confirm_documents()
    rig.state(PURPOSE)
    c.choose_purpose("not_stated")
    rig.state(S.SUMMARY)
    c.confirm_summary()
    rig.state(S.TAKE_DOCUMENTS)
    c.documents_taken()
    rig.state(S.REMOVE_CARD)
    rig.stack.remove_card()
    rig.state(S.ATTRACT)
    (report,) = rig.controller.reports
    assert report.outcome == "completed"
    (printed,) = [Path(p) for p in report.pdf_paths]
    assert printed.exists()

    verifies = pin_verifies(sent)
    assert verifies == pinpad.sent[-1:], "the only PIN block sent is the reader's own"
    kiosk_apdus = [a for a in sent if a not in pinpad.sent]
    assert not pin_verifies(kiosk_apdus)
    block = verifies[0][5:].hex().upper()
    for record in caplog.records:
        text = record.getMessage() + " ".join(str(v) for v in vars(record).values())
        assert block not in text.upper()
        assert f"'{rig.stack.pin}'" not in text


def test_a_wrong_pin_on_the_pinpad_is_asked_again(rig: Rig, sent: list[bytes]) -> None:
    pinpad = pinpad_of(rig)
    to_pinpad(rig)
    pinpad.type_pin("9999")
    view = rig.pump.until(rig.controller, lambda v: v.notice_key == "pin.wrong")
    assert view.state is PINPAD
    assert view.tries_left == 2
    pinpad.type_pin(rig.stack.pin)  # the reader asks again at once
    rig.state(S.CHOOSE_DOCUMENTS)
    rig.controller.cancel()
    rig.state(S.REMOVE_CARD)
    rig.stack.remove_card()
    rig.state(S.ATTRACT)
    assert len(pin_verifies(sent)) == 2


def test_cancel_on_the_pinpad(rig: Rig, sent: list[bytes]) -> None:
    pinpad = pinpad_of(rig)
    to_pinpad(rig)
    pinpad.cancel()
    view = rig.state(S.ERROR)
    assert view.error_key == KEY_PINPAD_CANCELLED
    assert not pin_verifies(sent), "a cancel on the reader sends nothing to the card"
    rig.controller.cancel()  # the resident leaves
    rig.state(S.REMOVE_CARD)
    rig.stack.remove_card()
    rig.state(S.ATTRACT)
    (report,) = rig.controller.reports
    assert report.outcome == "cancelled"


def test_timeout_on_the_pinpad_then_try_again(rig: Rig, sent: list[bytes]) -> None:
    pinpad = pinpad_of(rig)
    to_pinpad(rig)
    pinpad.time_out()
    view = rig.state(S.ERROR)
    assert view.error_key == KEY_PINPAD_TIMED_OUT
    assert not pin_verifies(sent)
    pinpad.type_pin(rig.stack.pin)
    rig.controller.retry()  # reads the card again, then asks the reader again
    rig.state(S.CHOOSE_DOCUMENTS)
    assert len(pin_verifies(sent)) == 1
    rig.controller.cancel()
    rig.state(S.REMOVE_CARD)
    rig.stack.remove_card()
    rig.state(S.ATTRACT)


def test_the_demo_plays_a_resident_on_a_pinpad_reader() -> None:
    """`kiosk demo --autoplay --pinpad`: the scripted resident types the PIN on the reader."""
    var_dir = lp_readable_dir("borne-pinpad-demo-")
    try:
        env = {**os.environ, "BORNE_VAR_DIR": str(var_dir), "QT_QPA_PLATFORM": "offscreen"}
        env.pop("DISPLAY", None)
        done = subprocess.run(
            [sys.executable, "-m", "kiosk", "demo", "--autoplay", "--pinpad", "--sessions", "1"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        assert len(lines) == 1, done.stdout + done.stderr[-2000:]
        run = json.loads(lines[0])
        assert run["outcome"] == "completed"
        assert "verify_pin_on_reader" in run["steps_ms"]
        assert "verify_pin" not in run["steps_ms"], "no PIN was taken on the screen"
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
