"""A minimal logical structure for the certificates (tagged PDF), which reportlab cannot write.

While the page is drawn, every top-level flowable of the body is wrapped in a marked-content
sequence (`/P <</MCID n>> BDC … EMC`, `/H1` for the title) and the page header and footer in
`/Artifact BMC … EMC`. A table is tagged cell by cell (`tag_table`): Table → TR → TH / TD, each
cell's text one marked-content sequence, its grid lines, backgrounds and the header row repeated
on a following page artifacts. A header row gives TH with /Scope /Column, a label column TH with
/Scope /Row (`declare_headers`); the tail of a table kept with the signature block continues the
same Table element; a table that only lays out other tables (one block per member) is a Div.
After rendering, `add_structure` builds from what was recorded the structure tree Document → H1 /
P / Table / Div (a flowable split over two pages is one element with one marked-content
reference per page), with the parent tree, `/StructParents` on each page, `/MarkInfo` and `/Lang`.

What is not tagged finer: the lines of the holder block are one P.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

import pikepdf
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, Table

LANGUAGE_TAGS = {"fr": "fr-BE", "nl": "nl-BE", "de": "de-BE", "en": "en"}
"""The document language written in the catalogue's /Lang (BCP 47)."""


@dataclass(slots=True)
class _Element:
    tag: str
    marks: list[tuple[int, int]] = field(default_factory=list)
    """(page index from 0, MCID) of each marked-content sequence of this element."""
    children: list[_Element] = field(default_factory=list)
    """Structure elements under this one, in reading order (after its own marks)."""
    scope: str | None = None
    """TH only: "Column" or "Row" (the /Scope of its /Table attributes)."""


@dataclass(slots=True)
class StructureRecorder:
    """What the body drew, in reading order, and the next free MCID of each page."""

    elements: list[_Element] = field(default_factory=list)
    next_mcid: dict[int, int] = field(default_factory=dict)

    def new_element(self, tag: str, *, parent: _Element | None = None) -> _Element:
        element = _Element(tag)
        (self.elements if parent is None else parent.children).append(element)
        return element

    def begin(self, canvas: Canvas, element: _Element) -> None:
        page = canvas.getPageNumber() - 1
        mcid = self.next_mcid.get(page, 0)
        self.next_mcid[page] = mcid + 1
        element.marks.append((page, mcid))
        canvas._code.append(f"/{element.tag} <</MCID {mcid}>> BDC")

    @staticmethod
    def end(canvas: Canvas) -> None:
        canvas._code.append("EMC")


def begin_artifact(canvas: Canvas) -> None:
    """Mark what follows as pagination (header, footer): not read as content."""
    canvas._code.append("/Artifact BMC")


def end_artifact(canvas: Canvas) -> None:
    canvas._code.append("EMC")


class Tagged(Flowable):  # type: ignore[misc]
    """A flowable drawn inside one marked-content sequence of its structure element."""

    def __init__(self, inner: Flowable, *, recorder: StructureRecorder, element: Any) -> None:
        super().__init__()
        self.inner = inner
        self.recorder = recorder
        self.element = element

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        width, height = self.inner.wrap(available_width, available_height)
        self.width, self.height = width, height
        return width, height

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        parts = self.inner.split(available_width, available_height)
        return [Tagged(p, recorder=self.recorder, element=self.element) for p in parts]

    def getSpaceBefore(self) -> float:
        return float(self.inner.getSpaceBefore())

    def getSpaceAfter(self) -> float:
        return float(self.inner.getSpaceAfter())

    def getKeepWithNext(self) -> bool:
        return bool(self.inner.getKeepWithNext())

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:
        self.recorder.begin(canvas, self.element)
        self.inner.drawOn(canvas, x, y, _sW)
        self.recorder.end(canvas)


def declare_headers(
    table: Table,
    *,
    rows: int = 0,
    columns: int = 0,
    continues: Table | None = None,
    layout: bool = False,
) -> Table:
    """How `tag_table` reads `table`: its first `rows` rows and `columns` columns are headers;
    `continues`: the rows go on the Table element of that earlier table; `layout`: the table only
    places other tables (tagged Div, its cells transparent)."""
    table.borne_header_rows = rows
    table.borne_header_columns = columns
    table.borne_continues = continues
    table.borne_layout = layout
    return table


def _cell_key(value: Any) -> int:
    """A cell by the identity of its flowable (reportlab wraps it in a tuple when laying out)."""
    if isinstance(value, list | tuple) and value:
        value = value[0]
    return id(value)


class _CellMarks:
    """The table's drawing callback (reportlab's `renderCB`): one marked-content sequence per cell.

    Cells are known by identity, so the split parts of a table (which share the cell flowables)
    find them; a cell drawn a second time is the header row repeated on the next page: an artifact.
    Backgrounds and grid lines are artifacts. A cell holding a table opens nothing (the inner
    table marks its own cells: marked-content sequences with an MCID are never nested).
    """

    def __init__(self, recorder: StructureRecorder) -> None:
        self.recorder = recorder
        self.cells: dict[int, _Element] = {}
        self.drawn: set[int] = set()
        self.open: list[bool] = []

    def __call__(self, table: Table, event: str, *args: Any) -> None:
        canvas = table.canv
        if event in ("startBG", "startLines"):
            begin_artifact(canvas)
        elif event in ("endBG", "endLines"):
            end_artifact(canvas)
        elif event == "startCell":
            key = _cell_key(args[2])
            element = self.cells.get(key)
            if element is None:
                self.open.append(False)
            elif key in self.drawn:
                begin_artifact(canvas)
                self.open.append(True)
            else:
                self.drawn.add(key)
                self.recorder.begin(canvas, element)
                self.open.append(True)
        elif event == "endCell" and self.open.pop():
            self.recorder.end(canvas)


def tag_table(table: Table, *, recorder: StructureRecorder, parent: _Element | None = None) -> None:
    """Record `table`'s structure (Table → TR → TH / TD) and mark its cells when it is drawn."""
    if getattr(table, "borne_layout", False):
        container = recorder.new_element("Div", parent=parent)
        for row in table._cellvalues:
            for value in row:
                if isinstance(value, Table):
                    tag_table(value, recorder=recorder, parent=container)
        return
    continues = getattr(table, "borne_continues", None)
    element = getattr(continues, "borne_element", None)
    if not isinstance(element, _Element):
        element = recorder.new_element("Table", parent=parent)
    table.borne_element = element
    header_rows = int(getattr(table, "borne_header_rows", 0))
    header_columns = int(getattr(table, "borne_header_columns", 0))
    marks = _CellMarks(recorder)
    for r, row in enumerate(table._cellvalues):
        tr = recorder.new_element("TR", parent=element)
        for c, value in enumerate(row):
            header = r < header_rows or c < header_columns
            cell = recorder.new_element("TH" if header else "TD", parent=tr)
            if header:
                cell.scope = "Column" if r < header_rows else "Row"
            if isinstance(value, Table):
                tag_table(value, recorder=recorder, parent=cell)
            else:
                marks.cells[_cell_key(value)] = cell
    table._renderCB = marks


def tag_story(
    story: list[Flowable], *, recorder: StructureRecorder, title: Flowable | None = None
) -> list[Flowable]:
    """`story` with every drawing flowable wrapped; `title` becomes H1, tables Table, text P."""
    out: list[Flowable] = []
    for flowable in story:
        if isinstance(flowable, Table):
            tag_table(flowable, recorder=recorder)
            out.append(flowable)
            continue
        if isinstance(flowable, Paragraph):
            tag = "H1" if flowable is title else "P"
        else:
            out.append(flowable)  # spacers and other flowables that draw nothing
            continue
        out.append(Tagged(flowable, recorder=recorder, element=recorder.new_element(tag)))
    return out


def _nodes(
    doc: pikepdf.Pdf,
    elements: list[_Element],
    *,
    parent: Any,
    pages: list[Any],
    per_page: dict[int, dict[int, Any]],
) -> Any:
    """The structure elements of `elements` under `parent`; those that hold nothing are left out."""
    kids = pikepdf.Array()
    for element in elements:
        if not _holds_content(element):
            continue
        node = doc.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.StructElem, S=pikepdf.Name(f"/{element.tag}"), P=parent
            )
        )
        if element.scope is not None:
            node.A = pikepdf.Dictionary(
                O=pikepdf.Name.Table, Scope=pikepdf.Name(f"/{element.scope}")
            )
        refs = pikepdf.Array()
        for page, mcid in element.marks:
            refs.append(pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=pages[page].obj, MCID=mcid))
            per_page.setdefault(page, {})[mcid] = node
        for child in _nodes(doc, element.children, parent=node, pages=pages, per_page=per_page):
            refs.append(child)
        node.K = refs
        kids.append(node)
    return kids


def _holds_content(element: _Element) -> bool:
    return bool(element.marks) or any(_holds_content(c) for c in element.children)


def add_structure(pdf: bytes, *, recorder: StructureRecorder, language: str) -> bytes:
    """`pdf` with the structure tree of `recorder`, /MarkInfo and /Lang; saved by qpdf.

    qpdf writes an end-of-line before every `endstream` (PDF/A-2, ISO 19005-2 § 6.1.7.1) and keeps
    the XMP metadata stream uncompressed.
    """
    with pikepdf.open(BytesIO(pdf)) as doc:
        pages = list(doc.pages)
        root = doc.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot))
        document = doc.make_indirect(
            pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Document, P=root)
        )
        per_page: dict[int, dict[int, Any]] = {}
        document.K = _nodes(doc, recorder.elements, parent=document, pages=pages, per_page=per_page)
        nums = pikepdf.Array()
        for index, page_object in enumerate(pages):
            page_object.obj.StructParents = index
            page_object.obj.Tabs = pikepdf.Name.S
            marks = per_page.get(index, {})
            nums.append(index)
            nums.append(doc.make_indirect(pikepdf.Array([marks[m] for m in sorted(marks)])))
        root.K = document
        root.ParentTree = doc.make_indirect(pikepdf.Dictionary(Nums=nums))
        root.ParentTreeNextKey = len(pages)
        catalog = doc.Root
        catalog.StructTreeRoot = root
        catalog.MarkInfo = pikepdf.Dictionary(Marked=True)
        catalog.Lang = pikepdf.String(LANGUAGE_TAGS.get(language, language))
        catalog.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)
        out = BytesIO()
        doc.save(
            out,
            static_id=False,
            compress_streams=True,
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
            deterministic_id=False,
        )
    return out.getvalue()
