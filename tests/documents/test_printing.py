from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import cups
import pytest

from devstack import cupsd as cupsd_module
from devstack.cupsd import CupsdService
from printing.errors import CupsdStartError
from printing.printer import CupsPrinter, JobState, PrinterState, classify, find_job_output
from printing.render import render
from tests.documents.conftest import COMMUNE, make_data

pytestmark = pytest.mark.cups


def test_sealed_certificate_prints_through_cups_pdf(
    cupsd: CupsdService, render_sealed: Callable[..., bytes], tmp_path: Path
) -> None:
    pdf = render_sealed(members=45, document_id="2026-000555")
    source = tmp_path / "cert-2026-000555.pdf"
    source.write_bytes(pdf)
    printer = CupsPrinter(queue=cupsd.printer_name, server=cupsd.server)
    assert printer.status().state is PrinterState.READY
    job_id = printer.submit(source, title="cert-2026-000555")
    result = printer.wait(job_id, timeout=60)
    assert result.state is JobState.COMPLETED, cupsd.log_tail()
    output = find_job_output(cupsd.output_dir, job_id)
    assert output is not None, cupsd.log_tail()

    def pages(path: Path) -> int:
        info = subprocess.run(
            ["pdfinfo", str(path)], capture_output=True, text=True, check=True
        ).stdout
        return int(
            next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:"))
        )

    assert pages(output) == pages(source)
    text = subprocess.run(
        ["pdftotext", str(output), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "2026-000555" in text
    assert "DUPONT" in text


def test_cancel_a_held_job(cupsd: CupsdService, tmp_path: Path) -> None:
    source = tmp_path / "blank.pdf"
    source.write_bytes(render(make_data(), commune=COMMUNE))
    printer = CupsPrinter(queue=cupsd.printer_name, server=cupsd.server)
    conn = cups.Connection(host=cupsd.server)
    conn.disablePrinter(cupsd.printer_name, reason="test")
    try:
        assert printer.status().state is PrinterState.STOPPED
        job_id = printer.submit(source, title="to-cancel")
        printer.cancel(job_id)
        assert printer.wait(job_id, timeout=10).state is JobState.CANCELLED
    finally:
        conn.enablePrinter(cupsd.printer_name)
    assert printer.status().state is PrinterState.READY


@pytest.mark.parametrize(
    ("state", "reasons", "expected"),
    [
        (3, ["none"], PrinterState.READY),
        (4, ["none"], PrinterState.BUSY),
        (5, ["media-empty-error", "paused"], PrinterState.PAPER_OUT),
        (3, ["media-low-report"], PrinterState.PAPER_LOW),
        (5, ["media-jam-error"], PrinterState.JAM),
        (5, ["door-open-error"], PrinterState.DOOR_OPEN),
        (3, ["toner-low-report"], PrinterState.TONER_LOW),
        (5, ["toner-empty-error"], PrinterState.TONER_OUT),
        (5, ["offline-report"], PrinterState.OFFLINE),
        (5, ["paused"], PrinterState.STOPPED),
    ],
)
def test_reason_mapping(state: int, reasons: list[str], expected: PrinterState) -> None:
    main, _ = classify(printer_state=state, reasons=reasons)
    assert main is expected


def test_startup_failure_names_cupsd_with_log(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(cupsd_module, "CUPSD", "/bin/false")
    base = tmp_path / "c"
    base.mkdir()
    service = CupsdService(base)
    monkeypatch.setattr(cupsd_module, "_traversable_by_others", lambda _p: True)
    with pytest.raises(CupsdStartError) as info:
        service.start()
    assert "cupsd" in str(info.value)
    assert info.value.translation_key == "printing.error.cupsd_start"
    assert not Path(f"/etc/cups/cups-pdf-{service.printer_name}.conf").exists()
