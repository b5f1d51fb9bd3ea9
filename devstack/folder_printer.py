"""A printer for machines without CUPS: each job is a PDF file written into a folder.

For development laptops and demonstrations only; nothing reaches paper. It says so loudly in the
log when it is created and for every job, so that it can never pass unnoticed on a kiosk.
"""

from __future__ import annotations

import itertools
import logging
import re
import shutil
from pathlib import Path

from printing.errors import PrinterError
from printing.printer import JobResult, JobState, PrinterState, PrinterStatus

_log = logging.getLogger(__name__)


class FolderPrinter:
    """A `DocumentPrinter` (submit / wait / cancel / status) whose jobs complete as files."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._ids = itertools.count(1 + len(list(self.directory.glob("*.pdf"))))
        self._results: dict[int, JobResult] = {}
        _log.warning(
            "FOLDER PRINTER IN USE: documents are written as files, nothing is printed on paper",
            extra={"directory": str(self.directory)},
        )

    def submit(
        self,
        path: Path,
        *,
        title: str,
        options: dict[str, str] | None = None,
        pages: int | None = None,
    ) -> int:
        job_id = next(self._ids)
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", title)[:80] or "document"
        # Named as cups-pdf names its files (`Label 1`), so `find_job_output` finds both.
        target = self.directory / f"job_{job_id}-{safe}.pdf"
        try:
            shutil.copyfile(path, target)
        except OSError as err:
            raise PrinterError(
                f"cannot write {target}: {err}", translation_key="printing.error.refused"
            ) from err
        self._results[job_id] = JobResult(
            job_id=job_id, state=JobState.COMPLETED, reasons=(), message=str(target)
        )
        _log.warning(
            "FOLDER PRINTER: job written to a file, not printed",
            extra={"job_id": job_id, "file": str(target)},
        )
        return job_id

    def output(self, job_id: int) -> Path | None:
        result = self._results.get(job_id)
        return Path(result.message) if result is not None else None

    def wait(self, job_id: int, *, timeout: float) -> JobResult:
        try:
            return self._results[job_id]
        except KeyError as err:
            raise PrinterError(
                f"job {job_id} unknown", translation_key="printing.error.job_lost"
            ) from err

    def cancel(self, job_id: int) -> None:
        self._results.pop(job_id, None)

    def status(self) -> PrinterStatus:
        return PrinterStatus(
            state=PrinterState.READY,
            conditions=(),
            reasons=("none",),
            accepting=True,
            message=f"folder {self.directory}",
            queued_jobs=0,
        )
