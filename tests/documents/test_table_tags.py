"""Tables on the certificates are tagged cell by cell (Table → TR → TH / TD), read from the file.

Checked with pikepdf (qpdf's parser) on the rendered and the sealed certificate, for the rules of
the Matterhorn protocol (PDF/UA-1) and ISO 32000-1 § 14.8.4.3.4 that the tagging relies on:

- a Table holds only TR, a TR only TH / TD, and each of them sits in the element above it
  (§ 14.8.4.3.4, Matterhorn 09-004 "tag not in its required parent");
- every row has as many cells as the table has columns (no spans are used);
- every TH carries a /Table attribute with /Scope /Column (header row) or /Row (label column)
  (Matterhorn 15-003);
- every painting operator of a page (text, paths, images) lies inside a marked-content sequence,
  either an MCID sequence of the structure tree or an /Artifact (Matterhorn 01-005 "content
  neither marked as artifact nor tagged"), and an MCID sequence is never nested in another one
  or in an artifact (Matterhorn 01-004 / ISO 32000-1 § 14.7.4.2);
- every MCID is referenced by exactly one element, and the parent tree maps it back to that
  element (§ 14.7.4.4);
- a header row repeated on a following page is an artifact: the table has one header row, and
  every cell exactly one marked-content sequence;
- the tail of a table kept with the signature block is the same Table element;
- a table too wide for any font (one block per member) is a Div of one table per member, each
  with its labels as row headers.

The sealed files still pass `qpdf --check` and `pdfsig`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from io import BytesIO
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from printing.model import CertificateData
from printing.render import render
from printing.seal import Sealer
from tests.documents.conftest import ADDRESS, COMMUNE, make_data, stress_data
from tests.documents.test_no_split import big_household

PAINTING = {
    "Tj", "TJ", "'", '"', "f", "F", "f*", "B", "B*", "b", "b*", "S", "s", "Do", "sh", "BI",
}  # fmt: skip


@dataclass
class Tree:
    """The structure tree, flattened: every element with its parent's tag and its own MCRs."""

    elements: list[tuple[str, str, Any]] = field(default_factory=list)
    """(tag, parent's tag, element)."""
    marks: dict[tuple[int, int], Any] = field(default_factory=dict)
    """(page index, MCID) → the element that references it."""


def _walk(element: Any, parent: str, tree: Tree, pages: dict[tuple[int, int], int]) -> None:
    tag = str(element.S)
    tree.elements.append((tag, parent, element))
    kids = element.get("/K", pikepdf.Array())
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        if "/MCID" in kid:
            key = (pages[kid.Pg.objgen], int(kid.MCID))
            assert key not in tree.marks, f"MCID referenced twice: {key}"
            tree.marks[key] = element
        else:
            _walk(kid, tag, tree, pages)


def _tree(doc: pikepdf.Pdf) -> Tree:
    tree = Tree()
    pages = {page.obj.objgen: i for i, page in enumerate(doc.pages)}
    _walk(doc.Root.StructTreeRoot.K, "/StructTreeRoot", tree, pages)
    return tree


def _children(element: Any) -> list[Any]:
    kids = element.get("/K", pikepdf.Array())
    return [k for k in kids if "/S" in k]


def _content_marks(doc: pikepdf.Pdf) -> set[tuple[int, int]]:
    """The MCIDs drawn on each page; asserts every painting operator is tagged or an artifact."""
    drawn: set[tuple[int, int]] = set()
    for index, page in enumerate(doc.pages):
        stack: list[str] = []  # "mcid", "artifact" or "other" per open sequence
        for instruction in pikepdf.parse_content_stream(page):
            if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                assert "mcid" in stack or "artifact" in stack, (index, "untagged image")
                continue
            operands, op = instruction.operands, str(instruction.operator)
            if op == "BDC":
                tag = str(operands[0])
                props = operands[1]
                if isinstance(props, pikepdf.Dictionary) and "/MCID" in props:
                    assert "mcid" not in stack, (index, "MCID nested in an MCID sequence")
                    assert "artifact" not in stack, (index, "MCID inside an artifact")
                    drawn.add((index, int(props.MCID)))
                    stack.append("mcid")
                else:
                    stack.append("artifact" if tag == "/Artifact" else "other")
            elif op == "BMC":
                stack.append("artifact" if str(operands[0]) == "/Artifact" else "other")
            elif op == "EMC":
                stack.pop()
            elif op in PAINTING:
                assert "mcid" in stack or "artifact" in stack, (index, op, "untagged content")
        assert not stack, (index, "unbalanced marked content")
    return drawn


def _check_tables(doc: pikepdf.Pdf) -> list[Any]:
    """Every rule of the module docstring; returns the Table elements."""
    tree = _tree(doc)
    assert _content_marks(doc) == set(tree.marks)
    nums = doc.Root.StructTreeRoot.ParentTree.Nums
    parent_tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    for (page, mcid), element in tree.marks.items():
        assert parent_tree[page][mcid].objgen == element.objgen
    tables = []
    for tag, parent, element in tree.elements:
        if tag == "/Table":
            rows = _children(element)
            assert rows
            assert {str(r.S) for r in rows} == {"/TR"}
            widths = {len(_children(r)) for r in rows}
            assert len(widths) == 1, "rows of different lengths"
            tables.append(element)
        elif tag == "/TR":
            assert parent == "/Table"
            assert {str(c.S) for c in _children(element)} <= {"/TH", "/TD"}
        elif tag in ("/TH", "/TD"):
            assert parent == "/TR"
            # a row never splits over pages, and a header row drawn again is an artifact
            own = [k for k in element.K if "/MCID" in k]
            assert len(own) == 1, f"{tag} with {len(own)} marked-content sequences"
            if tag == "/TH":
                assert str(element.A.O) == "/Table"
                assert str(element.A.Scope) in {"/Column", "/Row"}
    return tables


def _cells(table: Any) -> list[list[str]]:
    return [[str(c.S) for c in _children(row)] for row in _children(table)]


def _household48(language: str) -> CertificateData:
    members = big_household()
    return replace(
        make_data(language=language, document_type="household"),
        holder=members[0],
        household=members,
        address=ADDRESS,
    )


def _blocks() -> CertificateData:
    giant = "Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaftschaferswessen"
    members = tuple(replace(p, surname=giant) for p in big_household(6))
    return replace(
        make_data(language="de", document_type="household"), holder=members[0], household=members
    )


def _sealed_checks(sealer: Sealer, data: CertificateData, path: Path) -> bytes:
    sealed = sealer.seal(render(data, commune=COMMUNE), document_id=data.document_id)
    path.write_bytes(sealed)
    check = subprocess.run(
        ["qpdf", "--check", str(path)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No syntax or stream encoding errors" in check.stdout
    sig = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    assert "Signature is Valid." in sig.stdout, sig.stdout
    assert "Total document signed" in sig.stdout
    return sealed


@pytest.mark.hsm
@pytest.mark.parametrize("language", ["fr", "nl", "de"])
def test_a_48_member_household_is_one_table_with_one_header_row(
    language: str, sealer: Sealer, tmp_path: Path
) -> None:
    sealed = _sealed_checks(sealer, _household48(language), tmp_path / f"h48-{language}.pdf")
    with pikepdf.open(BytesIO(sealed)) as doc:
        assert len(doc.pages) > 1  # the header row is drawn again on each following page
        (table,) = _check_tables(doc)
        rows = _cells(table)
        assert len(rows) == 1 + 48  # one header row; the tail kept with the signature included
        assert rows[0] == ["/TH"] * 6
        assert all(row == ["/TD"] * 6 for row in rows[1:])
        scopes = {str(c.A.Scope) for c in _children(_children(table)[0])}
        assert scopes == {"/Column"}


def test_a_table_too_wide_becomes_a_div_of_tables_with_row_headers() -> None:
    with pikepdf.open(BytesIO(render(_blocks(), commune=COMMUNE))) as doc:
        tables = _check_tables(doc)
        tree = _tree(doc)
        divs = [e for tag, _, e in tree.elements if tag == "/Div"]
        assert len(divs) == 1
        assert len(tables) == 6  # one per member, all in the Div
        assert [str(t.S) for t in _children(divs[0])] == ["/Table"] * 6
        for table in tables:
            assert _cells(table) == [["/TH", "/TD"]] * 6
            for row in _children(table):
                assert str(_children(row)[0].A.Scope) == "/Row"


def _every_certificate() -> Iterator[tuple[str, str, str]]:
    from printing.documents import CATALOGUE  # noqa: PLC0415

    for document_type in sorted(CATALOGUE):
        for language in ("fr", "nl", "de"):
            for variant in ("plain", "stress"):
                yield document_type, language, variant


@pytest.mark.parametrize(("document_type", "language", "variant"), list(_every_certificate()))
def test_every_certificate_follows_the_table_rules(
    document_type: str, language: str, variant: str
) -> None:
    maker = make_data if variant == "plain" else stress_data
    data = maker(document_type=document_type, language=language)
    with pikepdf.open(BytesIO(render(data, commune=COMMUNE))) as doc:
        tables = _check_tables(doc)
        for table in tables:
            rows = _cells(table)
            assert rows[0] == ["/TH"] * len(rows[0])  # the certificates' tables have a header row
            assert all(set(row) == {"/TD"} for row in rows[1:])
