"""A resident's journey through every real layer, driven through the journey controller.

No Qt here (the UI is exercised by the autoplay test); everything else is the real thing: the
card is read through pcscd, paid on the ZVT simulator over a pty, sealed on SoftHSM2, printed by
cupsd, and recorded on the central server.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import cups
import pytest
import requests

from hardware.payment.journal import PaymentJournal, PaymentState
from hardware.simulators.zvt.journal import TerminalRecord
from kiosk.session import SessionState as S
from offline_queue.wire import IssuanceRecord, RecordPage
from printing.verify import verify_pdf
from tests.journey.conftest import Rig

pytestmark = [
    pytest.mark.pcsc,
    pytest.mark.hsm,
    pytest.mark.cups,
    pytest.mark.central,
    pytest.mark.serial,
]


def charges(rig: Rig) -> list[TerminalRecord]:
    assert rig.stack.terminal is not None
    return [
        r for r in rig.stack.terminal.journal.records() if r.kind == "payment" and r.result == 0
    ]


def printed_files(rig: Rig) -> set[Path]:
    assert rig.stack.cupsd is not None
    return set(rig.stack.cupsd.output_dir.glob("*.pdf"))


def to_summary(rig: Rig, *, document: str = "household") -> None:
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
    c.toggle_document(document)
    c.set_document_language("fr")
    c.confirm_documents()
    rig.state(S.SUMMARY)


def finish(rig: Rig) -> None:
    rig.controller.documents_taken()
    rig.state(S.REMOVE_CARD)
    rig.stack.remove_card()
    rig.state(S.ATTRACT)


def central_records(rig: Rig) -> list[IssuanceRecord]:
    rig.kiosk.sync.deliver_now().result(timeout=10)
    response = requests.get(
        f"{rig.kiosk.config.central.url}/api/v1/records",
        headers={"Authorization": "Bearer demo-operator-token"},
        timeout=5,
    )
    response.raise_for_status()
    page = RecordPage.model_validate(response.json())
    return [stored.record for stored in page.records]


def test_paid_journey_prints_a_sealed_certificate_and_reports_it(rig: Rig) -> None:
    charged_before = len(charges(rig))
    to_summary(rig)
    rig.controller.confirm_summary()
    rig.state(S.TAKE_DOCUMENTS)
    finish(rig)

    (report,) = rig.controller.reports
    assert report.outcome == "completed"
    assert report.payment_status == "approved"
    (document_id,) = report.document_ids

    sealed = rig.kiosk.config.var_dir / "spool" / f"{document_id}.pdf"
    check = verify_pdf(sealed.read_bytes(), trust_roots=[rig.kiosk.config.signing.trust_root])
    assert check.valid
    assert check.intact
    assert check.trusted
    assert check.document_id == document_id

    (printed,) = [Path(p) for p in report.pdf_paths]
    assert rig.stack.cupsd is not None
    assert printed.parent == rig.stack.cupsd.output_dir
    text = subprocess.run(
        ["pdftotext", str(printed), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "DUPONT" in text.upper()

    new = charges(rig)[charged_before:]
    assert [c.amount_cents for c in new] == [250]
    assert PaymentJournal(rig.kiosk.config.payment.journal).get(report.operation_id).state is (
        PaymentState.COMPLETED
    )
    (record,) = [r for r in central_records(rig) if r.operation_id == report.operation_id]
    assert record.outcome == "completed"
    assert record.document_ids == (document_id,)


def test_card_removed_before_payment_wipes_the_session_and_charges_nothing(rig: Rig) -> None:
    charged_before = len(charges(rig))
    printed_before = printed_files(rig)
    to_summary(rig)
    rig.stack.remove_card()
    view = rig.state(S.ATTRACT)
    assert view.selected == ()
    assert view.pin_dots == 0
    assert len(charges(rig)) == charged_before
    assert printed_files(rig) == printed_before
    assert all(r.outcome != "completed" for r in rig.controller.reports)


@pytest.mark.parametrize("rig", [1.5], indirect=True)
def test_printer_failure_after_payment_reverses_the_charge(rig: Rig) -> None:
    stack = rig.stack
    assert stack.cupsd is not None
    connection = cups.Connection(host=stack.cupsd.server)
    connection.disablePrinter(stack.cupsd.printer_name)
    try:
        to_summary(rig)
        rig.controller.confirm_summary()
        view = rig.state(S.ERROR)
    finally:
        connection.enablePrinter(stack.cupsd.printer_name)
        for job in connection.getJobs():
            connection.cancelJob(job)
    assert view.claim_code
    rig.controller.cancel()
    rig.stack.remove_card()
    rig.state(S.ATTRACT)
    (report,) = rig.controller.reports
    assert report.outcome == "reversed"
    assert PaymentJournal(rig.kiosk.config.payment.journal).get(report.operation_id).state is (
        PaymentState.REVERSED
    )
    assert stack.terminal is not None
    assert any(r.kind == "payment" and r.reversed for r in stack.terminal.journal.records())
