"""The PIN screen: the prompt above the pad on a portrait screen, beside it on a short one."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from kiosk.journey import JourneyController, JourneyView
from ui.layout import WIDE_FROM_PX, Fit
from ui.pictograms import Kind, Pictogram
from ui.screens.base import Screen
from ui.theme import KEY_DIGIT_PX, big_button, label, line_px, set_role, set_text

DOT = "\u25cf"
KEY_W = 290
"""A key's width on the portrait screen: wide enough for "Bevestigen" at the normal text size."""
KEY_H = 150
ACTION_KEY_FONT_PX = 40
KEY_CHROME_PX = 2 * (6 + 8)
"""A key's focus ring and padding (`QPushButton#pin_ok` in the style sheet), both sides."""
PAD_SPACING = 20
SIDE_GAP = 48
SIDE_TEXT_PX = 360
HINT_BESIDE_PX = 560
"""From this width the column left of the pad holds the privacy hint too."""
"""The least width left of the pad on a short screen: the dots of a 12-digit PIN's first 4."""
DOTS_CHROME_PX = 2 * (4 + 8)
"""The dots' border and padding, top and bottom."""
HINT_PICTURE = 120
STACK_SLACK_PX = 24
"""Room kept free under a stacked pad whose keys were made lower to fit the screen."""
TRIES_CHROME_PX = 2 * 28 + 4
"""The tries label's padding, both sides."""
"""Room kept free under a stacked pad whose keys were made lower to fit the screen."""
QWIDGETSIZE_MAX = 16777215
HCENTER = Qt.AlignmentFlag.AlignHCenter


class PinScreen(Screen):
    """On-screen PIN pad; shows one dot per digit typed, never the digits."""

    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, cancellable=True, parent=parent)
        self.tries = label("tries", parent=self)
        self.dots = label("dots", parent=self)
        self.dots.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.dots.setWordWrap(False)
        self.digits: dict[str, QPushButton] = {}
        for digit in "1234567890":
            button = self._key(f"pin_{digit}", partial(controller.pin_digit, digit))
            button.setText(digit)
            self.digits[digit] = button
        self.erase = self._key("pin_erase", controller.pin_erase)
        set_role(self.erase, "secondary")
        self.ok = self._key("pin_ok", controller.pin_submit)
        set_role(self.ok, "")
        self.pad = QWidget(self)
        keys = QVBoxLayout(self.pad)
        keys.setContentsMargins(0, 0, 0, 0)
        keys.setSpacing(PAD_SPACING)
        self.grid = QGridLayout()
        self.grid.setSpacing(PAD_SPACING)
        self.action_row = QHBoxLayout()  # Erase and OK under the pad when their words are long
        self.action_row.setSpacing(PAD_SPACING)
        keys.addLayout(self.grid)
        keys.addLayout(self.action_row)
        hint = QHBoxLayout()
        hint.setSpacing(24)
        self.privacy_picture = Pictogram(Kind.HAND, HINT_PICTURE, parent=self)
        self.privacy_picture.setFixedSize(HINT_PICTURE, HINT_PICTURE)
        self.privacy = label("muted", parent=self)
        hint.addWidget(self.privacy_picture, alignment=Qt.AlignmentFlag.AlignTop)
        hint.addWidget(self.privacy, stretch=1)
        self.hint_box = QWidget(self)
        self.hint_box.setLayout(hint)
        hint.setContentsMargins(0, 8, 0, 0)
        # the dots sit right above the pad, the pad low on the screen (within reach when seated);
        # on a short screen the tries, dots and hint stand left of the pad
        self.arrange = QGridLayout()
        self.arrange.setSpacing(24)
        self.body.addStretch(1)
        self.body.addLayout(self.arrange)
        self._shape: tuple[bool, bool, bool] | None = None
        self._hint_picture = True
        self._arrange(side=False, split=False, hint_left=False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def _arrange(self, *, side: bool, split: bool, hint_left: bool) -> None:
        """Place the pad's keys and the widgets around it: `side` puts the prompt's companions
        left of the pad (the hint too with `hint_left`, else under both); `split` gives Erase and
        OK a row of their own (long words, large text)."""
        for widget in (self.tries, self.dots, self.pad, self.hint_box):
            self.arrange.removeWidget(widget)
        for button in (*self.digits.values(), self.erase, self.ok):
            self.grid.removeWidget(button)
            self.action_row.removeWidget(button)
        for i, digit in enumerate("123456789"):
            self.grid.addWidget(self.digits[digit], i // 3, i % 3)
        if side:  # digits on the left three columns, Erase and OK one above the other on the right
            self.grid.addWidget(self.digits["0"], 3, 0, 1, 3)
            self.grid.addWidget(self.erase, 0, 3, 2, 1)
            self.grid.addWidget(self.ok, 2, 3, 2, 1)
        elif split:
            self.grid.addWidget(self.digits["0"], 3, 1)
            self.action_row.addWidget(self.erase, stretch=1)
            self.action_row.addWidget(self.ok, stretch=1)
        else:
            self.grid.addWidget(self.erase, 3, 0)
            self.grid.addWidget(self.digits["0"], 3, 1)
            self.grid.addWidget(self.ok, 3, 2)
        for column in range(4):
            self.grid.setColumnStretch(column, 1 if column < 3 else 0)
        if side:
            self.arrange.addWidget(self.tries, 0, 0)
            self.arrange.addWidget(self.dots, 1, 0)
            if hint_left:
                self.arrange.addWidget(self.hint_box, 2, 0, Qt.AlignmentFlag.AlignTop)
                self.arrange.addWidget(self.pad, 0, 1, 4, 1)
                self.arrange.setRowStretch(3, 1)
            else:
                self.arrange.addWidget(self.pad, 0, 1, 3, 1)
                self.arrange.addWidget(self.hint_box, 3, 0, 1, 2)
                self.arrange.setRowStretch(2, 1)
            self.arrange.setColumnStretch(0, 1)
        else:
            self.arrange.addWidget(self.tries, 0, 0, HCENTER)
            self.arrange.addWidget(self.dots, 1, 0, HCENTER)
            self.arrange.addWidget(self.pad, 2, 0, HCENTER)
            self.arrange.addWidget(self.hint_box, 3, 0, HCENTER)
            self.arrange.setRowStretch(2, 0)
            self.arrange.setRowStretch(3, 0)
            self.arrange.setColumnStretch(0, 1)
            self.arrange.setColumnStretch(1, 0)

    def fit_body(self, fit: Fit) -> None:
        self._size_pad()

    def _size_pad(self) -> None:
        """Key sizes from the screen and the labels' widths; the pad's layout from both."""
        fit = self.fit
        key_h = max(fit.control(KEY_H), line_px(ACTION_KEY_FONT_PX) + KEY_CHROME_PX)
        least_h = max(fit.target_px, line_px(KEY_DIGIT_PX) + KEY_CHROME_PX)
        action_w = max(self.erase.minimumWidth(), self.ok.minimumWidth())
        inner = self.inner_width()
        # beside the pad on a short screen; in large text on a narrow one (1280 px) the dots
        # need the pad's width, so the screen stacks and scrolls instead
        side = fit.short and (fit.text_scale == 1.0 or fit.width >= WIDE_FROM_PX)
        if side:
            self.dots.ensurePolished()
            dots_w = self.dots.fontMetrics().horizontalAdvance(DOT * 4) + 4 * 16 + 2 * (24 + 4) + 8
            text_least = max(SIDE_TEXT_PX, dots_w)  # a 4-digit PIN's dots whole
            beside = inner - action_w - 3 * PAD_SPACING - SIDE_GAP - text_least
            digit_w = max(fit.target_px, min(KEY_W, beside // 3))
            pad_w = 3 * digit_w + action_w + 3 * PAD_SPACING
            split = False
            # the hint left of the pad, with its hand where the column leaves room for it: under
            # both columns it would push the pad's last row off a short screen
            hint_left = True
            self._hint_picture = inner - pad_w - SIDE_GAP >= HINT_BESIDE_PX
            if not self._hint_picture:  # narrower keys (never under 2 cm) widen the words' column
                widest = (inner - action_w - 3 * PAD_SPACING - SIDE_GAP - HINT_BESIDE_PX) // 3
                digit_w = max(fit.target_px, min(digit_w, widest))
                pad_w = 3 * digit_w + action_w + 3 * PAD_SPACING
            room = self._pad_height()
            row_h = max(least_h, min(key_h, room // 4 - PAD_SPACING))
        else:
            digit_w = min(KEY_W, (inner - 2 * PAD_SPACING) // 3)
            split = action_w > digit_w
            hint_left = False
            self._hint_picture = True
            pad_w = 3 * digit_w + 2 * PAD_SPACING
            row_h = self._stacked_row_h(key_h, least_h, pad_w) if fit.below_px else key_h
        if (side, split, hint_left) != self._shape:
            self._shape = (side, split, hint_left)
            self._arrange(side=side, split=split, hint_left=hint_left)
        for button in self.digits.values():
            button.setMinimumSize(fit.target_px, row_h)
        for button in (self.erase, self.ok):
            button.setMinimumHeight(row_h)
        self.pad.setFixedWidth(pad_w)
        # beside the words the pad keeps its rows' height (the words' column may be the taller)
        self.pad.setMaximumHeight(4 * row_h + 3 * PAD_SPACING if side else QWIDGETSIZE_MAX)
        text_w = max(fit.target_px, (inner - pad_w - SIDE_GAP) if side else pad_w)
        self.dots.setFixedSize(text_w, line_px(64) + DOTS_CHROME_PX)
        hint_w = inner if side and not hint_left else text_w  # under both columns, or one
        self.privacy_picture.setVisible(self._hint_picture)
        self.hint_box.setFixedSize(hint_w, self._hint_height(hint_w))
        # one line when it fits the column (or the pad's width), wrapped otherwise
        self.tries.ensurePolished()
        one_line = self.tries.fontMetrics().horizontalAdvance(self.tries.text()) + TRIES_CHROME_PX
        tries_w = text_w if side else min(one_line, pad_w)
        self.tries.setFixedWidth(max(1, tries_w))
        self.tries.setFixedHeight(max(1, self.tries.heightForWidth(tries_w)))

    def _stacked_row_h(self, key_h: int, least_h: int, pad_w: int) -> int:
        """The keys' height on a portrait screen with a bar under it (the audio controls): as
        high as the screen leaves for the tries, dots, pad and hint, never under 2 cm."""
        self.tries.ensurePolished()
        one_line = self.tries.fontMetrics().horizontalAdvance(self.tries.text()) + TRIES_CHROME_PX
        tries = 0 if self.tries.isHidden() else self.tries.heightForWidth(min(one_line, pad_w))
        dots = line_px(64) + DOTS_CHROME_PX
        words = tries + dots + self._hint_height(pad_w) + 3 * self.arrange.spacing()
        room = self._pad_height() - self.fit.below_px - words - STACK_SLACK_PX
        return max(least_h, min(key_h, (room - 3 * PAD_SPACING) // 4))

    def _hint_height(self, width: int) -> int:
        """The hint box as high as the wrapped hint (the layout does not ask the label itself)."""
        if not self._hint_picture:
            return self.privacy.heightForWidth(width) + 8
        words_w = width - HINT_PICTURE - 24
        return max(HINT_PICTURE, self.privacy.heightForWidth(words_w)) + 8

    def _pad_height(self) -> int:
        """The height left for the pad on a short screen: the window less the header, the
        prompt and notice as wrapped at this width, the footer and the spacing between them."""
        fit = self.fit
        inner = self.inner_width()
        header = max(120 if fit.short else 150, 2 * line_px(40) + 24)  # as `ui.header.Header`
        words = self.prompt.heightForWidth(inner)
        if not self.notice.isHidden():
            words += self.notice.heightForWidth(inner) + self.layout_.spacing()
        footer = max(fit.control(128), line_px(40) + 28)
        margins = self.layout_.contentsMargins()
        chrome = margins.top() + margins.bottom() + 3 * self.layout_.spacing()
        return fit.height - header - fit.tools_px - words - footer - chrome

    def render_body(self, view: JourneyView) -> None:
        if view.tries_left is None:
            self.tries.clear()
            self.tries.hide()
        else:
            self.tries.setText(self.t("pin.tries_left", tries=view.tries_left))
            self.tries.show()
        self.dots.setText(DOT * view.pin_dots)
        self.dots.setAccessibleName(self.t("pin.dots", count=view.pin_dots))
        for digit, button in self.digits.items():
            button.setAccessibleName(self.t("pin.digit", digit=digit))
        set_text(self.erase, self.t("pin.erase"), chrome=KEY_CHROME_PX)
        set_text(self.ok, self.t("pin.ok"), chrome=KEY_CHROME_PX)
        self.ok.setEnabled(view.pin_ready)
        self.privacy.setText(self.t("pin.privacy"))
        self.privacy.setAccessibleName(self.privacy.text())
        self._size_pad()

    def _key(self, name: str, on_click: Callable[[], None]) -> QPushButton:
        button = big_button(name, on_click, parent=self)
        button.setMinimumSize(max(button.minimumWidth(), KEY_W), max(button.minimumHeight(), KEY_H))
        set_role(button, "key")
        return button

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        key = event.key()
        if len(text) == 1 and text.isdigit():
            self.controller.pin_digit(text)
        elif key == Qt.Key.Key_Backspace:
            self.controller.pin_erase()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.controller.pin_submit()
        elif key == Qt.Key.Key_Escape:
            self.controller.cancel()
        else:
            super().keyPressEvent(event)

    def first_focus(self) -> QWidget | None:
        return self
