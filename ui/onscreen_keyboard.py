"""An on-screen keyboard for the few screens where the resident types words (a purpose, an address).

`OnScreenKeyboard` shows what was typed, a status line (characters used, or why a character was
refused) and keys in the layout of the screen language: Belgian AZERTY for French and Dutch (the
layout of every keyboard and terminal a Belgian resident meets, in Flanders too), QWERTZ for
German and QWERTY for English. Under the letters: a row of accents (é è à ç ë ï ü ö ä ß), then
' - . , @ (or the entry's own five), space and "OK". Shift (⇧) makes the next letter a capital; ⌫ erases the last character.

Keys are at least 2 cm (`Fit.target_px`, from the configured DPI), and as high as their text in
large text. Every key is a `QPushButton`, so `ui.keyboard`'s arrows and Enter reach it; while a key
has the focus, a physical keyboard types too (letters, digits, space, Backspace; the widget sets
the dynamic property `reads_text` so that the navigation leaves Space and Backspace to it).

The widget never logs what is typed. After each key it emits `announce` with what the audio mode
says: the character itself when `speak_keys`, else only "character entered" (for personal data
such as an e-mail address). `ui.speech.AudioMode` speaks it while the audio mode is on.

Embedding, in a screen's `__init__`:

    self.keyboard = OnScreenKeyboard(language=..., max_length=80, allowed=my_check,
                                     speak_keys=True, parent=self)
    self.keyboard.submitted.connect(lambda text: controller.give_text(text))
    self.body.addWidget(self.keyboard)

and `self.keyboard.fit_to(fit)` from the screen's `fit_body`, `set_language(view.language)` from
its `render_body`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QGridLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk.i18n import translate
from ui.layout import PORTRAIT_FIT, Fit
from ui.theme import big_button, label, line_px, set_role

__all__ = [
    "ACCENTS",
    "LAYOUTS",
    "PUNCTUATION",
    "KeyboardLayout",
    "OnScreenKeyboard",
    "layout_for",
]

KEY_FONT_PX = 40
"""A key's text size before the text scale (`QPushButton[role="char"]` in `ui.theme`)."""
KEY_CHROME_PX = 2 * (6 + 8)
"""A key's focus ring and vertical padding."""
STATUS_SHARE = 0.3
"""On a wide screen the status line sits right of the text, in this share of the width."""
ROW_UNITS = 10
"""Every row is ten key widths wide."""
MAX_KEY_PX = 150
"""Keys grow with a wide screen up to this width."""

SHIFT = "⇧"
ERASE = "⌫"
DONE = "OK"
SPACE = " "

ACCENTS = "éèàçëïüöäß"
"""The accents row, the same in every language."""
PUNCTUATION = "'-.,@"
"""Left of the space bar."""

SPOKEN_NAMES: Mapping[str, str] = MappingProxyType(
    {
        " ": "osk.say.space",
        "'": "osk.say.apostrophe",
        "-": "osk.say.hyphen",
        ".": "osk.say.period",
        ",": "osk.say.comma",
        "@": "osk.say.at",
        "_": "osk.say.underscore",
        "+": "osk.say.plus",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyboardLayout:
    """The letter rows of one layout (the digits, accents and bottom rows are shared)."""

    name: str
    rows: tuple[str, str, str]


AZERTY_BE = KeyboardLayout(name="azerty", rows=("azertyuiop", "qsdfghjklm", "wxcvbn"))
QWERTZ = KeyboardLayout(name="qwertz", rows=("qwertzuiop", "asdfghjkl", "yxcvbnm"))
QWERTY = KeyboardLayout(name="qwerty", rows=("qwertyuiop", "asdfghjkl", "zxcvbnm"))

LAYOUTS: Mapping[str, KeyboardLayout] = MappingProxyType(
    {"fr": AZERTY_BE, "nl": AZERTY_BE, "de": QWERTZ, "en": QWERTY}
)


def layout_for(language: str) -> KeyboardLayout:
    """The keyboard layout of a screen language (QWERTY for a language without its own)."""
    return LAYOUTS.get(language, QWERTY)


def _any_printable(char: str) -> bool:
    return char.isprintable()


def key_name(char: str) -> str:
    """A key's object name: `osk_a`, `osk_u00e9` (é), `osk_space`, `osk_shift`..."""
    specials = {SPACE: "space", SHIFT: "shift", ERASE: "erase", DONE: "done"}
    if char in specials:
        return f"osk_{specials[char]}"
    if char.isascii() and char.isalnum():
        return f"osk_{char}"
    return f"osk_u{ord(char):04x}"


class TypedLine(QLabel):
    """The typed text on one line; when longer than the line, its end (where the typing is),
    the start elided ("…cours du soir"). `full` is the whole text (also its accessible name)."""

    def __init__(self, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("osk_text")
        self.setWordWrap(False)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.full = ""

    def show_text(self, text: str) -> None:
        self.full = text
        self.setAccessibleName(text)
        self._elide()

    def _elide(self) -> None:
        room = max(0, self.contentsRect().width() - 2)
        self.setText(self.fontMetrics().elidedText(self.full, Qt.TextElideMode.ElideLeft, room))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.FontChange):
            self._elide()


class OnScreenKeyboard(QWidget):
    """The typed text, a status line and the keys; see the module docstring.

    Signals: `text_changed(str)` after every change, `submitted(str)` on "OK" (or Enter on the
    physical keyboard while no key has the focus), `announce(str)` with what to speak after a key,
    `refused(str)` with the translation key of a refusal ("osk.too_long", "osk.not_allowed").
    """

    text_changed = Signal(str)
    submitted = Signal(str)
    announce = Signal(str)
    refused = Signal(str)

    def __init__(
        self,
        *,
        language: str,
        max_length: int = 80,
        allowed: Callable[[str], bool] = _any_printable,
        speak_keys: bool = True,
        punctuation: str = PUNCTUATION,
        parent: QWidget | None = None,
    ) -> None:
        """`punctuation`: the five keys left of the space bar (`PUNCTUATION` unless the entry
        needs others, as an e-mail address does)."""
        super().__init__(parent)
        if len(punctuation) != len(PUNCTUATION):
            raise ValueError(f"the punctuation row holds {len(PUNCTUATION)} keys")
        self.punctuation = punctuation
        self.setObjectName("osk")
        self.setProperty("reads_text", True)
        self.language = language
        self.max_length = max_length
        self.speak_keys = speak_keys
        self._allowed = allowed
        self._text = ""
        self._shift = False
        self._refusal = ""
        self._fit = PORTRAIT_FIT
        self.keys: dict[str, QPushButton] = {}
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(12)
        self.display = TypedLine(parent=self)
        self.status = label("osk_status", parent=self)
        self.top = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.top.setSpacing(12)
        self.top.addWidget(self.display, stretch=1)
        self.top.addWidget(self.status)
        column.addLayout(self.top)
        self.grid = QGridLayout()
        self.grid.setSpacing(8)
        column.addLayout(self.grid)
        self._build()
        self._show_text()

    # -- what a screen calls ----------------------------------------------------------------
    def text(self) -> str:
        return self._text

    def set_text(self, text: str) -> None:
        """Start from `text` (cut to `max_length`), e.g. the resident's earlier entry."""
        self._text = text[: self.max_length]
        self._refusal = ""
        self._show_text()
        self.text_changed.emit(self._text)

    def clear(self) -> None:
        self._shift = False
        self.set_text("")

    def set_language(self, language: str) -> None:
        """Keys and words in `language` (its layout)."""
        if language == self.language:
            return
        self.language = language
        self._build()
        self._show_text()

    def fit_to(self, fit: Fit) -> None:
        """Keys 2 cm high at least, and as high as their text; at most `MAX_KEY_PX` wide."""
        self._fit = fit
        self.grid.setSpacing(4 if fit.short else 8)
        layout = self.layout()
        if layout is not None:
            layout.setSpacing(8 if fit.short else 12)
        if fit.wide:  # the status right of the text: one line less
            self.top.setDirection(QBoxLayout.Direction.LeftToRight)
            self.status.setFixedWidth(round(fit.width * STATUS_SHARE))
        else:
            self.top.setDirection(QBoxLayout.Direction.TopToBottom)
            self.status.setMinimumWidth(0)
            self.status.setMaximumWidth(16_777_215)
        height = max(fit.target_px, line_px(KEY_FONT_PX) + KEY_CHROME_PX)
        for button in self.keys.values():
            button.setMinimumSize(fit.target_px, height)
            button.setMaximumHeight(height)
        self.setMaximumWidth(ROW_UNITS * (MAX_KEY_PX + 8))

    def press(self, char: str) -> None:
        """What a key does: type `char` (shift applied), or erase, shift, or submit."""
        if char == ERASE:
            self._erase()
        elif char == SHIFT:
            self._shift = not self._shift
            self._relabel()
        elif char == DONE:
            self.submitted.emit(self._text)
        else:
            self._type(char.upper() if self._shift else char)

    def error(self, message: str) -> None:
        """Show (and speak) a refusal the screen decided, e.g. a text the step does not take."""
        self._refusal = message
        self._show_text()
        self.announce.emit(message)

    # -- keys -------------------------------------------------------------------------------
    def _rows(self) -> list[list[tuple[str, int]]]:
        """(character, width in half keys) per row, from the layout of the language."""
        letters = layout_for(self.language).rows
        rows: list[list[tuple[str, int]]] = [[(c, 2) for c in "1234567890"]]
        rows += [[(c, 2) for c in letters[0]], [(c, 2) for c in letters[1]]]
        third = [(SHIFT, 2), *((c, 2) for c in letters[2])]
        third.append((ERASE, 2 * ROW_UNITS - sum(w for _c, w in third)))
        rows += [third, [(c, 2) for c in ACCENTS]]
        rows.append([*((c, 2) for c in self.punctuation), (SPACE, 6), (DONE, 4)])
        return rows

    def _build(self) -> None:
        for button in self.keys.values():
            self.grid.removeWidget(button)
            button.hide()
            button.setParent(None)  # gone from the screen now, not at the next deferred delete
            button.deleteLater()
        self.keys = {}
        for r, row in enumerate(self._rows()):
            col = (2 * ROW_UNITS - sum(w for _c, w in row)) // 2  # a short row is centred
            for char, width in row:
                button = self._key(char)
                self.grid.addWidget(button, r, col, 1, width)
                col += width
        for c in range(2 * ROW_UNITS):
            self.grid.setColumnStretch(c, 1)
        self._relabel()
        self.fit_to(self._fit)

    def _key(self, char: str) -> QPushButton:
        button = big_button(key_name(char), partial(self.press, char), parent=self)
        set_role(button, "" if char == DONE else "char")  # OK: the accent of a main action
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        button.installEventFilter(self)
        typed = char not in (SHIFT, ERASE, DONE)
        if typed and not self._allowed(char):
            button.setEnabled(False)  # this entry never takes it
        if char == SHIFT:
            button.setCheckable(True)
        self.keys[char] = button
        return button

    def _relabel(self) -> None:
        for char, button in self.keys.items():
            shown = char.upper() if self._shift and char.isalpha() and char != "ß" else char
            button.setText({SPACE: "␣"}.get(char, shown))
            button.setAccessibleName(self._spoken(shown, key=True))
            if char == SHIFT:
                button.setChecked(self._shift)

    def _spoken(self, char: str, *, key: bool = False) -> str:
        """A key's name for speech ("espace", "É majuscule", "OK")."""
        t = self.language
        names = {SHIFT: "osk.say.shift", ERASE: "osk.say.erase", DONE: "osk.say.done"}
        if char in names:
            return translate(names[char], t)
        if char in SPOKEN_NAMES:
            return translate(SPOKEN_NAMES[char], t)
        if char.isalpha() and char.isupper():
            return translate("osk.say.capital", t, letter=char)
        return char

    # -- typing -----------------------------------------------------------------------------
    def _type(self, char: str) -> None:
        if len(self._text) >= self.max_length:
            self._refuse("osk.too_long")
            return
        if not self._allowed(char):
            self._refuse("osk.not_allowed")
            return
        self._text += char
        self._refusal = ""
        if self._shift:
            self._shift = False
            self._relabel()
        self._show_text()
        self.text_changed.emit(self._text)
        said = (
            self._spoken(char) if self.speak_keys else translate("osk.say.entered", self.language)
        )
        self.announce.emit(said)

    def _erase(self) -> None:
        if not self._text:
            self.announce.emit(translate("osk.say.empty", self.language))
            return
        erased, self._text = self._text[-1], self._text[:-1]
        self._refusal = ""
        self._show_text()
        self.text_changed.emit(self._text)
        if self.speak_keys:
            self.announce.emit(translate("osk.say.erased_char", self.language, char=erased))
        else:
            self.announce.emit(translate("osk.say.erased", self.language))

    def _refuse(self, key: str) -> None:
        self._refusal = translate(key, self.language, max=self.max_length)
        self._show_text()
        self.refused.emit(key)
        self.announce.emit(self._refusal)

    def _show_text(self) -> None:
        self.display.show_text(self._text or translate("osk.empty", self.language))
        self.display.setAccessibleName(self._text)
        used = translate("osk.count", self.language, used=len(self._text), max=self.max_length)
        self.status.setText(self._refusal or used)

    # -- the physical keyboard --------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Typing on a physical keyboard while a key has the focus."""
        if event.type() is not QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        return self.physical_key(event)

    def physical_key(self, event: QKeyEvent) -> bool:
        """Handle a physical key: True when it typed or erased (arrows and Enter are not ours)."""
        if event.key() == Qt.Key.Key_Backspace:
            self._erase()
            return True
        text = event.text()
        if len(text) == 1 and text.isprintable():
            self._type(text)
            return True
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self.physical_key(event):
            super().keyPressEvent(event)
