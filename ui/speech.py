"""The audio mode for a resident who cannot see the screen.

Started by the "audio" button of the attract and language screens, or by the audio key of the
keypad (F1, or `*`); the same key again repeats the screen. While it is on, every screen, every
focus change and every change of state is spoken in the screen language (the words come from
`kiosk.speech`), the time-outs are doubled, and a bar offers quieter/louder, slower/faster and
repeat (keys: `-`/`+` or the volume keys, Page Down/Page Up). The session's end (back to the
attract screen) turns it off and resets volume and speed. Without a speech engine the audio
buttons stay hidden. Plugging a headset in starts it too, where the platform tells
(`follow_headset`, `kiosk.speech.HeadsetPort`); pulling it out leaves it on for this resident.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QGridLayout, QPushButton, QWidget

from kiosk.i18n import translate
from kiosk.journey import JourneyController, JourneyView
from kiosk.session import SessionState
from kiosk.speech import (
    TIMEOUT_FACTOR,
    Cue,
    FocusTarget,
    HeadsetPort,
    SpeechPort,
    Utterance,
    VoiceLevels,
    focus_utterance,
    is_new_screen,
    screen_utterance,
    setting_utterance,
    view_utterance,
    warning_begins,
    with_tone,
)
from ui.bridge import QtPoster
from ui.onscreen_keyboard import OnScreenKeyboard
from ui.theme import action_button, big_button, set_role, set_text

if TYPE_CHECKING:
    from ui.main_window import KioskWindow

log = logging.getLogger(__name__)
S = SessionState

AUDIO_BUTTON = "audio_mode"
AUDIO_KEYS = (Qt.Key.Key_F1, Qt.Key.Key_Asterisk)
LOUDER_KEYS = (Qt.Key.Key_Plus, Qt.Key.Key_VolumeUp)
QUIETER_KEYS = (Qt.Key.Key_Minus, Qt.Key.Key_VolumeDown)
FASTER_KEYS = (Qt.Key.Key_PageUp,)
SLOWER_KEYS = (Qt.Key.Key_PageDown,)

BAR_COLUMNS = 3
_BAR_BUTTONS = (
    ("audio_quieter", "speech.quieter"),
    ("audio_louder", "speech.louder"),
    ("audio_slower", "speech.slower"),
    ("audio_faster", "speech.faster"),
    ("audio_repeat", "speech.repeat"),
)


def add_audio_button(parent: QWidget) -> QPushButton:
    """The button that starts the audio mode; hidden until a speech engine is there."""
    button = action_button(AUDIO_BUTTON, lambda: None, parent=parent, role="secondary")
    button.hide()
    return button


class AudioMode(QObject):
    """Speaks the kiosk window while on; see the module docstring."""

    def __init__(self, window: KioskWindow, *, speech: SpeechPort) -> None:
        super().__init__(window)
        self._window = window
        self._controller: JourneyController = window.controller
        self._speech = speech
        self._active = False
        self._last: JourneyView = self._controller.view
        self._announced: QWidget | None = None
        self._labelled: str | None = None
        self.said: list[Utterance] = []
        """Everything handed to the engine (for the UI tests; the engine keeps a transcript)."""
        self.entry_buttons = [
            b
            for screen in window.screens.values()
            if (b := screen.findChild(QPushButton, AUDIO_BUTTON)) is not None
        ]
        for button in self.entry_buttons:
            button.clicked.connect(self.start)
            button.setVisible(speech.available)
        for screen in window.screens.values():
            for keyboard in screen.findChildren(OnScreenKeyboard):
                keyboard.announce.connect(self.key_typed)
        self.bar = QWidget(window)
        self.bar.setObjectName("audio_bar")
        grid = QGridLayout(self.bar)  # two rows: five buttons side by side do not fit 1080 px
        grid.setContentsMargins(48, 8, 48, 24)
        grid.setSpacing(16)
        actions = {
            "audio_quieter": lambda: self.louder(-1),
            "audio_louder": lambda: self.louder(1),
            "audio_slower": lambda: self.faster(-1),
            "audio_faster": lambda: self.faster(1),
            "audio_repeat": self.repeat,
        }
        self.bar_buttons: dict[str, QPushButton] = {}
        for i, (name, _key) in enumerate(_BAR_BUTTONS):
            button = set_role(big_button(name, actions[name], parent=self.bar), "secondary")
            grid.addWidget(button, i // BAR_COLUMNS, i % BAR_COLUMNS)
            self.bar_buttons[name] = button
        self.bar.hide()
        layout = window.layout()
        if layout is not None:
            layout.addWidget(self.bar)
        self._label(self._last)
        self._controller.on_change(self._changed)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)
            app.installEventFilter(self)
        if not speech.available:
            log.info("audio_mode_unavailable")

    @property
    def active(self) -> bool:
        return self._active

    # -- the resident's controls ------------------------------------------------------------
    def start(self) -> None:
        """Turn the audio mode on (or, when it is on, say the screen again)."""
        if not self._speech.available:
            return
        if self._active:
            self.repeat()
            return
        self._active = True
        self._controller.timeout_factor = TIMEOUT_FACTOR
        self.bar.show()
        log.info("audio_mode_on", extra={"state": self._last.state.value})
        view = self._controller.view
        screen = self._window.current_screen
        if QApplication.focusWidget() in self.entry_buttons:
            first = screen.first_focus()  # Enter then does the screen's main action
            if first is not None:
                self._announced = first  # named at the end of the announcement below
                first.setFocus(Qt.FocusReason.OtherFocusReason)
        self._say(screen_utterance(view, focus=self._focus_target(), intro=True))
        if view.state is not S.ATTRACT:
            self._controller.extend_time()

    def headset_changed(self, plugged: bool) -> None:
        """A headset plugged in starts the audio mode (once: when it is on, nothing is said
        again); pulled out, the mode stays on for this resident, who is not left in silence."""
        if not plugged:
            if self._active:
                log.info("audio_mode_kept_headset_removed")
            return
        if self._active or not self._speech.available:
            log.info("headset_plugged_nothing_to_start", extra={"active": self._active})
            return
        log.info("audio_mode_started_by_headset", extra={"state": self._last.state.value})
        self.start()

    def repeat(self) -> None:
        if self._active:
            self._say(screen_utterance(self._controller.view, focus=self._focus_target()))

    def louder(self, step: int) -> None:
        if self._active:
            levels = self._speech.levels.louder(step)
            self._speech.set_levels(levels)
            self._say(setting_utterance(self._controller.view, levels, volume=True))

    def faster(self, step: int) -> None:
        if self._active:
            levels = self._speech.levels.faster(step)
            self._speech.set_levels(levels)
            self._say(setting_utterance(self._controller.view, levels, volume=False))

    def key_typed(self, text: str) -> None:
        """An on-screen keyboard's key: what it typed, worded by the keyboard."""
        if self._active:
            view = self._controller.view
            self._say(
                Utterance(
                    language=view.language, text=text, cue=Cue.CHANGE, screen=view.state.value
                )
            )

    def stop(self) -> None:
        """The session is over: silence, default volume and speed, normal time-outs."""
        was, self._active = self._active, False
        self._controller.timeout_factor = 1.0
        self._speech.reset()
        self.bar.hide()
        if was:
            log.info("audio_mode_off")

    # -- what is spoken ---------------------------------------------------------------------
    def _changed(self, view: JourneyView) -> None:
        before, self._last = self._last, view
        self._label(view)
        tone = warning_begins(before, view) and self._speech.available
        if not self._active:
            if tone:  # heard by everyone, not only in the audio mode
                self._say(with_tone(view, None))
            return
        if view.state is S.ATTRACT and before.state is not S.ATTRACT:
            self.stop()  # the resident left: the next one starts without audio
            return
        focus: FocusTarget | None = None
        if is_new_screen(before, view):
            focus = self._focus_target()
            self._announced = QApplication.focusWidget() if focus is not None else None
        utterance = view_utterance(before, view, focus=focus)
        if tone:
            utterance = with_tone(view, utterance)
        if utterance is not None:
            self._say(utterance)
        if view.state is S.OUT_OF_SERVICE:  # said to the end, then off with default levels
            self._active = False
            self._controller.timeout_factor = 1.0
            self._speech.set_levels(VoiceLevels())
            self.bar.hide()

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if not self._active or new is None or new.window() is not self._window:
            return
        if self._controller.view is not self._last:
            return  # a new screen is being shown: its announcement names the focus
        if new is self._announced:
            self._announced = None
            return
        self._announced = None
        target = _target(new)
        if target is not None:
            self._say(focus_utterance(self._last, target))

    def _focus_target(self) -> FocusTarget | None:
        focus = QApplication.focusWidget()
        screen = self._window.current_screen
        if focus is None or not screen.isAncestorOf(focus):
            return None
        return _target(focus)

    def _say(self, utterance: Utterance) -> None:
        self.said.append(utterance)
        del self.said[:-200]
        self._speech.say(utterance)

    def _label(self, view: JourneyView) -> None:
        if view.language == self._labelled:
            return
        self._labelled = view.language
        for button in self.entry_buttons:
            set_text(button, translate("speech.start_button", view.language))
        for name, key in _BAR_BUTTONS:
            set_text(self.bar_buttons[name], translate(key, view.language))

    # -- keys -------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.bar and event.type() in (QEvent.Type.Show, QEvent.Type.Hide):
            self._window.refit()  # the screens give the bar its height, or take it back
            return False
        if event.type() is not QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self._window:
            return False
        focus = QApplication.focusWidget()
        if focus is not None and not (
            focus is self._window.current_screen
            or self._window.current_screen.isAncestorOf(focus)
            or self.bar.isAncestorOf(focus)
        ):
            return False  # e.g. the staff login over the screen
        key = event.key()
        if key in AUDIO_KEYS:
            self.start()
            return self._speech.available
        if not self._active:
            return False
        if self._last.timeout_warning_s is not None:
            self._controller.extend_time()  # any key is "more time"
        if key in LOUDER_KEYS or key in QUIETER_KEYS:
            self.louder(1 if key in LOUDER_KEYS else -1)
            return True
        if key in FASTER_KEYS or key in SLOWER_KEYS:
            self.faster(1 if key in FASTER_KEYS else -1)
            return True
        return False


def follow_headset(headset: HeadsetPort, *, audio: AudioMode, poster: QtPoster) -> None:
    """The headset's plugs reach `audio` on the GUI thread (the port calls from its own)."""

    def changed(plugged: bool) -> None:
        poster.post(lambda: audio.headset_changed(plugged))

    headset.start(changed)


def _target(widget: QWidget) -> FocusTarget | None:
    if not isinstance(widget, QPushButton):
        return None
    return FocusTarget(
        name=widget.objectName(),
        label=widget.accessibleName() or widget.text(),
        enabled=widget.isEnabled(),
        checked=widget.isChecked() if widget.isCheckable() else None,
    )
