"""The maintenance mode's screen: sections for diagnostics, counters, the offline queue, payments
to refund, end of day, the redacted logs and service, over the whole window while a staff session
is open.

Every button calls one `MaintenanceService` method (which checks the role and audits); device
work comes back as futures, shown when they settle. Closes itself with the service's session
(staff closed it, or it was idle for 5 min).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QResizeEvent, QTextOption
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QGridLayout,
    QPlainTextEdit,
    QPushButton,
    QScroller,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from hardware.errors import BorneError
from kiosk.i18n import format_price, translate
from kiosk.maintenance.diagnostics import Finding
from kiosk.maintenance.logs import RecentLogs
from kiosk.maintenance.parts import Backlog
from kiosk.maintenance.service import Counters, DayClosure, MaintenanceService
from kiosk.maintenance.session import MaintenanceRefused
from kiosk.ports import ClaimSlip, PrintOutcome
from offline_queue.managed_config import StaffRole
from ui.bridge import QtPoster
from ui.theme import big_button, label, set_role, set_text

if TYPE_CHECKING:  # the wire models (pydantic) load when first used
    from offline_queue.wire import LogUploadAck

T = TypeVar("T")
TICK_MS = 1000
OUTPUT_PX = 28
"""The sections' output text (findings, counters, lists): smaller than a resident's 36 px."""

WIDE_PX = 1600
"""From this width on, the sections' buttons fit four to a row in every language."""

SECTIONS = ("diagnostics", "counters", "queue", "payments", "day", "logs", "service")


class Output(Protocol):
    def setText(self, text: str, /) -> None: ...
    def text(self) -> str: ...
    def clear(self) -> None: ...
    def setStyleSheet(self, sheet: str, /) -> None: ...


class LogView(QPlainTextEdit):
    """The logs' lines: read-only, wrapped anywhere (a field may be one long word), scrolled by
    dragging a finger as well as by its bar."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("maintenance_log_lines")
        self.setReadOnly(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        QScroller.grabGesture(self.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)

    def setText(self, text: str, /) -> None:
        self.setPlainText(text)

    def text(self) -> str:
        return self.toPlainText()


class MaintenancePanel(QWidget):
    def __init__(
        self, service: MaintenanceService, *, language: Callable[[], str], parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.setObjectName("maintenance")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.service = service
        self._language = language
        self._poster = QtPoster(self)
        self.buttons: dict[str, QPushButton] = {}
        self.results: dict[str, QWidget] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 24, 40, 24)
        layout.setSpacing(16)
        self.title = label("title", parent=self)
        self.who = label("notice", parent=self)
        layout.addWidget(self.title)
        layout.addWidget(self.who)
        self._nav = QGridLayout()
        self._nav.setSpacing(12)
        self._nav_buttons = [
            self._button(f"maintenance_section_{name}", self._shower(name)) for name in SECTIONS
        ]
        self._place_nav(columns=2)
        layout.addLayout(self._nav)
        self.pages = QStackedWidget(self)
        self._pages: dict[str, QWidget] = {}
        self.output: dict[str, Output] = {
            name: LogView(self) if name == "logs" else label("body", parent=self)
            for name in SECTIONS
        }
        for output in self.output.values():  # staff read findings at arm's length: denser text
            output.setStyleSheet(f"font-size: {OUTPUT_PX}px;")
        actions = self._actions()
        self.section_actions = {name: tuple(a for a, _h in actions[name]) for name in SECTIONS}
        """Each section's action buttons (their names without the `maintenance_` prefix)."""
        self._page_boxes: list[QBoxLayout] = []
        self._log_actions = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self._build_pages(actions)
        layout.addWidget(self.pages, stretch=1)
        layout.addWidget(self._button("maintenance_close", self.close_panel))
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(service.tick)
        service.on_closed.append(self._closed)
        self.installEventFilter(self)
        self.hide()

    def _build_pages(self, actions: dict[str, tuple[tuple[str, Callable[[], None]], ...]]) -> None:
        """Each section's page: its action buttons, then its output."""
        for name in SECTIONS:
            page = QWidget(self.pages)
            box = QBoxLayout(QBoxLayout.Direction.TopToBottom, page)
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(12)
            lines = name == "logs"  # long lines: the whole width, its actions above
            column = self._log_actions if lines else QBoxLayout(QBoxLayout.Direction.TopToBottom)
            column.setSpacing(12)
            for action, handler in actions[name]:
                column.addWidget(self._button(f"maintenance_{action}", handler, parent=page))
            column.addStretch(1)
            box.addLayout(column)
            output = self.output[name]
            assert isinstance(output, QWidget)
            box.addWidget(output, stretch=1)
            if not lines:
                self._page_boxes.append(box)
            self.pages.addWidget(page)
            self._pages[name] = page

    def _actions(self) -> dict[str, tuple[tuple[str, Callable[[], None]], ...]]:
        return {
            "diagnostics": (
                ("diag_run", self.run_diagnostics),
                ("diag_card_test", self.test_card),
                ("diag_test_page", self.test_page),
            ),
            "counters": (("counters_refilled", self.paper_refilled),),
            "queue": (("queue_sync", self.sync_now), ("queue_retry", self.retry_failed)),
            "payments": (("reviews_load", self.load_reviews),),
            "day": (("day_run", self.end_of_day),),
            "logs": (("logs_show", self.show_logs), ("logs_send", self.send_logs)),
            "service": (
                ("service_out", self.out_of_service),
                ("service_in", self.back_in_service),
                ("restart", self.restart),
                ("exit", self.exit_system),
            ),
        }

    def _button(
        self, name: str, on_click: Callable[[], None], *, parent: QWidget | None = None
    ) -> QPushButton:
        # Not an `action_button`: those grow with the screen, and a section has many buttons.
        button = set_role(big_button(name, on_click, parent=parent or self), "secondary")
        self.buttons[name] = button
        return button

    def _shower(self, name: str) -> Callable[[], None]:
        return lambda: self.show_section(name)

    # -- life cycle -----------------------------------------------------------------------------
    def open_panel(self) -> None:
        session = self.service.session
        if session is None:
            return
        lang = self._language()
        self.title.setText(translate("maintenance.title", lang))
        role = translate(f"maintenance.role.{session.identity.role.value}", lang)
        self.who.setText(translate("maintenance.who", lang, role=role))
        for name in SECTIONS:
            set_text(self.buttons[f"maintenance_section_{name}"], self._t(f"section.{name}"))
            self.output[name].clear()
        texts = {
            "diag_run": "diag.run",
            "diag_card_test": "diag.card_test",
            "diag_test_page": "diag.test_page",
            "counters_refilled": "counters.refilled",
            "queue_sync": "queue.sync",
            "queue_retry": "queue.retry",
            "reviews_load": "reviews.load",
            "day_run": "day.run",
            "logs_show": "logs.show",
            "logs_send": "logs.send",
            "service_out": "service.out",
            "service_in": "service.in",
            "restart": "restart",
            "exit": "exit",
            "close": "close",
        }
        for name, key in texts.items():
            set_text(self.buttons[f"maintenance_{name}"], self._t(key))
        self.buttons["maintenance_exit"].setVisible(session.identity.role is StaffRole.TECHNICIAN)
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.show_section("diagnostics")
        self.show()
        self.raise_()
        self._timer.start()

    def close_panel(self) -> None:
        self.service.close()

    def _closed(self, _reason: str) -> None:
        self._timer.stop()
        for output in self.output.values():
            output.clear()
        self.hide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Wider than tall: a section's actions stand in a column beside its output, which then
        has the page's whole height; portrait: above it. The logs' lines take the whole width,
        under their actions (in a row when wide). The sections' buttons stand in four
        columns on a wide screen, else two."""
        size = event.size()
        direction = (
            QBoxLayout.Direction.LeftToRight
            if size.width() > size.height()
            else QBoxLayout.Direction.TopToBottom
        )
        for box in self._page_boxes:
            box.setDirection(direction)
        self._log_actions.setDirection(direction)  # the logs' actions: a row when wide
        self._place_nav(columns=4 if size.width() >= WIDE_PX else 2)
        super().resizeEvent(event)

    def _place_nav(self, *, columns: int) -> None:
        """The sections' buttons in `columns` columns: four on a wide screen leave the output
        more of its height."""
        for index, button in enumerate(self._nav_buttons):
            self._nav.addWidget(button, index // columns, index % columns)
        for column in range(4):
            self._nav.setColumnStretch(column, 1 if column < columns else 0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress):
            self.service.touch()
        return False

    def show_section(self, name: str) -> None:
        self.service.touch()
        self.pages.setCurrentWidget(self._pages[name])
        if name == "counters":
            self._run("counters", self.service.counters, self._show_counters)
        elif name == "queue":
            self._later("queue", self.service.queue, self._show_backlog)
        elif name == "logs":
            self.show_logs()
        elif name == "service":
            self._show_service()

    # -- helpers -----------------------------------------------------------------------------
    def _t(self, key: str, **params: object) -> str:
        return translate(f"maintenance.{key}", self._language(), **params)

    def _say(self, section: str, text: str) -> None:
        self.output[section].setText(text)

    def _error(self, section: str, err: BaseException) -> None:
        if isinstance(err, MaintenanceRefused):
            self._say(section, self._t("refused"))
            return
        key = err.translation_key if isinstance(err, BorneError) else "maintenance.diag.error"
        self._say(section, self._t("failed", error=translate(key, self._language())))

    def _run(self, section: str, call: Callable[[], T], show: Callable[[T], None]) -> None:
        try:
            value = call()
        except MaintenanceRefused as err:
            self._error(section, err)
            return
        show(value)

    def _later(
        self, section: str, call: Callable[[], Future[T]], show: Callable[[T], None]
    ) -> None:
        try:
            future = call()
        except MaintenanceRefused as err:
            self._error(section, err)
            return
        self._say(section, self._t("wait"))

        def settled(f: Future[T]) -> None:
            err = f.exception()
            if err is not None:
                self._error(section, err)
            else:
                show(f.result())

        future.add_done_callback(lambda f: self._poster.post(lambda: settled(f)))

    # -- diagnostics ----------------------------------------------------------------------------
    def run_diagnostics(self) -> None:
        self._later("diagnostics", self.service.diagnose, self._show_findings)

    def _show_findings(self, findings: tuple[Finding, ...]) -> None:
        lang = self._language()
        lines = [
            f"[{self._t(f'verdict.{f.verdict}')}] {translate(f.key, lang, **f.params)}"
            for f in findings
        ]
        self._say("diagnostics", "\n".join(lines))

    def test_card(self) -> None:
        self._later(
            "diagnostics",
            self.service.test_card,
            lambda tries: self._say(
                "diagnostics", self._t("card.tries", tries="-" if tries is None else tries)
            ),
        )

    def test_page(self) -> None:
        self._later("diagnostics", self.service.test_page, self._show_test_page)

    def _show_test_page(self, outcome: PrintOutcome) -> None:
        if outcome.completed:
            self._say("diagnostics", self._t("test_page.done", job=outcome.job_id))
        else:
            self._say("diagnostics", self._t("test_page.failed", reason=outcome.reason or "-"))

    # -- counters and queue --------------------------------------------------------------------
    def _show_counters(self, c: Counters) -> None:
        lang = self._language()
        self._say(
            "counters",
            self._t(
                "counters.text",
                day=c.day,
                sessions=c.sessions,
                documents=c.documents,
                payments=c.payments_approved,
                reversed=c.payments_reversed,
                revenue=format_price(c.revenue_cents, lang),
                pages_since=_or_dash(c.pages_since_refill),
                pages_left=_or_dash(c.pages_left),
                pages_total=_or_dash(c.pages_total),
            ),
        )

    def paper_refilled(self) -> None:
        self._run("counters", self.service.paper_refilled, self._show_counters)

    def _show_backlog(self, b: Backlog) -> None:
        oldest = "-" if b.oldest is None else b.oldest.astimezone().strftime("%Y-%m-%d %H:%M")
        self._say("queue", self._t("queue.text", pending=b.pending, oldest=oldest, failed=b.failed))

    def sync_now(self) -> None:
        self._later(
            "queue",
            self.service.sync_now,
            lambda n: self._say("queue", self._t("queue.synced", count=n)),
        )

    def retry_failed(self) -> None:
        self._later(
            "queue",
            self.service.retry_failed,
            lambda n: self._say("queue", self._t("queue.retried", count=n)),
        )

    # -- payments --------------------------------------------------------------------------------
    def load_reviews(self) -> None:
        self._later("payments", self.service.reviews, self._show_reviews)

    def _show_reviews(self, slips: tuple[ClaimSlip, ...]) -> None:
        if not slips:
            self._say("payments", self._t("reviews.none"))
            return
        lang = self._language()
        lines = [
            self._t(
                "reviews.item",
                claim_code=s.claim_code,
                amount=format_price(s.amount_cents, lang),
                date=s.date,
                time=s.time,
                card_brand=s.card_brand,
                masked_pan=s.masked_pan,
                receipt_number=s.receipt_number,
                terminal_id=s.terminal_id,
                trace=s.trace,
            )
            for s in slips
        ]
        self._say("payments", "\n".join(lines))

    def end_of_day(self) -> None:
        self._later("day", self.service.end_of_day, self._show_day)

    def _show_day(self, d: DayClosure) -> None:
        if not d.approved:
            self._say("day", self._t("day.refused", code=d.result_code))
            return
        lang = self._language()
        total = (
            "-" if d.terminal_total_cents is None else format_price(d.terminal_total_cents, lang)
        )
        diff = "-" if d.difference_cents is None else format_price(d.difference_cents, lang)
        verdict = self._t("day.reconciled" if d.reconciled else "day.mismatch")
        text = self._t(
            "day.done",
            terminal_count=d.terminal_count,
            terminal_total=total,
            kiosk_payments=d.kiosk_payments,
            kiosk_revenue=format_price(d.kiosk_revenue_cents, lang),
            documents=d.documents,
            difference=diff,
        )
        self._say("day", f"{text}\n{verdict}")

    # -- logs -------------------------------------------------------------------------------------
    def show_logs(self) -> None:
        self._later("logs", self.service.logs, self._show_logs)

    def _show_logs(self, logs: RecentLogs) -> None:
        if not logs.lines:
            self._say("logs", self._t("logs.none"))
            return
        self._say(
            "logs",
            "\n".join(
                f"{_clock(line.at)} {line.level} {line.event} {line.fields}".rstrip()
                for line in logs.lines
            ),
        )

    def send_logs(self) -> None:
        self._later("logs", self.service.send_logs, self._show_sent)

    def _show_sent(self, ack: LogUploadAck) -> None:
        self._say("logs", self._t("logs.sent", upload=ack.upload_id, chars=ack.stored_chars))

    # -- service ----------------------------------------------------------------------------------
    def _show_service(self) -> None:
        key = "service.leaves_in" if self.service.leaves_in_service else "service.leaves_out"
        self._say("service", self._t(key))

    def out_of_service(self) -> None:
        self._run("service", self.service.out_of_service, lambda _n: self._show_service())

    def back_in_service(self) -> None:
        self._run("service", self.service.back_in_service, lambda _n: self._show_service())

    def restart(self) -> None:
        self._run("service", self.service.restart, lambda _n: None)

    def exit_system(self) -> None:
        self._run("service", self.service.exit_system, lambda _n: self.hide())


def _clock(at: datetime | None) -> str:
    """A log line's time on the kiosk's own clock (the files are in UTC)."""
    return "--:--:--" if at is None else at.astimezone().strftime("%H:%M:%S")


def _or_dash(value: int | None) -> str:
    return "-" if value is None else str(value)
