"""How the screens fit the kiosk's screen, and the check that they do.

`Fit` is what every screen lays itself out from: the window's size, the text scale (large text)
and the touch-target size from the configured DPI. Portrait panels (1080 x 1920) stack the content;
short screens (1920 x 1080 landscape, 1280 x 1024) put the PIN pad beside its prompt, the document
cards in a grid and shrink the pictograms. `misfits` is used by the layout-fit tests and usable on a
live kiosk window: a button's text must fit in the contents box its style gives it (border and
padding off); a word-wrapped label's text must fit the label's height at its width
(`heightForWidth`); any other label's text its width. Widgets that paint their own text (the
document cards) answer `clipped_text()` themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QLabel,
    QLayout,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QStyleOptionButton,
    QVBoxLayout,
    QWidget,
)

from ui.theme import style_painted

SHORT_BELOW_PX = 1300
"""Screens less high than this (landscape, 1280 x 1024) get the side-by-side layouts."""

WIDE_FROM_PX = 1600
"""Screens at least this wide (1920 x 1080) get two columns of document cards."""

PORTRAIT_HEIGHT_PX = 1920
"""The height the pictograms and key sizes were drawn for."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Fit:
    """The screen a layout is made for."""

    width: int
    height: int
    text_scale: float = 1.0
    target_px: int = 80
    """The 2 cm touch target in pixels (`ui.theme.min_target_px`)."""
    tools_px: int = 0
    """The height of the row under the header (language switch and Help) on every screen."""
    below_px: int = 0
    """The height of a bar shown under the screens (the audio mode's controls), 0 without."""

    @property
    def short(self) -> bool:
        return self.height < SHORT_BELOW_PX

    @property
    def wide(self) -> bool:
        return self.width > self.height

    @property
    def columns(self) -> int:
        """Cards side by side: two on a wide screen in normal text (long German words need the
        room), one otherwise."""
        return 2 if self.width >= WIDE_FROM_PX and self.text_scale == 1.0 else 1

    def art(self, portrait_px: int) -> int:
        """A pictogram's size: as drawn on the portrait screen, smaller on short ones."""
        if not self.short:
            return portrait_px
        return max(self.target_px, round(portrait_px * self.height / PORTRAIT_HEIGHT_PX * 0.7))

    def control(self, portrait_px: int) -> int:
        """A control's height: as on the portrait screen, lower on short ones, never under 2 cm."""
        if not self.short:
            return max(self.target_px, portrait_px)
        return max(self.target_px, round(portrait_px * 0.75))


PORTRAIT_FIT = Fit(width=1080, height=PORTRAIT_HEIGHT_PX)


def show_page(stack: QStackedWidget, page: QWidget) -> None:
    """Make `page` current; only the current page counts in the stack's size (the others are
    ignored), so a tall hidden screen never makes the window ask for more than its screen."""
    ignored = QSizePolicy.Policy.Ignored
    preferred = QSizePolicy.Policy.Preferred
    for index in range(stack.count()):
        other = stack.widget(index)
        if other is None:
            continue
        if other is page:
            other.setSizePolicy(preferred, preferred)
        else:
            other.setSizePolicy(ignored, ignored)
    stack.setCurrentWidget(page)
    stack.updateGeometry()


class ScreenStack(QStackedWidget):
    """The screens, one shown at a time; only the shown one counts in the stack's size."""

    def heightForWidth(self, width: int) -> int:
        """The least height, not the preferred one (a layout's height-for-width counts every
        pictogram at full size): the scroll area then scrolls only what cannot shrink."""
        return self.minimumSizeHint().height()

    def sizeHint(self) -> QSize:
        page = self.currentWidget()
        return page.sizeHint() if page is not None else super().sizeHint()

    def minimumSizeHint(self) -> QSize:
        page = self.currentWidget()
        return page.minimumSizeHint() if page is not None else super().minimumSizeHint()


def least_height(layout: QLayout, width: int) -> int:
    """The least height `layout` needs at `width`: wrapped labels at their wrapped height, every
    other item at its minimum (pictograms shrink). Qt's own height-for-width is the preferred
    height (every pictogram at full size), too much to decide whether a screen must scroll."""
    margins = layout.contentsMargins()
    inner = max(0, width - margins.left() - margins.right())
    vertical = (QBoxLayout.Direction.TopToBottom, QBoxLayout.Direction.BottomToTop)
    if not (isinstance(layout, QBoxLayout) and layout.direction() in vertical):
        least = layout.minimumSize().height()
        if layout.hasHeightForWidth():
            least = max(least, layout.totalHeightForWidth(width))
        return least
    heights = []
    for index in range(layout.count()):
        item = layout.itemAt(index)
        if item is None or item.isEmpty():
            continue
        widget, sub = item.widget(), item.layout()
        if widget is not None:
            least = max(widget.minimumHeight(), widget.minimumSizeHint().height(), 0)
            if widget.hasHeightForWidth():
                least = max(least, widget.heightForWidth(min(inner, widget.maximumWidth())))
        elif sub is not None:
            least = least_height(sub, inner)
        else:
            least = item.minimumSize().height()
        heights.append(least)
    spacing = max(0, layout.spacing()) * max(0, len(heights) - 1)
    return sum(heights) + spacing + margins.top() + margins.bottom()


class ScrollBody(QWidget):
    """A screen's content inside its scroll area: as high as the viewport, higher (scrolling)
    only when its words and buttons need more than the viewport at its width."""

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        layout = self.layout()
        return least_height(layout, width) if layout is not None else self.minimumHeight()

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(hint.width(), 0)


def content_area(*, parent: QWidget) -> tuple[QScrollArea, QVBoxLayout]:
    """A screen's prompt and body, scrolling vertically when large text needs more than the
    screen (the footer with the screen's actions stays put below it)."""
    area = QScrollArea(parent)
    area.setObjectName("content_area")
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    body = ScrollBody(area)
    body.setObjectName("content")
    column = QVBoxLayout(body)
    column.setContentsMargins(0, 0, 0, 0)
    area.setWidget(body)
    return area, column


def screen_area(stack: QStackedWidget, *, parent: QWidget) -> QScrollArea:
    """The screens in a scroll area: the window never asks for more than its screen. On the
    supported sizes nothing scrolls (the layout-fit test fails on any widget off the window); a
    smaller screen scrolls rather than putting buttons out of reach."""
    area = QScrollArea(parent)
    area.setObjectName("screen_area")
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    area.setWidget(stack)
    return area


def _on_page(widget: QWidget, window: QWidget) -> bool:
    """False for widgets on a stacked page that is not the current one."""
    return widget.isVisibleTo(window)


def _button_misfit(name: str, widget: QPushButton) -> str | None:
    option = QStyleOptionButton()
    widget.initStyleOption(option)
    box = widget.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, option, widget)
    need = max(widget.fontMetrics().horizontalAdvance(line) for line in widget.text().split("\n"))
    lines = widget.text().count("\n") + 1
    if need > box.width() or widget.fontMetrics().height() * lines > box.height():
        return f"{name}: {widget.text()!r} needs {need}px, has {box.width()}x{box.height()}"
    return None


def _label_misfit(name: str, widget: QLabel) -> str | None:
    inner = widget.contentsRect()
    if widget.wordWrap():
        need_h = widget.heightForWidth(widget.width())
        if need_h > widget.height() + 1:
            return f"{name}: {widget.text()[:40]!r} needs {need_h}px high, has {widget.height()}"
        return None
    need = max(widget.fontMetrics().horizontalAdvance(line) for line in widget.text().split("\n"))
    if need > inner.width():
        return f"{name}: {widget.text()[:40]!r} needs {need}px wide, has {inner.width()}"
    return None


def _viewport_of(widget: QWidget, window: QWidget) -> QWidget | None:
    """The viewport of the nearest scroll area `widget` is shown in, if any."""
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        area = parent.parentWidget()
        if isinstance(area, QScrollArea) and area.viewport() is parent:
            return parent
        parent = area
    return None


def misfits(window: QWidget, *, scrolling: bool = False) -> list[str]:
    """One line per widget whose text is clipped or that lies outside `window`, or outside the
    visible part of the scroll area it is in. With `scrolling`, a screen's content may scroll
    vertically (large text): it must still fit the width, and every text must show whole."""
    problems: list[str] = []
    bounds = window.rect()
    for widget in window.findChildren(QWidget):
        if not _on_page(widget, window) or widget.width() <= 0:
            continue
        top_left = widget.mapTo(window, QPoint(0, 0))
        rect = QRect(top_left, widget.size())
        name = widget.objectName() or type(widget).__name__
        viewport = _viewport_of(widget, window)
        if viewport is not None:
            seen = QRect(viewport.mapTo(window, QPoint(0, 0)), viewport.size())
            if scrolling:  # reachable by scrolling down, never sideways
                seen = QRect(seen.left(), rect.top(), seen.width(), rect.height())
            if not seen.contains(rect):
                problems.append(f"{name}: {rect.getRect()} outside its view {seen.getRect()}")
        elif not bounds.contains(rect):
            problems.append(f"{name}: {rect.getRect()} outside the window {bounds.getRect()}")
        problem: str | None = None
        own_check: Callable[[], str | None] | None = getattr(widget, "clipped_text", None)
        if own_check is not None:
            problem = own_check()
            problem = f"{name}: {problem}" if problem else None
        elif isinstance(widget, QPushButton) and widget.text() and style_painted(widget):
            problem = _button_misfit(name, widget)
        elif isinstance(widget, QLabel) and widget.text() and not widget.pixmap():
            problem = _label_misfit(name, widget)
        if problem:
            problems.append(problem)
    return problems
