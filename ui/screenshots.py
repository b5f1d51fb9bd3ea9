"""Screenshots of every screen × language × mode × size, and a contact sheet per language.

The screens are shown with sample views (`JourneyView` holds no personal data: no name, no national
number, never the PIN, only its dot count), so no resident's data can appear. The controller behind
the window is never asked to act: its ports refuse every call.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import math
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from PySide6.QtCore import QCoreApplication, QRect, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication

from kiosk.flows.pinpad import PINPAD
from kiosk.journey import PROMPT_KEYS, JourneyController, JourneySettings, JourneyView
from kiosk.ports import EarlierDocument, Ports
from kiosk.session import SessionState
from ui.main_window import KioskWindow
from ui.theme import DARK_ON_LIGHT, LARGE_TEXT_SCALE, LIGHT_ON_DARK, apply_look

S = SessionState

SIZES: dict[str, tuple[int, int]] = {
    "portrait": (1080, 1920),
    "landscape": (1920, 1080),
    "compact": (1280, 1024),
}
THUMB_WIDTH = 270


class Mode(enum.Enum):
    NORMAL = "normal"
    LARGE_TEXT = "large_text"
    HIGH_CONTRAST = "high_contrast"


class _Inert:
    """Stands for every device port: screenshots never drive a device."""

    storage = None  # nor check the disk
    mail = None  # nor send mail
    requests = None  # nor ask the central

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"screenshots do not use devices ({name})")


SAMPLE_EARLIER = tuple(
    EarlierDocument(
        document_id=f"sample-{n}",
        document_type=kind,
        issued_at=datetime(2026, month, day, 10, 30, tzinfo=UTC),
        commune="Démo-sur-Meuse",
        verification_code=code,
    )
    for n, (kind, month, day, code) in enumerate(
        (
            ("household", 11, 18, "7KQ2-M4XD-93PA"),
            ("residence_history", 6, 3, "Q8WN-2R6T-KD5E"),
            ("life", 1, 27, "H3CV-9PZL-X71M"),
        )
    )
)
"""What the "my requests" screenshot lists (demo values)."""


def _sample(view: JourneyView, state: SessionState) -> JourneyView:
    """A view of `state` as a resident would see it midway (demo values only)."""
    extra: dict[str, Any] = {}
    selected = tuple(d.document_type for d in view.offered[:2])
    total = sum(d.price_cents for d in view.offered[:2])
    if state is S.PIN:
        extra = {"pin_dots": 4, "pin_ready": True, "tries_left": 2, "notice_key": "pin.wrong"}
    elif state is PINPAD:
        extra = {"tries_left": 2, "notice_key": "pin.wrong"}
    elif state in (S.CHOOSE_DOCUMENTS, S.SUMMARY, S.PAYMENT, S.ISSUING, S.TAKE_DOCUMENTS):
        extra = {"selected": selected, "total_cents": total, "issued": selected[:1]}
        extra["progress"] = 0.5
        extra["email_offered"] = state is S.TAKE_DOCUMENTS
        extra["requests_offered"] = state is S.CHOOSE_DOCUMENTS
    elif state.value == "purpose_text":  # the keyboard, a long text typed
        extra = {"purpose_text": "Inscription à l'Académie de musique d'Écaussinnes, cours du soir"}
    elif state.value == "my_requests":  # three earlier documents, older ones not shown
        extra = {"earlier": SAMPLE_EARLIER, "earlier_more": True}
    elif state is S.ERROR:
        extra = {"error_key": "eid.error.pin_blocked", "can_retry": False}
    elif state is S.OUT_OF_SERVICE:
        extra = {"alert_keys": ("out_of_service.reason.manual_review",)}
    return dataclasses.replace(
        view, state=state, prompt_key=PROMPT_KEYS[state], card_present=True, **extra
    )


def render_screenshots(*, settings: JourneySettings, out: Path) -> list[Path]:
    """Write `<lang>/<size>-<mode>-<screen>.png` and `<lang>/contact-sheet.png` under `out`."""
    app = QCoreApplication.instance() or QApplication([])
    del app
    poster_calls: list[object] = []
    controller = JourneyController(
        ports=cast(Ports, _Inert()),
        settings=settings,
        post=poster_calls.append,
        clock=time.monotonic,
        ids=lambda: "screenshot",
    )
    window = KioskWindow(controller)
    window.ticker.stop()
    window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    window.show()
    written: list[Path] = []
    languages = tuple(settings.languages)
    for lang in languages:
        folder = out / lang
        folder.mkdir(parents=True, exist_ok=True)
        sheet_items: list[Path] = []
        for size, mode in itertools.product(SIZES, Mode):
            palette = DARK_ON_LIGHT if mode is Mode.HIGH_CONTRAST else LIGHT_ON_DARK
            scale = LARGE_TEXT_SCALE if mode is Mode.LARGE_TEXT else 1.0
            apply_look(window, palette=palette, scale=scale)
            for state in PROMPT_KEYS:  # every page re-sized for this look before any is shot
                window.show_view(
                    _sample(dataclasses.replace(controller.view, language=lang), state)
                )
            window.resize(*SIZES[size])
            for state in PROMPT_KEYS:
                view = _sample(dataclasses.replace(controller.view, language=lang), state)
                window.show_view(view)
                window.resize(*SIZES[size])
                QApplication.processEvents()
                path = folder / f"{size}-{mode.value}-{state.value}.png"
                window.grab().save(str(path))
                written.append(path)
                sheet_items.append(path)
        sheet = folder / "contact-sheet.png"
        _contact_sheet(sheet_items, sheet)
        written.append(sheet)
    apply_look(window, palette=LIGHT_ON_DARK)
    window.close()
    window.deleteLater()
    return written


def _contact_sheet(items: list[Path], path: Path) -> None:
    columns = len(PROMPT_KEYS)
    rows = math.ceil(len(items) / columns)
    cell = THUMB_WIDTH + 8
    # landscape and portrait thumbnails share a cell sized for the tallest (portrait)
    cell_height = round(THUMB_WIDTH * 1920 / 1080) + 8
    sheet = QImage(columns * cell, rows * cell_height, QImage.Format.Format_RGB32)
    sheet.fill(QColor("#808080"))
    painter = QPainter(sheet)
    for index, item in enumerate(items):
        image = QImage(str(item)).scaledToWidth(
            THUMB_WIDTH, Qt.TransformationMode.SmoothTransformation
        )
        x, y = (index % columns) * cell + 4, (index // columns) * cell_height + 4
        painter.drawImage(QRect(x, y, image.width(), image.height()), image)
    painter.end()
    sheet.save(str(path))
