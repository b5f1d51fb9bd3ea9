"""Look and feel: high contrast, large text, touch targets of at least 2 cm.

Sizes are for the 1080 x 1920 portrait screen. EN 301 549 5.1.4 asks for a capital "H" of at least
7.3 mm at 600 mm; on a 21.5" portrait panel (0.25 mm a pixel) that is about 30 px of cap height, so
body text is 36 px (cap height ~26 px, ~6.5 mm) and anything the resident must read to act (prompts,
amounts, the PIN pad) is 44-60 px. Every colour pair below has a contrast ratio of at least 7:1
(WCAG AAA): white on the background 19:1, yellow on the background 14:1, black on yellow 14:1,
muted text on a card 10:1.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QWidget

MIN_TARGET_MM = 20.0
MM_PER_INCH = 25.4

BACKGROUND = "#0A0F1C"
SURFACE = "#1B2540"
SURFACE_LINE = "#3A4A70"
TEXT = "#FFFFFF"
MUTED = "#C8D2E6"
ACCENT = "#FFD400"
ON_ACCENT = "#000000"
FOCUS = "#00C8FF"

BODY_PX = 36
TITLE_PX = 58
ACTION_HEIGHT_PX = 128
"""Footer and main action buttons: well above the 2 cm minimum."""


def color(name: str) -> QColor:
    return QColor(name)


STYLESHEET = f"""
QWidget {{ background: {BACKGROUND}; color: {TEXT}; font-size: {BODY_PX}px; }}
QWidget#header {{ background: {SURFACE}; border-bottom: 4px solid {ACCENT}; }}
QLabel#commune {{ background: transparent; font-size: 40px; font-weight: bold; color: {TEXT}; }}
QLabel#step {{ background: transparent; font-size: 32px; font-weight: bold; color: {ACCENT}; }}
QLabel#title {{ font-size: {TITLE_PX}px; font-weight: bold; }}
QLabel#notice {{ color: {ACCENT}; font-weight: bold; font-size: 40px; }}
QLabel#alert {{
    color: {ON_ACCENT}; background: {ACCENT}; font-weight: bold; font-size: 44px; padding: 20px;
    border-radius: 16px;
}}
QLabel#hero {{ font-size: 72px; font-weight: bold; color: {ACCENT}; }}
QLabel#lead {{ font-size: 44px; color: {TEXT}; }}
QLabel#muted {{ color: {MUTED}; }}
QLabel#dots {{
    font-size: 64px; letter-spacing: 16px; color: {TEXT}; background: {SURFACE};
    border: 4px solid {SURFACE_LINE}; border-radius: 16px; padding: 8px 24px;
}}
QLabel#tries {{
    font-size: 40px; font-weight: bold; color: {ON_ACCENT}; background: {ACCENT};
    border-radius: 16px; padding: 12px 28px;
}}
QLabel#claim {{ font-size: 56px; font-weight: bold; color: {ACCENT}; }}
QLabel#section {{ font-size: 40px; font-weight: bold; color: {ACCENT}; }}
QLabel#cell {{ background: transparent; font-size: 40px; }}
QLabel#cell_head {{ background: transparent; font-size: 30px; font-weight: bold; color: {MUTED}; }}
QLabel#total_label {{ background: transparent; font-size: 52px; font-weight: bold; }}
QLabel#total_value {{
    background: transparent; font-size: 64px; font-weight: bold; color: {ACCENT};
}}
QFrame#panel {{ background: {SURFACE}; border: 3px solid {SURFACE_LINE}; border-radius: 24px; }}
QFrame#panel QLabel {{ background: transparent; }}
QFrame#rule {{ background: {SURFACE_LINE}; border: none; }}
QFrame#rule_strong {{ background: {ACCENT}; border: none; }}
QPushButton {{
    background: {ACCENT}; color: {ON_ACCENT}; border: 4px solid {ACCENT}; border-radius: 20px;
    font-size: 40px; font-weight: bold; padding: 8px 28px;
}}
QPushButton[role="secondary"] {{
    background: {BACKGROUND}; color: {TEXT}; border: 4px solid {TEXT};
}}
QPushButton[role="key"] {{
    background: {SURFACE}; color: {TEXT}; border: 3px solid {SURFACE_LINE}; font-size: 60px;
}}
QPushButton[role="key"]:pressed {{ background: {ACCENT}; color: {ON_ACCENT}; }}
QPushButton[role="choice"] {{
    background: {SURFACE}; color: {TEXT}; border: 4px solid {SURFACE_LINE};
}}
QPushButton[role="choice"]:checked {{
    background: {ACCENT}; color: {ON_ACCENT}; border: 4px solid {TEXT};
}}
QPushButton:checked {{ background: {TEXT}; border: 6px solid {ACCENT}; }}
QPushButton:focus {{ border: 6px solid {FOCUS}; }}
QPushButton:disabled {{ background: #4A4F5C; color: #FFFFFF; border: 4px solid #4A4F5C; }}
QProgressBar {{
    border: 4px solid {TEXT}; border-radius: 16px; background: {SURFACE}; min-height: 56px;
    max-height: 56px; text-align: center;
}}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 10px; }}
"""


_configured_dpi: list[float] = []


def configure_screen(*, dpi: float | None) -> None:
    """The kiosk screen's pixels per inch from the configuration (`ui.dpi`); None: ask Qt."""
    _configured_dpi.clear()
    if dpi is not None:
        _configured_dpi.append(dpi)


def min_target_px() -> int:
    """Pixels spanning 2 cm on the kiosk screen (`ui.dpi`, else Qt's, at least 96 dpi)."""
    screen = QGuiApplication.primaryScreen()
    dpi = 96.0
    if _configured_dpi:
        dpi = _configured_dpi[0]
    elif screen is not None:
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


def set_role(button: QPushButton, role: str) -> QPushButton:
    """Picks a button style from the stylesheet: "secondary", "key" or "choice"."""
    button.setProperty("role", role)
    return button


def action_button(
    name: str, on_click: Callable[[], None], *, parent: QWidget | None = None, role: str = ""
) -> QPushButton:
    """A footer or main action: full height, grows with the row."""
    button = big_button(name, on_click, parent=parent)
    button.setMinimumHeight(max(button.minimumHeight(), ACTION_HEIGHT_PX))
    if role:
        set_role(button, role)
    return button
