"""A purpose typed on the kiosk's keyboard, on paper: read back by independent tools.

Rendered and sealed (SoftHSM2) in FR, NL and DE with accents, ß and punctuation, then checked
from the file: pdftotext reads the purpose line as typed, pdffonts lists only embedded TrueType
fonts (PDF/A: every glyph drawn comes from an embedded font), the line is one more /P element of
the structure tree beside the other lines, every painting operator is tagged (the PDF/A
structural and table-tag checks, reused), and qpdf and pdfsig accept the sealed file.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from io import BytesIO
from pathlib import Path

import pikepdf
import pytest

from kiosk.flows.purpose import printed
from printing.documents.purposes import OTHER
from printing.model import CertificateData
from printing.render import render
from printing.seal import Sealer
from tests.documents.conftest import COMMUNE, make_data
from tests.documents.test_pdfa_conformance import _check_structure
from tests.documents.test_table_tags import _content_marks, _sealed_checks, _tree

pytestmark = pytest.mark.hsm

TYPED = {
    "fr": ("Inscription à l'Académie d'Écaussinnes, cours (soir)", "Délivré pour servir à :"),
    "nl": ("Inschrijving crèche 't Kindercafé - Sint-Niklaas", "Afgegeven om te dienen voor:"),
    "de": ("Anmeldung Fußballverein Kelmis / Schüler", "Ausgestellt zu folgendem Zweck:"),
}


def _pdftotext(path: Path) -> str:
    raw = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True)
    return re.sub(r"\s+", " ", raw.stdout)


def _paragraphs(pdf: bytes) -> int:
    with pikepdf.open(BytesIO(pdf)) as doc:
        tree = _tree(doc)
        assert set(tree.marks) == _content_marks(doc)  # every MCID drawn is referenced
        _check_structure(doc)
        return sum(1 for tag, _parent, _e in tree.elements if tag == "/P")


@pytest.mark.parametrize("language", list(TYPED))
@pytest.mark.parametrize("document_type", ["life", "household"])
def test_a_typed_purpose_is_printed_tagged_and_embedded(
    sealer: Sealer, tmp_path: Path, language: str, document_type: str
) -> None:
    typed, lead = TYPED[language]
    purpose = printed(OTHER, language, text=f"  {typed}  ")
    assert purpose == typed
    plain: CertificateData = make_data(document_type=document_type, language=language)
    data = replace(plain, purpose=purpose)
    path = tmp_path / f"{document_type}.{language}.pdf"
    sealed = _sealed_checks(sealer, data, path)
    assert f"{lead} {typed}." in _pdftotext(path)
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert fonts
    for line in fonts:
        assert re.search(r"\bTrueType\b.*?\byes\b", line), line
    assert _paragraphs(sealed) == _paragraphs(render(plain, commune=COMMUNE)) + 1
