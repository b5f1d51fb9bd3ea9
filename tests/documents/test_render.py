from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from printing.documents import CATALOGUE
from printing.errors import DocumentError
from printing.render import render, verification_code
from tests.documents.conftest import COMMUNE, make_data


def _pages_text(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [page for page in text.split("\f") if page.strip()]


def test_household_fr_content(tmp_path: Path) -> None:
    data = make_data(members=2)
    pages = _pages_text(render(data, commune=COMMUNE), tmp_path)
    assert len(pages) == 1
    text = pages[0]
    for expected in (
        "CERTIFICAT DE COMPOSITION DE MÉNAGE",
        "Démo-sur-Meuse",
        "DUPONT Marie Claire",
        "85.03.14-124.01",
        "Rue de la Station 12, 5999 Démo-sur-Meuse",
        "Personne de",
        "Fils",
        "Fille",
        "Italien",
        "des 3",
        "Page 1/1",
        "K-TEST-01",
        "https://verify.example.test/verify/2026-000123",
        verification_code(data),
    ):
        assert expected in text, expected


def test_long_household_flows_onto_pages_with_footer_on_each(tmp_path: Path) -> None:
    data = make_data(members=45)
    pages = _pages_text(render(data, commune=COMMUNE), tmp_path)
    assert len(pages) >= 3
    for n, page in enumerate(pages, start=1):
        assert f"Page {n}/{len(pages)}" in page
        assert verification_code(data) in page
        assert "Nom et prénoms" in page or n == len(pages)
    whole = "\n".join(pages)
    for i in range(45):
        assert f"Enfant{i:02d}" in whole


def test_fonts_are_embedded_only(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(render(make_data(), commune=COMMUNE))
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    rows = fonts.splitlines()[2:]
    assert rows
    assert all(" yes " in row and "DejaVu" in row for row in rows), fonts


@pytest.mark.parametrize(
    ("language", "title"),
    [("nl", "BEWIJS VAN GEZINSSAMENSTELLING"), ("de", "HAUSHALTSZUSAMMENSETZUNG")],
)
def test_household_other_languages(language: str, title: str, tmp_path: Path) -> None:
    text = "\n".join(_pages_text(render(make_data(language=language), commune=COMMUNE), tmp_path))
    assert title in text


def test_unknown_type_and_language_are_typed_errors() -> None:
    with pytest.raises(DocumentError) as unknown:
        render(make_data(document_type="passport"), commune=COMMUNE)
    assert unknown.value.translation_key == "documents.error.unknown_type"
    with pytest.raises(DocumentError) as language:
        render(make_data(language="en"), commune=COMMUNE)
    assert language.value.translation_key == "documents.error.unsupported_language"


def test_catalogue_registers_household() -> None:
    assert "household" in CATALOGUE
    assert CATALOGUE["household"].languages == {"fr", "nl", "de"}
