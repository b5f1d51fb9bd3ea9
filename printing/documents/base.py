"""What a document type module provides, and the building blocks they share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from printing.documents import texts
from printing.documents.eligibility import Eligibility
from printing.fonts import FONT, FONT_BOLD
from printing.model import CertificateData, Commune, Person

if TYPE_CHECKING:  # reportlab's platypus loads when a document is first drawn, not at start-up
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Flowable, Paragraph

PAGE_MARGIN = 18 * mm
"""Left and right page margin; the body frame spans the page width between them."""
BODY_WIDTH = A4[0] - 2 * PAGE_MARGIN
"""Width of the body frame: the widest a table may be."""
CELL_PADDING = 4.0
"""Left and right padding of a table cell, in points."""
HEAD_SIZES = (8.0, 7.5, 7.0, 6.5)
"""Header font sizes tried, largest first, until every header word fits its column."""
CELL_SIZES = (8.5, 8.0, 7.5, 7.0, 6.5)
"""Table text sizes tried, largest first, until no word has to break; 6.5 pt is the floor."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Styles:
    title: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    cell_head: ParagraphStyle


def make_styles() -> Styles:
    from reportlab.lib.styles import ParagraphStyle  # noqa: PLC0415 - see the imports

    body = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=14.5, spaceAfter=6)
    return Styles(
        title=ParagraphStyle(
            "title",
            fontName=FONT_BOLD,
            fontSize=15,
            leading=19,
            alignment=1,
            spaceAfter=14,
            spaceBefore=4,
        ),
        body=body,
        small=ParagraphStyle("small", parent=body, fontSize=8.5, leading=11),
        cell=ParagraphStyle("cell", fontName=FONT, fontSize=8.5, leading=10.5),
        cell_head=ParagraphStyle(
            "cell_head", fontName=FONT_BOLD, fontSize=HEAD_SIZES[0], leading=10
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    data: CertificateData
    commune: Commune
    language: str
    styles: Styles

    def t(self, key: str, **params: str) -> str:
        return texts.COMMON[self.language][key].format(**params)


BodyBuilder = Callable[[Context], "list[Flowable]"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentType:
    key: str
    titles: Mapping[str, str]
    """Language → printed title; the languages a type supports are the keys."""
    build: BodyBuilder
    needs_household: bool = False
    needs_history: bool = False
    eligibility: tuple[Eligibility, ...] = ()

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self.titles)

    @property
    def title_key(self) -> str:
        """The translation key of its name on screen and on the receipt."""
        return f"document.{self.key}"

    @property
    def description_key(self) -> str:
        """The translation key of its one-line description on the documents screen."""
        return f"documents.description.{self.key}"


def para(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph from plain text (escaped); `**x**` is not interpreted."""
    return rich(escape(text), style)


def rich(markup: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph from trusted markup (callers escape the data they insert)."""
    from reportlab.platypus import Paragraph  # noqa: PLC0415 - see the imports

    return Paragraph(markup, style)


def b(text: str) -> str:
    return f"<b>{escape(text)}</b>"


def holder_block(ctx: Context, person: Person) -> list[Flowable]:
    from reportlab.lib.styles import ParagraphStyle  # noqa: PLC0415 - see the imports

    lang = ctx.language
    lines = [
        b(person.full_name),
        escape(texts.birth_line(person, lang)),
        escape(
            f"{ctx.t('national_number')} : {texts.format_national_number(person.national_number)}"
        )
        if lang == "fr"
        else escape(
            f"{ctx.t('national_number')}: {texts.format_national_number(person.national_number)}"
        ),
    ]
    style = ParagraphStyle("holder", parent=ctx.styles.body, leftIndent=12 * mm)
    return [rich("<br/>".join(lines), style)]


def _width(text: str, font: str, size: float) -> float:
    from reportlab.pdfbase import pdfmetrics  # noqa: PLC0415 - see the imports

    return float(pdfmetrics.stringWidth(text, font, size))


def _signature_indent(ctx: Context) -> float:
    """Start the signature block at 95 mm, or further left so its lines need not wrap."""
    size = ctx.styles.body.fontSize
    widest = max(
        _width(ctx.t("for_college"), FONT, size),
        _width(ctx.commune.official_title, FONT_BOLD, size),
    )
    return float(max(60 * mm, min(95 * mm, BODY_WIDTH - widest - 2)))


def kept(flowable: Flowable) -> Flowable:
    """`flowable`, kept on the same page as the one that follows it."""
    flowable.keepWithNext = True
    return flowable


def closing(ctx: Context) -> list[Flowable]:
    """Request, legal basis, purpose, fee, place and date, and the signature block, on one page.

    Everything down to the signature is chained with keep-with-next, so the signature block never
    sits alone at the top of a page; `grid(..., closing=...)` also keeps the table's last rows.
    """
    from reportlab.lib.styles import ParagraphStyle  # noqa: PLC0415 - see the imports
    from reportlab.platypus import Spacer  # noqa: PLC0415

    data = ctx.data
    lines = [
        texts.variant(texts.COMMON[ctx.language], "requested", person=data.holder),
        ctx.t("legal_basis"),
    ]
    if data.purpose:
        lines.append(ctx.t("purpose", purpose=data.purpose.rstrip(" .")))
    if data.fee_cents is not None:
        lines.append(
            ctx.t("fee", amount=texts.amount(data.fee_cents, ctx.language))
            if data.fee_cents > 0
            else ctx.t("free")
        )
    lines.append(
        ctx.t(
            "done_at",
            place=ctx.commune.name,
            date=texts.long_date(texts.local_day(data.issued_at), ctx.language),
        )
    )
    return [
        kept(Spacer(1, 4 * mm)),
        *(kept(para(line, ctx.styles.body)) for line in lines),
        kept(Spacer(1, 3 * mm)),
        rich(
            f"{escape(ctx.t('for_college'))}<br/>{b(ctx.commune.official_title)}",
            ParagraphStyle("sign", parent=ctx.styles.body, leftIndent=_signature_indent(ctx)),
        ),
        Spacer(1, 3 * mm),
        para(ctx.t("seal_note"), ctx.styles.small),
    ]


def address_block(ctx: Context, text: str) -> list[Flowable]:
    """An address (or other key value) in bold, indented like the holder block."""
    from reportlab.lib.styles import ParagraphStyle  # noqa: PLC0415 - see the imports

    style = ParagraphStyle("address", parent=ctx.styles.body, leftIndent=12 * mm)
    return [rich(b(text), style)]


def current_since(ctx: Context) -> str | None:
    """The start date (long form) of the open period of the address history at the current address."""
    for period in ctx.data.address_history:
        if period.end is None and period.address == ctx.data.address:
            return texts.long_date(period.start, ctx.language)
    return None


def body_text(
    table: Mapping[str, Mapping[str, str]],
    ctx: Context,
    key: str,
    *,
    number: int | None = None,
    **params: str,
) -> str:
    """The text for `key` in the certificate's language, agreeing with the holder's gender and,
    when `number` is given, in number (see `texts.variant`)."""
    text = texts.variant(table[ctx.language], key, person=ctx.data.holder, count=number)
    return text.format(**params)
