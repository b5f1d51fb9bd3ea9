"""`python -m kiosk screenshots`: every screen × mode × size per language, and a contact sheet."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from kiosk.journey import PROMPT_KEYS
from tests.core.fakes import make_settings
from ui.screenshots import SIZES, Mode, render_screenshots


def test_every_screen_mode_and_size_is_written(qapp: QApplication, tmp_path: Path) -> None:
    settings = dataclasses.replace(make_settings(), languages=("nl",))
    written = render_screenshots(settings=settings, out=tmp_path)
    shots = sorted(p for p in written if p.name != "contact-sheet.png")
    assert len(shots) == len(PROMPT_KEYS) * len(Mode) * len(SIZES)
    assert {p.parent.name for p in written} == {"nl"}
    for path in shots:
        image = QImage(str(path))
        size = path.name.split("-", 1)[0]
        assert (image.width(), image.height()) == SIZES[size], path.name  # never grown
    portrait = QImage(str(tmp_path / "nl" / "portrait-normal-pin.png"))
    contrast = QImage(str(tmp_path / "nl" / "portrait-high_contrast-pin.png"))
    # the high-contrast theme is dark on light: its corner pixel is lighter
    assert contrast.pixelColor(540, 1900).lightness() > portrait.pixelColor(540, 1900).lightness()
    assert QImage(str(tmp_path / "nl" / "contact-sheet.png")).width() > 0
