"""A card left in the reader, on the real stack (pcscd + vpcd with the virtual eID left in, the ZVT
simulator, SoftHSM2, cupsd, the central over HTTPS), with the kiosk window and its audio mode
voiced by espeak-ng (read back from the engine's transcript):

* the language screen's time-out warning is heard as a tone, the audio mode not yet on;
* the resident (audio mode on) cancels on the PIN screen and walks away: after the "take your
  card" reminder's time-out the alert is spoken, and the central shows an open
  `card_left_behind` alert naming the screen, while the kiosk stays in service.

The controller runs on a manual clock: the time-outs pass when the test says, never by sleeping.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import requests
from pytestqt.qtbot import QtBot

from devstack.sim import SimStack
from hardware.speech import find_program
from kiosk import app
from kiosk.config import KioskConfig
from kiosk.i18n import translate
from kiosk.journey import JourneyController
from kiosk.session import SessionState as S
from tests.journey.conftest import Pump, Rig
from tests.journey.test_real_stack import pinned_ca
from ui.main_window import KioskWindow
from ui.speech import AudioMode

pytestmark = [
    pytest.mark.ui,
    pytest.mark.pcsc,
    pytest.mark.hsm,
    pytest.mark.cups,
    pytest.mark.central,
    pytest.mark.serial,
    pytest.mark.skipif(find_program("espeak-ng") is None, reason="espeak-ng missing"),
]

LANG = "fr"


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Voiced:
    rig: Rig
    clock: Clock
    mode: AudioMode
    transcript: Path

    def spoken(self) -> list[dict[str, str]]:
        """What espeak-ng was given so far (the speech thread done with every earlier request)."""
        speech = self.rig.kiosk.speech
        assert speech is not None
        speech.silence().result(timeout=15)  # queued behind every utterance asked before it
        if not self.transcript.exists():
            return []
        lines = self.transcript.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]

    def idle_until_warned(self, state: S) -> None:
        c = self.rig.controller
        limit = c.settings.timeouts_s[state] * c.timeout_factor
        self.clock.now += limit - c.settings.timeout_warning_s + 1
        c.tick()
        assert c.view.timeout_warning_s is not None


@pytest.fixture
def voiced(
    stack: SimStack, base_config: KioskConfig, var_dir: Path, qtbot: QtBot
) -> Iterator[Voiced]:
    transcript = var_dir / "card-left" / "transcript.jsonl"
    transcript.unlink(missing_ok=True)
    config = replace(
        base_config, speech=replace(base_config.speech, output="none", transcript=transcript)
    )
    assert stack.token is not None
    kiosk = app.build(
        config, token=stack.token, print_output=config.printing.output_dir, keep_issued=True
    )
    kiosk.ready()
    pump, clock = Pump(), Clock()
    controller = JourneyController(
        ports=kiosk.ports,
        settings=kiosk.settings,
        post=pump.post,
        clock=clock,
        ids=lambda: os.urandom(16).hex(),
        alerts=kiosk.alerts,
    )
    controller.on_change(kiosk.observe)
    kiosk.ports.card.watch(lambda kind: pump.post(lambda: controller.card_event(kind)))
    window = KioskWindow(controller)
    window.ticker.stop()  # the test ticks, on its own clock
    qtbot.addWidget(window)
    assert kiosk.speech is not None
    mode = AudioMode(window, speech=kiosk.speech)
    window.show()
    rig = Rig(kiosk=kiosk, controller=controller, pump=pump, stack=stack)
    try:
        yield Voiced(rig=rig, clock=clock, mode=mode, transcript=transcript)
    finally:
        if stack.card is not None:
            stack.card.remove()
        window.close()
        kiosk.stop()


def _card_left_alerts(rig: Rig) -> list[dict[str, object]]:
    response = requests.get(
        f"{rig.kiosk.config.central.url}/api/v1/alerts",
        params={
            "kiosk_id": rig.kiosk.config.kiosk_id,
            "kind": "card_left_behind",
            "active": "true",
        },
        headers={"Authorization": "Bearer demo-operator-token"},
        timeout=5,
        verify=pinned_ca(rig.kiosk),
    )
    response.raise_for_status()
    alerts: list[dict[str, object]] = response.json()["alerts"]
    return alerts


def test_a_card_left_after_the_reminder_is_spoken_and_reaches_the_central(
    voiced: Voiced,
) -> None:
    rig, c = voiced.rig, voiced.rig.controller
    assert _card_left_alerts(rig) == []
    c.touch()
    rig.state(S.LANGUAGE)
    assert voiced.spoken() == []  # the audio mode is off: nothing said
    voiced.idle_until_warned(S.LANGUAGE)
    (tone,) = voiced.spoken()  # but the warning is heard
    assert (tone["tone"], tone["text"], tone["screen"]) == ("yes", "", "language")
    c.choose_language(LANG)
    rig.state(S.INSERT_CARD)
    voiced.mode.start()
    assert voiced.mode.active
    rig.stack.insert_card()
    rig.state(S.PIN)
    c.cancel()
    rig.state(S.REMOVE_CARD)  # the card is still in the reader: "take your card"
    assert c.view.card_present
    c.tick()  # the reminder's time-out has not passed yet: nothing happens
    assert c.view.prompt_key == "remove_card.prompt"
    voiced.clock.now += c.settings.timeouts_s[S.REMOVE_CARD] * c.timeout_factor + 1
    c.tick()
    assert (c.view.state, c.view.prompt_key) == (S.REMOVE_CARD, "remove_card.alert")
    alert_text = translate("remove_card.alert", LANG)
    said = [x for x in voiced.spoken() if x["screen"] == "remove_card"]
    assert any(alert_text in x["text"] for x in said), said
    assert not c.alerts  # staff are called; the kiosk is not put out of service
    beat = rig.kiosk.sync.send_heartbeat().result(timeout=15)
    assert beat.mode == "in_service"
    (alert,) = _card_left_alerts(rig)
    assert alert["state"] == "open"
    assert str(alert["detail"]).startswith("screen=remove_card"), alert
    rig.stack.remove_card()
    rig.state(S.ATTRACT)
    assert not voiced.mode.active  # the session is over: the audio mode too
