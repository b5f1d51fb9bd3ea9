"""Printer faults injected with the fault backend, the paper counter, receipts, the folder printer."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import cups
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from devstack.cupsd import CupsdService
from devstack.folder_printer import FolderPrinter
from printing.paper import PaperTracker
from printing.printer import CupsPrinter, JobState, PrinterState
from printing.receipt import ReceiptDocument, print_receipt, render_receipt
from tests.documents.conftest import COMMUNE

_DOCS = (
    ReceiptDocument(document_type="household", document_id="2026-000123", price_cents=250),
    ReceiptDocument(document_type="life", document_id="2026-000124", price_cents=0),
)


@pytest.fixture(scope="module")
def receipt_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("receipt") / "receipt.pdf"
    path.write_bytes(
        render_receipt(
            commune=COMMUNE,
            language="fr",
            issued_at=datetime(2026, 3, 2, 9, 41, tzinfo=UTC),
            kiosk_id="K-TEST-01",
            documents=_DOCS,
            terminal_lines=("WORLDLINE", "BANCONTACT", "MONTANT EUR 2,50", "TRANSACTION ACCEPTEE"),
        )
    )
    path.parent.chmod(0o755)
    path.chmod(0o644)
    return path


@pytest.fixture
def fault_queue(cupsd: CupsdService, request: pytest.FixtureRequest) -> Iterator[tuple[str, Path]]:
    name = f"fault-{request.node.name.split('[')[-1].rstrip(']')}"
    mode_file = cupsd.add_fault_queue(name)
    yield name, mode_file
    conn = cups.Connection(host=cupsd.server)
    conn.cancelAllJobs(name=name, purge_jobs=True)
    conn.deletePrinter(name)


@pytest.mark.cups
@pytest.mark.parametrize(
    ("mode", "expected_state", "expected_job"),
    [
        ("media-empty", PrinterState.PAPER_OUT, JobState.PENDING),
        ("media-jam", PrinterState.JAM, JobState.PENDING),
        ("offline", PrinterState.OFFLINE, JobState.ABORTED),
    ],
)
def test_injected_fault_is_reported(
    mode: str,
    expected_state: PrinterState,
    expected_job: JobState,
    fault_queue: tuple[str, Path],
    cupsd: CupsdService,
    receipt_pdf: Path,
    tmp_path: Path,
) -> None:
    name, mode_file = fault_queue
    paper = PaperTracker(tmp_path / "paper.json", tray_capacity=10, low_threshold=2)
    printer = CupsPrinter(queue=name, server=cupsd.server, paper=paper)
    ok = printer.submit(receipt_pdf, title="ok", pages=1)
    assert printer.wait(ok, timeout=30).state is JobState.COMPLETED
    assert paper.estimate().pages_since_refill == 1
    mode_file.write_text(mode, encoding="utf-8")
    job = printer.submit(receipt_pdf, title=mode, pages=1)
    result = printer.wait(job, timeout=30)
    assert not result.completed
    assert result.state is expected_job
    assert paper.estimate().pages_since_refill == 1
    if expected_job is JobState.ABORTED:
        # cupsd drops "offline-report" when the aborted job ends: the job result is the report.
        return
    assert result.printer_state is expected_state
    status = printer.wait_for_status(lambda s: s.state is expected_state, timeout=30)
    assert not status.can_print
    if expected_job is JobState.PENDING:
        # Staff clear the fault: the held job prints and the paper counter moves on.
        mode_file.write_text("ok", encoding="utf-8")
        cups.Connection(host=cupsd.server).enablePrinter(name)
        assert printer.wait(job, timeout=30).state is JobState.COMPLETED
        assert printer.wait_for_status(lambda s: s.can_print, timeout=30).can_print
        assert paper.estimate().pages_since_refill == 2


def test_paper_estimate_persists_and_refills(tmp_path: Path) -> None:
    path = tmp_path / "state" / "paper.json"
    tracker = PaperTracker(path, tray_capacity=100, low_threshold=10)
    tracker.record(85)
    again = PaperTracker(path, tray_capacity=100, low_threshold=10)
    estimate = again.record(6)
    assert estimate.pages_printed_total == 91
    assert estimate.remaining == 9
    assert estimate.low
    assert estimate.level == pytest.approx(0.09)
    refilled = again.refill()
    assert refilled.remaining == 100
    assert refilled.pages_printed_total == 91
    path.write_text("garbage", encoding="utf-8")
    assert PaperTracker(path).estimate().pages_printed_total == 0


def test_receipt_lists_documents_and_terminal_lines(receipt_pdf: Path) -> None:
    text = subprocess.run(
        ["pdftotext", str(receipt_pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in ("Reçu", "2026-000123", "Certificat de vie", "2,50 €", "BANCONTACT"):
        assert expected in text


@pytest.mark.cups
def test_receipt_goes_to_the_a4_printer_without_a_receipt_queue(cupsd: CupsdService) -> None:
    printer = CupsPrinter(queue=cupsd.printer_name, server=cupsd.server)
    result = print_receipt(
        receipt_printer=None,
        document_printer=printer,
        timeout=60,
        commune=COMMUNE,
        language="nl",
        issued_at=datetime(2026, 3, 2, 9, 41, tzinfo=UTC),
        kiosk_id="K-TEST-01",
        documents=_DOCS,
    )
    assert result.state is JobState.COMPLETED


def test_roll_receipt_is_80_mm_wide() -> None:
    pdf = render_receipt(
        commune=COMMUNE,
        language="de",
        issued_at=datetime(2026, 3, 2, 9, 41, tzinfo=UTC),
        kiosk_id="K",
        documents=_DOCS,
        roll=True,
    )
    box = PdfFileReader(BytesIO(pdf)).root["/Pages"]["/Kids"][0]["/MediaBox"]
    assert float(box[2]) == pytest.approx(80 / 25.4 * 72, abs=0.5)


def test_folder_printer_writes_files_and_says_so(
    tmp_path: Path, receipt_pdf: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        printer = FolderPrinter(tmp_path / "out")
        job = printer.submit(receipt_pdf, title="2026-000123 household")
    assert "FOLDER PRINTER" in caplog.text
    result = printer.wait(job, timeout=1)
    assert result.completed
    output = printer.output(job)
    assert output is not None
    assert output.read_bytes() == receipt_pdf.read_bytes()
    assert printer.status().can_print
