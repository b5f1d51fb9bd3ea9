"""Look and feel: high contrast, large text, touch targets of at least 2 cm."""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QWidget

MIN_TARGET_MM = 20.0
MM_PER_INCH = 25.4

# Yellow on black and white on black both exceed WCAG 2.1 AA 4.5:1 (about 15:1 and 21:1).
STYLESHEET = """
QWidget { background: #000000; color: #FFFFFF; font-size: 30px; }
QLabel#title { font-size: 44px; font-weight: bold; }
QLabel#notice { color: #FFD400; font-weight: bold; }
QLabel#alert { color: #000000; background: #FFD400; font-weight: bold; padding: 12px; }
QLabel#dots { font-size: 64px; letter-spacing: 12px; }
QLabel#claim { font-size: 52px; font-weight: bold; color: #FFD400; }
QPushButton {
    background: #FFD400; color: #000000; border: 4px solid #FFFFFF; border-radius: 12px;
    font-size: 32px; font-weight: bold; padding: 8px 20px;
}
QPushButton:checked { background: #FFFFFF; border: 6px solid #FFD400; }
QPushButton:focus { border: 6px solid #00C8FF; }
QPushButton:disabled { background: #555555; color: #DDDDDD; }
QProgressBar { border: 3px solid #FFFFFF; height: 48px; text-align: center; }
QProgressBar::chunk { background: #FFD400; }
"""


def min_target_px() -> int:
    """Pixels spanning 2 cm on the kiosk screen (96 dpi when the screen does not say)."""
    screen = QGuiApplication.primaryScreen()
    dpi = 96.0
    if screen is not None:
        dpi = max(dpi, screen.logicalDotsPerInch(), screen.physicalDotsPerInch())
    return math.ceil(dpi * MIN_TARGET_MM / MM_PER_INCH)


def big_button(
    name: str,
    on_click: Callable[[], None],
    *,
    parent: QWidget | None = None,
    checkable: bool = False,
) -> QPushButton:
    button = QPushButton(parent)
    button.setObjectName(name)
    size = min_target_px()
    button.setMinimumSize(size, size)
    button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    button.setCheckable(checkable)
    button.setAutoDefault(False)
    button.clicked.connect(lambda _checked=False: on_click())
    return button


def set_text(button: QPushButton, text: str) -> None:
    """Visible text and accessible name together, so speech says what the eye reads."""
    button.setText(text)
    button.setAccessibleName(text)


def label(name: str = "", *, parent: QWidget | None = None) -> QLabel:
    widget = QLabel(parent)
    if name:
        widget.setObjectName(name)
    widget.setWordWrap(True)
    return widget
