"""What a document type module provides, and the building blocks they share."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from printing.documents import texts
from printing.documents.eligibility import Eligibility
from printing.model import CertificateData, Commune, Person

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"

PAGE_MARGIN = 18 * mm
"""Left and right page margin; the body frame spans the page width between them."""
BODY_WIDTH = A4[0] - 2 * PAGE_MARGIN
"""Width of the body frame: the widest a table may be."""
CELL_PADDING = 4.0
"""Left and right padding of a table cell, in points."""
HEAD_SIZES = (8.0, 7.5, 7.0)
"""Header font sizes tried, largest first, until every header word fits its column."""


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


BodyBuilder = Callable[[Context], list[Flowable]]


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


def _signature_indent(ctx: Context) -> float:
    """Start the signature block at 95 mm, or further left so its lines need not wrap."""
    size = ctx.styles.body.fontSize
    widest = max(
        _width(ctx.t("for_college"), FONT, size),
        _width(ctx.commune.official_title, FONT_BOLD, size),
    )
    return float(max(60 * mm, min(95 * mm, BODY_WIDTH - widest - 2)))


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
            ParagraphStyle("sign", parent=ctx.styles.body, leftIndent=_signature_indent(ctx)),
        ),
        Spacer(1, 3 * mm),
        para(ctx.t("seal_note"), ctx.styles.small),
    ]


def _width(text: str, font: str, size: float) -> float:
    return float(pdfmetrics.stringWidth(text, font, size))


def _words(text: str) -> list[str]:
    return text.split() or [""]


def _longest_word(text: str, font: str, size: float) -> float:
    return max(_width(w, font, size) for w in _words(text))


def _line(text: str, font: str, size: float) -> float:
    return _width(" ".join(_words(text)), font, size)


def _grow(widths: Sequence[float], wanted: Sequence[float], available: float) -> list[float]:
    """Widen columns towards `wanted`, in proportion to what each lacks, within `available`."""
    spare = available - sum(widths)
    lack = sum(wanted) - sum(widths)
    if spare <= 0 or lack <= 0:
        return list(widths)
    share = min(1.0, spare / lack)
    return [w + (t - w) * share for w, t in zip(widths, wanted, strict=True)]


@dataclass(frozen=True, slots=True, kw_only=True)
class GridLayout:
    widths: tuple[float, ...]
    """Column widths in points (they add up to the available width)."""
    head_size: float
    """Font size of the header row."""


def column_layout(
    *,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    cell: ParagraphStyle,
    head: ParagraphStyle,
    available: float = BODY_WIDTH,
) -> GridLayout:
    """Column widths chosen from the content, so that no word has to be broken.

    Every column is at least as wide as its longest header word (a hard minimum: headers are
    never broken inside a word; the header font shrinks through `HEAD_SIZES` first) and, where
    the page allows, its longest data word. The width left over goes to the columns whose text
    would otherwise wrap, in proportion to how much more they would need (the automatic table
    layout of CSS); data first, then headers, so a header wraps between its words before a name
    does. A data word wider than the page allows is split only as a last resort.
    """
    pad = 2 * CELL_PADDING + 0.5  # a little slack against rounding in the line breaker
    columns = range(len(header))
    soft = [
        max(
            (_longest_word(row[c], cell.fontName, cell.fontSize) for row in rows),
            default=0.0,
        )
        + pad
        for c in columns
    ]
    size = HEAD_SIZES[-1]
    hard = [0.0 for _ in columns]
    for size in HEAD_SIZES:
        hard = [_longest_word(header[c], head.fontName, size) + pad for c in columns]
        if sum(hard) <= available:
            break
    minimum = [max(h, s) for h, s in zip(hard, soft, strict=True)]
    if sum(minimum) > available:
        # Not every data word fits: keep the headers whole, share what is left among the data.
        spare = max(0.0, available - sum(hard))
        excess = [m - h for m, h in zip(minimum, hard, strict=True)]
        minimum = [h + e * spare / sum(excess) for h, e in zip(hard, excess, strict=True)]
    # What each column needs to hold its data on one line, and its header on one line.
    data_line = [
        min(
            available, max((_line(row[c], cell.fontName, cell.fontSize) for row in rows), default=0)
        )
        + pad
        for c in columns
    ]
    head_line = [_line(header[c], head.fontName, size) + pad for c in columns]
    widths = _grow(minimum, [max(m, d) for m, d in zip(minimum, data_line, strict=True)], available)
    widths = _grow(widths, [max(w, h) for w, h in zip(widths, head_line, strict=True)], available)
    if sum(widths) < available:
        # Everything fits on one line: scale up so the table spans the frame.
        scale = available / sum(widths)
        widths = [w * scale for w in widths]
    return GridLayout(widths=tuple(widths), head_size=size)


def grid(
    ctx: Context,
    *,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
) -> Table:
    """A full-width table that repeats its header on every page it flows onto.

    Column widths come from the content (`column_layout`): no header word is ever broken, and
    data cells wrap between words.
    """
    layout = column_layout(
        header=header, rows=rows, cell=ctx.styles.cell, head=ctx.styles.cell_head
    )
    head_style = replace_style(ctx.styles.cell_head, size=layout.head_size)
    cells = [[para(h, head_style) for h in header]]
    cells += [[para(value, ctx.styles.cell) for value in row] for row in rows]
    table = Table(cells, colWidths=list(layout.widths), repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.Color(0.55, 0.55, 0.55)),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.92, 0.95)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def replace_style(style: ParagraphStyle, *, size: float) -> ParagraphStyle:
    """A copy of `style` at font size `size` (leading scaled with it)."""
    if size == style.fontSize:
        return style
    return ParagraphStyle(
        f"{style.name}-{size}",
        parent=style,
        fontSize=size,
        leading=style.leading * size / style.fontSize,
    )


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
