"""Starts the kiosk UI: interactive, or headless with scripted residents (autoplay)."""

from __future__ import annotations

import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from kiosk.journey import JourneyController, JourneyReport, JourneySettings, JourneyView
from kiosk.ports import CardEventKind, Ports, StaffAlert
from kiosk.staff_auth import StaffAuthenticator
from ui.autoplay import AutoplayDriver, AutoplayError, AutoplayScript
from ui.bridge import QtPoster
from ui.main_window import KioskWindow
from ui.theme import configure_screen
from ui.watchdog import EventLoopWatchdog

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    reports: tuple[JourneyReport, ...]
    max_stall_ms: float
    stalls_over_threshold: int
    finished: bool  # autoplay: every session ended in time; interactive: the window was closed

    def as_dict(self) -> dict[str, object]:
        return {
            "reports": [r.as_dict() for r in self.reports],
            "max_stall_ms": self.max_stall_ms,
            "stalls_over_threshold": self.stalls_over_threshold,
            "finished": self.finished,
        }


def binding_loses_none_references() -> bool:
    """True when the Qt binding drops a reference to None on every call returning nothing.

    PySide6 6.12.0 does so on CPython 3.11 (None is not immortal before 3.12): a long-running
    kiosk then aborts with "none_dealloc". PySide6 6.11.3 is not affected.
    """
    probe = QTimer()
    before = sys.getrefcount(None)
    for _ in range(100):
        probe.setInterval(1000)
    return sys.getrefcount(None) - before <= -50


def _application(*, headless: bool) -> QApplication:
    if headless:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    existing = QCoreApplication.instance()
    if existing is not None:
        return cast(QApplication, existing)
    return QApplication(sys.argv[:1])


def run_kiosk(
    *,
    ports: Ports,
    settings: JourneySettings,
    autoplay: AutoplayScript | None,
    sessions: int = 1,
    insert_card: Callable[[], None] | None = None,
    remove_card: Callable[[], None] | None = None,
    fullscreen: bool = False,
    autoplay_timeout_s: float = 300.0,
    alerts: Sequence[StaffAlert] = (),
    on_view: Callable[[JourneyView], None] | None = None,
    on_start: Callable[[JourneyController, Callable[[int], None]], None] | None = None,
    staff: StaffAuthenticator | None = None,
    screen_size: tuple[int, int] = (1080, 1920),
    dpi: float | None = None,
) -> RunResult:
    """Run the kiosk until the window closes, or until `sessions` scripted residents are done.

    With `autoplay`, `insert_card` and `remove_card` are required; they are called on a worker
    thread (see `ui.autoplay`). `alerts` (from `Kiosk.ready()`) start the kiosk out of service;
    `on_view` follows every view change; `on_start` gets the journey and a function ending the
    application with an exit code; `staff` checks the staff login's codes; `screen_size` and
    `dpi` describe the kiosk screen (the window size when not full screen, the touch-target size).
    Must be called on the main thread.
    """
    if autoplay is not None and (insert_card is None or remove_card is None):
        raise AutoplayError("autoplay needs insert_card and remove_card")
    app = _application(headless=autoplay is not None)
    if binding_loses_none_references():
        log.error("qt_binding_refcount_bug", extra={"binding": "PySide6", "python": sys.version})
    poster = QtPoster()
    controller = JourneyController(
        ports=ports,
        settings=settings,
        post=poster.post,
        clock=time.monotonic,
        ids=lambda: uuid.uuid4().hex,
        alerts=alerts,
    )
    if on_view is not None:
        controller.on_change(on_view)
        on_view(controller.view)
    if on_start is not None:
        on_start(controller, app.exit)

    def on_card(kind: CardEventKind) -> None:  # any thread
        poster.post(lambda: controller.card_event(kind))

    ports.card.watch(on_card)
    configure_screen(dpi=dpi)
    window = KioskWindow(controller, staff=staff)
    if fullscreen:
        window.showFullScreen()
    else:
        window.resize(*screen_size)
        window.show()
    window.warm_up()
    app.processEvents()
    watchdog = EventLoopWatchdog()
    watchdog.start()
    finished = True
    try:
        if autoplay is not None and insert_card is not None and remove_card is not None:
            finished = _play(
                window=window,
                controller=controller,
                script=autoplay,
                sessions=sessions,
                insert_card=insert_card,
                remove_card=remove_card,
                timeout_s=autoplay_timeout_s,
            )
        else:
            app.exec()
    finally:
        watchdog.stop()
        poster.close()
        window.ticker.stop()
        window.close()
        window.deleteLater()
    result = RunResult(
        reports=controller.reports,
        max_stall_ms=watchdog.max_stall_ms,
        stalls_over_threshold=watchdog.stalls_over_threshold,
        finished=finished,
    )
    log.info(
        "kiosk_run_done",
        extra={"sessions": len(result.reports), "max_stall_ms": result.max_stall_ms},
    )
    return result


def _play(
    *,
    window: KioskWindow,
    controller: JourneyController,
    script: AutoplayScript,
    sessions: int,
    insert_card: Callable[[], None],
    remove_card: Callable[[], None],
    timeout_s: float,
) -> bool:
    driver = AutoplayDriver(
        window=window,
        controller=controller,
        script=script,
        sessions=sessions,
        insert_card=insert_card,
        remove_card=remove_card,
    )
    loop = QEventLoop()
    driver.finished.connect(loop.quit)
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(loop.quit)
    guard.start(round(timeout_s * 1000))
    driver.start()
    loop.exec()
    guard.stop()
    driver.shutdown()
    if not driver.done:
        log.error("autoplay_timed_out", extra={"sessions": len(driver.reports)})
    return driver.done
