"""Render a certificate to PDF (A4, embedded DejaVu fonts, PDF/A-2b scaffolding).

Every page carries the commune header and a footer with the verification QR code (the URL
`{verify_base_url}/verify/{document_id}` plus a prefix of the content digest), the short
verification code, the issue date and time, the kiosk id and "page n/m". Long households flow onto
further pages; the member table repeats its header.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict
from datetime import UTC, date, datetime
from io import BytesIO
from typing import Any

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph
from reportlab.platypus.doctemplate import LayoutError

from hardware.national_number import mask_national_number
from printing.documents import document_type
from printing.documents.base import BODY_WIDTH, PAGE_MARGIN, Context, make_styles
from printing.documents.texts import COMMON, KINGDOM, local_day, local_time, short_date
from printing.errors import DocumentError
from printing.fonts import FONT, FONT_BOLD, register_fonts
from printing.model import CertificateData, Commune
from printing.pdfa import apply_pdfa
from printing.tagging import (
    StructureRecorder,
    add_structure,
    begin_artifact,
    end_artifact,
    tag_story,
)
from printing.validate import checked

_log = logging.getLogger(__name__)


CREATOR = "Borne — municipal certificate kiosk"
_PAGE_W, _PAGE_H = A4
_MARGIN = PAGE_MARGIN
_HEADER_H = 38 * mm
"""From the top edge to the header rule: margin, then the logo (18 mm) or three text lines, then 2 mm clear."""
_LOGO = 18 * mm
_FOOTER_H = 36 * mm
_QR_SIZE = 26 * mm
_MIN_FONT = 5.5


def draw_fitted(
    canvas: Canvas,
    x: float,
    y: float,
    text: str,
    *,
    font: str,
    size: float,
    max_width: float,
    right: bool = False,
) -> None:
    """Draw one line, shrinking the font (down to 5.5 pt) so it never runs past `max_width`.

    Below the minimum size the line is cut with an ellipsis rather than drawn off the page.
    """
    width = pdfmetrics.stringWidth(text, font, size)
    if width > max_width:
        size = max(_MIN_FONT, size * max_width / width)
        while pdfmetrics.stringWidth(text, font, size) > max_width and len(text) > 1:
            text = text[:-2] + "…"
    canvas.setFont(font, size)
    if right:
        canvas.drawRightString(x, y, text)
    else:
        canvas.drawString(x, y, text)


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def content_digest(data: CertificateData) -> str:
    """SHA-256 (hex) over the certified content; its prefix is printed and put in the QR code."""
    canonical = json.dumps(asdict(data), sort_keys=True, default=_json_default, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def verification_code(data: CertificateData) -> str:
    """The short code printed under the QR code: 12 hex digits of the content digest, grouped."""
    prefix = content_digest(data)[:12].upper()
    return f"{prefix[0:4]}-{prefix[4:8]}-{prefix[8:12]}"


def qr_payload(data: CertificateData) -> str:
    return f"{data.verify_url}?h={content_digest(data)[:12]}"


class _Page:
    """Draws the header and footer of each page; knows the total page count (second pass)."""

    def __init__(self, *, data: CertificateData, commune: Commune, total_pages: int | None) -> None:
        self.data = data
        self.commune = commune
        self.total_pages = total_pages
        self.qr = segno.make(qr_payload(data), error="m", micro=False)
        self.texts = COMMON[data.language]

    def draw(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        begin_artifact(canvas)
        self._header(canvas)
        self._footer(canvas, page=doc.page)
        end_artifact(canvas)
        canvas.restoreState()

    def _header(self, canvas: Canvas) -> None:
        top = _PAGE_H - _MARGIN
        x = _MARGIN
        logo = self.commune.logo_path
        if logo is not None and logo.is_file():
            canvas.drawImage(
                str(logo),
                x,
                top - _LOGO,
                width=_LOGO,
                height=_LOGO,
                preserveAspectRatio=True,
                anchor="nw",
                mask="auto",
            )
            x += _LOGO + 5 * mm
        width = _PAGE_W - _MARGIN - x
        first, service, step = top, 10.5 * mm, 5 * mm
        if self.commune.kingdom:
            # a fourth line on top: the three below move up a little to keep 2 mm above the rule
            kingdom = KINGDOM[self.data.language]
            line = f"{kingdom} — {self.commune.province}" if self.commune.province else kingdom
            draw_fitted(canvas, x, top - 2.5 * mm, line.upper(), font=FONT, size=7, max_width=width)
            first, service, step = top - 3 * mm, 10 * mm, 4.5 * mm
        draw_fitted(
            canvas, x, first - 5 * mm, self.commune.name, font=FONT_BOLD, size=14, max_width=width
        )
        for i, text in enumerate((self.commune.service, self.commune.address)):
            draw_fitted(
                canvas, x, first - service - step * i, text, font=FONT, size=9, max_width=width
            )
        canvas.setLineWidth(0.6)
        canvas.line(_MARGIN, _PAGE_H - _HEADER_H, _PAGE_W - _MARGIN, _PAGE_H - _HEADER_H)

    def _draw_qr(self, canvas: Canvas, x: float, y: float) -> None:
        matrix = self.qr.matrix
        n = len(matrix)
        module = _QR_SIZE / n
        canvas.setFillColorRGB(0, 0, 0)
        for r, row in enumerate(matrix):
            c = 0
            while c < n:
                if row[c]:
                    start = c
                    while c < n and row[c]:
                        c += 1
                    canvas.rect(
                        x + start * module,
                        y + (n - 1 - r) * module,
                        (c - start) * module,
                        module,
                        stroke=0,
                        fill=1,
                    )
                else:
                    c += 1

    def _footer(self, canvas: Canvas, *, page: int) -> None:
        data = self.data
        base = _MARGIN - 4 * mm
        canvas.setLineWidth(0.4)
        canvas.line(_MARGIN, base + _QR_SIZE + 4 * mm, _PAGE_W - _MARGIN, base + _QR_SIZE + 4 * mm)
        self._draw_qr(canvas, _MARGIN, base)
        x = _MARGIN + _QR_SIZE + 5 * mm
        lines = [
            self.texts["issued"].format(
                document_id=data.document_id,
                date=short_date(local_day(data.issued_at), data.language),
                time=local_time(data.issued_at),
                kiosk_id=data.kiosk_id,
            ),
            self.texts["verify"].format(url=data.verify_url),
            self.texts["code"].format(code=verification_code(data)),
        ]
        for i, line in enumerate(lines):
            draw_fitted(
                canvas,
                x,
                base + _QR_SIZE - (4 + 4.5 * i) * mm,
                line,
                font=FONT,
                size=8,
                max_width=_PAGE_W - _MARGIN - x,
            )
        total = self.total_pages if self.total_pages is not None else 0
        draw_fitted(
            canvas,
            _PAGE_W - _MARGIN,
            base + 2 * mm,
            self.texts["page"].format(page=page, pages=total),
            font=FONT_BOLD,
            size=8.5,
            max_width=40 * mm,
            right=True,
        )


def _build(
    data: CertificateData, *, commune: Commune, total_pages: int | None
) -> tuple[bytes, int, StructureRecorder]:
    kind = document_type(data.document_type)
    title = kind.titles[data.language]
    styles = make_styles()
    ctx = Context(data=data, commune=commune, language=data.language, styles=styles)
    heading = Paragraph(title.upper(), styles.title)
    recorder = StructureRecorder()
    story: list[Any] = tag_story([heading, *kind.build(ctx)], recorder=recorder, title=heading)
    page = _Page(data=data, commune=commune, total_pages=total_pages)
    frame = Frame(
        _MARGIN,
        _MARGIN + _FOOTER_H - 4 * mm,
        BODY_WIDTH,
        _PAGE_H - _HEADER_H - _MARGIN - _FOOTER_H - 2 * mm,
        id="body",
        leftPadding=0,
        rightPadding=0,
    )
    out = BytesIO()
    doc = BaseDocTemplate(
        out,
        pagesize=A4,
        pageTemplates=[PageTemplate(id="certificate", frames=[frame], onPage=page.draw)],
        title=title,
        author=commune.name,
        subject=data.document_id,
        creator=CREATOR,
        initialFontName=FONT,
    )
    issued = data.issued_at

    def canvasmaker(*args: Any, **kwargs: Any) -> Canvas:
        canvas = Canvas(*args, **kwargs)
        apply_pdfa(
            canvas,
            title=title,
            author=commune.name,
            subject=f"{title} — {data.document_id}",
            keywords=f"document-id:{data.document_id} type:{data.document_type} lang:{data.language}",
            creator=CREATOR,
            created=issued,
            document_id=data.document_id,
        )
        return canvas

    try:
        doc.build(story, canvasmaker=canvasmaker)
    except LayoutError as err:
        raise DocumentError(
            f"content does not fit the page: {err}", translation_key="documents.error.layout"
        ) from err
    return out.getvalue(), int(doc.page), recorder


def render(data: CertificateData, *, commune: Commune) -> bytes:
    """Render `data` as an unsealed PDF (seal it with `Sealer.seal` before handing it out)."""
    started = time.perf_counter()
    register_fonts()
    kind = document_type(data.document_type)
    if data.language not in kind.languages:
        raise DocumentError(
            f"{data.document_type} is not available in {data.language!r}",
            translation_key="documents.error.unsupported_language",
            params={"document_type": data.document_type, "language": data.language},
        )
    if data.issued_at.tzinfo is None:
        raise DocumentError(
            "issued_at must be timezone-aware", translation_key="documents.error.render"
        )
    if kind.needs_household and not data.household:
        raise DocumentError(
            "household certificate without members",
            translation_key="documents.error.no_household",
            params={"field": "household"},
        )
    if kind.needs_history and not data.address_history:
        raise DocumentError(
            "no address history",
            translation_key="documents.error.no_history",
            params={"field": "address_history"},
        )
    data = checked(data)
    _, pages, _ = _build(data, commune=commune, total_pages=None)
    pdf, pages_again, recorder = _build(data, commune=commune, total_pages=pages)
    if pages_again != pages:
        raise DocumentError(
            "page count changed between passes", translation_key="documents.error.render"
        )
    pdf = add_structure(pdf, recorder=recorder, language=data.language)
    _log.info(
        "certificate rendered",
        extra={
            "document_id": data.document_id,
            "document_type": data.document_type,
            "language": data.language,
            "holder": mask_national_number(data.holder.national_number),
            "pages": pages,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return pdf


def now_utc() -> datetime:
    return datetime.now(tz=UTC)
