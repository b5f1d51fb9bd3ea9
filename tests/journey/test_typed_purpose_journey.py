"""A typed purpose through every real layer: "Other purpose…", the text typed, refused once, then
kept; the certificate sealed by SoftHSM2 and the copy cupsd printed both say it (pdftotext), and
no log, record or queue of the kiosk or the central server holds the text."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kiosk.flows.purpose import PURPOSE
from kiosk.flows.purpose_text import PURPOSE_TEXT
from kiosk.session import SessionState as S
from printing.documents.purposes import OTHER
from tests.journey.conftest import Rig
from tests.journey.test_purpose_journey import _text

pytestmark = [
    pytest.mark.pcsc,
    pytest.mark.hsm,
    pytest.mark.cups,
    pytest.mark.central,
    pytest.mark.serial,
]

TYPED = "Inscription à l'Académie de Bütgenbach (cours du soir)"
PRINTED = f"Délivré pour servir à : {TYPED}."


def _ascii(text: str) -> str:
    return " ".join("".join(c if c.isascii() else " " for c in text).split())


def _journey(rig: Rig) -> tuple[Path, Path]:
    c = rig.controller
    c.touch()
    rig.state(S.LANGUAGE)
    c.choose_language("fr")
    rig.state(S.INSERT_CARD)
    rig.stack.insert_card()
    rig.state(S.PIN)
    for digit in rig.stack.pin:
        c.pin_digit(digit)
    c.pin_submit()
    rig.state(S.CHOOSE_DOCUMENTS)
    c.toggle_document("life")
    c.confirm_documents()
    rig.state(PURPOSE)
    c.choose_purpose(OTHER)
    rig.state(PURPOSE_TEXT)
    c.give_purpose_text("Inscription <script>")
    view = rig.pump.until(c, lambda v: v.notice_key is not None)
    assert (view.state, view.notice_key) == (PURPOSE_TEXT, "purpose_text.not_allowed")
    c.give_purpose_text(f"  {TYPED}  ")
    view = rig.state(S.SUMMARY)
    assert (view.purpose, view.purpose_text) == (OTHER, TYPED)
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


def test_a_typed_purpose_is_sealed_printed_and_never_logged(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sealed, paper = _journey(rig)
    assert PRINTED in _text(sealed)
    # the copy cupsd printed: cups-pdf's re-distilled file maps only ASCII glyphs back to text
    assert _ascii(PRINTED) in _ascii(_text(paper))
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "free_purpose_given" in logged
    assert "free_purpose_refused" in logged
    for word in ("Bütgenbach", "Académie", "script"):
        assert word not in logged, word
    assert rig.stack.central is not None
    assert "Bütgenbach" not in rig.stack.central.log_path.read_text(encoding="utf-8")
    needle = "Bütgenbach".encode()
    kept = [
        p
        for p in rig.kiosk.config.var_dir.rglob("*")
        if p.is_file() and p.suffix != ".pdf" and needle in p.read_bytes()
    ]
    assert kept == []  # no record, queue or log file of the kiosk holds it
