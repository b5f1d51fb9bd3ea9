"""The signature block is never alone on a page: it stays with the last rows of the table.

Households of every size from 1 to 40 members are rendered, so that the page break falls at every
place in the table; on the page that carries "Pour le Collège communal", poppler's `pdftotext`
(run per page) must also find the last member's row.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from printing.documents import texts
from printing.render import render
from tests.documents.conftest import COMMUNE, make_data
from tests.documents.test_no_split import big_household


def _page_texts(pdf: Path) -> list[str]:
    raw = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [page for page in raw.split("\f") if page.strip()]


@pytest.mark.parametrize("size", range(1, 41))
def test_signature_stays_with_the_last_rows(size: int, tmp_path: Path) -> None:
    members = big_household(size)
    data = replace(
        make_data(language="fr", document_type="household"),
        holder=members[0],
        household=members,
        fee_cents=250,
    )
    out = tmp_path / f"household{size}.pdf"
    out.write_bytes(render(data, commune=COMMUNE))
    pages = _page_texts(out)
    signed = [i for i, page in enumerate(pages) if texts.COMMON["fr"]["for_college"] in page]
    assert len(signed) == 1
    page = pages[signed[0]]
    # the table lists the reference person, the partner, then the children from the eldest
    last = members[-1]
    assert texts.format_national_number(last.national_number) in page, (size, len(pages))
    assert "Droit perçu : 2,50" in page
