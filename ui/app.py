"""Starts the kiosk UI: interactive, or headless with scripted residents (autoplay)."""

from __future__ import annotations

import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from kiosk.adapters.memory import release_freed_memory
from kiosk.journey import JourneyController, JourneyReport, JourneySettings, JourneyView
from kiosk.ports import Ports, StaffAlert
from kiosk.speech import HeadsetPort, SpeechPort
from kiosk.staff_auth import StaffAuthenticator
from ui.autoplay import AutoplayDriver, AutoplayError, AutoplayRound, AutoplayScript
from ui.bridge import QtPoster
from ui.main_window import KioskWindow
from ui.sdnotify import MainLoopNotifier
from ui.speech import AudioMode, follow_headset
from ui.stop_signals import StopSignals
from ui.theme import configure_screen
from ui.watchdog import EventLoopWatchdog

if TYPE_CHECKING:
    from kiosk.maintenance.wiring import MaintenanceFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    reports: tuple[JourneyReport, ...]
    max_stall_ms: float
    stalls_over_threshold: int
    finished: bool  # autoplay: every session ended in time; interactive: the window was closed
    stopped_by: str | None = None  # "SIGTERM" or "SIGINT" when a stop signal ended the run

    def as_dict(self) -> dict[str, object]:
        return {
            "stopped_by": self.stopped_by,
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
    autoplay: AutoplayScript | Iterable[AutoplayRound] | None,
    sessions: int = 1,
    insert_card: Callable[[], None] | None = None,
    remove_card: Callable[[], None] | None = None,
    fullscreen: bool = False,
    autoplay_timeout_s: float = 120.0,
    alerts: Sequence[StaffAlert] = (),
    on_view: Callable[[JourneyView], None] | None = None,
    on_start: Callable[[JourneyController, Callable[[int], None]], None] | None = None,
    staff: StaffAuthenticator | None = None,
    maintenance: MaintenanceFactory | None = None,
    screen_size: tuple[int, int] = (1080, 1920),
    dpi: float | None = None,
    locked: bool = False,
    speech: SpeechPort | None = None,
    headset: HeadsetPort | None = None,
) -> RunResult:
    """Run the kiosk until the window closes, or until the scripted residents are done.

    `autoplay` plays scripted residents in this window: one script `sessions` times, or rounds
    (`ui.autoplay`); `insert_card` and `remove_card` go with it (called on a worker thread), and
    `autoplay_timeout_s` bounds each resident. `alerts` (from `Kiosk.ready()`) start the kiosk out
    of service; `on_view` follows every view change; `on_start` gets the journey and a function ending the
    application with an exit code; `staff` checks the staff login's codes, `maintenance` builds the
    maintenance mode its accepted login opens; `screen_size` and `dpi` describe the kiosk screen
    (the window size when not full screen, the touch-target size). `locked` puts the window in
    lockdown (`KioskWindow.lock_down`): only the staff door leaves. `speech` voices the audio mode
    (`ui.speech`; without it the audio buttons stay hidden), which `headset` starts when a headset
    is plugged in. SIGTERM/SIGINT end the run cleanly (the session is wiped first,
    `RunResult.stopped_by`), and systemd hears READY/WATCHDOG/STOPPING when `$NOTIFY_SOCKET` is set
    (`ui.sdnotify`). Must be called on the main thread.
    """
    if autoplay is not None and (insert_card is None or remove_card is None):
        raise AutoplayError("autoplay needs insert_card and remove_card")
    return _supervised(
        _Options(
            ports=ports,
            settings=settings,
            autoplay=_rounds(autoplay, sessions=sessions),
            insert_card=insert_card,
            remove_card=remove_card,
            fullscreen=fullscreen,
            autoplay_timeout_s=autoplay_timeout_s,
            alerts=alerts,
            on_view=on_view,
            on_start=on_start,
            staff=staff,
            maintenance=maintenance,
            screen_size=screen_size,
            dpi=dpi,
            locked=locked,
            speech=speech,
            headset=headset,
        )
    )


def _rounds(
    autoplay: AutoplayScript | Iterable[AutoplayRound] | None, *, sessions: int
) -> Iterable[AutoplayRound] | None:
    if isinstance(autoplay, AutoplayScript):
        return (AutoplayRound(script=autoplay, sessions=sessions),)
    return autoplay


@dataclass(frozen=True, slots=True, kw_only=True)
class _Options:
    """`run_kiosk`'s arguments, as documented there."""

    ports: Ports
    settings: JourneySettings
    autoplay: Iterable[AutoplayRound] | None
    insert_card: Callable[[], None] | None
    remove_card: Callable[[], None] | None
    fullscreen: bool
    autoplay_timeout_s: float
    alerts: Sequence[StaffAlert]
    on_view: Callable[[JourneyView], None] | None
    on_start: Callable[[JourneyController, Callable[[int], None]], None] | None
    staff: StaffAuthenticator | None
    maintenance: MaintenanceFactory | None
    screen_size: tuple[int, int]
    dpi: float | None
    locked: bool
    speech: SpeechPort | None
    headset: HeadsetPort | None


def _supervised(options: _Options) -> RunResult:
    """The run under the stop signals, and its result."""
    app = _application(headless=options.autoplay is not None)
    quitters: list[Callable[[], None]] = [app.quit]
    on_stop: list[Callable[[], None]] = []

    def stop_requested(_signal: str) -> None:
        for action in (*on_stop, *quitters):
            action()

    # before any event is processed: a stop signal must never land inside a Qt callback
    stop_signals = StopSignals(stop_requested).install()
    try:
        reports, watchdog, finished = _run(
            app=app, on_stop=on_stop, quitters=quitters, stop_signals=stop_signals, o=options
        )
    finally:
        stop_signals.uninstall()
    result = RunResult(
        reports=reports,
        max_stall_ms=watchdog.max_stall_ms,
        stalls_over_threshold=watchdog.stalls_over_threshold,
        finished=finished and stop_signals.received is None,
        stopped_by=stop_signals.received,
    )
    log.info(
        "kiosk_run_done",
        extra={
            "sessions": len(result.reports),
            "max_stall_ms": result.max_stall_ms,
            "stopped_by": result.stopped_by,
        },
    )
    return result


def _controller(
    o: _Options, *, app: QApplication, poster: QtPoster, on_stop: list[Callable[[], None]]
) -> JourneyController:
    controller = JourneyController(
        ports=o.ports,
        settings=o.settings,
        post=poster.post,
        clock=time.monotonic,
        ids=lambda: uuid.uuid4().hex,
        alerts=o.alerts,
    )
    on_stop.append(controller.shut_down)
    if o.on_view is not None:
        controller.on_change(o.on_view)
        o.on_view(controller.view)
    if o.on_start is not None:
        o.on_start(controller, app.exit)

    controller.on_report(lambda _report: poster.post(_between_residents))
    controller.follow_devices()
    return controller


def _between_residents() -> None:
    """After a session's report, once the screen has changed: its freed memory to the system."""
    release_freed_memory()


def _run(
    *,
    app: QApplication,
    on_stop: list[Callable[[], None]],
    quitters: list[Callable[[], None]],
    stop_signals: StopSignals,
    o: _Options,
) -> tuple[tuple[JourneyReport, ...], EventLoopWatchdog, bool]:
    if binding_loses_none_references():
        log.error("qt_binding_refcount_bug", extra={"binding": "PySide6", "python": sys.version})
    poster = QtPoster()
    controller = _controller(o, app=app, poster=poster, on_stop=on_stop)
    configure_screen(dpi=o.dpi)
    window = _show_window(
        controller,
        staff=o.staff,
        locked=o.locked,
        fullscreen=o.fullscreen,
        screen_size=o.screen_size,
        maintenance=o.maintenance,
    )
    on_stop.append(window.release)
    audio = _audio_mode(o, window=window, poster=poster, on_stop=on_stop)
    watchdog = EventLoopWatchdog()
    systemd = MainLoopNotifier()
    finished = True
    try:
        app.processEvents()
        watchdog.start()
        systemd.ready()
        if o.autoplay is not None and o.insert_card is not None and o.remove_card is not None:
            finished = _play(
                quitters=quitters,
                stop_requested=lambda: stop_signals.received is not None,
                window=window,
                controller=controller,
                rounds=o.autoplay,
                insert_card=o.insert_card,
                remove_card=o.remove_card,
                timeout_s=o.autoplay_timeout_s,
            )
        elif stop_signals.received is None:
            app.exec()
    finally:
        stop_signals.dispatch()  # a signal that came before or after the loop still wipes
        systemd.stopping()
        watchdog.stop()
        window.release()
        _stop_audio(o, audio)
        poster.close()
        window.ticker.stop()
        window.close()
        window.deleteLater()
        # the loop has returned: delete the window and its screens now, not at a later loop's turn
        # (a process that runs the kiosk again would otherwise keep every earlier window)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        release_freed_memory()
    return controller.reports, watchdog, finished


def _audio_mode(
    o: _Options, *, window: KioskWindow, poster: QtPoster, on_stop: list[Callable[[], None]]
) -> AudioMode | None:
    """The audio mode, with the headset that starts it watched until the run ends."""
    if o.speech is None:
        return None
    audio = AudioMode(window, speech=o.speech)
    if o.headset is not None:
        follow_headset(o.headset, audio=audio, poster=poster)
        on_stop.append(o.headset.stop)
    return audio


def _stop_audio(o: _Options, audio: AudioMode | None) -> None:
    """The headset watched no more, then the audio mode silent and off."""
    if o.headset is not None:
        o.headset.stop()
    if audio is not None:
        audio.stop()


def _show_window(
    controller: JourneyController,
    *,
    staff: StaffAuthenticator | None,
    locked: bool,
    maintenance: MaintenanceFactory | None = None,
    fullscreen: bool,
    screen_size: tuple[int, int],
) -> KioskWindow:
    window = KioskWindow(controller, staff=staff, maintenance=maintenance)
    if locked:
        window.lock_down()
    if fullscreen:
        # without a window manager nobody honours the full-screen state: take the screen ourselves
        window.setGeometry(window.screen().geometry())
        window.showFullScreen()
    else:
        window.resize(*screen_size)
        window.show()
    window.warm_up()
    return window


def _play(
    *,
    quitters: list[Callable[[], None]],
    stop_requested: Callable[[], bool],
    window: KioskWindow,
    controller: JourneyController,
    rounds: Iterable[AutoplayRound],
    insert_card: Callable[[], None],
    remove_card: Callable[[], None],
    timeout_s: float,
) -> bool:
    driver = AutoplayDriver(
        window=window,
        controller=controller,
        rounds=rounds,
        insert_card=insert_card,
        remove_card=remove_card,
    )
    loop = QEventLoop()
    quitters.append(loop.quit)
    driver.finished.connect(loop.quit)
    guard = QTimer()
    guard.setSingleShot(True)
    guard.setInterval(round(timeout_s * 1000))
    guard.timeout.connect(loop.quit)
    driver.progressed.connect(guard.start)  # each resident has the whole time again
    guard.start()
    driver.start()
    if not stop_requested():
        loop.exec()
    guard.stop()
    driver.shutdown()
    if not driver.done:
        log.error("autoplay_timed_out", extra={"sessions": len(driver.reports)})
    return driver.done
