"""Layout checks: does every visible text fit its widget, and every widget lie inside the window?

Used by the layout-fit tests and usable on a live kiosk window. A button's text must fit in the
contents box its style gives it (border and padding off); a word-wrapped label's text must fit the
label's height at its width (`heightForWidth`); any other label's text its width. Buttons that
paint their own content (the document cards) are checked for position only.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QLabel, QPushButton, QStyle, QStyleOptionButton, QWidget

from ui.theme import style_painted


def _on_page(widget: QWidget, window: QWidget) -> bool:
    """False for widgets on a stacked page that is not the current one."""
    return widget.isVisibleTo(window)


def misfits(window: QWidget) -> list[str]:
    """One line per widget whose text is clipped or that lies outside `window`."""
    problems: list[str] = []
    bounds = window.rect()
    for widget in window.findChildren(QWidget):
        if not _on_page(widget, window) or widget.width() <= 0:
            continue
        top_left = widget.mapTo(window, QPoint(0, 0))
        rect = QRect(top_left, widget.size())
        name = widget.objectName() or type(widget).__name__
        if not bounds.contains(rect):
            problems.append(f"{name}: {rect.getRect()} outside the window {bounds.getRect()}")
        if isinstance(widget, QPushButton) and widget.text() and style_painted(widget):
            option = QStyleOptionButton()
            widget.initStyleOption(option)
            box = widget.style().subElementRect(
                QStyle.SubElement.SE_PushButtonContents, option, widget
            )
            need = widget.fontMetrics().horizontalAdvance(widget.text())
            if need > box.width() or widget.fontMetrics().height() > box.height():
                problems.append(
                    f"{name}: {widget.text()!r} needs {need}px, has {box.width()}x{box.height()}"
                )
        elif isinstance(widget, QLabel) and widget.text() and not widget.pixmap():
            inner = widget.contentsRect()
            if widget.wordWrap():
                need_h = widget.heightForWidth(widget.width())
                if need_h > widget.height() + 1:
                    problems.append(
                        f"{name}: {widget.text()[:40]!r} needs {need_h}px high, has {widget.height()}"
                    )
            else:
                need = max(
                    widget.fontMetrics().horizontalAdvance(line)
                    for line in widget.text().split("\n")
                )
                if need > inner.width():
                    problems.append(
                        f"{name}: {widget.text()[:40]!r} needs {need}px wide, has {inner.width()}"
                    )
    return problems
