"""Pictograms drawn with QPainter: no image files, no animation, a few dozen primitives each.

Each pictogram is drawn in a 100 x 100 design square scaled to the widget, only when Qt asks for a
repaint (show, resize, or an explicit `update()` such as a new printing progress).
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QPainter, QPainterPath, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from ui.theme import (
    ACCENT,
    BACKGROUND,
    MUTED,
    ON_ACCENT,
    PAPER,
    SURFACE,
    SURFACE_LINE,
    TEXT,
    color,
)


class Kind(enum.Enum):
    CARD_IN = "card_in"
    CARD_OUT = "card_out"
    TERMINAL = "terminal"
    PRINTER = "printer"
    TRAY = "tray"
    WAIT = "wait"
    WARNING = "warning"
    HAND = "hand"
    TOWN_HALL = "town_hall"
    PINPAD = "pinpad"


def _pen(name: str, width: float) -> QPen:
    pen = QPen(color(name), width)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    return pen


def _arrow(p: QPainter, x: float, y0: float, y1: float, head: float = 9.0) -> None:
    """A thick accent arrow from (x, y0) to (x, y1), pointing at y1."""
    p.setPen(_pen(ACCENT, 6))
    p.drawLine(QPointF(x, y0), QPointF(x, y1))
    sign = 1.0 if y1 > y0 else -1.0
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color(ACCENT))
    tip = y1 + sign * head * 0.6
    p.drawPolygon(
        QPolygonF(
            [QPointF(x - head, y1 - sign * 2), QPointF(x + head, y1 - sign * 2), QPointF(x, tip)]
        )
    )


def _id_card(p: QPainter, rect: QRectF) -> None:
    p.setPen(_pen(TEXT, 2.5))
    p.setBrush(color(PAPER))
    p.drawRoundedRect(rect, 4, 4)
    chip = QRectF(rect.left() + rect.width() * 0.18, rect.top() + rect.height() * 0.55, 14, 11)
    p.setPen(_pen(ON_ACCENT, 1.2))
    p.setBrush(color(ACCENT))
    p.drawRoundedRect(chip, 2, 2)
    p.drawLine(QPointF(chip.left(), chip.center().y()), QPointF(chip.right(), chip.center().y()))
    p.drawLine(QPointF(chip.center().x(), chip.top()), QPointF(chip.center().x(), chip.bottom()))
    # the holder's photo and two lines of text: shapes only, no data
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color(SURFACE_LINE))
    p.drawRoundedRect(
        QRectF(rect.left() + rect.width() * 0.58, rect.top() + 6, rect.width() * 0.3, 16), 2, 2
    )
    for i in range(2):
        p.drawRect(QRectF(rect.left() + 5, rect.top() + 8 + i * 7, rect.width() * 0.42, 3))


def _slot(p: QPainter) -> None:
    p.setPen(_pen(TEXT, 3))
    p.setBrush(color(SURFACE))
    p.drawRoundedRect(QRectF(12, 74, 76, 14), 5, 5)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color(BACKGROUND))
    p.drawRoundedRect(QRectF(22, 79, 56, 4), 2, 2)


def _card_in(p: QPainter) -> None:
    _slot(p)
    _id_card(p, QRectF(26, 6, 48, 62))
    _arrow(p, 88, 18, 58)


def _card_out(p: QPainter) -> None:
    _id_card(p, QRectF(26, 20, 48, 62))
    _slot(p)
    _arrow(p, 88, 60, 14)


def _terminal(p: QPainter) -> None:
    p.setPen(_pen(TEXT, 3))
    p.setBrush(color(SURFACE))
    p.drawRoundedRect(QRectF(24, 8, 46, 86), 8, 8)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color(ACCENT))
    p.drawRoundedRect(QRectF(31, 16, 32, 22), 3, 3)
    p.setBrush(color(TEXT))
    for row in range(4):
        for col in range(3):
            p.drawEllipse(QPointF(36 + col * 11, 50 + row * 10), 3.6, 3.6)
    # contactless waves
    p.setBrush(Qt.BrushStyle.NoBrush)
    for i in range(3):
        r = 7 + i * 7
        p.setPen(_pen(ACCENT, 4))
        p.drawArc(QRectF(74 - r, 26 - r, 2 * r, 2 * r), -50 * 16, 100 * 16)


def _printer(p: QPainter, progress: float) -> None:
    p.setPen(_pen(TEXT, 2.5))
    p.setBrush(color(PAPER))
    p.drawRect(QRectF(28, 8, 44, 30))
    p.setPen(_pen(TEXT, 3))
    p.setBrush(color(SURFACE))
    p.drawRoundedRect(QRectF(10, 34, 80, 34), 7, 7)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color(ACCENT))
    p.drawEllipse(QPointF(78, 44), 4, 4)
    p.setBrush(color(BACKGROUND))
    p.drawRoundedRect(QRectF(22, 58, 56, 5), 2, 2)
    # the sheet coming out grows with the progress
    out = 6 + 28 * max(0.0, min(1.0, progress))
    p.setPen(_pen(TEXT, 2.5))
    p.setBrush(color(PAPER))
    sheet = QRectF(26, 60, 48, out)
    p.drawRect(sheet)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color(MUTED))
    y = 66.0
    while y + 3 < sheet.bottom():
        p.drawRect(QRectF(31, y, 38, 2.4))
        y += 6


def _tray(p: QPainter) -> None:
    p.setPen(_pen(TEXT, 2.5))
    for i, dx in enumerate((8, 4, 0)):
        p.setBrush(color(PAPER if i == 2 else MUTED))
        p.drawRect(QRectF(24 + dx, 36 - dx, 44, 44))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color(SURFACE_LINE))
    for i in range(4):
        p.drawRect(QRectF(29, 46 + i * 7, 32, 2.6))
    p.setPen(_pen(TEXT, 4))
    p.setBrush(Qt.BrushStyle.NoBrush)
    path = QPainterPath(QPointF(12, 72))
    path.lineTo(16, 90)
    path.lineTo(84, 90)
    path.lineTo(88, 72)
    p.drawPath(path)
    _arrow(p, 84, 58, 14)


def _wait(p: QPainter) -> None:
    p.setPen(_pen(TEXT, 4))
    p.drawLine(QPointF(28, 10), QPointF(72, 10))
    p.drawLine(QPointF(28, 90), QPointF(72, 90))
    glass = QPainterPath(QPointF(32, 12))
    glass.lineTo(68, 12)
    glass.cubicTo(68, 36, 54, 44, 54, 50)
    glass.cubicTo(54, 56, 68, 64, 68, 88)
    glass.lineTo(32, 88)
    glass.cubicTo(32, 64, 46, 56, 46, 50)
    glass.cubicTo(46, 44, 32, 36, 32, 12)
    p.setBrush(color(SURFACE))
    p.drawPath(glass)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color(ACCENT))
    top = QPainterPath(QPointF(40, 30))
    top.lineTo(60, 30)
    top.lineTo(50, 46)
    p.drawPath(top)
    p.drawRect(QRectF(49, 46, 2, 30))
    bottom = QPainterPath(QPointF(36, 86))
    bottom.lineTo(64, 86)
    bottom.cubicTo(62, 76, 56, 72, 50, 72)
    bottom.cubicTo(44, 72, 38, 76, 36, 86)
    p.drawPath(bottom)


def _warning(p: QPainter) -> None:
    p.setPen(_pen(ACCENT, 6))
    p.setBrush(color(ACCENT))
    p.drawPolygon(QPolygonF([QPointF(50, 10), QPointF(92, 86), QPointF(8, 86)]))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color(ON_ACCENT))
    p.drawRoundedRect(QRectF(45, 34, 10, 30), 4, 4)
    p.drawEllipse(QPointF(50, 74), 5.5, 5.5)


def _hand(p: QPainter) -> None:
    # a keypad, half covered by a raised hand
    p.setPen(_pen(TEXT, 2.5))
    p.setBrush(color(SURFACE))
    p.drawRoundedRect(QRectF(6, 40, 50, 54), 6, 6)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color(TEXT))
    for row in range(4):
        for col in range(3):
            p.drawEllipse(QPointF(17 + col * 14, 51 + row * 12), 3.5, 3.5)
    p.setPen(_pen(ON_ACCENT, 2))
    p.setBrush(color(ACCENT))
    hand = QPainterPath()
    hand.addRoundedRect(QRectF(40, 42, 42, 44), 14, 14)
    for i, (x, top) in enumerate(((42, 16), (52, 8), (62, 10), (72, 18))):
        finger = QPainterPath()
        finger.addRoundedRect(QRectF(x, top, 9, 40 - i * 0), 4.5, 4.5)
        hand = hand.united(finger)
    thumb = QPainterPath()
    thumb.addRoundedRect(QRectF(26, 50, 24, 10), 5, 5)
    hand = hand.united(thumb)
    p.drawPath(hand)


def _town_hall(p: QPainter) -> None:
    p.setPen(_pen(TEXT, 3))
    p.setBrush(color(SURFACE))
    p.drawPolygon(QPolygonF([QPointF(50, 14), QPointF(90, 36), QPointF(10, 36)]))
    p.drawRect(QRectF(14, 36, 72, 6))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color(TEXT))
    for i in range(5):
        p.drawRect(QRectF(19 + i * 14, 46, 6, 34))
    p.drawRect(QRectF(10, 82, 80, 8))
    p.setBrush(color(ACCENT))
    p.drawEllipse(QPointF(50, 28), 4, 4)
    p.setPen(_pen(TEXT, 2))
    p.drawLine(QPointF(50, 14), QPointF(50, 2))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawPolygon(QPolygonF([QPointF(50, 2), QPointF(64, 5), QPointF(50, 9)]))


def _pinpad(p: QPainter) -> None:
    """The card in a reader with its own keypad: the PIN is typed there."""
    _id_card(p, QRectF(31, 2, 38, 40))
    p.setPen(_pen(TEXT, 3))
    p.setBrush(color(SURFACE))
    p.drawRoundedRect(QRectF(16, 30, 68, 66), 8, 8)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color(ACCENT))
    p.drawRoundedRect(QRectF(26, 38, 48, 12), 3, 3)
    p.setBrush(color(TEXT))
    for row in range(4):
        for col in range(3):
            p.drawEllipse(QPointF(36 + col * 14, 59 + row * 10), 4, 4)


_PAINTERS: dict[Kind, Callable[[QPainter], None]] = {
    Kind.PINPAD: _pinpad,
    Kind.CARD_IN: _card_in,
    Kind.CARD_OUT: _card_out,
    Kind.TERMINAL: _terminal,
    Kind.TRAY: _tray,
    Kind.WAIT: _wait,
    Kind.WARNING: _warning,
    Kind.HAND: _hand,
    Kind.TOWN_HALL: _town_hall,
}


class Pictogram(QWidget):
    """A decorative drawing; hidden from assistive technology (the prompt says the same)."""

    def __init__(self, kind: Kind, size: int, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.progress = 0.0
        self._size = size
        self.setMinimumSize(QSize(size // 2, size // 2))
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)
        self.setAccessibleName("")

    def sizeHint(self) -> QSize:
        return QSize(self._size, self._size)

    def set_progress(self, progress: float) -> None:
        if abs(progress - self.progress) > 1e-3:
            self.progress = progress
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        side = min(self.width(), self.height(), self._size)
        if side <= 0:
            return
        p = QPainter(self)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.translate((self.width() - side) / 2, (self.height() - side) / 2)
            p.scale(side / 100.0, side / 100.0)
            p.setBrush(QBrush(color(SURFACE)))
            if self.kind is Kind.PRINTER:
                _printer(p, self.progress)
            else:
                _PAINTERS[self.kind](p)
        finally:
            p.end()
