"""Every date and time on a certificate is Brussels local time, whatever the UTC clock says.

The clock is injected at 23:30 UTC, an hour (winter, CET) or two (summer, CEST) before local
midnight passes: the certificate must carry the next calendar day everywhere, body and footer.
Expected strings are written out by hand from the calendar, not computed by the code under test.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from printing.render import render
from tests.documents.conftest import COMMUNE, make_data

WINTER = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 February in Brussels (UTC+1)
SUMMER = datetime(2026, 7, 14, 23, 30, tzinfo=UTC)  # 01:30 on 15 July in Brussels (UTC+2)

EXPECTED: dict[tuple[str, str], tuple[str, str, str]] = {
    # (season, language): (long date in the body, footer date, footer time)
    ("winter", "fr"): ("1er février 2026", "01/02/2026", "00:30"),
    ("winter", "nl"): ("1 februari 2026", "01/02/2026", "00:30"),
    ("winter", "de"): ("1. Februar 2026", "01.02.2026", "00:30"),
    ("summer", "fr"): ("15 juillet 2026", "15/07/2026", "01:30"),
    ("summer", "nl"): ("15 juli 2026", "15/07/2026", "01:30"),
    ("summer", "de"): ("15. Juli 2026", "15.07.2026", "01:30"),
}
FOOTER_WORDS = {
    "fr": ("délivré le", "à"),
    "nl": ("afgegeven op", "om"),
    "de": ("ausgestellt am", "um"),
}


def _text(pdf: bytes, tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return " ".join(out.stdout.split())


@pytest.mark.parametrize(("season", "language"), sorted(EXPECTED))
@pytest.mark.parametrize("document_type", ["life", "residence"])
def test_dates_are_brussels_local(
    season: str, language: str, document_type: str, tmp_path: Path
) -> None:
    issued = WINTER if season == "winter" else SUMMER
    data = replace(
        make_data(document_type=document_type, language=language, members=0), issued_at=issued
    )
    text = _text(render(data, commune=COMMUNE), tmp_path, f"{document_type}-{season}-{language}")
    long_day, footer_day, footer_time = EXPECTED[(season, language)]
    issued_word, at_word = FOOTER_WORDS[language]
    assert long_day in text
    assert f"{issued_word} {footer_day} {at_word} {footer_time}" in text
    # The UTC calendar day appears nowhere: not in the body, not in the footer.
    utc_day = f"{issued.day:02d}{'.' if language == 'de' else '/'}{issued.month:02d}"
    assert utc_day not in text
    if document_type == "life":
        alive = {"fr": "à la date du", "nl": "in leven is op", "de": "am"}[language]
        assert re.search(rf"{re.escape(alive)} {re.escape(long_day)}", text)
