"""Every screen × language × screen size × look: no clipped text, nothing off-screen.

In the normal and high-contrast looks every screen fits whole, nothing scrolls. In large text a
screen's prompt and body may scroll vertically (its footer, with Cancel, Back and the primary
action of the summary, stays in the window); nothing is cut, nothing goes sideways. One window for the whole module, resized and re-themed between cases (never re-created). The
sizes are the kiosk panels the commune may configure (`ui.screenshots.SIZES`): 1080 × 1920
portrait, 1920 × 1080 landscape and 1280 × 1024.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import cast

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication, QPushButton

from kiosk.flows.purpose import DEFAULT_PURPOSES
from kiosk.journey import PROMPT_KEYS, JourneyController
from kiosk.ports import Ports
from kiosk.session import SessionState
from tests.core.fakes import make_settings
from ui.layout import misfits
from ui.main_window import KioskWindow
from ui.screens.documents import DocumentCard
from ui.screens.pin import PinScreen
from ui.screenshots import SIZES, Mode, _Inert, _sample
from ui.theme import (
    DARK_ON_LIGHT,
    LARGE_TEXT_SCALE,
    LIGHT_ON_DARK,
    apply_look,
    configure_screen,
    min_target_px,
)

LONG_COMMUNE = "Ottignies-Louvain-la-Neuve"
LANGUAGES = ("fr", "nl", "de", "en")
CAGE_OUTPUT = (1280, 720)
"""What cage gives the kiosk on the test machine's virtual output."""


@pytest.fixture(scope="module")
def window(qapp: QApplication) -> Iterator[tuple[KioskWindow, JourneyController]]:
    settings = dataclasses.replace(
        make_settings(), commune_name=LONG_COMMUNE, purposes=DEFAULT_PURPOSES
    )
    controller = JourneyController(
        ports=cast(Ports, _Inert()),
        settings=settings,
        post=lambda _f: None,
        clock=time.monotonic,
        ids=lambda: "layout",
    )
    win = KioskWindow(controller)
    win.ticker.stop()
    win.resize(*SIZES["portrait"])
    win.show()
    yield win, controller
    apply_look(win, palette=LIGHT_ON_DARK)
    win.close()
    win.deleteLater()


def _look(win: KioskWindow, mode: Mode) -> None:
    apply_look(
        win,
        palette=DARK_ON_LIGHT if mode is Mode.HIGH_CONTRAST else LIGHT_ON_DARK,
        scale=LARGE_TEXT_SCALE if mode is Mode.LARGE_TEXT else 1.0,
    )


def _settle(win: KioskWindow) -> None:
    for _ in range(2):  # the screens' own re-layout after the window's, then the window's
        QApplication.processEvents()
        layout = win.layout()
        assert layout is not None
        layout.activate()


def _show(
    win: KioskWindow,
    controller: JourneyController,
    state: SessionState,
    *,
    lang: str,
    size: tuple[int, int],
    warning_s: int | None = None,
) -> None:
    view = _sample(dataclasses.replace(controller.view, language=lang), state)
    win.show_view(dataclasses.replace(view, timeout_warning_s=warning_s))
    win.resize(*size)
    _settle(win)


@pytest.mark.parametrize("mode", list(Mode), ids=lambda m: m.value)
@pytest.mark.parametrize("size", list(SIZES), ids=str)
def test_every_screen_fits_every_kiosk_screen(
    window: tuple[KioskWindow, JourneyController], size: str, mode: Mode
) -> None:
    win, controller = window
    _look(win, mode)
    problems: list[str] = []
    for lang in LANGUAGES:
        for state in PROMPT_KEYS:
            _show(win, controller, state, lang=lang, size=SIZES[size])
            assert win.stack.currentWidget() is win.screens[state]
            assert (win.width(), win.height()) == SIZES[size], f"{state.value} resizes the window"
            # large text may scroll a screen's words (never sideways, never its footer)
            found = misfits(win, scrolling=mode is Mode.LARGE_TEXT)
            problems += [f"{lang} {state.value}: {p}" for p in found]
    assert not problems, "\n".join(problems)


def test_large_text_is_half_as_large_again(
    window: tuple[KioskWindow, JourneyController],
) -> None:
    win, controller = window
    sizes: dict[Mode, list[int]] = {}
    for mode in (Mode.NORMAL, Mode.LARGE_TEXT):
        _look(win, mode)
        _show(win, controller, SessionState.SUMMARY, lang="nl", size=SIZES["portrait"])
        screen = win.screens[SessionState.SUMMARY]
        confirm = screen.findChild(QPushButton, "summary_confirm")
        assert confirm is not None
        sizes[mode] = [screen.prompt.fontInfo().pixelSize(), confirm.fontInfo().pixelSize()]
    _look(win, Mode.NORMAL)
    for normal, large in zip(sizes[Mode.NORMAL], sizes[Mode.LARGE_TEXT], strict=True):
        assert large >= 1.5 * normal - 1, sizes


def test_the_checker_sees_a_clipped_button(
    window: tuple[KioskWindow, JourneyController],
) -> None:
    win, controller = window
    _look(win, Mode.NORMAL)
    _show(win, controller, SessionState.PIN, lang="nl", size=SIZES["portrait"])
    screen = win.screens[SessionState.PIN]
    assert isinstance(screen, PinScreen)
    screen.ok.setMinimumSize(0, 0)
    screen.ok.setFixedWidth(150)
    _settle(win)
    try:
        assert any("Bevestigen" in p for p in misfits(win))
    finally:
        screen.ok.setMaximumWidth(16_777_215)
        screen.fit_to(dataclasses.replace(screen.fit, width=1))  # measured again below
        win.refit()


def test_the_checker_sees_a_document_card_cut_short(
    window: tuple[KioskWindow, JourneyController], monkeypatch: pytest.MonkeyPatch
) -> None:
    win, controller = window
    _look(win, Mode.NORMAL)
    _show(win, controller, SessionState.CHOOSE_DOCUMENTS, lang="de", size=SIZES["portrait"])
    card = win.screens[SessionState.CHOOSE_DOCUMENTS].findChild(DocumentCard, "doc_household")
    assert card is not None
    assert card.clipped_text() is None  # the whole title and description, no ellipsis
    least = card.minimumHeight()
    monkeypatch.setattr(card, "_grow", lambda: None)  # as if it did not ask for its height
    card.setMinimumHeight(0)
    card.resize(card.width(), 60)  # as a layout squeezing it would
    assert card.clipped_text() is not None
    assert any("Haushaltszusammensetzung" in p for p in misfits(win))
    monkeypatch.undo()
    card.setMinimumHeight(least)
    _settle(win)
    assert card.clipped_text() is None


def _geometry(win: KioskWindow, name: str) -> QRect:
    button = win.current_page().findChild(QPushButton, name)
    assert button is not None, name
    assert button.isVisibleTo(win), name
    return QRect(button.mapTo(win, QPoint(0, 0)), button.size())


@pytest.mark.parametrize("size", list(SIZES), ids=str)
def test_the_timeout_warning_floats_above_the_screen_and_moves_no_button(
    window: tuple[KioskWindow, JourneyController], size: str
) -> None:
    win, controller = window
    _look(win, Mode.NORMAL)
    state = SessionState.SUMMARY
    _show(win, controller, state, lang="de", size=SIZES[size])
    before = {name: _geometry(win, name) for name in ("summary_confirm", "cancel", "back")}
    _show(win, controller, state, lang="de", size=SIZES[size], warning_s=15)
    panel = win.warning_panel
    assert panel.isVisible()
    assert "15" in panel.warning.text()
    during = {name: _geometry(win, name) for name in before}
    assert during == before
    # floating: not in the window's layout, inside the window, drawn above the screen
    layout = win.layout()
    assert layout is not None
    assert layout.indexOf(panel) == -1
    assert win.rect().contains(panel.geometry())
    centre = panel.geometry().center()
    hit = win.childAt(centre)
    assert hit is not None
    assert hit is panel or panel.isAncestorOf(hit)
    assert not misfits(win)
    _show(win, controller, state, lang="de", size=SIZES[size])
    assert not panel.isVisible()
    assert {name: _geometry(win, name) for name in before} == before


@pytest.mark.parametrize("mode", [Mode.NORMAL, Mode.LARGE_TEXT], ids=lambda m: m.value)
def test_the_window_never_asks_for_more_than_a_small_screen(
    window: tuple[KioskWindow, JourneyController], mode: Mode
) -> None:
    """Under cage the output is 1280 × 720: the window's least size must fit it (the screen
    scrolls rather than growing the window past the output)."""
    win, controller = window
    _look(win, mode)
    width, height = CAGE_OUTPUT
    for state in PROMPT_KEYS:
        _show(win, controller, state, lang="de", size=CAGE_OUTPUT)
        hint = win.minimumSizeHint()
        assert hint.width() <= width, (state.value, hint)
        assert hint.height() <= height, (state.value, hint)
        least = win.minimumSize()
        assert least.width() <= width, (state.value, least)
        assert least.height() <= height, (state.value, least)
        assert (win.width(), win.height()) == CAGE_OUTPUT, state.value
    _look(win, Mode.NORMAL)


def test_touch_targets_are_two_centimetres_at_the_configured_dpi(
    window: tuple[KioskWindow, JourneyController],
) -> None:
    win, controller = window
    _look(win, Mode.NORMAL)
    configure_screen(dpi=160.0)  # 2 cm = 126 px
    try:
        target = min_target_px()
        assert target == 126
        for state in (SessionState.LANGUAGE, SessionState.PIN, SessionState.CHOOSE_DOCUMENTS):
            _show(win, controller, state, lang="fr", size=SIZES["portrait"])
            small = [
                (b.objectName(), b.width(), b.height())
                for b in win.current_page().findChildren(QPushButton)
                if b.isVisibleTo(win) and min(b.width(), b.height()) < target
            ]
            assert not small, (state.value, small)
    finally:
        configure_screen(dpi=None)
        win.refit()


def test_initial_focus_is_never_back_or_cancel(
    window: tuple[KioskWindow, JourneyController],
) -> None:
    win, controller = window
    for state in PROMPT_KEYS:
        view = _sample(dataclasses.replace(controller.view, language="fr"), state)
        win.show_view(view)
        screen = win.screens[state]
        focus = screen.first_focus()
        assert focus is None or focus not in (screen.back_button, screen.cancel_button), state
        if state is SessionState.SUMMARY:
            assert focus is screen.findChild(QPushButton, "summary_confirm")
