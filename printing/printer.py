"""Print through CUPS with pycups: submit, follow a job, cancel, read the printer's condition.

A new IPP connection is opened per call (cheap on the local socket); call these methods from the
printer's own device thread. `server` is a socket path or host[:port]; None means the system cupsd.

Jobs and printer conditions are followed through a CUPS pull subscription (`ippget`): the printer
object wakes up on `job-*` and `printer-state-changed` events, and re-reads the job at least every
`refresh` seconds. If the server refuses subscriptions, it falls back to plain polling. A job that
stops because the printer stopped (paper out, jam) is reported at once, not after the timeout.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cups

from hardware.errors import DeviceTimeout, DeviceUnavailable
from printing.errors import PrinterError
from printing.paper import PaperEstimate, PaperTracker

_log = logging.getLogger(__name__)

_JOB_ATTRS = [
    "job-state",
    "job-state-reasons",
    "job-printer-state-message",
    "job-impressions-completed",
]
_PRINTER_ATTRS = [
    "printer-state",
    "printer-state-reasons",
    "printer-state-message",
    "printer-is-accepting-jobs",
    "queued-job-count",
    "marker-levels",
    "marker-names",
]


class JobState(enum.IntEnum):
    """IPP job-state (RFC 8011 §5.3.7)."""

    PENDING = 3
    HELD = 4
    PROCESSING = 5
    STOPPED = 6
    CANCELLED = 7
    ABORTED = 8
    COMPLETED = 9

    @property
    def final(self) -> bool:
        return self in (JobState.CANCELLED, JobState.ABORTED, JobState.COMPLETED)


class PrinterState(enum.Enum):
    READY = "ready"
    BUSY = "busy"
    PAPER_OUT = "paper_out"
    PAPER_LOW = "paper_low"
    JAM = "jam"
    DOOR_OPEN = "door_open"
    TONER_LOW = "toner_low"
    TONER_OUT = "toner_out"
    OFFLINE = "offline"
    STOPPED = "stopped"
    NOT_ACCEPTING = "not_accepting"

    @property
    def blocking(self) -> bool:
        return self not in (
            PrinterState.READY,
            PrinterState.BUSY,
            PrinterState.PAPER_LOW,
            PrinterState.TONER_LOW,
        )

    @property
    def translation_key(self) -> str:
        return f"printing.state.{self.value}"


# printer-state-reasons keyword (without -error/-warning/-report) → condition, most severe first.
_REASONS: tuple[tuple[tuple[str, ...], PrinterState], ...] = (
    (("offline", "shutdown", "connecting-to-device", "timed-out"), PrinterState.OFFLINE),
    (("media-jam", "input-tray-missing"), PrinterState.JAM),
    (("door-open", "cover-open", "interlock-open"), PrinterState.DOOR_OPEN),
    (("media-empty", "media-needed"), PrinterState.PAPER_OUT),
    (("toner-empty", "marker-supply-empty"), PrinterState.TONER_OUT),
    (("media-low",), PrinterState.PAPER_LOW),
    (("toner-low", "marker-supply-low"), PrinterState.TONER_LOW),
)


def _keyword(reason: str) -> str:
    for suffix in ("-error", "-warning", "-report"):
        if reason.endswith(suffix):
            return reason[: -len(suffix)]
    return reason


def _as_list(value: Any) -> tuple[str, ...]:
    """CUPS returns a single keyword as a string and several as a list."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def classify(
    *, printer_state: int, reasons: Iterable[str], accepting: bool = True
) -> tuple[PrinterState, tuple[PrinterState, ...]]:
    """Map IPP printer-state + printer-state-reasons to (main condition, all conditions found)."""
    keywords = {_keyword(r) for r in reasons if r != "none"}
    found = tuple(state for names, state in _REASONS if keywords.intersection(names))
    if found:
        main = found[0]
        if main in (PrinterState.PAPER_LOW, PrinterState.TONER_LOW) and printer_state == 5:
            main = PrinterState.STOPPED
    elif printer_state == 5 or "paused" in keywords:
        main = PrinterState.STOPPED
    elif not accepting:
        main = PrinterState.NOT_ACCEPTING
    elif printer_state == 4:
        main = PrinterState.BUSY
    else:
        main = PrinterState.READY
    return main, found


@dataclass(frozen=True, slots=True, kw_only=True)
class PrinterStatus:
    state: PrinterState
    conditions: tuple[PrinterState, ...]
    reasons: tuple[str, ...]
    accepting: bool
    message: str
    queued_jobs: int
    marker_levels: tuple[int, ...] = ()
    paper: PaperEstimate | None = None

    @property
    def can_print(self) -> bool:
        return not self.state.blocking


@dataclass(frozen=True, slots=True, kw_only=True)
class JobResult:
    job_id: int
    state: JobState
    reasons: tuple[str, ...]
    message: str
    printer_state: PrinterState | None = None
    """Set when the job did not finish because the printer stopped (paper out, jam, ...)."""

    @property
    def completed(self) -> bool:
        return self.state is JobState.COMPLETED


class PrinterTimeout(DeviceTimeout):
    translation_key = "printing.error.timeout"


class DocumentPrinter(Protocol):
    """What the kiosk needs from a printer: CupsPrinter, or FolderPrinter without CUPS."""

    def submit(
        self,
        path: Path,
        *,
        title: str,
        options: dict[str, str] | None = None,
        pages: int | None = None,
    ) -> int: ...

    def wait(self, job_id: int, *, timeout: float) -> JobResult: ...

    def cancel(self, job_id: int) -> None: ...

    def status(self) -> PrinterStatus: ...


_EVENTS = ["job-state-changed", "job-completed", "job-stopped", "printer-state-changed"]


class _Subscription:
    """A pull subscription on one queue; `wait_event()` sleeps until an event or `timeout`."""

    def __init__(self, conn: Any, queue: str, *, lease: int = 600) -> None:
        self._conn = conn
        self.id = int(
            conn.createSubscription(
                f"ipp://localhost/printers/{queue}", events=_EVENTS, lease_duration=lease
            )
        )
        self._next = 1

    def fetch(self) -> list[dict[str, Any]]:
        reply = self._conn.getNotifications([self.id], [self._next])
        events: list[dict[str, Any]] = list(reply.get("events", []))
        for event in events:
            self._next = max(self._next, int(event.get("notify-sequence-number", 0)) + 1)
        return events

    def cancel(self) -> None:
        try:
            self._conn.cancelSubscription(self.id)
        except (cups.IPPError, RuntimeError):
            _log.debug("subscription already gone", extra={"subscription": self.id})


class CupsPrinter:
    def __init__(
        self,
        *,
        queue: str,
        server: str | None = None,
        poll_interval: float = 0.05,
        paper: PaperTracker | None = None,
        use_subscriptions: bool = True,
        refresh: float = 1.0,
    ) -> None:
        self.queue = queue
        self.server = server
        self._poll = poll_interval
        self._cancelled = threading.Event()
        self._paper = paper
        self._use_subscriptions = use_subscriptions
        self._refresh = refresh
        self._pages: dict[int, int] = {}

    def _connect(self) -> Any:
        try:
            if self.server is None:
                return cups.Connection()
            return cups.Connection(host=self.server)
        except RuntimeError as err:
            raise DeviceUnavailable(
                f"cannot reach cupsd at {self.server or 'default'}",
                device="printer",
                translation_key="printing.error.offline",
            ) from err

    def submit(
        self,
        path: Path,
        *,
        title: str,
        options: dict[str, str] | None = None,
        pages: int | None = None,
    ) -> int:
        """Queue `path`; `pages` (sheets) feeds the paper counter when the job completes."""
        conn = self._connect()
        opts = {"media": "A4", "sides": "one-sided", "copies": "1", **(options or {})}
        try:
            job_id = int(conn.printFile(self.queue, str(path), title, opts))
        except cups.IPPError as err:
            raise PrinterError(
                f"job refused by {self.queue}: {err}",
                translation_key="printing.error.refused",
            ) from err
        if pages is not None:
            self._pages[job_id] = pages
        _log.info(
            "print job submitted", extra={"queue": self.queue, "job_id": job_id, "title": title}
        )
        return job_id

    def job(self, job_id: int) -> JobResult:
        conn = self._connect()
        try:
            attrs = conn.getJobAttributes(job_id, requested_attributes=_JOB_ATTRS)
        except cups.IPPError as err:
            raise PrinterError(
                f"job {job_id} unknown: {err}", translation_key="printing.error.job_lost"
            ) from err
        return JobResult(
            job_id=job_id,
            state=JobState(int(attrs["job-state"])),
            reasons=_as_list(attrs.get("job-state-reasons")),
            message=str(attrs.get("job-printer-state-message", "")),
        )

    def find_jobs(
        self, title: str, *, document_name: str | None = None, recent: int = 200
    ) -> tuple[int, ...]:
        """Jobs among the queue's `recent` latest (history included) submitted under `title`, or
        of the file named `document_name` (cupsd may keep `job-name` private; the name of the
        file submitted, `document-name-supplied`, stays visible)."""
        conn = self._connect()
        try:
            ids = sorted(conn.getJobs(which_jobs="all", my_jobs=False))[-recent:]
            found = []
            for job_id in ids:
                attrs = conn.getJobAttributes(
                    job_id, requested_attributes=["job-name", "document-name-supplied"]
                )
                if attrs.get("job-name") == title or (
                    document_name is not None
                    and attrs.get("document-name-supplied") == document_name
                ):
                    found.append(int(job_id))
        except cups.IPPError as err:
            raise PrinterError(
                f"cannot list the jobs of {self.queue}: {err}",
                translation_key="printing.error.job_lost",
            ) from err
        return tuple(found)

    def _subscribe(self) -> _Subscription | None:
        if not self._use_subscriptions:
            return None
        try:
            return _Subscription(self._connect(), self.queue)
        except (cups.IPPError, RuntimeError) as err:
            _log.info("no CUPS subscription, polling instead", extra={"error": str(err)})
            return None

    def _next_events(self, sub: _Subscription | None, *, until: float) -> None:
        """Return when an event arrived, after `refresh` seconds, or at `until` (polling: `poll`)."""
        if sub is None:
            self._cancelled.wait(min(self._poll, max(0.0, until - time.monotonic())))
            return
        limit = min(until, time.monotonic() + self._refresh)
        while time.monotonic() < limit:
            try:
                if sub.fetch():
                    return
            except (cups.IPPError, RuntimeError):
                self._cancelled.wait(self._poll)
                return
            self._cancelled.wait(min(self._poll, max(0.0, limit - time.monotonic())))

    def wait(self, job_id: int, *, timeout: float, stop_on_fault: bool = True) -> JobResult:
        """Follow the job until completed, aborted or cancelled; PrinterTimeout after `timeout`.

        With `stop_on_fault`, a job held back because the printer stopped on a blocking condition
        (paper out, jam, door open, offline) returns at once with `printer_state` set; the job
        stays queued so that it prints after the fault is cleared, unless the caller cancels it.
        """
        deadline = time.monotonic() + timeout
        sub = self._subscribe()
        try:
            while True:
                result = self.job(job_id)
                if result.state.final:
                    return self._finished(result)
                if stop_on_fault and result.state in (JobState.PENDING, JobState.STOPPED):
                    status = self.status()
                    if status.state.blocking and status.state is not PrinterState.NOT_ACCEPTING:
                        _log.warning(
                            "print job held by a printer fault",
                            extra={
                                "queue": self.queue,
                                "job_id": job_id,
                                "printer_state": status.state.value,
                            },
                        )
                        return JobResult(
                            job_id=job_id,
                            state=result.state,
                            reasons=result.reasons,
                            message=status.message or status.state.value,
                            printer_state=status.state,
                        )
                if time.monotonic() >= deadline:
                    raise PrinterTimeout(
                        f"job {job_id} still {result.state.name.lower()} after {timeout:.0f} s",
                        device="printer",
                        params={"job_id": str(job_id), "state": result.state.name.lower()},
                    )
                self._next_events(sub, until=deadline)
        finally:
            if sub is not None:
                sub.cancel()

    def _finished(self, result: JobResult) -> JobResult:
        pages = self._pages.pop(result.job_id, None)
        if result.completed and pages and self._paper is not None:
            self._paper.record(pages)
        log = _log.info if result.completed else _log.warning
        log(
            "print job finished",
            extra={
                "queue": self.queue,
                "job_id": result.job_id,
                "state": result.state.name,
                "job_message": result.message,
            },
        )
        return result

    def wait_for_status(
        self, accept: Callable[[PrinterStatus], bool], *, timeout: float
    ) -> PrinterStatus:
        """Wait (on printer events) until `accept(status)`; PrinterTimeout after `timeout`."""
        deadline = time.monotonic() + timeout
        sub = self._subscribe()
        try:
            while True:
                status = self.status()
                if accept(status):
                    return status
                if time.monotonic() >= deadline:
                    raise PrinterTimeout(
                        f"printer {self.queue} still {status.state.value} after {timeout:.0f} s",
                        device="printer",
                        params={"state": status.state.value},
                    )
                self._next_events(sub, until=deadline)
        finally:
            if sub is not None:
                sub.cancel()

    def cancel(self, job_id: int) -> None:
        conn = self._connect()
        try:
            conn.cancelJob(job_id, purge_job=False)
        except cups.IPPError as err:
            raise PrinterError(
                f"cannot cancel job {job_id}: {err}", translation_key="printing.error.cancel"
            ) from err
        _log.info("print job cancelled", extra={"queue": self.queue, "job_id": job_id})

    def status(self) -> PrinterStatus:
        conn = self._connect()
        try:
            attrs = conn.getPrinterAttributes(self.queue, requested_attributes=_PRINTER_ATTRS)
        except cups.IPPError as err:
            raise PrinterError(
                f"printer {self.queue} unknown: {err}", translation_key="printing.error.no_printer"
            ) from err
        reasons = _as_list(attrs.get("printer-state-reasons"))
        accepting = bool(attrs.get("printer-is-accepting-jobs", True))
        state, conditions = classify(
            printer_state=int(attrs.get("printer-state", 3)), reasons=reasons, accepting=accepting
        )
        levels = attrs.get("marker-levels")
        paper = self._paper.estimate() if self._paper is not None else None
        if paper is not None and paper.low:
            conditions = (*conditions, PrinterState.PAPER_LOW)
            if state in (PrinterState.READY, PrinterState.BUSY):
                state = PrinterState.PAPER_LOW
        return PrinterStatus(
            state=state,
            conditions=conditions,
            reasons=reasons,
            accepting=accepting,
            message=str(attrs.get("printer-state-message", "")),
            queued_jobs=int(attrs.get("queued-job-count", 0)),
            marker_levels=tuple(int(v) for v in _as_list(levels)) if levels is not None else (),
            paper=paper,
        )


def find_job_output(output_dir: Path, job_id: int, *, timeout: float = 5.0) -> Path | None:
    """The PDF cups-pdf wrote for `job_id`.

    The private queue runs cups-pdf with `Label 1`, so files are named `job_<id>-<title>.pdf`
    (the title part is sanitised by cups-pdf and not reliable, the job id prefix is). The file is
    complete once the job is completed; this waits a little for it to appear and its size to settle.
    """
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    last_size = -1
    while True:
        matches: Sequence[Path] = sorted(output_dir.glob(f"job_{job_id}-*.pdf"))
        if matches:
            size = matches[0].stat().st_size
            if size > 0 and size == last_size:
                return matches[0]
            last_size = size
        if time.monotonic() >= deadline:
            return matches[0] if matches else None
        pause.wait(0.05)
