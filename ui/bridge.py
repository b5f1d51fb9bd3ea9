"""Runs callables posted from any thread on the Qt main thread."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot

log = logging.getLogger(__name__)


class QtPoster(QObject):
    """`post(fn)` from any thread; `fn` runs later on the thread this object lives in.

    The connection is always queued, even from the main thread itself, so a continuation never
    runs re-entrantly inside the controller method that caused it.
    """

    _posted = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._closed = False
        self._posted.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def post(self, fn: Callable[[], None]) -> None:
        if not self._closed:
            self._posted.emit(fn)

    def close(self) -> None:
        """Drop everything posted from now on (the kiosk is shutting down)."""
        self._closed = True

    @Slot(object)
    def _run(self, fn: Callable[[], None]) -> None:
        if self._closed:
            return
        fn()
