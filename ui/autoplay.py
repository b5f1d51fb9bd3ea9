"""Plays residents through the real widgets, headless, for demos, CI and the bench.

The driver clicks the same buttons a person uses (`QTest.mouseClick`) and reacts to view changes; it
never sleeps. Inserting and removing the card are the caller's callbacks: they may block briefly
(they drive a virtual card through the real reader stack), so the driver calls them on its own
worker thread, never on the Qt main thread. The card events then come back the normal way, through
`CardPort.watch` and the bridge.

The residents come in rounds (`AutoplayRound`), each with its own script, all in the one window a
kiosk keeps for months. Before a round's first resident, while the kiosk idles at the attract
screen, the round's `prepare` runs on the same worker thread (a simulated card swapped in, a fault
armed), and the round starts when it returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton

from hardware.errors import BorneError
from kiosk.flows.email import EMAIL
from kiosk.flows.pinpad import PINPAD
from kiosk.flows.purpose import PURPOSE
from kiosk.journey import (
    KEY_PIN_LAST_TRY,
    KEY_PIN_WRONG,
    JourneyController,
    JourneyReport,
    JourneyView,
)
from kiosk.session import SessionState
from ui.main_window import KioskWindow
from ui.onscreen_keyboard import DONE, key_name
from ui.speech import AUDIO_BUTTON

log = logging.getLogger(__name__)
S = SessionState


class AutoplayError(BorneError):
    """The scripted resident could not go on (a button is missing or disabled)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AutoplayScript:
    language: str
    pin: str
    documents: tuple[str, ...]
    document_language: str
    purpose: str = "administration"
    """Picked on the purpose step (when the kiosk offers it; else the last purpose offered)."""
    audio: bool = False
    """Turn the audio mode on (its button on the attract screen) before starting."""
    type_on_reader: Callable[[str], None] | None = None
    """The reader's own keypad (a simulated pinpad): where the PIN goes when the kiosk asks for
    it on the reader. Called on the card worker thread."""
    email: str = ""
    """Have the sealed PDFs e-mailed there too, typed on the on-screen keyboard (lower-case
    letters, digits, "@", "." and "-"); "": not asked."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AutoplayRound:
    """`sessions` residents played with `script`."""

    script: AutoplayScript
    sessions: int
    prepare: Callable[[], None] | None = None
    """Called on the driver's card thread, the kiosk idle at the attract screen with no card,
    before the round's first resident."""

    def __post_init__(self) -> None:
        if self.sessions < 1:
            raise AutoplayError(f"a round plays at least one resident, not {self.sessions}")


@dataclass(slots=True)
class _Progress:
    started: bool = False
    inserted: bool = False
    removed: bool = False
    pin_sent: bool = False
    audio: bool = False
    gave_up: bool = False
    emailed: bool = False
    typed: bool = False


class AutoplayDriver(QObject):
    """Plays the rounds' residents one after the other, then emits `finished`; `progressed`
    after each resident's report."""

    finished = Signal()
    progressed = Signal()
    _prepared = Signal()

    def __init__(
        self,
        *,
        window: KioskWindow,
        controller: JourneyController,
        rounds: Iterable[AutoplayRound],
        insert_card: Callable[[], None],
        remove_card: Callable[[], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._controller = controller
        self._rounds = iter(rounds)
        self._round: AutoplayRound | None = None
        self._played = 0
        """Residents of the current round reported so far."""
        self._preparing = False
        self._insert_card = insert_card
        self._remove_card = remove_card
        self._reports: list[JourneyReport] = []
        self._p = _Progress()
        self._pending = False
        self._done = False
        self._cards = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autoplay-card")
        self._prepared.connect(self._round_ready)
        controller.on_change(self._changed)
        controller.on_report(self._reported)

    @property
    def reports(self) -> tuple[JourneyReport, ...]:
        return tuple(self._reports)

    @property
    def done(self) -> bool:
        return self._done

    @property
    def _script(self) -> AutoplayScript:
        assert self._round is not None  # a resident is played only inside a round
        return self._round.script

    @property
    def _sessions(self) -> int:
        return self._round.sessions if self._round is not None else 0

    def start(self) -> None:
        self._next_round()

    def _next_round(self) -> None:
        self._round, self._played = next(self._rounds, None), 0
        if self._round is None:
            self._finish()
        elif self._round.prepare is None:
            self._round_ready()
        else:
            self._preparing = True
            prepare = self._round.prepare
            future = self._cards.submit(prepare)
            future.add_done_callback(_log_card_failure)
            future.add_done_callback(lambda _f: self._prepared.emit())

    def _round_ready(self) -> None:
        self._preparing = False
        self._p = _Progress()
        self._schedule()

    def _reported(self, report: JourneyReport) -> None:
        self._reports.append(report)
        self._played += 1
        self.progressed.emit()

    def shutdown(self) -> None:
        self._cards.shutdown(wait=True)

    # -- reacting ---------------------------------------------------------------------------
    def _changed(self, _view: JourneyView) -> None:
        self._schedule()

    def _schedule(self) -> None:
        if not self._pending and not self._done:
            self._pending = True
            QTimer.singleShot(0, self._act)

    def _act(self) -> None:
        self._pending = False
        if self._done or self._preparing or self._round is None:
            return
        view = self._controller.view
        try:
            self._step(view)
        except AutoplayError:
            log.exception("autoplay_stuck", extra={"state": view.state.value})
            self._finish()

    def _step(self, view: JourneyView) -> None:
        state = view.state
        p = self._p
        if state is S.ATTRACT:
            if p.started and (not view.card_present):
                if self._played >= self._sessions:
                    self._next_round()
                    return
                self._p = p = _Progress()
            if self._script.audio and not p.audio:
                p.audio = True
                self._click(AUDIO_BUTTON)
                self._schedule()  # the audio mode changes no view
                return
            if not p.started and not self._controller.reconciling and not view.card_present:
                p.started = True
                self._click("start")
        elif state is S.LANGUAGE:
            self._click(f"lang_{self._script.language}")
        elif state is S.INSERT_CARD and not p.inserted:
            p.inserted = True
            self._off_thread(self._insert_card)
        elif state is S.PIN:
            self._type_pin(view)
        elif state is PINPAD:
            self._type_on_reader(view)
        elif state is S.CHOOSE_DOCUMENTS:
            self._choose(view)
        elif state is PURPOSE:
            offered = self._controller.settings.purposes
            self._click(
                f"purpose_{self._script.purpose if self._script.purpose in offered else offered[-1]}"
            )
        elif state is S.SUMMARY:
            self._click("summary_confirm")
        elif state is S.TAKE_DOCUMENTS and view.card_present and not p.removed:
            p.removed = True  # the card is handed back before the documents
            self._off_thread(self._remove_card)
        elif state is S.TAKE_DOCUMENTS and not view.card_present:
            if self._script.email and view.email_offered and not p.emailed:
                p.emailed = True
                self._click("take_email")
            else:
                self._click("take_done")
        elif state is EMAIL and not p.typed:
            p.typed = True
            for char in self._script.email:  # the keyboard's own keys, as a finger presses them
                self._click(key_name(char))
            self._click(key_name(DONE))
        elif state is EMAIL:  # the address was refused: the script knows no other
            self._click("back")
        elif state is S.REMOVE_CARD and not p.removed:
            p.removed = True
            self._off_thread(self._remove_card)
        elif state is S.ERROR:
            self._click("error_dismiss")

    def _type_pin(self, view: JourneyView) -> None:
        p = self._p
        if p.pin_sent and view.notice_key in (KEY_PIN_WRONG, KEY_PIN_LAST_TRY):
            if not p.gave_up:  # the script knows one PIN only: do not burn the next try
                p.gave_up = True
                self._click("cancel")
            return
        if view.pin_dots < len(self._script.pin):
            self._click(f"pin_{self._script.pin[view.pin_dots]}")
        elif not p.pin_sent:
            p.pin_sent = True
            self._click("pin_ok")

    def _type_on_reader(self, view: JourneyView) -> None:
        """The PIN on the reader's keys, once: asked again (a wrong PIN), the script gives up."""
        p = self._p
        typer = self._script.type_on_reader
        if typer is None:
            raise AutoplayError(
                "the kiosk asks for the PIN on the reader, the script has no hand there"
            )
        if not p.pin_sent:
            p.pin_sent = True
            pin = self._script.pin
            self._off_thread(lambda: typer(pin))
        elif view.notice_key in (KEY_PIN_WRONG, KEY_PIN_LAST_TRY) and not p.gave_up:
            p.gave_up = True
            self._click("cancel")

    def _choose(self, view: JourneyView) -> None:
        offered = {o.document_type for o in view.offered}
        for document_type in self._script.documents:
            if document_type not in offered:
                raise AutoplayError(f"document {document_type} is not offered")
            if document_type not in view.selected:
                self._click(f"doc_{document_type}")
                return
        if view.document_language != self._script.document_language:
            self._click(f"doclang_{self._script.document_language}")
            return
        self._click("docs_confirm")

    # -- helpers ----------------------------------------------------------------------------
    def _click(self, name: str) -> None:
        screen = self._window.current_screen
        button = screen.findChild(QPushButton, name)
        if button is None or not button.isEnabled():
            raise AutoplayError(f"no usable button {name} on {screen.objectName()}")
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)

    def _off_thread(self, callback: Callable[[], None]) -> None:
        future = self._cards.submit(callback)
        future.add_done_callback(_log_card_failure)

    def _finish(self) -> None:
        if not self._done:
            self._done = True
            self.finished.emit()


def _log_card_failure(future: Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("autoplay_card_callback_failed", exc_info=future.exception())
