"""A minimal logical structure for the certificates (tagged PDF), which reportlab cannot write.

While the page is drawn, every top-level flowable of the body is wrapped in a marked-content
sequence (`/P <</MCID n>> BDC … EMC`, `/H1` for the title, `/Table` for a table) and the page
header and footer in `/Artifact BMC … EMC`. After rendering, `add_structure` builds from what was
recorded a structure tree Document → H1 / P / Table, one element per flowable (a table split over
two pages is one element with one marked-content reference per page), with the parent tree,
`/StructParents` on each page, `/MarkInfo` and `/Lang`.

What is not tagged: the rows and cells inside a table (a table is one element whose content a
screen reader reads row by row, in drawing order), and the lines of the holder block are one P.
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


@dataclass(slots=True)
class StructureRecorder:
    """What the body drew, in reading order, and the next free MCID of each page."""

    elements: list[_Element] = field(default_factory=list)
    next_mcid: dict[int, int] = field(default_factory=dict)

    def new_element(self, tag: str) -> _Element:
        element = _Element(tag)
        self.elements.append(element)
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


def tag_story(
    story: list[Flowable], *, recorder: StructureRecorder, title: Flowable | None = None
) -> list[Flowable]:
    """`story` with every drawing flowable wrapped; `title` becomes H1, tables Table, text P."""
    out: list[Flowable] = []
    for flowable in story:
        if isinstance(flowable, Table):
            tag = "Table"
        elif isinstance(flowable, Paragraph):
            tag = "H1" if flowable is title else "P"
        else:
            out.append(flowable)  # spacers and other flowables that draw nothing
            continue
        out.append(Tagged(flowable, recorder=recorder, element=recorder.new_element(tag)))
    return out


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
        kids = pikepdf.Array()
        for element in recorder.elements:
            if not element.marks:
                continue
            node = doc.make_indirect(
                pikepdf.Dictionary(
                    Type=pikepdf.Name.StructElem, S=pikepdf.Name(f"/{element.tag}"), P=document
                )
            )
            refs = pikepdf.Array()
            for page, mcid in element.marks:
                refs.append(
                    pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=pages[page].obj, MCID=mcid)
                )
                per_page.setdefault(page, {})[mcid] = node
            node.K = refs
            kids.append(node)
        document.K = kids
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
