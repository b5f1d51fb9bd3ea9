from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import PySide6
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

import ui.app
from kiosk.journey import JourneyController
from kiosk.report import JourneyReport
from kiosk.session import SessionState
from tests.core.fakes import FakePorts, make_settings
from tests.ui.conftest import UiRig
from ui.app import RunResult, binding_loses_none_references, run_kiosk
from ui.autoplay import AutoplayError, AutoplayRound, AutoplayScript
from ui.screens.pin import PinScreen
from ui.theme import min_target_px
from ui.watchdog import EventLoopWatchdog

S = SessionState
STALL_LIMIT_MS = 50.0


def off_main_thread(fn: object) -> None:
    assert callable(fn)
    thread = threading.Thread(target=fn)
    thread.start()
    thread.join()


def autoplayed(
    fakes: FakePorts,
    autoplay: AutoplayScript | list[AutoplayRound],
    *,
    sessions: int = 1,
    on_start: Callable[[JourneyController, Callable[[int], None]], None] | None = None,
) -> RunResult:
    """The kiosk on the fake ports, played by `autoplay`."""
    return run_kiosk(
        ports=fakes.ports,
        settings=make_settings(),
        autoplay=autoplay,
        sessions=sessions,
        on_start=on_start,
        insert_card=fakes.card.insert,
        remove_card=fakes.card.remove,
        autoplay_timeout_s=30,
    )


def test_autoplay_plays_two_residents_through_the_widgets(
    qapp: QApplication, fakes: FakePorts
) -> None:
    script = AutoplayScript(
        language="nl", pin="1234", documents=("household", "residence"), document_language="fr"
    )
    result = autoplayed(fakes, script, sessions=2)
    assert result.finished
    assert [r.outcome for r in result.reports] == ["completed", "completed"]
    for report in result.reports:
        assert report.documents == ("household", "residence")
        assert report.language == "nl"
        assert report.document_language == "fr"
        assert report.amount_cents == 500
        assert all(Path(p).name.endswith(".pdf") for p in report.pdf_paths)
        assert report.steps_ms["payment"] >= 0
    assert fakes.printer.printed == ["household", "residence"] * 2
    assert fakes.card.received_pins == [b"1234", b"1234"]
    assert fakes.payment.net_charged == 1000
    assert result.max_stall_ms >= 0  # the figure is reported; its 50 ms budget is in bench/
    assert result.as_dict()["finished"] is True


def test_autoplay_gives_up_on_a_wrong_pin_without_burning_tries(
    qapp: QApplication, fakes: FakePorts
) -> None:
    script = AutoplayScript(language="fr", pin="0000", documents=("life",), document_language="fr")
    result = autoplayed(fakes, script)
    assert result.finished
    assert [r.outcome for r in result.reports] == ["cancelled"]
    assert fakes.card.tries == 2
    assert fakes.printer.printed == []


def test_autoplay_rounds_each_play_their_script_in_one_window(
    qapp: QApplication, fakes: FakePorts
) -> None:
    """A round's `prepare` runs off the Qt thread, the kiosk idle, before its first resident."""
    reports: list[JourneyReport] = []
    journeys: list[JourneyController] = []
    prepared: list[tuple[str, int, bool]] = []

    def started(controller: JourneyController, _exit: Callable[[int], None]) -> None:
        journeys.append(controller)
        controller.on_report(reports.append)

    def prepare() -> None:
        journey = journeys[0]
        idle = journey.view.state is S.ATTRACT and not journey.view.card_present
        prepared.append((threading.current_thread().name, len(reports), idle))

    rounds = [
        AutoplayRound(
            script=AutoplayScript(
                language="nl", pin="1234", documents=("household",), document_language="nl"
            ),
            sessions=1,
        ),
        AutoplayRound(
            script=AutoplayScript(
                language="de", pin="1234", documents=("life",), document_language="fr"
            ),
            sessions=2,
            prepare=prepare,
        ),
    ]
    result = autoplayed(fakes, rounds, on_start=started)
    assert result.finished
    assert len(journeys) == 1  # one journey, one window, for every round
    assert [(r.language, r.documents) for r in result.reports] == [
        ("nl", ("household",)),
        ("de", ("life",)),
        ("de", ("life",)),
    ]
    assert [r.outcome for r in result.reports] == ["completed"] * 3
    assert len(prepared) == 1
    thread, reported, idle = prepared[0]
    assert thread.startswith("autoplay-card")
    assert reported == 1  # after the first round's resident, before the second round's
    assert idle
    assert fakes.printer.printed == ["household", "life", "life"]


def test_a_round_plays_at_least_one_resident() -> None:
    script = AutoplayScript(language="fr", pin="1234", documents=("life",), document_language="fr")
    with pytest.raises(AutoplayError):
        AutoplayRound(script=script, sessions=0)


def to_summary(ui: UiRig) -> None:
    ui.click("start")
    ui.wait_for(S.LANGUAGE)
    ui.click("lang_fr")
    ui.wait_for(S.INSERT_CARD)
    off_main_thread(ui.fakes.card.insert)
    ui.wait_for(S.PIN)
    for digit in "1234":
        ui.click(f"pin_{digit}")
    ui.click("pin_ok")
    ui.wait_for(S.CHOOSE_DOCUMENTS)
    ui.click("doc_household")
    ui.click("docs_confirm")
    ui.wait_for(S.SUMMARY)


def test_card_removed_mid_journey_returns_to_attract_and_charges_nothing(ui: UiRig) -> None:
    to_summary(ui)
    assert "2,50" in ui.button("summary_confirm").text()
    off_main_thread(ui.fakes.card.remove)
    ui.wait_for(S.ATTRACT)
    assert ui.window.stack.currentWidget() is ui.window.screens[S.ATTRACT]
    assert ui.fakes.payment.charged == {}
    assert ui.fakes.printer.printed == []
    assert ui.controller.reports[-1].outcome == "abandoned"


def test_wrong_pin_shows_tries_left(ui: UiRig, qtbot: QtBot) -> None:
    ui.click("start")
    ui.click("lang_fr")
    off_main_thread(ui.fakes.card.insert)
    ui.wait_for(S.PIN)
    screen = ui.window.current_screen
    assert isinstance(screen, PinScreen)
    assert screen.tries.text() == "Essais restants : 3"
    QTest.keyClicks(screen, "9999")
    assert screen.dots.text() == "\u25cf" * 4
    assert "9" not in screen.dots.text()
    QTest.keyClick(screen, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.tries.text() == "Essais restants : 2", timeout=5000)
    assert screen.notice.text() == "Code PIN incorrect"
    assert screen.dots.text() == ""
    assert not screen.ok.isEnabled()


def test_watchdog_catches_a_blocked_loop(qtbot: QtBot) -> None:
    watchdog = EventLoopWatchdog(threshold_ms=STALL_LIMIT_MS)
    watchdog.start()
    try:
        qtbot.waitUntil(lambda: watchdog.beats >= 3, timeout=2000)

        def block() -> None:  # a deliberate busy loop on the main thread
            deadline = time.perf_counter() + 0.12
            while time.perf_counter() < deadline:
                pass

        QTimer.singleShot(0, block)
        qtbot.waitUntil(lambda: watchdog.stalls_over_threshold >= 1, timeout=2000)
        assert watchdog.max_stall_ms > 100
    finally:
        watchdog.stop()


def test_watchdog_passes_a_normal_journey(ui: UiRig, qtbot: QtBot) -> None:
    watchdog = EventLoopWatchdog(threshold_ms=STALL_LIMIT_MS)
    ui.window.warm_up()
    watchdog.start()
    try:
        to_summary(ui)
        ui.click("summary_confirm")
        ui.wait_for(S.TAKE_DOCUMENTS)
        assert not ui.button("take_done").isEnabled()  # the card comes back first
        off_main_thread(ui.fakes.card.remove)
        ui.qtbot.waitUntil(lambda: ui.button("take_done").isEnabled(), timeout=5000)
        ui.click("take_done")
        ui.wait_for(S.ATTRACT)
    finally:
        watchdog.stop()
    assert watchdog.beats > 0  # the loop was watched all along; the stall budget is in bench/
    assert ui.fakes.printer.printed == ["household"]


def test_touch_targets_are_at_least_two_centimetres(ui: UiRig) -> None:
    size = min_target_px()
    assert size >= 76  # 2 cm at 96 dpi
    buttons = ui.window.findChildren(QPushButton)
    assert len(buttons) > 20
    for button in buttons:
        assert button.minimumWidth() >= size, button.objectName()
        assert button.minimumHeight() >= size, button.objectName()


def test_language_buttons_are_named_in_their_own_language(ui: UiRig) -> None:
    ui.click("start")
    ui.wait_for(S.LANGUAGE)
    names = {code: ui.button(f"lang_{code}").accessibleName() for code in ("fr", "nl", "de", "en")}
    assert names == {"fr": "Français", "nl": "Nederlands", "de": "Deutsch", "en": "English"}


@pytest.mark.parametrize("lang", ["nl", "de"])
def test_screens_follow_the_chosen_language(ui: UiRig, lang: str) -> None:
    ui.click("start")
    ui.click(f"lang_{lang}")
    ui.wait_for(S.INSERT_CARD)
    expected = {"nl": "Annuleren", "de": "Abbrechen"}[lang]
    assert ui.button("cancel").text() == expected
    ui.click("cancel")
    ui.wait_for(S.ATTRACT)


def test_binding_refcount_probe_answers(qapp: QApplication) -> None:
    affected = PySide6.__version__ == "6.12.0" and sys.version_info < (3, 12)
    assert binding_loses_none_references() is affected


def test_the_kiosk_hands_freed_memory_back_after_each_resident(
    qapp: QApplication, fakes: FakePorts, monkeypatch: pytest.MonkeyPatch
) -> None:
    trims: list[int] = []

    def counted() -> bool:
        trims.append(1)
        return True

    monkeypatch.setattr(ui.app, "release_freed_memory", counted)
    script = AutoplayScript(language="fr", pin="1234", documents=("life",), document_language="fr")
    result = autoplayed(fakes, script, sessions=2)
    assert [r.outcome for r in result.reports] == ["completed", "completed"]
    assert len(trims) == len(result.reports) + 1  # after each resident, and once the window is gone
