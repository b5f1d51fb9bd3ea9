"""Printing leaves no copy of a certificate behind: not in the kiosk's spool, not in the CUPS
request root or temporary folder, not in the cups-pdf spool; after every job and at start-up.

Through the real private cupsd with its cups-pdf queue (root). The certificate is a small PDF
whose text carries a resident's surname and street, searched for byte by byte afterwards.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.cupsd import CupsdService
from hardware.runner import DeviceRunner
from kiosk import app
from kiosk.adapters.documents import CupsPrinterAdapter
from kiosk.config import load_config
from kiosk.ports import IssuedDocument
from printing.printer import CupsPrinter

REPO = Path(__file__).resolve().parents[2]
SURNAME = b"VANDENBERGHE-LEFTOVER"
STREET = b"Rue des Tilleuls Oublies"
CONTROL_FILE = re.compile(r"c\d+")


def personal_pdf() -> bytes:
    """A one-page PDF with the resident's surname and street as plain text."""
    text = b"BT /F1 14 Tf 72 720 Td (" + SURNAME + b" " + STREET + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def holding_personal_data(folders: tuple[Path, ...]) -> list[Path]:
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                if SURNAME in data or STREET in data:
                    found.append(path)
    return found


@pytest.fixture
def cupsd() -> Iterator[CupsdService]:
    if os.geteuid() != 0:
        pytest.skip("the private cupsd with cups-pdf needs root")
    base = Path(tempfile.mkdtemp(prefix="borne-leftovers-"))
    base.chmod(0o755)
    with CupsdService(base) as service:
        yield service
    shutil.rmtree(base, ignore_errors=True)


def test_a_printed_certificate_leaves_no_copy_in_the_print_folders(
    cupsd: CupsdService, tmp_path: Path
) -> None:
    base = cupsd.base_dir
    conf = (base / "etc" / "cupsd.conf").read_text(encoding="utf-8")
    assert "PreserveJobFiles No" in conf.splitlines()
    folders = (base / "spool", base / "tmp", base / "cups-pdf-spool")
    # what an interrupted job left: a cups-pdf work file and a filter's temporary output
    (base / "cups-pdf-spool" / "cups2pdf-leftover").write_bytes(personal_pdf())
    (base / "tmp" / "0001a2b3c4d5").write_bytes(personal_pdf())
    runner = DeviceRunner("printer")
    runner.start()
    adapter = CupsPrinterAdapter(
        runner=runner,
        printer=CupsPrinter(queue=cupsd.printer_name, server=cupsd.server),
        job_timeout_s=60,
        output_dir=cupsd.output_dir,
        sweep_dirs=folders,
    )
    spool = tmp_path / "spool"
    spool.mkdir()
    pdf = spool / "2026-000777.pdf"
    pdf.write_bytes(personal_pdf())
    document = IssuedDocument(
        document_id="2026-000777",
        document_type="household",
        language="fr",
        pdf_path=pdf,
        sha256=hashlib.sha256(pdf.read_bytes()).hexdigest(),
        pages=1,
    )
    try:
        outcome = adapter.print_document(document).result(timeout=90)
    finally:
        runner.stop()
    assert outcome.completed, cupsd.log_tail()
    assert outcome.output_path is not None
    printed = subprocess.run(
        ["pdftotext", str(outcome.output_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert SURNAME.decode() in printed, "the printer's output folder is the paper"
    assert not pdf.exists(), "the kiosk's spool copy is gone"
    assert holding_personal_data(folders) == []
    left = [p.name for f in folders for p in f.rglob("*") if p.is_file()]
    assert all(CONTROL_FILE.fullmatch(name) for name in left), left


def test_start_up_sweeps_what_a_crash_left(tmp_path: Path) -> None:
    shutil.copytree(REPO / "var" / "pki" / "card", tmp_path / "pki" / "card")
    config = load_config(REPO / "kiosk.toml", environ={"BORNE_VAR_DIR": str(tmp_path)})
    assert config.printing.sweep_dirs, "the demo names its private cupsd's folders"
    planted = [tmp_path / "spool" / "2026-000888.pdf"]
    planted += [folder / "d00012-001" for folder in config.printing.sweep_dirs]
    for path in planted:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(personal_pdf())
    control = config.printing.sweep_dirs[0] / "c00012"
    control.write_bytes(b"job state, no document")
    kiosk = app.build(config, token=None, sealer_factory=lambda: pytest.fail("no seal needed"))
    try:
        kiosk.check_disk()
    finally:
        kiosk.stop()
    assert [p for p in planted if p.exists()] == []
    assert control.exists(), "job states stay for recovery (PreserveJobHistory bounds them)"
    assert holding_personal_data((tmp_path,)) == []
