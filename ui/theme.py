"""Look and feel: high contrast, large text, touch targets of at least 2 cm.

Sizes are for the 1080 x 1920 portrait screen. EN 301 549 5.1.4 asks for a capital "H" of at least
7.3 mm at 600 mm; on a 21.5" portrait panel (0.25 mm a pixel) that is about 30 px of cap height, so
body text is 36 px (cap height ~26 px, ~6.5 mm) and anything the resident must read to act (prompts,
amounts, the PIN pad) is 44-60 px. Two themes: light on dark (the default) and dark on light (high
contrast). In both, text has a contrast ratio of at least 4.5:1 and borders, the focus ring and
filled controls at least 3:1 against what surrounds them (WCAG 2.1 1.4.3 and 1.4.11, EN 301 549
clause 11); `PAIRS` lists what is drawn on what, and a test checks every pair.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QWidget

MIN_TARGET_MM = 20.0
MM_PER_INCH = 25.4


@dataclass(frozen=True, slots=True, kw_only=True)
class Palette:
    """The colours of one theme, by role. `PAIRS` says which are drawn on which."""

    name: str
    background: str
    surface: str
    surface_line: str
    text: str
    muted: str
    accent: str
    on_accent: str
    focus: str
    disabled: str
    on_disabled: str
    paper: str
    """The sheet of paper in the pictograms."""

    def roles(self) -> dict[str, str]:
        return {f: getattr(self, f) for f in self.__slots__ if f != "name"}


LIGHT_ON_DARK = Palette(
    name="light_on_dark",
    background="#0A0F1C",
    surface="#1B2540",
    surface_line="#8797C2",
    text="#FFFFFF",
    muted="#C8D2E6",
    accent="#FFD400",
    on_accent="#000000",
    focus="#DD1188",
    disabled="#4A4F5C",
    on_disabled="#FFFFFF",
    paper="#E8EEF8",
)
"""Today's theme. The focus ring contrasts with the background, the cards and the yellow buttons."""

DARK_ON_LIGHT = Palette(
    name="dark_on_light",
    background="#FFFFFF",
    surface="#EEF1F6",
    surface_line="#4A5670",
    text="#000000",
    muted="#33405A",
    accent="#00338D",
    on_accent="#FFFFFF",
    focus="#EE00EE",
    disabled="#5C6270",
    on_disabled="#FFFFFF",
    paper="#FFFFFF",
)
"""The high-contrast theme: black text on white, dark blue actions."""

THEMES = (LIGHT_ON_DARK, DARK_ON_LIGHT)

TEXT_RATIO = 4.5
LARGE_RATIO = 3.0
CONTROL_RATIO = 3.0

PAIRS: tuple[tuple[str, str, float], ...] = (
    # text: (foreground, background, minimum ratio)
    ("text", "background", TEXT_RATIO),
    ("text", "surface", TEXT_RATIO),
    ("muted", "background", TEXT_RATIO),
    ("muted", "surface", TEXT_RATIO),
    ("accent", "background", TEXT_RATIO),
    ("accent", "surface", TEXT_RATIO),
    ("on_accent", "accent", TEXT_RATIO),
    ("on_accent", "text", TEXT_RATIO),  # a checked plain button: its text on the text colour
    ("on_disabled", "disabled", TEXT_RATIO),
    # controls: borders, focus ring, filled buttons against what surrounds them
    ("surface_line", "background", CONTROL_RATIO),
    ("surface_line", "surface", CONTROL_RATIO),
    ("accent", "background", CONTROL_RATIO),  # a selected card's fill (its border: on_accent)
    ("accent", "surface", CONTROL_RATIO),  # ... against the unselected cards
    ("text", "background", CONTROL_RATIO),  # a checked button's fill
    ("focus", "background", CONTROL_RATIO),
    ("focus", "surface", CONTROL_RATIO),
    ("focus", "accent", CONTROL_RATIO),
    ("focus", "text", CONTROL_RATIO),
)

_current: list[Palette] = [LIGHT_ON_DARK]

BACKGROUND = LIGHT_ON_DARK.background
SURFACE = LIGHT_ON_DARK.surface
SURFACE_LINE = LIGHT_ON_DARK.surface_line
TEXT = LIGHT_ON_DARK.text
MUTED = LIGHT_ON_DARK.muted
ACCENT = LIGHT_ON_DARK.accent
ON_ACCENT = LIGHT_ON_DARK.on_accent
FOCUS = LIGHT_ON_DARK.focus
PAPER = LIGHT_ON_DARK.paper

BODY_PX = 36
TITLE_PX = 58
ACTION_HEIGHT_PX = 128
"""Footer and main action buttons: well above the 2 cm minimum."""

LARGE_TEXT_SCALE = 1.5

KEY_DIGIT_PX = 60
"""The PIN pad's digits (before the text scale)."""


_scale: list[float] = [1.0]


def current_palette() -> Palette:
    return _current[0]


def text_scale() -> float:
    """The factor every text size is multiplied by (1.5 in large-text mode)."""
    return _scale[0]


def color(name: str) -> QColor:
    """A colour of the current theme, named by its value in the default theme (or any value)."""
    palette = _current[0]
    if palette is not LIGHT_ON_DARK:
        for role, value in LIGHT_ON_DARK.roles().items():
            if value.upper() == name.upper():
                return QColor(getattr(palette, role))
    return QColor(name)


def scaled_px(size: float, scale: float) -> int:
    """A text size times the text scale."""
    return round(size * scale)


def stylesheet(palette: Palette = LIGHT_ON_DARK, *, scale: float = 1.0) -> str:
    """The window's style sheet for `palette`, with every text size multiplied by `scale`."""

    def px(size: float) -> str:
        return f"{scaled_px(size, scale)}px"

    return _text_rules(palette, px) + _frame_rules(palette) + _control_rules(palette, px)


def _text_rules(p: Palette, px: Callable[[float], str]) -> str:
    return f"""
QWidget {{ background: {p.background}; color: {p.text}; font-size: {px(BODY_PX)}; }}
QWidget#header {{ background: {p.surface}; border-bottom: 4px solid {p.accent}; }}
QLabel#commune {{
    background: transparent; font-size: {px(40)}; font-weight: bold; color: {p.text};
}}
QLabel#step {{
    background: transparent; font-size: {px(32)}; font-weight: bold; color: {p.accent};
}}
QLabel#title {{ font-size: {px(TITLE_PX)}; font-weight: bold; }}
QLabel#notice {{ color: {p.accent}; font-weight: bold; font-size: {px(40)}; }}
QLabel#alert {{
    color: {p.on_accent}; background: {p.accent}; font-weight: bold; font-size: {px(44)};
    padding: 20px; border-radius: 16px;
}}
QLabel#hero {{ font-size: {px(72)}; font-weight: bold; color: {p.accent}; }}
QLabel#lead {{ font-size: {px(44)}; color: {p.text}; }}
QLabel#muted {{ color: {p.muted}; }}
QLabel#dots {{
    font-size: {px(64)}; letter-spacing: 16px; color: {p.text}; background: {p.surface};
    border: 4px solid {p.surface_line}; border-radius: 16px; padding: 8px 24px;
}}
QLabel#tries {{
    font-size: {px(40)}; font-weight: bold; color: {p.on_accent}; background: {p.accent};
    border-radius: 16px; padding: 12px 28px;
}}
QLabel#osk_text {{
    font-size: {px(40)}; color: {p.text}; background: {p.surface};
    border: 4px solid {p.surface_line}; border-radius: 16px; padding: 4px 16px;
}}
QLabel#claim {{ font-size: {px(56)}; font-weight: bold; color: {p.accent}; }}
QLabel#section {{ font-size: {px(40)}; font-weight: bold; color: {p.accent}; }}
QLabel#cell {{ background: transparent; font-size: {px(40)}; }}
QLabel#cell_head {{
    background: transparent; font-size: {px(30)}; font-weight: bold; color: {p.muted};
}}
QLabel#total_label {{ background: transparent; font-size: {px(52)}; font-weight: bold; }}
QLabel#total_value {{
    background: transparent; font-size: {px(64)}; font-weight: bold; color: {p.accent};
}}
"""


def _frame_rules(p: Palette) -> str:
    return f"""
QFrame#panel {{
    background: {p.surface}; border: 3px solid {p.surface_line}; border-radius: 24px;
}}
QFrame#panel QLabel {{ background: transparent; }}
QFrame#timeout_panel {{
    background: {p.surface}; border: 6px solid {p.accent}; border-radius: 24px;
}}
QScrollArea#screen_area, QScrollArea#content_area {{ border: none; }}
QScrollBar:vertical {{ background: {p.surface}; width: 28px; border: none; margin: 0; }}
QScrollBar::handle:vertical {{
    background: {p.surface_line}; min-height: 96px; border-radius: 14px; margin: 2px;
}}
QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical {{ height: 0; border: none; }}
QFrame#rule {{ background: {p.surface_line}; border: none; }}
QFrame#rule_strong {{ background: {p.accent}; border: none; }}
"""


def _control_rules(p: Palette, px: Callable[[float], str]) -> str:
    return f"""
QPushButton {{
    background: {p.accent}; color: {p.on_accent}; border: 4px solid {p.accent};
    border-radius: 20px; font-size: {px(40)}; font-weight: bold; padding: 8px 28px;
}}
QPushButton[role="secondary"] {{
    background: {p.background}; color: {p.text}; border: 4px solid {p.text};
}}
QPushButton[role="key"] {{
    background: {p.surface}; color: {p.text}; border: 3px solid {p.surface_line};
    font-size: {px(KEY_DIGIT_PX)}; padding: 8px 8px;
}}
QPushButton[role="char"] {{
    background: {p.surface}; color: {p.text}; border: 3px solid {p.surface_line};
    font-size: {px(40)}; padding: 4px 4px; border-radius: 12px;
}}
QPushButton[role="char"]:pressed {{ background: {p.accent}; color: {p.on_accent}; }}
QPushButton#pin_ok, QPushButton#pin_erase {{ padding: 8px 8px; font-size: {px(40)}; }}
QPushButton[role="key"]:pressed {{ background: {p.accent}; color: {p.on_accent}; }}
QPushButton[role="choice"] {{
    background: {p.surface}; color: {p.text}; border: 4px solid {p.surface_line};
    font-size: {px(BODY_PX)};
}}
QPushButton#start {{ font-size: {px(56)}; }}
QPushButton[role="language"] {{ font-size: {px(52)}; }}
QPushButton[role="choice"]:checked {{
    background: {p.accent}; color: {p.on_accent}; border: 4px solid {p.on_accent};
}}
QPushButton:checked {{ background: {p.text}; border: 6px solid {p.on_accent}; }}
QPushButton:focus {{ border: 6px solid {p.focus}; }}
QPushButton:disabled {{
    background: {p.disabled}; color: {p.on_disabled}; border: 4px solid {p.disabled};
}}
QLineEdit {{
    background: {p.surface}; color: {p.text}; border: 4px solid {p.surface_line};
    border-radius: 16px; padding: 8px 24px; font-size: {px(48)};
}}
QLineEdit:focus {{ border: 6px solid {p.focus}; }}
QProgressBar {{
    border: 4px solid {p.text}; border-radius: 16px; background: {p.surface}; min-height: 56px;
    max-height: 56px; text-align: center;
}}
QProgressBar::chunk {{ background: {p.accent}; border-radius: 10px; }}
"""


STYLESHEET = stylesheet()


def apply_look(window: QWidget, *, palette: Palette, scale: float = 1.0) -> None:
    """Switch `window` (and every painted pictogram) to `palette` with text sizes times `scale`."""
    _current[0] = palette
    _scale[0] = scale
    window.setStyleSheet(stylesheet(palette, scale=scale))
    window.update()


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


def style_painted(button: QPushButton) -> bool:
    """True when the style draws the button's text (no own `paintEvent`)."""
    return type(button).paintEvent is QPushButton.paintEvent


BUTTON_CHROME_PX = 2 * (6 + 28)
"""A button's border (the 6 px focus ring) and padding, both sides: added to its text width."""


def set_text(
    button: QPushButton,
    text: str,
    *,
    chrome: int = BUTTON_CHROME_PX,
    max_width: int | None = None,
) -> None:
    """Visible text and accessible name together, so speech says what the eye reads.

    The button is kept at least as wide as its text needs (in the font its style gives it), so
    no language clips it. With `max_width`, a text wider than that is broken into lines between
    words (the accessible name keeps the one line)."""
    button.setAccessibleName(text)
    if not style_painted(button):
        button.setText(text)
        return  # a button that paints its own content sizes itself
    button.ensurePolished()
    metrics = button.fontMetrics()
    if max_width is not None:
        text = _break_lines(text, metrics.horizontalAdvance, max_width - chrome)
    button.setText(text)
    need = max((metrics.horizontalAdvance(line) for line in text.split("\n")), default=0)
    button.setMinimumWidth(max(min_target_px(), need + chrome))


def _break_lines(text: str, advance: Callable[[str], int], width: int) -> str:
    """`text` with line breaks between words so that each line fits `width` where it can."""
    lines: list[str] = []
    for word in text.split():
        if lines and advance(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "\n".join(lines) if lines else text


def line_px(font_px: float) -> int:
    """The height of one line of text of `font_px` (before the text scale) in the current look."""
    return math.ceil(font_px * text_scale() * 1.17) + 1


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
    button.setProperty("action", True)  # its height follows the screen (`Screen.fit_to`)
    if role:
        set_role(button, role)
    return button
