"""Tables on certificates: column widths from the content, no word ever broken, and the last rows
kept with the signature block."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from printing.documents.base import (
    BODY_WIDTH,
    CELL_PADDING,
    CELL_SIZES,
    HEAD_SIZES,
    Context,
    kept,
    rich,
)
from printing.fonts import FONT, FONT_BOLD
from printing.tagging import declare_headers


def _width(text: str, font: str, size: float) -> float:
    return float(pdfmetrics.stringWidth(text, font, size))


def _words(text: str) -> list[str]:
    return text.split() or [""]


def _units(text: str) -> list[str]:
    """The pieces a line may never break inside.

    Text breaks between words and after a hyphen ("Sint-" / "Pieters-Woluwe"); a word holding a
    digit (a date, a national number, a house number) is never broken at all.
    """
    units: list[str] = []
    for word in _words(text):
        if any(ch.isdigit() for ch in word):
            units.append(word)
        else:
            units += [piece for piece in re.split(r"(?<=-)", word) if piece] or [word]
    return units


def _longest_unit(text: str, font: str, size: float) -> float:
    return max(_width(u, font, size) for u in _units(text))


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
    cell_size: float = CELL_SIZES[0]
    """Font size of the data rows."""


def _minimum_widths(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    cell: ParagraphStyle,
    head: ParagraphStyle,
    available: float,
) -> GridLayout | None:
    """The narrowest columns that break no word, at the largest font sizes where they fit."""
    columns = range(len(header))
    for cell_size in CELL_SIZES:
        soft = [
            max((_longest_unit(row[c], cell.fontName, cell_size) for row in rows), default=0.0)
            + _PAD
            for c in columns
        ]
        for head_size in [h for h in HEAD_SIZES if h <= cell_size - 0.5] or [HEAD_SIZES[-1]]:
            hard = [_longest_word(header[c], head.fontName, head_size) + _PAD for c in columns]
            minimum = tuple(max(h, s) for h, s in zip(hard, soft, strict=True))
            if sum(minimum) <= available:
                return GridLayout(widths=minimum, head_size=head_size, cell_size=cell_size)
    return None


_PAD = 2 * CELL_PADDING + 0.5
"""Cell padding plus a little slack against rounding in the line breaker."""


def column_layout(
    *,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    cell: ParagraphStyle,
    head: ParagraphStyle,
    available: float = BODY_WIDTH,
) -> GridLayout | None:
    """Column widths chosen from the content, so that no word has to be broken; None if none fit.

    Every column is at least as wide as its longest header word and its longest unbreakable data
    piece (`_units`: a word, or a hyphen-separated part of one; a date or number whole). When
    these do not fit, the fonts step down (`CELL_SIZES`, `HEAD_SIZES`) to a floor; below it the
    answer is None and the caller lays the rows out as blocks. The width left over goes to the
    columns whose text would otherwise wrap, in proportion to how much more they would need (the
    automatic table layout of CSS); data first, then headers.
    """
    minimum = _minimum_widths(header, rows, cell=cell, head=head, available=available)
    if minimum is None:
        return None
    size, head_size = minimum.cell_size, minimum.head_size
    columns = range(len(header))
    data_line = [
        min(available, max((_line(row[c], cell.fontName, size) for row in rows), default=0)) + _PAD
        for c in columns
    ]
    head_line = [_line(header[c], head.fontName, head_size) + _PAD for c in columns]
    widths = _grow(
        minimum.widths,
        [max(m, d) for m, d in zip(minimum.widths, data_line, strict=True)],
        available,
    )
    widths = _grow(widths, [max(w, h) for w, h in zip(widths, head_line, strict=True)], available)
    if sum(widths) < available:
        # Everything fits on one line: scale up so the table spans the frame.
        scale = available / sum(widths)
        widths = [w * scale for w in widths]
    return GridLayout(widths=tuple(widths), head_size=head_size, cell_size=size)


_TABLE_STYLE = [
    ("FONTNAME", (0, 0), (-1, -1), FONT),
    ("GRID", (0, 0), (-1, -1), 0.4, colors.Color(0.55, 0.55, 0.55)),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ("TOPPADDING", (0, 0), (-1, -1), 3),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
]
_HEAD_BACKGROUND = colors.Color(0.9, 0.92, 0.95)


def _unbroken(style: ParagraphStyle, size: float) -> ParagraphStyle:
    """`style` at `size`, never splitting a word (the lines come from `break_lines`)."""
    sized = replace_style(style, size=size)
    return ParagraphStyle(f"{sized.name}-whole", parent=sized, splitLongWords=0)


def break_lines(
    text: str, *, font: str, size: float, width: float, hyphens: bool = True
) -> list[str]:
    """`text` broken into lines no wider than `width`: between words, or after a hyphen.

    Greedy, like a typesetter's first-fit: a word that does not fit at the end of a line leaves
    there as many of its hyphen-separated parts as fit. A word holding a digit is never cut; with
    `hyphens=False` no word is. A piece wider than `width` (the layout prevents it) stands alone.
    """
    lines: list[str] = []
    current = ""
    for word in _words(text):
        pieces = _units(word) if hyphens else [word]
        sep = " " if current else ""
        i = 0
        while i < len(pieces):
            j = len(pieces)
            while j > i and _width(current + sep + "".join(pieces[i:j]), font, size) > width:
                j -= 1
            if j == i:
                if current:
                    lines.append(current)
                    current, sep = "", ""
                    continue
                j = i + 1
            current += sep + "".join(pieces[i:j])
            sep = ""
            i = j
            if i < len(pieces):
                lines.append(current)
                current = ""
    if current:
        lines.append(current)
    return lines or [""]


def _cell(text: str, style: ParagraphStyle, *, width: float, hyphens: bool = True) -> Paragraph:
    """A cell paragraph with its line breaks fixed in advance (`break_lines`)."""
    lines = break_lines(
        text,
        font=style.fontName,
        size=style.fontSize,
        width=width - 2 * CELL_PADDING - 0.25,
        hyphens=hyphens,
    )
    return rich("<br/>".join(escape(line) for line in lines), style)


def grid(
    ctx: Context,
    *,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
) -> Table:
    """A full-width table that repeats its header on every page it flows onto.

    Column widths come from the content (`column_layout`): no word is ever broken, text wraps
    between words and after hyphens. When even the smallest fonts leave no room, each row becomes
    a block of its own (`member_blocks`).
    """
    layout = column_layout(
        header=header, rows=rows, cell=ctx.styles.cell, head=ctx.styles.cell_head
    )
    if layout is None:
        return member_blocks(ctx, header=header, rows=rows)
    return _table(ctx, layout, header=header, rows=rows)


def _table(
    ctx: Context,
    layout: GridLayout,
    *,
    header: Sequence[str] | None,
    rows: Sequence[Sequence[str]],
) -> Table:
    """The table of `rows` in the columns of `layout`, with `header` repeated on each page."""
    widths = layout.widths
    cell_style = _unbroken(ctx.styles.cell, layout.cell_size)
    cells = []
    if header is not None:
        head_style = _unbroken(ctx.styles.cell_head, layout.head_size)
        cells.append(
            [
                _cell(h, head_style, width=w, hyphens=False)
                for h, w in zip(header, widths, strict=True)
            ]
        )
    cells += [
        [_cell(value, cell_style, width=w) for value, w in zip(row, widths, strict=True)]
        for row in rows
    ]
    style = list(_TABLE_STYLE)
    if header is not None:
        style += [
            ("BACKGROUND", (0, 0), (-1, 0), _HEAD_BACKGROUND),
            ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ]
    table = Table(
        cells, colWidths=list(widths), repeatRows=1 if header is not None else 0, hAlign="LEFT"
    )
    table.setStyle(TableStyle(style))
    return declare_headers(table, rows=1 if header is not None else 0)


KEPT_ROWS = 2
"""How many last rows of a table stay on the page of the signature block."""


def grid_before_closing(
    ctx: Context,
    *,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
) -> list[Flowable]:
    """`grid` for the last table of a certificate: its last rows stay with the signature block.

    A short table is kept whole with what follows; a long one is drawn as its body and a tail of
    `KEPT_ROWS` rows (same columns, no repeated header) kept with the closing paragraphs.
    """
    layout = column_layout(
        header=header, rows=rows, cell=ctx.styles.cell, head=ctx.styles.cell_head
    )
    if layout is None:
        # one block per member can fill pages: keeping it with what follows could not fit
        return [member_blocks(ctx, header=header, rows=rows)]
    if len(rows) <= KEPT_ROWS + 1:
        return [kept(_table(ctx, layout, header=header, rows=rows))]
    body = _table(ctx, layout, header=header, rows=rows[:-KEPT_ROWS])
    tail = _table(ctx, layout, header=None, rows=rows[-KEPT_ROWS:])
    # one table to a screen reader: the tail's rows go on the body's Table element
    return [body, kept(declare_headers(tail, continues=body))]


def member_blocks(
    ctx: Context,
    *,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
) -> Table:
    """One block per row, label beside value, for tables too wide for the page at any font size."""
    size = CELL_SIZES[-1]
    label_style = _unbroken(ctx.styles.cell_head, size)
    value_style = _unbroken(ctx.styles.cell, size)
    label_width = min(
        0.4 * BODY_WIDTH,
        max(_line(h, FONT_BOLD, size) for h in header) + _PAD,
    )
    widths = [label_width, BODY_WIDTH - label_width]
    blocks = []
    for row in rows:
        inner = Table(
            [
                [
                    _cell(label, label_style, width=widths[0], hyphens=False),
                    _cell(value, value_style, width=widths[1]),
                ]
                for label, value in zip(header, row, strict=True)
            ],
            colWidths=widths,
            hAlign="LEFT",
        )
        inner.setStyle(
            TableStyle([*_TABLE_STYLE, ("BACKGROUND", (0, 0), (0, -1), _HEAD_BACKGROUND)])
        )
        blocks.append([declare_headers(inner, columns=1)])
    outer = Table(blocks, colWidths=[BODY_WIDTH], hAlign="LEFT")
    outer.setStyle(
        TableStyle(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2 * mm),
            ]
        )
    )
    return declare_headers(outer, layout=True)


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
