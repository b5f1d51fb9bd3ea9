"""Structural PDF/A-2b (ISO 19005-2) checks over every certificate the kiosk generates, sealed.

Each rule the renderer and the seal rely on is checked from the file itself, with pikepdf (qpdf)
and poppler as independent readers, for every document type in French, Dutch and German, with
ordinary and with stress data (long names, large household, long history):

- § 6.1.2 header: `%PDF-1.n` with n <= 7 and a binary comment; no catalogue /Version above 1.7,
  no /Extensions (PDF/A-2 is based on PDF 1.7; the seal must not raise it to 2.0);
- § 6.1.3 trailer /ID present, no /Encrypt;
- § 6.1.7.1 every stream: `stream` followed by EOL, exactly /Length bytes, EOL before
  `endstream`, no /F, /FFilter, /FDecodeParms; § 6.1.7.2 no LZW;
- § 6.2.2 an sRGB output intent (GTS_PDFA1, ICC profile with N 3);
- § 6.2.11.4 every font embedded (pdffonts);
- § 6.3.2/6.3.3 annotations: /F with Print set and Hidden/NoView clear; an appearance unless the
  rectangle is empty (the invisible seal);
- § 6.6.2 XMP: pdfaid part 2 / conformance B, and Info ↔ XMP equal (title, author, subject,
  keywords, creator tool, producer, creation and modification dates);
- tagged PDF (PDF/UA-friendly, not a PDF/UA claim): /Lang, /MarkInfo /Marked true, a structure
  tree whose marked-content references and the MCIDs in the page content match one to one;
- qpdf --check and pdfsig report no error after sealing.

Cell-level table tagging (Table → TR → TH / TD) is checked in `test_table_tags.py`.
Not covered: veraPDF's full rule set (no Java validator in the tool chain), colour-space rules
beyond the output intent.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pikepdf
import pytest

from devstack.register import demo_commune
from printing.documents import CATALOGUE
from printing.render import render
from printing.seal import Sealer
from tests.documents.conftest import COMMUNE, make_data, stress_data

pytestmark = pytest.mark.hsm

LANGUAGES = ("fr", "nl", "de")
_OBJ = re.compile(rb"(\d+) (\d+) obj\b(.*?)\bendobj", re.S)
_STREAM = re.compile(rb">>\s*stream(\r\n|\n)")


def _cases() -> Iterator[tuple[str, str, str]]:
    for document_type in sorted(CATALOGUE):
        for language in LANGUAGES:
            for variant in ("plain", "stress"):
                yield document_type, language, variant


@pytest.fixture(scope="module")
def certificates(sealer: Sealer) -> dict[tuple[str, str, str], bytes]:
    out: dict[tuple[str, str, str], bytes] = {}
    for document_type, language, variant in _cases():
        if variant == "plain":
            data = make_data(document_type=document_type, language=language)
            commune = demo_commune(language)
        else:
            data = stress_data(document_type=document_type, language=language)
            commune = COMMUNE
        pdf = render(data, commune=commune)
        out[(document_type, language, variant)] = sealer.seal(pdf, document_id=data.document_id)
    return out


def _length(value: bytes, doc: pikepdf.Pdf) -> int:
    match = re.search(rb"/Length\s+(\d+)(\s+(\d+)\s+R)?", value)
    assert match is not None, "stream without /Length"
    if match.group(2):
        return int(doc.get_object((int(match.group(1)), int(match.group(3)))))
    return int(match.group(1))


def _check_streams(raw: bytes, doc: pikepdf.Pdf) -> int:
    """§ 6.1.7.1 over every stream object of every revision; returns how many were checked."""
    count = 0
    for match in _OBJ.finditer(raw):
        body = match.group(3)
        stream = _STREAM.search(body)
        if stream is None:
            continue
        head = body[: stream.start() + 2]
        for key in (b"/F ", b"/FFilter", b"/FDecodeParms", b"/LZWDecode", b"/F[", b"/F<"):
            assert key not in head, (match.group(1), key)
        start = stream.end()
        length = _length(head, doc)
        rest = body[start + length :]
        assert re.match(rb"(\r\n|\n|\r)endstream", rest), (match.group(1), rest[:20])
        count += 1
    return count


def _pdf_date(value: str) -> datetime:
    m = re.fullmatch(r"D:(\d{14})(Z|[+-]\d\d'\d\d'?)?", value)
    assert m is not None, value
    tz = m.group(2) or "Z"
    assert tz in ("Z", "+00'00'", "+00'00"), value
    return datetime.strptime(m.group(1) + "+0000", "%Y%m%d%H%M%S%z").astimezone(UTC)


def _xmp_date(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _check_metadata(doc: pikepdf.Pdf) -> None:
    info = doc.docinfo
    with doc.open_metadata() as xmp:
        assert xmp["pdfaid:part"] == "2"
        assert xmp["pdfaid:conformance"] == "B"
        assert str(info["/Title"]) == xmp["dc:title"]
        assert [str(info["/Author"])] == list(xmp["dc:creator"])
        assert str(info["/Subject"]) == xmp["dc:description"]
        assert str(info["/Keywords"]) == xmp["pdf:Keywords"]
        assert str(info["/Creator"]) == xmp["xmp:CreatorTool"]
        assert str(info["/Producer"]) == xmp["pdf:Producer"]
        assert _pdf_date(str(info["/CreationDate"])) == _xmp_date(xmp["xmp:CreateDate"])
        assert _pdf_date(str(info["/ModDate"])) == _xmp_date(xmp["xmp:ModifyDate"])


def _check_structure(doc: pikepdf.Pdf) -> None:
    root = doc.Root
    assert str(root.Lang) in {"fr-BE", "nl-BE", "de-BE"}
    assert bool(root.MarkInfo.Marked) is True
    tree = root.StructTreeRoot
    document = tree.K
    assert str(document.S) == "/Document"
    referenced: set[tuple[int, int]] = set()
    pages = {page.obj.objgen: i for i, page in enumerate(doc.pages)}
    tags = []

    def walk(element: pikepdf.Object) -> None:
        for kid in element.K:
            if "/MCID" in kid:
                referenced.add((pages[kid.Pg.objgen], int(kid.MCID)))
            else:
                walk(kid)

    for element in document.K:
        tags.append(str(element.S))
        walk(element)
    assert tags[0] == "/H1"
    assert set(tags) <= {"/H1", "/P", "/Table", "/Div"}  # cells: tests/documents/test_table_tags
    drawn: set[tuple[int, int]] = set()
    for i, page in enumerate(doc.pages):
        assert int(page.obj.StructParents) == i
        content = b"".join(
            c.read_bytes()
            for c in (
                page.obj.Contents
                if isinstance(page.obj.Contents, pikepdf.Array)
                else [page.obj.Contents]
            )
        )
        mcids = [int(m) for m in re.findall(rb"<<\s*/MCID (\d+)\s*>>\s*BDC", content)]
        assert len(mcids) == len(set(mcids)), "an MCID used twice on a page"
        drawn |= {(i, m) for m in mcids}
        assert content.count(b"BDC") + content.count(b"BMC") == content.count(b"EMC")
        assert b"/Artifact BMC" in content  # header and footer are pagination, not content
    assert drawn == referenced


def _check_annotations(doc: pikepdf.Pdf) -> None:
    for page in doc.pages:
        for annot in page.obj.get("/Annots", []):
            flags = int(annot.get("/F", 0))
            assert flags & 4, "annotation not printable"
            assert not flags & (1 | 2 | 32), "annotation hidden"
            rect = [float(v) for v in annot.Rect]
            if rect[2] - rect[0] or rect[3] - rect[1]:
                assert "/N" in annot.AP


def test_every_certificate_is_structurally_pdfa2b(
    certificates: dict[tuple[str, str, str], bytes], tmp_path: Path
) -> None:
    for case, raw in certificates.items():
        header = re.match(rb"%PDF-1\.([0-7])(\r\n|\n|\r)%([\x80-\xff]{4})", raw)
        assert header is not None, case
        with pikepdf.open(BytesIO(raw)) as doc:
            root = doc.Root
            assert "/Extensions" not in root, case
            version = str(root.get("/Version", "/1.4"))
            assert version in {"/1.4", "/1.5", "/1.6", "/1.7"}, case
            assert "/Encrypt" not in doc.trailer, case
            assert len(doc.trailer.ID) == 2, case
            assert _check_streams(raw, doc) >= 8, case
            intents = root.OutputIntents
            assert len(intents) == 1, case
            assert intents[0].S == pikepdf.Name.GTS_PDFA1, case
            assert int(intents[0].DestOutputProfile.N) == 3, case
            _check_metadata(doc)
            _check_structure(doc)
            _check_annotations(doc)
        path = tmp_path / ("-".join(case) + ".pdf")
        path.write_bytes(raw)
        fonts = subprocess.run(
            ["pdffonts", str(path)], capture_output=True, text=True, check=True
        ).stdout.splitlines()[2:]
        assert fonts, case
        for line in fonts:
            assert re.search(r"\bTrueType\b.*?\byes\b", line), (case, line)
        check = subprocess.run(
            ["qpdf", "--check", str(path)], capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, (case, check.stdout, check.stderr)
        assert "No syntax or stream encoding errors" in check.stdout, case
        sig = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
        assert "Signature is Valid." in sig.stdout, (case, sig.stdout)
        assert "Total document signed" in sig.stdout, case
