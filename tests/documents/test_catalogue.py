"""Every document type, in every language: render, seal, verify and print through the private cupsd."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from devstack.cupsd import CupsdService
from devstack.demo_pki import MunicipalPki
from printing.documents import CATALOGUE
from printing.printer import CupsPrinter, JobState, find_job_output
from printing.render import render, verification_code
from printing.seal import Sealer
from printing.verify import verify_pdf
from tests.documents.conftest import COMMUNE, LONG_NAME, LONG_STREET, make_data, stress_data

TYPES = sorted(CATALOGUE)
LANGUAGES = ("fr", "nl", "de")
CASES = [(t, lang) for t in TYPES for lang in LANGUAGES]


def _text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_the_six_certificates_are_registered_in_three_languages() -> None:
    assert set(TYPES) == {
        "household",
        "residence",
        "residence_history",
        "nationality",
        "life",
        "registration",
    }
    for kind in CATALOGUE.values():
        assert kind.languages == {"fr", "nl", "de"}


@pytest.mark.cups
@pytest.mark.hsm
@pytest.mark.parametrize(("document_type", "language"), CASES)
def test_render_seal_verify_print(
    document_type: str,
    language: str,
    sealer: Sealer,
    pki: MunicipalPki,
    cupsd: CupsdService,
    tmp_path: Path,
) -> None:
    document_id = f"2026-{document_type[:4].upper()}-{language.upper()}"
    data = make_data(document_type=document_type, language=language, document_id=document_id)
    sealed = sealer.seal(render(data, commune=COMMUNE), document_id=document_id)
    check = verify_pdf(sealed, trust_roots=[pki.root_cert_path])
    assert check.valid, check.reason
    assert check.document_id == document_id
    source = tmp_path / f"{document_id}.pdf"
    source.write_bytes(sealed)
    text = _text(source)
    assert CATALOGUE[document_type].titles[language].upper() in " ".join(text.split())
    assert "DUPONT Marie Claire" in text
    assert {"fr": "Page 1/1", "nl": "Pagina 1/1", "de": "Seite 1/1"}[language] in text
    birth = {"fr": "14 mars 1985", "nl": "14 maart 1985", "de": "14. März 1985"}[language]
    assert birth in text
    printer = CupsPrinter(queue=cupsd.printer_name, server=cupsd.server)
    job_id = printer.submit(source, title=document_id)
    result = printer.wait(job_id, timeout=60)
    assert result.state is JobState.COMPLETED, cupsd.log_tail()
    output = find_job_output(cupsd.output_dir, job_id)
    assert output is not None
    assert document_id in _text(output)


@pytest.mark.parametrize("document_type", TYPES)
def test_stress_layout_never_clips(document_type: str, tmp_path: Path) -> None:
    data = stress_data(document_type=document_type, language="fr")
    path = tmp_path / "stress.pdf"
    path.write_bytes(render(data, commune=COMMUNE))
    pages = [p for p in _text(path).split("\f") if p.strip()]
    flat = [" ".join(p.split()) for p in pages]
    for n, page in enumerate(flat, start=1):
        assert f"Page {n}/{len(pages)}" in page
        assert "Démo-sur-Meuse" in page.split("CERTIFICAT")[0]
        assert verification_code(data) in page
    whole = "".join("".join(p.split()) for p in pages)
    assert "".join(LONG_NAME.upper().split()) in whole
    if document_type == "household":
        assert len(pages) >= 2
        for n, page in enumerate(flat[:-1], start=1):
            assert "Nom et prénoms" in page, n
        for i in range(19):
            assert f"Żaneta-Ëlodie {i:02d}" in " ".join(flat)
    if document_type == "residence_history":
        assert len(pages) >= 2
        assert "".join(LONG_STREET.split()) in whole
        assert "Adresse Du Au" in flat[0]
        for year in range(1990, 2004):
            assert f"{year}" in " ".join(flat)


def test_dates_follow_the_language(tmp_path: Path) -> None:
    for language, expected in (("fr", "01/01/1990"), ("nl", "01/01/1990"), ("de", "01.01.1990")):
        data = make_data(document_type="residence_history", language=language, history_entries=3)
        path = tmp_path / f"{language}.pdf"
        path.write_bytes(render(data, commune=COMMUNE))
        assert expected in _text(path)
