"""A resident's journey through every real layer, driven through the journey controller.

No Qt here (the UI is exercised by the autoplay test); everything else is the real thing: the
card is read through pcscd, paid on the ZVT simulator over a pty, sealed on SoftHSM2, printed by
cupsd, and recorded on the central server.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import cups
import pytest
import requests

from devstack.sim import SimStack
from hardware.payment.journal import PaymentJournal, PaymentState
from hardware.simulators.zvt.journal import TerminalRecord
from kiosk import app
from kiosk.claim_slip import claim_code
from kiosk.config import KioskConfig
from kiosk.flows.purpose import PURPOSE
from kiosk.journey import JourneyController
from kiosk.session import SessionState as S
from offline_queue.wire import (
    IssuanceRecord,
    KioskList,
    RecordPage,
    format_verification_code,
)
from printing.verify import verify_pdf
from tests.journey.conftest import Pump, Rig

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


def to_summary(
    rig: Rig, *, document: str = "household", language: str = "fr", purpose: str = "not_stated"
) -> None:
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
    c.set_document_language(language)
    c.confirm_documents()
    rig.state(PURPOSE)
    c.choose_purpose(purpose)
    rig.state(S.SUMMARY)


def finish(rig: Rig) -> None:
    rig.controller.documents_taken()
    rig.state(S.REMOVE_CARD)
    rig.stack.remove_card()
    rig.state(S.ATTRACT)


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def pinned_ca(kiosk: app.Kiosk) -> str:
    """The central's TEST CA, as the kiosk pins it (the demo central speaks only HTTPS)."""
    assert kiosk.config.central.url.startswith("https://")
    assert kiosk.config.central.ca_file is not None
    return str(kiosk.config.central.ca_file)


def central_records(rig: Rig) -> list[IssuanceRecord]:
    return records_of(rig.kiosk)


def records_of(kiosk: app.Kiosk) -> list[IssuanceRecord]:
    kiosk.sync.deliver_now().result(timeout=10)
    response = requests.get(
        f"{kiosk.config.central.url}/api/v1/records",
        headers={"Authorization": "Bearer demo-operator-token"},
        timeout=5,
        verify=pinned_ca(kiosk),
    )
    response.raise_for_status()
    page = RecordPage.model_validate(response.json())
    return [stored.record for stored in page.records]


def test_paid_journey_prints_a_sealed_certificate_and_reports_it(rig: Rig) -> None:
    charged_before = len(charges(rig))
    printed_before = printed_files(rig)
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

    # the receipt: an extra A4 job after the document, with the terminal's lines
    assert report.receipt_printed is True
    (receipt,) = printed_files(rig) - printed_before - {printed}
    receipt_text = pdf_text(receipt)
    assert "Documents imprim" in receipt_text  # (cups-pdf's copy drops the accents' mapping)
    assert document_id in receipt_text
    assert "Paiement" in receipt_text
    assert "AMOUNT EUR 2.50" in receipt_text  # the terminal's lines

    new = charges(rig)[charged_before:]
    assert [c.amount_cents for c in new] == [250]
    assert PaymentJournal(rig.kiosk.config.payment.journal).get(report.operation_id).state is (
        PaymentState.COMPLETED
    )
    (record,) = [r for r in central_records(rig) if r.operation_id == report.operation_id]
    assert record.outcome == "completed"
    assert record.document_ids == (document_id,)
    assert record.extra["receipt"] == "printed"

    answer = verify_on_central(rig, sealed.read_bytes())
    assert answer["valid"] is True
    assert answer["document_id"] == document_id
    assert answer["recorded_as_issued"] is True
    tampered = bytearray(sealed.read_bytes())
    middle = len(tampered) // 3
    tampered[middle] = tampered[middle] ^ 0x01
    assert verify_on_central(rig, bytes(tampered))["valid"] is False

    # the paper's verification code (printed under the QR code, in the QR code as `h`) is the one
    # the kiosk reported, and the public page compares it
    (code,) = record.document_codes
    printed_codes = set(re.findall(r"\b[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}\b", text))
    assert printed_codes == {format_verification_code(code)}
    (h,) = printed_codes
    page = verify_page(rig, document_id, h=h.replace("-", "").lower())
    assert page.status_code == 200
    assert "This paper matches the document issued on" in page.text
    assert f"by kiosk {rig.kiosk.config.kiosk_id}." in page.text
    assert "DUPONT" not in page.text.upper()
    wrong = f"{(int(code, 16) ^ 1):012x}"
    page = verify_page(rig, document_id, h=wrong)
    assert page.status_code == 200
    assert "the code on this paper does not match: it may have been altered" in page.text
    page = verify_page(rig, document_id, h=None)
    assert h in page.text


def verify_page(rig: Rig, document_id: str, *, h: str | None) -> requests.Response:
    """The public page the QR code opens, on the central server the kiosk reported to."""
    return requests.get(
        f"{rig.kiosk.config.central.url}/verify/{document_id}",
        params={"h": h} if h is not None else {},
        timeout=5,
        verify=pinned_ca(rig.kiosk),
    )


def verify_on_central(rig: Rig, pdf: bytes) -> dict[str, object]:
    """What anyone holding the electronic original learns from the central server."""
    response = requests.post(
        f"{rig.kiosk.config.central.url}/api/v1/verify",
        data=pdf,
        headers={"Content-Type": "application/pdf"},
        timeout=10,
        verify=pinned_ca(rig.kiosk),
    )
    response.raise_for_status()
    answer: dict[str, object] = response.json()
    return answer


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
    try:
        to_summary(rig)
        rig.controller.confirm_summary()
        rig.state(S.ISSUING)  # the printer was ready when the resident paid; it fails now
        connection.disablePrinter(stack.cupsd.printer_name)
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


def slip_printed(rig: Rig, code: str, before: set[Path]) -> bool:
    """cups-pdf may still be writing a file: an unreadable one is looked at again later."""
    for path in printed_files(rig) - before:
        done = subprocess.run(
            ["pdftotext", str(path), "-"], check=False, capture_output=True, text=True
        )
        if done.returncode == 0 and code in done.stdout:
            return True
    return False


@pytest.mark.parametrize("rig", [1.5], indirect=True)
def test_refused_reversal_prints_a_claim_slip_and_takes_the_kiosk_out_of_service(
    rig: Rig,
) -> None:
    stack = rig.stack
    assert stack.cupsd is not None
    assert stack.terminal is not None
    connection = cups.Connection(host=stack.cupsd.server)
    before = printed_files(rig)
    to_summary(rig)
    rig.controller.confirm_summary()
    rig.state(S.ISSUING)
    # the day is closed on the terminal (the charge is settled: it can no longer be reversed) and
    # the printer stops, so the order fails after payment and its reversal is refused
    stack.terminal.journal.close_day()
    connection.disablePrinter(stack.cupsd.printer_name)
    try:
        rig.state(S.REVERSING)
    finally:
        for job in connection.getJobs():
            connection.cancelJob(job)
        connection.enablePrinter(stack.cupsd.printer_name)
    view = rig.state(S.ERROR)
    assert view.error_key == "error.claim_counter"
    reference = rig.controller.alerts[0].reference
    assert reference is not None
    code = claim_code(reference)
    assert view.claim_code == code
    assert PaymentJournal(rig.kiosk.config.payment.journal).get(reference).state is (
        PaymentState.MANUAL_REVIEW
    )
    # the slip carries the code shown on screen
    rig.pump.until(rig.controller, lambda _v: slip_printed(rig, code, before), timeout=30)
    rig.controller.cancel()
    rig.stack.remove_card()
    view = rig.state(S.OUT_OF_SERVICE)
    assert view.alert_keys == ("out_of_service.reason.reversal_failed",)
    assert rig.kiosk.health.mode == "out_of_service"

    records = {r.outcome: r for r in central_records(rig) if r.extra.get("reference") == reference}
    assert records["staff_alert"].extra["claim_code"] == code
    (order,) = [r for r in central_records(rig) if r.operation_id == reference]
    assert (order.outcome, order.extra["claim_code"]) == ("reversal_failed", code)

    rig.controller.staff_acknowledge()
    rig.state(S.ATTRACT)
    assert reference not in rig.kiosk.payment.pending_reviews().result(timeout=10)


def test_printer_not_ready_before_payment_takes_no_money(rig: Rig) -> None:
    stack = rig.stack
    assert stack.cupsd is not None
    charged_before = len(charges(rig))
    connection = cups.Connection(host=stack.cupsd.server)
    to_summary(rig)
    connection.disablePrinter(stack.cupsd.printer_name)
    try:
        rig.controller.confirm_summary()
        view = rig.state(S.ERROR)
    finally:
        connection.enablePrinter(stack.cupsd.printer_name)
    assert view.error_key == "error.printer_unavailable"
    assert len(charges(rig)) == charged_before
    rig.controller.cancel()
    rig.stack.remove_card()
    view = rig.state(S.OUT_OF_SERVICE)
    assert view.alert_keys == ("printing.state.stopped",)
    (report,) = rig.controller.reports
    assert (report.outcome, report.payment_status) == ("printer_unavailable", None)
    alerts = [r for r in central_records(rig) if r.outcome == "staff_alert"]
    assert any(a.extra["key"] == "printing.state.stopped" for a in alerts)
    rig.controller.staff_acknowledge()
    rig.state(S.ATTRACT)


def test_unusable_seal_token_at_start_up_offers_nothing(
    stack: SimStack, base_config: KioskConfig
) -> None:
    assert stack.token is not None
    kiosk = app.build(base_config, token=replace(stack.token, token_label="no-such-token"))
    try:
        alerts = kiosk.ready()
        assert [a.reason for a in alerts] == ["signer_unavailable"]
        assert alerts[0].key.startswith("documents.error.seal_token")
        pump = Pump()
        controller = JourneyController(
            ports=kiosk.ports,
            settings=kiosk.settings,
            post=pump.post,
            clock=time.monotonic,
            ids=lambda: os.urandom(16).hex(),
            alerts=alerts,
        )
        assert controller.state is S.OUT_OF_SERVICE
        controller.touch()
        assert controller.state is S.OUT_OF_SERVICE
        # staff acknowledge, but the token is still missing: the kiosk stays out of service
        controller.staff_acknowledge()
        view = pump.until(controller, lambda v: len(v.alert_keys) == 1, timeout=30)
        assert view.state is S.OUT_OF_SERVICE
        records = [r for r in records_of(kiosk) if r.outcome == "staff_alert"]
        assert any(r.extra["reason"] == "signer_unavailable" for r in records)
    finally:
        kiosk.stop()


def test_heartbeat_reports_device_health_without_personal_data(rig: Rig) -> None:
    to_summary(rig)
    rig.controller.confirm_summary()
    rig.state(S.TAKE_DOCUMENTS)
    finish(rig)
    sent = rig.kiosk.sync.send_heartbeat().result(timeout=10)
    assert sent.devices["card_reader"] == "present"
    assert sent.devices["payment_terminal"] == "reachable"
    assert sent.devices["printer"] == "ready"
    assert sent.devices["seal_token"] == "ok"
    assert sent.devices["paper"] == "ok"
    assert int(sent.devices["paper_remaining"]) < 250
    assert sent.mode == "in_service"
    response = requests.get(
        f"{rig.kiosk.config.central.url}/api/v1/kiosks",
        headers={"Authorization": "Bearer demo-operator-token"},
        timeout=5,
        verify=pinned_ca(rig.kiosk),
    )
    response.raise_for_status()
    kiosks = KioskList.model_validate(response.json()).kiosks
    (status,) = [k for k in kiosks if k.kiosk_id == rig.kiosk.config.kiosk_id]
    assert status.heartbeat.devices == sent.devices
    assert "DUPONT" not in response.text.upper()


def test_a_german_certificate_carries_the_communes_german_texts(rig: Rig) -> None:
    to_summary(rig, document="residence", language="de")
    rig.controller.confirm_summary()
    rig.state(S.TAKE_DOCUMENTS)
    finish(rig)
    (report,) = rig.controller.reports
    assert report.outcome == "completed"
    (document_id,) = report.document_ids
    sealed = rig.kiosk.config.var_dir / "spool" / f"{document_id}.pdf"
    text = subprocess.run(
        ["pdftotext", str(sealed), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "Dienst Bevölkerung und Personenstand" in text
    assert "Der beauftragte Standesbeamte" in text
    assert "Service Population" not in text
