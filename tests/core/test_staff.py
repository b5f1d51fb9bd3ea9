"""Receipt, claim slip, staff alerts and the out-of-service state, with the fake ports."""

from __future__ import annotations

from pathlib import Path

from hardware.errors import BorneError
from kiosk.claim_slip import claim_code
from kiosk.journey import JourneyController, JourneyView
from kiosk.ports import CardEventKind, PaymentStatus, StaffAlert
from kiosk.session import SessionState
from printing.errors import TokenError
from tests.core.fakes import Rig, pump_until

S = SessionState


def now(controller: JourneyController) -> SessionState:
    return controller.state


def to_summary(rig: Rig, *documents: str) -> JourneyView:
    rig.to_pin()
    rig.enter_pin("1234")
    for d in documents or ("household",):
        rig.controller.toggle_document(d)
    rig.controller.confirm_documents()
    return rig.pump()


def alerts(rig: Rig) -> list[dict[str, str]]:
    return [r.extra for r in rig.fakes.outbox.records if r.outcome == "staff_alert"]


def end_session(rig: Rig) -> JourneyView:
    rig.controller.cancel()
    rig.fakes.card.remove()
    return rig.pump()


def test_paid_order_ends_with_a_receipt_after_the_last_document(rig: Rig) -> None:
    lines = ("BANCONTACT", "EUR 5.00")
    rig.fakes.payment.receipt_lines = lines
    to_summary(rig, "household", "residence")
    rig.controller.confirm_summary()
    view = rig.pump()
    assert view.state is S.TAKE_DOCUMENTS
    (receipt,) = rig.fakes.printer.receipts
    assert receipt.terminal_lines == lines
    assert [(i.document_type, i.price_cents) for i in receipt.items] == [
        ("household", 250),
        ("residence", 250),
    ]
    assert [i.document_id for i in receipt.items] == [
        r.document_id for r in rig.fakes.issuer.requests
    ]
    assert receipt.language == "fr"
    (record,) = rig.fakes.outbox.records
    assert record.extra["receipt"] == "printed"
    rig.controller.documents_taken()
    rig.fakes.card.remove()
    assert rig.controller.reports[-1].receipt_printed is True
    assert rig.controller.state is S.ATTRACT


def test_free_order_prints_no_receipt(rig: Rig) -> None:
    to_summary(rig, "life")
    rig.controller.confirm_summary()
    assert rig.pump().state is S.TAKE_DOCUMENTS
    assert rig.fakes.printer.receipts == []
    assert rig.fakes.printer.checks == 1


def test_receipt_failure_does_not_fail_the_order(rig: Rig) -> None:
    rig.fakes.printer.receipt_error = BorneError("jam", translation_key="printing.error.generic")
    to_summary(rig)
    rig.controller.confirm_summary()
    view = rig.pump()
    assert view.state is S.TAKE_DOCUMENTS
    assert rig.fakes.payment.reversed == []
    assert rig.fakes.payment.completed == [rig.fakes.outbox.records[0].operation_id]
    (record,) = rig.fakes.outbox.records
    assert (record.outcome, record.extra["receipt"]) == ("completed", "failed")


def test_refused_reversal_prints_a_claim_slip_and_calls_staff(rig: Rig) -> None:
    c = rig.controller
    rig.fakes.payment.reverse_ok = False
    rig.fakes.printer.complete = False
    to_summary(rig)
    c.confirm_summary()
    view = rig.pump()
    assert (view.state, view.error_key) == (S.ERROR, "error.claim_counter")
    reference = rig.fakes.outbox.records[0].operation_id
    assert view.claim_code == claim_code(reference)
    ((slip, language),) = rig.fakes.printer.slips
    assert (slip.claim_code, slip.reference, language) == (view.claim_code, reference, "fr")
    assert [r.outcome for r in rig.fakes.outbox.records] == ["reversal_failed", "staff_alert"]
    (alert,) = alerts(rig)
    assert alert == {
        "reason": "reversal_failed",
        "key": "out_of_service.reason.reversal_failed",
        "reference": reference,
        "claim_code": view.claim_code,
    }
    assert rig.fakes.outbox.records[0].extra["claim_code"] == view.claim_code
    view = end_session(rig)
    assert view.state is S.OUT_OF_SERVICE
    assert view.alert_keys == ("out_of_service.reason.reversal_failed",)
    assert c.reports[-1].outcome == "reversal_failed"
    c.touch()
    rig.fakes.card.insert()
    assert rig.pump().state is S.OUT_OF_SERVICE  # nobody is served
    rig.fakes.card.remove()
    c.staff_acknowledge()
    assert rig.pump().state is S.ATTRACT
    assert rig.fakes.payment.acknowledged == [reference]
    assert c.alerts == ()
    c.touch()
    assert c.state is S.LANGUAGE


def test_refused_reversal_with_the_card_gone_goes_straight_out_of_service(rig: Rig) -> None:
    rig.fakes.payment.reverse_ok = False
    rig.fakes.printer.complete = False
    to_summary(rig)
    rig.controller.confirm_summary()
    pump_until(rig, S.ISSUING)
    rig.fakes.card.remove()
    assert rig.pump().state is S.ERROR
    rig.controller.cancel()
    assert rig.pump().state is S.OUT_OF_SERVICE


def test_unknown_payment_prints_a_claim_slip_and_calls_staff(rig: Rig) -> None:
    rig.fakes.payment.status = PaymentStatus.UNKNOWN
    to_summary(rig)
    rig.controller.confirm_summary()
    view = rig.pump()
    reference = rig.fakes.outbox.records[0].operation_id
    assert view.claim_code == claim_code(reference)
    ((slip, _),) = rig.fakes.printer.slips
    assert slip.claim_code == view.claim_code
    assert [a["reason"] for a in alerts(rig)] == ["payment_unknown"]
    assert end_session(rig).state is S.OUT_OF_SERVICE


def test_printer_not_ready_takes_no_payment(rig: Rig) -> None:
    rig.fakes.printer.state = "paper_out"
    to_summary(rig)
    rig.controller.confirm_summary()
    view = rig.pump()
    assert (view.state, view.error_key) == (S.ERROR, "error.printer_unavailable")
    assert rig.fakes.payment.charged == {}
    assert rig.fakes.issuer.requests == []
    assert S.PAYMENT not in [v.state for v in rig.views]
    assert [a["key"] for a in alerts(rig)] == ["printing.state.paper_out"]
    outcomes = [r.outcome for r in rig.fakes.outbox.records]
    assert outcomes == ["staff_alert", "printer_unavailable"]
    view = end_session(rig)
    assert (view.state, view.alert_keys) == (S.OUT_OF_SERVICE, ("printing.state.paper_out",))


def test_confirming_twice_while_the_printer_is_checked_pays_once(rig: Rig) -> None:
    to_summary(rig)
    rig.controller.confirm_summary()
    rig.controller.confirm_summary()
    assert rig.pump().state is S.TAKE_DOCUMENTS
    assert rig.fakes.printer.checks == 1
    assert len(rig.fakes.payment.charged) == 1


def test_alerts_at_start_up_keep_the_kiosk_out_of_service(tmp_path: Path) -> None:
    signer = StaffAlert(reason="signer_unavailable", key="documents.error.seal_token_missing")
    review = StaffAlert(
        reason="manual_review", key="out_of_service.reason.manual_review", reference="op-old"
    )
    rig = Rig(tmp_path, alerts=(signer, review))
    c = rig.controller
    assert c.state is S.OUT_OF_SERVICE
    assert c.view.alert_keys == (signer.key, review.key)
    assert [a["reason"] for a in alerts(rig)] == ["signer_unavailable", "manual_review"]
    c.touch()
    rig.fakes.card.insert()
    rig.pump()
    assert c.state is S.OUT_OF_SERVICE
    assert rig.fakes.card.end_sessions == 0

    # the token is still missing: staff's acknowledgement does not bring the kiosk back
    rig.fakes.issuer.check_error = TokenError(
        "no token", translation_key="documents.error.seal_token_missing"
    )
    c.staff_acknowledge()
    assert rig.pump().state is S.OUT_OF_SERVICE
    assert rig.fakes.payment.acknowledged == ["op-old"]
    keys: tuple[str, ...] = c.view.alert_keys
    assert keys == ("documents.error.seal_token_missing",)
    rig.fakes.issuer.check_error = None
    rig.fakes.card.remove()
    c.staff_acknowledge()
    assert rig.pump().state is S.ATTRACT
    assert rig.fakes.issuer.checks == 2
    rig.fakes.completer.close()


def test_abandoned_payment_whose_reversal_fails_calls_staff(rig: Rig) -> None:
    c = rig.controller
    rig.fakes.payment.reverse_ok = False
    to_summary(rig)
    rig.fakes.payment.hold = True
    c.confirm_summary()
    rig.pump()
    assert now(c) is S.PAYMENT
    rig.fakes.card.remove()
    assert now(c) is S.ATTRACT
    rig.fakes.payment.release()
    rig.pump()
    assert now(c) is S.OUT_OF_SERVICE
    assert [a["reason"] for a in alerts(rig)] == ["reversal_failed"]
    assert "abandoned_reversal_failed" in [r.outcome for r in rig.fakes.outbox.records]


def test_staff_acknowledge_outside_out_of_service_does_nothing(rig: Rig) -> None:
    rig.controller.staff_acknowledge()
    assert rig.controller.state is S.ATTRACT
    assert rig.fakes.issuer.checks == 0


def test_a_dead_card_service_takes_the_kiosk_out_of_service_until_it_is_back(rig: Rig) -> None:
    c = rig.controller
    rig.fakes.card.signal(CardEventKind.READER_UNAVAILABLE)
    view = rig.pump()
    assert view.state is S.OUT_OF_SERVICE
    assert view.alert_keys == ("eid.error.no_reader",)
    rig.fakes.card.signal(CardEventKind.READER_UNAVAILABLE)  # reported again: one alert
    assert rig.pump().alert_keys == ("eid.error.no_reader",)
    rig.fakes.card.signal(CardEventKind.READER_RESTORED)
    assert rig.pump().state is S.ATTRACT  # no staff needed once the reader answers again
    assert now(c) is S.ATTRACT


def test_a_dead_card_service_during_a_session_ends_it_and_calls_staff(rig: Rig) -> None:
    c = rig.controller
    to_summary(rig)
    rig.fakes.card.signal(CardEventKind.READER_UNAVAILABLE)
    view = rig.pump()
    assert view.state is S.ERROR
    assert view.error_key == "error.device_unavailable"
    c.cancel()  # the resident dismisses the message
    assert rig.pump().state is S.OUT_OF_SERVICE
    assert rig.fakes.payment.net_charged == 0


def test_reader_restored_leaves_other_alerts_for_staff(rig: Rig) -> None:
    c = rig.controller
    c.raise_alert(StaffAlert(reason="printer_unavailable", key="printing.state.paper_out"))
    rig.fakes.card.signal(CardEventKind.READER_UNAVAILABLE)
    rig.fakes.card.signal(CardEventKind.READER_RESTORED)
    view = rig.pump()
    assert view.state is S.OUT_OF_SERVICE
    assert view.alert_keys == ("printing.state.paper_out",)


def test_an_unknown_payment_at_start_up_keeps_the_kiosk_out_of_service_until_resolved(
    tmp_path: Path,
) -> None:
    unknown = StaffAlert(
        reason="payment_unknown", key="out_of_service.reason.payment_unknown", reference="op-u"
    )
    rig = Rig(tmp_path, alerts=(unknown,))
    c = rig.controller
    assert c.state is S.OUT_OF_SERVICE
    rig.fakes.card.insert()
    c.touch()
    rig.pump()
    assert c.state is S.OUT_OF_SERVICE  # nobody reaches the PIN, let alone a claim code
    # the terminal still cannot say what became of it: staff's acknowledgement is not enough
    rig.fakes.payment.still_unknown = True
    c.staff_acknowledge()
    assert rig.pump().state is S.OUT_OF_SERVICE
    assert c.view.alert_keys == ("out_of_service.reason.payment_unknown",)
    assert rig.fakes.issuer.checks == 0
    # looked up again once the terminal answers: back in service
    rig.fakes.payment.still_unknown = False
    rig.fakes.card.remove()
    c.staff_acknowledge()
    assert rig.pump().state is S.ATTRACT
    assert rig.fakes.payment.acknowledged == ["op-u", "op-u"]
    rig.fakes.completer.close()
