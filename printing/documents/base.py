"""What a document type module provides, and the building blocks they share."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from printing.documents import texts
from printing.model import CertificateData, Commune, Person

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"


@dataclass(frozen=True, slots=True, kw_only=True)
class Styles:
    title: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    cell_head: ParagraphStyle


def make_styles() -> Styles:
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
        cell_head=ParagraphStyle("cell_head", fontName=FONT_BOLD, fontSize=8.5, leading=10.5),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    data: CertificateData
    commune: Commune
    language: str
    styles: Styles

    def t(self, key: str, **params: str) -> str:
        return texts.COMMON[self.language][key].format(**params)


BodyBuilder = Callable[[Context], list[Flowable]]


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentType:
    key: str
    titles: Mapping[str, str]
    """Language → title; the languages a type supports are the keys."""
    build: BodyBuilder
    needs_household: bool = False
    needs_history: bool = False

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self.titles)


def para(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph from plain text (escaped); `**x**` is not interpreted."""
    return Paragraph(escape(text), style)


def rich(markup: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph from trusted markup (callers escape the data they insert)."""
    return Paragraph(markup, style)


def b(text: str) -> str:
    return f"<b>{escape(text)}</b>"


def holder_block(ctx: Context, person: Person) -> list[Flowable]:
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


def closing(ctx: Context) -> list[Flowable]:
    issued = ctx.data.issued_at
    return [
        Spacer(1, 4 * mm),
        para(ctx.t("purpose"), ctx.styles.body),
        para(
            ctx.t(
                "done_at", place=ctx.commune.name, date=texts.long_date(issued.date(), ctx.language)
            ),
            ctx.styles.body,
        ),
        Spacer(1, 3 * mm),
        rich(
            f"{escape(ctx.t('for_college'))}<br/>{b(ctx.commune.official_title)}",
            ParagraphStyle("sign", parent=ctx.styles.body, leftIndent=95 * mm),
        ),
        Spacer(1, 3 * mm),
        para(ctx.t("seal_note"), ctx.styles.small),
    ]


def grid(
    ctx: Context,
    *,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths_mm: Sequence[float],
) -> Table:
    """A table that repeats its header on every page it flows onto."""
    cells = [[para(h, ctx.styles.cell_head) for h in header]]
    cells += [[para(value, ctx.styles.cell) for value in row] for row in rows]
    table = Table(cells, colWidths=[w * mm for w in widths_mm], repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.Color(0.55, 0.55, 0.55)),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.92, 0.95)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def address_block(ctx: Context, text: str) -> list[Flowable]:
    """An address (or other key value) in bold, indented like the holder block."""
    style = ParagraphStyle("address", parent=ctx.styles.body, leftIndent=12 * mm)
    return [rich(b(text), style)]


def current_since(ctx: Context) -> str | None:
    """The start date (long form) of the open period of the address history at the current address."""
    for period in ctx.data.address_history:
        if period.end is None and period.address == ctx.data.address:
            return texts.long_date(period.start, ctx.language)
    return None


def body_text(table: Mapping[str, Mapping[str, str]], ctx: Context, key: str, **params: str) -> str:
    return table[ctx.language][key].format(**params)
