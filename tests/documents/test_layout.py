"""Every table header of every certificate, in every language, is printed without breaking a word."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth

from printing.documents import CATALOGUE, household, residence_history
from printing.documents.base import BODY_WIDTH, CELL_PADDING, make_styles
from printing.fonts import register_fonts
from printing.model import CertificateData
from printing.render import render
from printing.tables import column_layout
from tests.documents.conftest import COMMUNE, make_data, stress_data

TYPES = sorted(CATALOGUE)
LANGUAGES = ("fr", "nl", "de")

_HEADER_KEYS: dict[str, tuple[str, ...]] = {
    "household": ("h_name", "h_birth", "h_sex", "h_nat", "h_nn", "h_rel"),
    "residence_history": ("h_address", "h_from", "h_to"),
}
_TABLE_TEXTS: dict[str, dict[str, dict[str, str]]] = {
    "household": household._TEXT,
    "residence_history": residence_history._TEXT,
}


def _header_words(document_type: str, language: str) -> list[str]:
    keys = _HEADER_KEYS.get(document_type, ())
    table = _TABLE_TEXTS.get(document_type, {}).get(language, {})
    return [word for key in keys for word in table[key].split()]


def _lines(data: CertificateData, tmp_path: Path) -> list[str]:
    path = tmp_path / f"{data.document_type}-{data.language}.pdf"
    path.write_bytes(render(data, commune=COMMUNE))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.splitlines()


def _tokens(lines: list[str]) -> set[str]:
    return {token for line in lines for token in re.split(r"\s+", line) if token}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("document_type", TYPES)
def test_header_words_are_never_broken(document_type: str, language: str, tmp_path: Path) -> None:
    words = _header_words(document_type, language)
    for data in (
        make_data(document_type=document_type, language=language, members=3, history_entries=4),
        stress_data(document_type=document_type, language=language),
    ):
        lines = _lines(data, tmp_path)
        tokens = _tokens(lines)
        title = CATALOGUE[document_type].titles[language].upper()
        assert title in " ".join(" ".join(lines).split()), title
        for word in words:
            # The whole word is on one line, as a token of its own (not "Gesl" + "acht").
            assert word in tokens, (document_type, language, word)
        # No fragment of a header word ends up alone on a line of the table.
        for word in words:
            for cut in range(2, len(word) - 1):
                head, tail = word[:cut], word[cut:]
                if head in tokens and tail in tokens and head not in words:
                    pytest.fail(f"{word!r} looks broken into {head!r} | {tail!r}")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("stress", [False, True])
def test_household_columns_fit_their_longest_header_word(language: str, stress: bool) -> None:
    register_fonts()
    styles = make_styles()
    maker = stress_data if stress else make_data
    data = maker(document_type="household", language=language)
    header = [household._TEXT[language][k] for k in _HEADER_KEYS["household"]]
    rows = [
        [p.full_name, "01/01/2000 — Liège", "M", "Luxembourgeoise", "85.03.14-124.01", "Fils"]
        for p in data.household
    ]
    layout = column_layout(header=header, rows=rows, cell=styles.cell, head=styles.cell_head)
    assert layout is not None
    assert abs(sum(layout.widths) - BODY_WIDTH) < 0.01
    assert layout.head_size >= 7.0
    for label, width in zip(header, layout.widths, strict=True):
        for word in label.split():
            need = stringWidth(word, styles.cell_head.fontName, layout.head_size) + 2 * CELL_PADDING
            assert need <= width, (language, word)
    # Data words too, here: the national number never splits.
    nn = stringWidth("85.03.14-124.01", styles.cell.fontName, styles.cell.fontSize)
    assert nn + 2 * CELL_PADDING <= layout.widths[4]
