"""Print through CUPS with pycups: submit, follow a job, cancel, read the printer's condition.

A new IPP connection is opened per call (cheap on the local socket); call these methods from the
printer's own device thread. `server` is a socket path or host[:port]; None means the system cupsd.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cups

from hardware.errors import DeviceTimeout, DeviceUnavailable
from printing.errors import PrinterError

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

    @property
    def can_print(self) -> bool:
        return not self.state.blocking


@dataclass(frozen=True, slots=True, kw_only=True)
class JobResult:
    job_id: int
    state: JobState
    reasons: tuple[str, ...]
    message: str

    @property
    def completed(self) -> bool:
        return self.state is JobState.COMPLETED


class PrinterTimeout(DeviceTimeout):
    translation_key = "printing.error.timeout"


class CupsPrinter:
    def __init__(
        self, *, queue: str, server: str | None = None, poll_interval: float = 0.05
    ) -> None:
        self.queue = queue
        self.server = server
        self._poll = poll_interval
        self._cancelled = threading.Event()

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

    def submit(self, path: Path, *, title: str, options: dict[str, str] | None = None) -> int:
        conn = self._connect()
        opts = {"media": "A4", "sides": "one-sided", "copies": "1", **(options or {})}
        try:
            job_id = int(conn.printFile(self.queue, str(path), title, opts))
        except cups.IPPError as err:
            raise PrinterError(
                f"job refused by {self.queue}: {err}",
                translation_key="printing.error.refused",
            ) from err
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

    def wait(self, job_id: int, *, timeout: float) -> JobResult:
        """Follow job-state until completed, aborted or cancelled; PrinterTimeout after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.job(job_id)
            if result.state.final:
                _log.info(
                    "print job finished",
                    extra={"queue": self.queue, "job_id": job_id, "state": result.state.name},
                )
                return result
            if time.monotonic() >= deadline:
                raise PrinterTimeout(
                    f"job {job_id} still {result.state.name.lower()} after {timeout:.0f} s",
                    device="printer",
                    params={"job_id": str(job_id), "state": result.state.name.lower()},
                )
            self._cancelled.wait(self._poll)

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
        return PrinterStatus(
            state=state,
            conditions=conditions,
            reasons=reasons,
            accepting=accepting,
            message=str(attrs.get("printer-state-message", "")),
            queued_jobs=int(attrs.get("queued-job-count", 0)),
            marker_levels=tuple(int(v) for v in _as_list(levels)) if levels is not None else (),
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
