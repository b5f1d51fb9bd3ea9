"""The receipt: the payment terminal's slip lines and the list of documents printed.

Printed on the receipt queue (80 mm roll) when one is configured, else as a last A4 page on the
document printer. Either way it is a small PDF drawn here with the embedded DejaVu fonts.

The claim slip (a payment staff must settle) is drawn the same way from lines the caller has
already translated (`render_claim_slip`): this package does not know the screen's texts.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from printing.documents import document_type
from printing.documents.texts import DISPLAY_TZ
from printing.fonts import FONT, FONT_BOLD, register_fonts
from printing.model import Commune
from printing.printer import DocumentPrinter, JobResult
from printing.validate import clean_text

ROLL_WIDTH = 80 * mm

_TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Reçu",
        "documents": "Documents imprimés",
        "payment": "Paiement",
        "total": "Total",
    },
    "nl": {
        "title": "Ontvangstbewijs",
        "documents": "Afgedrukte documenten",
        "payment": "Betaling",
        "total": "Totaal",
    },
    "de": {
        "title": "Quittung",
        "documents": "Gedruckte Dokumente",
        "payment": "Zahlung",
        "total": "Gesamt",
    },
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiptDocument:
    document_type: str
    document_id: str
    price_cents: int


def _euro(cents: int, language: str) -> str:
    text = f"{cents // 100},{cents % 100:02d} €"
    return text if language != "nl" else f"€ {cents // 100},{cents % 100:02d}"


def _lines(
    *,
    commune: Commune,
    language: str,
    issued_at: datetime,
    kiosk_id: str,
    documents: Sequence[ReceiptDocument],
    terminal_lines: Sequence[str],
) -> list[tuple[str, bool]]:
    t = _TEXT[language]
    local = issued_at.astimezone(DISPLAY_TZ)
    out: list[tuple[str, bool]] = [
        (commune.name, True),
        (commune.address, False),
        ("", False),
        (f"{t['title']} — {local:%d/%m/%Y %H:%M} — {kiosk_id}", True),
        ("", False),
        (t["documents"], True),
    ]
    for doc in documents:
        title = document_type(doc.document_type).titles[language]
        out.append((f"{title} — n° {doc.document_id} — {_euro(doc.price_cents, language)}", False))
    total = sum(d.price_cents for d in documents)
    out += [(f"{t['total']}: {_euro(total, language)}", True), ("", False)]
    if terminal_lines:
        out.append((t["payment"], True))
        out += [(clean_text(line, field="terminal_lines"), False) for line in terminal_lines]
    return out


def render_receipt(
    *,
    commune: Commune,
    language: str,
    issued_at: datetime,
    kiosk_id: str,
    documents: Sequence[ReceiptDocument],
    terminal_lines: Sequence[str] = (),
    roll: bool = False,
) -> bytes:
    """A receipt PDF: one A4 page, or one 80 mm-wide page as long as its content (`roll=True`)."""
    register_fonts()
    lines = _lines(
        commune=commune,
        language=language,
        issued_at=issued_at,
        kiosk_id=kiosk_id,
        documents=documents,
        terminal_lines=terminal_lines,
    )
    return _draw(lines, roll=roll)


def render_claim_slip(*, title: str, lines: Sequence[str], roll: bool = False) -> bytes:
    """A claim slip PDF from translated text: the title in bold, then one line per entry."""
    register_fonts()
    out: list[tuple[str, bool]] = [(clean_text(title, field="claim_title"), True), ("", False)]
    out += [(clean_text(line, field="claim_line"), False) for line in lines]
    return _draw(out, roll=roll)


def _draw(lines: Sequence[tuple[str, bool]], *, roll: bool) -> bytes:
    margin = 4 * mm if roll else 20 * mm
    width = ROLL_WIDTH if roll else A4[0]
    size, leading = (8.0, 10.0) if roll else (10.0, 13.0)
    wrapped: list[tuple[str, bool]] = []
    for text, bold in lines:
        font = FONT_BOLD if bold else FONT
        parts = simpleSplit(text, font, size, width - 2 * margin) or [""]
        wrapped += [(part, bold) for part in parts]
    height = (2 * margin + leading * len(wrapped)) if roll else A4[1]
    out = BytesIO()
    canvas = Canvas(out, pagesize=(width, height), invariant=True)
    y = height - margin - size
    for text, bold in wrapped:
        if y < margin:
            canvas.showPage()
            y = height - margin - size
        canvas.setFont(FONT_BOLD if bold else FONT, size)
        canvas.drawString(margin, y, text)
        y -= leading
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def print_receipt(
    *,
    receipt_printer: DocumentPrinter | None,
    document_printer: DocumentPrinter,
    timeout: float,
    commune: Commune,
    language: str,
    issued_at: datetime,
    kiosk_id: str,
    documents: Sequence[ReceiptDocument],
    terminal_lines: Sequence[str] = (),
) -> JobResult:
    """Print the receipt on the receipt queue if there is one, else as a last A4 page."""
    printer = receipt_printer or document_printer
    pdf = render_receipt(
        commune=commune,
        language=language,
        issued_at=issued_at,
        kiosk_id=kiosk_id,
        documents=documents,
        terminal_lines=terminal_lines,
        roll=receipt_printer is not None,
    )
    return print_pdf(
        pdf, printer=printer, title="receipt", a4=receipt_printer is None, timeout=timeout
    )


def print_claim_slip(
    *,
    receipt_printer: DocumentPrinter | None,
    document_printer: DocumentPrinter,
    timeout: float,
    title: str,
    lines: Sequence[str],
) -> JobResult:
    """Print a claim slip on the receipt queue if there is one, else on an A4 page."""
    printer = receipt_printer or document_printer
    pdf = render_claim_slip(title=title, lines=lines, roll=receipt_printer is not None)
    return print_pdf(
        pdf, printer=printer, title="claim-slip", a4=receipt_printer is None, timeout=timeout
    )


def print_pdf(
    pdf: bytes, *, printer: DocumentPrinter, title: str, a4: bool, timeout: float
) -> JobResult:
    """Hand a small PDF to `printer` through a file cups' filters (user `lp`) can read."""
    with tempfile.TemporaryDirectory(prefix="borne-receipt-") as tmp:
        path = Path(tmp) / f"{title}.pdf"
        path.write_bytes(pdf)
        Path(tmp).chmod(0o755)
        path.chmod(0o644)
        job_id = printer.submit(path, title=title, pages=1 if a4 else None)
        return printer.wait(job_id, timeout=timeout)
