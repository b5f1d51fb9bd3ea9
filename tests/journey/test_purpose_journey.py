"""The purpose step through every real layer: the resident picks what the certificate is for on
the screen after the document choice, and the printed certificate says it in their language."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from kiosk.flows.purpose import PURPOSE
from kiosk.session import SessionState as S
from tests.journey.conftest import Rig

pytestmark = [
    pytest.mark.pcsc,
    pytest.mark.hsm,
    pytest.mark.cups,
    pytest.mark.central,
    pytest.mark.serial,
]


def _text(path: Path) -> str:
    raw = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return re.sub(r"\s+", " ", raw)


def _journey(rig: Rig, *, language: str, document: str, purpose: str) -> tuple[Path, Path]:
    """One resident in `language` (screen and certificate); the sealed and the printed file."""
    c = rig.controller
    c.touch()
    rig.state(S.LANGUAGE)
    c.choose_language(language)
    rig.state(S.INSERT_CARD)
    rig.stack.insert_card()
    rig.state(S.PIN)
    for digit in rig.stack.pin:
        c.pin_digit(digit)
    c.pin_submit()
    rig.state(S.CHOOSE_DOCUMENTS)
    c.toggle_document(document)
    c.confirm_documents()
    view = rig.state(PURPOSE)
    assert view.prompt_key == "purpose.prompt"
    assert view.document_language == language
    c.back()  # the resident may go back to the documents, and forward again
    rig.state(S.CHOOSE_DOCUMENTS)
    c.confirm_documents()
    rig.state(PURPOSE)
    c.choose_purpose(purpose)
    assert rig.state(S.SUMMARY).purpose == purpose
    c.confirm_summary()
    rig.state(S.TAKE_DOCUMENTS)
    c.documents_taken()
    rig.state(S.REMOVE_CARD)
    rig.stack.remove_card()
    rig.state(S.ATTRACT)
    report = rig.controller.reports[-1]
    assert report.outcome == "completed"
    (document_id,) = report.document_ids
    (printed,) = [Path(p) for p in report.pdf_paths]
    return rig.kiosk.config.var_dir / "spool" / f"{document_id}.pdf", printed


@pytest.mark.parametrize(
    ("language", "document", "purpose", "printed"),
    [
        ("nl", "household", "employer", "Afgegeven om te dienen voor: een werkgever."),
        ("de", "life", "court", "Ausgestellt zu folgendem Zweck: ein Gericht."),
    ],
)
def test_the_chosen_purpose_is_printed_in_the_residents_language(
    rig: Rig, language: str, document: str, purpose: str, printed: str
) -> None:
    sealed, paper = _journey(rig, language=language, document=document, purpose=purpose)
    assert printed in _text(sealed)
    assert printed in _text(paper)  # the copy cupsd printed


def test_a_purpose_not_stated_prints_no_purpose_line(rig: Rig) -> None:
    sealed, _ = _journey(rig, language="fr", document="life", purpose="not_stated")
    text = _text(sealed)
    assert "CERTIFICAT DE VIE" in text
    assert "Délivré gratuitement." in text
    assert "servir à" not in text
