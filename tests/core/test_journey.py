from __future__ import annotations

import json
import logging
import re

import pytest

from hardware.errors import BorneError, DeviceTimeout
from kiosk.journey import REPORTS_KEPT, JourneyController, JourneyView
from kiosk.ports import PaymentNotTaken, PaymentStatus
from kiosk.session import SessionState
from tests.core.fakes import NATIONAL_NUMBER, Rig, pump_until

S = SessionState


def now(controller: JourneyController) -> SessionState:
    return controller.state


def choose(rig: Rig, *documents: str, doc_lang: str | None = None) -> JourneyView:
    c = rig.controller
    for d in documents:
        c.toggle_document(d)
    if doc_lang:
        c.set_document_language(doc_lang)
    c.confirm_documents()
    return rig.pump()


def record_reference(rig: Rig) -> str:
    (record,) = rig.fakes.outbox.records
    return record.operation_id


def test_paid_journey_completes(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    c = rig.controller
    view = rig.to_pin(language="nl")
    assert view.state is S.PIN
    assert view.tries_left == 3
    assert view.language == "nl"
    assert view.document_language == "nl"
    view = rig.enter_pin("1234")
    assert view.state is S.CHOOSE_DOCUMENTS
    assert rig.fakes.card.received_pins == [b"1234"]
    assert [o.document_type for o in view.offered] == ["household", "residence", "life"]
    view = choose(rig, "residence", "household", doc_lang="fr")
    assert view.state is S.SUMMARY
    assert view.selected == ("household", "residence")
    assert view.total_cents == 500
    c.confirm_summary()
    view = rig.pump()
    assert view.state is S.TAKE_DOCUMENTS
    assert view.issued == ("household", "residence")
    assert rig.fakes.payment.net_charged == 500
    assert rig.fakes.payment.completed == [record_reference(rig)]
    assert rig.fakes.printer.printed == ["household", "residence"]
    assert [r.language for r in rig.fakes.issuer.requests] == ["fr", "fr"]
    (record,) = rig.fakes.outbox.records
    assert record.outcome == "completed"
    assert record.amount_cents == 500
    assert record.receipt_number == "R0001"
    assert len(record.document_ids) == 2
    assert record.document_codes == tuple(map(rig.fakes.issuer.code_of, record.document_ids))
    c.documents_taken()
    assert now(c) is S.REMOVE_CARD
    rig.fakes.card.remove()
    assert now(c) is S.ATTRACT
    rig.pump()
    assert rig.fakes.card.end_sessions == 1

    (report,) = c.reports
    assert report.outcome == "completed"
    assert report.documents == ("household", "residence")
    assert len(report.pdf_paths) == 2
    assert report.payment_status == "approved"
    assert {"read_holder", "verify_pin", "register_extract", "payment", "outbox"} <= set(
        report.steps_ms
    )
    assert {"issue.household", "print.residence"} <= set(report.steps_ms)
    json.dumps(report.as_dict())

    states = [v.state for v in rig.views]
    assert states[0] is S.LANGUAGE
    assert S.PAYMENT in states
    assert S.ISSUING in states
    for v in rig.views:
        assert NATIONAL_NUMBER not in repr(v)
        assert "Peeters" not in repr(v)
    clock = {"created", "msecs", "relativeCreated", "thread", "process"}  # digits by chance
    logged = "\n".join(
        f"{r.getMessage()} { {k: v for k, v in r.__dict__.items() if k not in clock} }"
        for r in caplog.records
    )
    assert "1234" not in logged
    assert NATIONAL_NUMBER not in logged


def test_pin_buffer_shows_dots_only_and_is_wiped(rig: Rig) -> None:
    c = rig.controller
    rig.to_pin()
    for d in "12345":
        c.pin_digit(d)
    c.pin_erase()
    c.pin_digit("x")
    c.pin_digit("\u0663")  # a digit, but not one the card accepts
    assert c.view.pin_dots == 4
    assert c.view.pin_ready
    c.pin_submit()
    assert c.view.pin_dots == 0
    assert len(c._pin) == 0
    rig.pump()
    assert rig.fakes.card.received_pins == [b"1234"]


def test_short_pin_is_not_submitted(rig: Rig) -> None:
    rig.to_pin()
    view = rig.enter_pin("12")
    assert view.state is S.PIN
    assert rig.fakes.card.received_pins == []


def test_free_order_skips_payment(rig: Rig) -> None:
    rig.to_pin()
    rig.enter_pin("1234")
    choose(rig, "life")
    rig.controller.confirm_summary()
    view = rig.pump()
    assert view.state is S.TAKE_DOCUMENTS
    assert S.PAYMENT not in [v.state for v in rig.views]
    assert rig.fakes.payment.charged == {}
    assert rig.fakes.outbox.records[0].payment_status == "none"


def test_documents_without_verification_codes_are_recorded_without_codes(rig: Rig) -> None:
    rig.fakes.issuer.with_codes = False
    rig.to_pin()
    rig.enter_pin("1234")
    choose(rig, "life")
    rig.controller.confirm_summary()
    assert rig.pump().state is S.TAKE_DOCUMENTS
    (record,) = rig.fakes.outbox.records
    assert len(record.document_ids) == 1
    assert record.document_codes == ()


def test_wrong_pin_shows_tries_left_then_blocks(rig: Rig) -> None:
    rig.to_pin()
    view = rig.enter_pin("9999")
    assert (view.state, view.tries_left, view.notice_key) == (S.PIN, 2, "pin.wrong")
    view = rig.enter_pin("9999")
    assert (view.state, view.tries_left, view.notice_key) == (S.PIN, 1, "pin.last_try")
    view = rig.enter_pin("9999")
    assert view.state is S.ERROR
    assert view.error_key == "eid.error.pin_blocked"
    assert not view.can_retry
    rig.controller.cancel()
    assert now(rig.controller) is S.REMOVE_CARD
    assert rig.controller.reports[-1].outcome == "failed"


def test_blocked_card_never_asks_the_pin(rig: Rig) -> None:
    rig.fakes.card.tries = 0
    view = rig.to_pin()
    assert view.state is S.ERROR
    assert view.error_key == "eid.error.pin_blocked"


def test_card_read_error_shows_its_key(rig: Rig) -> None:
    rig.fakes.card.read_error = BorneError("expired", translation_key="eid.error.expired")
    view = rig.to_pin()
    assert (view.state, view.error_key, view.can_retry) == (S.ERROR, "eid.error.expired", False)


def test_card_timeout_can_be_retried(rig: Rig) -> None:
    rig.fakes.card.read_error = DeviceTimeout("slow", device="eid")
    view = rig.to_pin()
    assert (view.state, view.can_retry) == (S.ERROR, True)
    rig.fakes.card.read_error = None
    rig.controller.retry()
    assert rig.pump().state is S.PIN


@pytest.mark.parametrize("at", [S.PIN, S.CHOOSE_DOCUMENTS, S.SUMMARY, S.READING])
def test_card_removed_before_payment_wipes_and_charges_nothing(rig: Rig, at: S) -> None:
    c = rig.controller
    c.touch()
    c.choose_language("fr")
    rig.fakes.card.insert()
    if at is not S.READING:
        rig.pump()
        rig.enter_pin("1234")
    if at is S.SUMMARY:
        choose(rig, "household")
    if at is S.PIN:
        c.cancel()  # back to the beginning, card still in
        rig.fakes.card.remove()
        c.touch()
        c.choose_language("fr")
        rig.fakes.card.insert()
        rig.pump()
    assert now(c) is at
    rig.fakes.card.remove()
    assert now(c) is S.ATTRACT
    rig.pump()  # late results of the wiped session are dropped
    assert now(c) is S.ATTRACT
    assert c._s.holder is None
    assert rig.fakes.payment.charged == {}
    assert rig.fakes.printer.printed == []
    assert rig.fakes.outbox.records == []
    assert c.reports[-1].outcome == "abandoned"


def test_card_removed_while_paying_reverses_a_late_approval(rig: Rig) -> None:
    c = rig.controller
    rig.to_pin()
    rig.enter_pin("1234")
    choose(rig, "household")
    rig.fakes.payment.hold = True
    c.confirm_summary()
    assert now(c) is S.SUMMARY  # the printer is checked first
    rig.pump()
    assert now(c) is S.PAYMENT
    rig.fakes.card.remove()
    assert now(c) is S.ATTRACT
    assert c.view.prompt_key == "attract.please_wait"
    c.touch()
    assert now(c) is S.ATTRACT  # not before the pending charge is settled
    rig.fakes.payment.release()
    rig.pump()
    assert rig.fakes.payment.net_charged == 0
    assert rig.fakes.printer.printed == []
    assert [r.outcome for r in rig.fakes.outbox.records] == ["abandoned_reversed"]
    assert not c.reconciling
    c.touch()
    assert now(c) is S.LANGUAGE


def test_print_failure_after_payment_reverses_with_claim(rig: Rig) -> None:
    rig.fakes.printer.complete = False
    rig.to_pin()
    rig.enter_pin("1234")
    choose(rig, "household")
    rig.controller.confirm_summary()
    view = rig.pump()
    assert view.state is S.ERROR
    assert view.error_key == "error.claim_refunded"
    assert view.claim_code is not None
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", view.claim_code)
    assert view.error_params == {"claim": view.claim_code}
    assert S.REVERSING in [v.state for v in rig.views]
    assert rig.fakes.payment.net_charged == 0
    (record,) = rig.fakes.outbox.records
    assert (record.outcome, record.extra["error_key"]) == ("reversed", "printing.error")


def test_issue_failure_without_payment_is_recorded(rig: Rig) -> None:
    rig.fakes.issuer.fail_on = "life"
    rig.to_pin()
    rig.enter_pin("1234")
    choose(rig, "life")
    rig.controller.confirm_summary()
    view = rig.pump()
    assert (view.state, view.error_key, view.claim_code) == (S.ERROR, "error.device", None)
    assert rig.fakes.outbox.records[0].outcome == "failed"


def test_card_removed_while_issuing_completes_the_order(rig: Rig) -> None:
    c = rig.controller
    rig.to_pin()
    rig.enter_pin("1234")
    choose(rig, "household", "residence")
    c.confirm_summary()
    pump_until(rig, S.ISSUING)
    rig.fakes.card.remove()
    assert now(c) is S.ISSUING
    view = rig.pump()
    assert view.state is S.TAKE_DOCUMENTS
    assert rig.fakes.printer.printed == ["household", "residence"]
    c.documents_taken()
    assert now(c) is S.ATTRACT  # no card to remove
    assert c.reports[-1].outcome == "completed"


def test_declined_payment_can_be_retried(rig: Rig) -> None:
    rig.fakes.payment.status = PaymentStatus.DECLINED
    rig.to_pin()
    rig.enter_pin("1234")
    choose(rig, "household")
    rig.controller.confirm_summary()
    view = rig.pump()
    assert (view.state, view.error_key, view.can_retry) == (S.ERROR, "payment.declined", True)
    rig.controller.retry()
    assert now(rig.controller) is S.SUMMARY
    rig.fakes.payment.status = PaymentStatus.APPROVED
    rig.controller.confirm_summary()
    assert rig.pump().state is S.TAKE_DOCUMENTS


def test_cancelled_payment_returns_to_summary(rig: Rig) -> None:
    rig.fakes.payment.status = PaymentStatus.CANCELLED
    rig.to_pin()
    rig.enter_pin("1234")
    choose(rig, "household")
    rig.controller.confirm_summary()
    view = rig.pump()
    assert (view.state, view.notice_key) == (S.SUMMARY, "payment.cancelled")
    assert rig.fakes.payment.charged == {}


def test_payment_prompts_reach_the_view(rig: Rig) -> None:
    rig.to_pin()
    rig.enter_pin("1234")
    choose(rig, "household")
    rig.fakes.payment.hold = True
    rig.controller.confirm_summary()
    rig.pump()
    rig.controller._order.payment_prompt(rig.controller._epoch, "payment.status.enter_pin")
    assert rig.controller.view.payment_prompt_key == "payment.status.enter_pin"


def test_unknown_payment_goes_to_the_counter(rig: Rig) -> None:
    rig.fakes.payment.status = PaymentStatus.UNKNOWN
    rig.to_pin()
    rig.enter_pin("1234")
    choose(rig, "household")
    rig.controller.confirm_summary()
    view = rig.pump()
    assert (view.state, view.error_key) == (S.ERROR, "error.claim_counter")
    assert rig.fakes.outbox.records[0].outcome == "payment_unknown"
    assert rig.fakes.printer.printed == []


@pytest.mark.parametrize("key", ["payment.terminal_busy", "payment.terminal_error"])
def test_a_busy_or_refusing_terminal_charged_nothing_and_calls_no_one(rig: Rig, key: str) -> None:
    rig.fakes.payment.error = PaymentNotTaken("no transaction started", translation_key=key)
    rig.to_pin()
    rig.enter_pin("1234")
    choose(rig, "household")
    rig.controller.confirm_summary()
    view = rig.pump()
    assert (view.state, view.error_key) == (S.ERROR, key)
    assert view.error_params == {}  # no claim code: nothing to claim
    assert rig.controller.alerts == ()
    assert [r.outcome for r in rig.fakes.outbox.records] == []
    assert rig.fakes.printer.printed == []
    rig.fakes.payment.error = None
    rig.controller.retry()  # back to the summary, and the resident may pay now
    assert rig.pump().state is S.SUMMARY


def test_payments_suspended_calls_staff_without_a_claim_code(rig: Rig) -> None:
    rig.fakes.payment.error = PaymentNotTaken(
        "suspended", translation_key="payment.unavailable", suspended=True
    )
    rig.to_pin()
    rig.enter_pin("1234")
    choose(rig, "household")
    rig.controller.confirm_summary()
    view = rig.pump()
    assert (view.state, view.error_key) == (S.ERROR, "payment.unavailable")
    assert "claim" not in view.error_params
    assert [a.reason for a in rig.controller.alerts] == ["payments_suspended"]
    assert rig.fakes.printer.printed == []  # no claim slip for a payment never attempted


def test_inactivity_warns_then_ends_the_session(rig: Rig) -> None:
    c = rig.controller
    rig.to_pin()
    rig.clock.now += 45
    c.tick()
    assert c.view.timeout_warning_s == 15
    c.extend_time()
    view: JourneyView = c.view
    assert view.timeout_warning_s is None
    rig.clock.now += 59
    c.tick()
    assert now(c) is S.PIN
    rig.clock.now += 1
    c.tick()
    assert now(c) is S.REMOVE_CARD
    assert c.reports[-1].outcome == "timed_out"
    rig.clock.now += 31
    c.tick()
    assert c.view.prompt_key == "remove_card.alert"
    rig.fakes.card.remove()
    assert now(c) is S.ATTRACT


def test_language_timeout_without_card_returns_to_attract(rig: Rig) -> None:
    c = rig.controller
    c.touch()
    rig.clock.now += 61
    c.tick()
    assert now(c) is S.ATTRACT


def test_card_first_then_language(rig: Rig) -> None:
    c = rig.controller
    rig.fakes.card.insert()
    assert now(c) is S.LANGUAGE
    c.choose_language("de")
    assert rig.pump().state is S.PIN
    assert c.view.document_language == "de"


def test_back_and_cancel(rig: Rig) -> None:
    c = rig.controller
    c.touch()
    c.choose_language("en")
    assert c.view.document_language == "fr"  # English is not a document language here
    c.back()
    assert now(c) is S.LANGUAGE
    c.cancel()
    assert now(c) is S.ATTRACT
    assert c.reports[-1].outcome == "cancelled"


def test_confirm_needs_a_document(rig: Rig) -> None:
    rig.to_pin()
    rig.enter_pin("1234")
    rig.controller.confirm_documents()
    assert now(rig.controller) is S.CHOOSE_DOCUMENTS
    rig.controller.toggle_document("passport")
    assert rig.controller.view.selected == ()


def test_cancel_on_the_payment_screen_aborts_the_terminal_and_returns_to_the_summary(
    rig: Rig,
) -> None:
    c = rig.controller
    rig.to_pin()
    rig.enter_pin("1234")
    choose(rig, "household")
    rig.fakes.payment.hold = True
    rig.fakes.payment.status = PaymentStatus.CANCELLED  # what the terminal answers the abort
    c.confirm_summary()
    rig.pump()
    assert now(c) is S.PAYMENT
    c.cancel()
    assert rig.fakes.payment.cancels == 1
    assert now(c) is S.PAYMENT  # the terminal answers the abort; the screen waits for it
    rig.fakes.payment.release()
    rig.pump()
    assert now(c) is S.SUMMARY
    assert rig.fakes.payment.net_charged == 0


def test_card_removed_while_paying_aborts_the_terminal(rig: Rig) -> None:
    c = rig.controller
    rig.to_pin()
    rig.enter_pin("1234")
    choose(rig, "household")
    rig.fakes.payment.hold = True
    c.confirm_summary()
    rig.pump()
    assert now(c) is S.PAYMENT
    rig.fakes.card.remove()
    assert rig.fakes.payment.cancels == 1
    rig.fakes.payment.release()
    rig.pump()


def test_the_last_declined_attempt_offers_no_retry(rig: Rig) -> None:
    c = rig.controller
    rig.to_pin()
    rig.enter_pin("1234")
    choose(rig, "household")
    rig.fakes.payment.status = PaymentStatus.DECLINED
    rig.fakes.payment.reason = "payment.too_many_attempts"
    c.confirm_summary()
    rig.pump()
    assert now(c) is S.ERROR
    assert c.view.error_key == "payment.too_many_attempts"
    c.retry()
    assert now(c) is S.ERROR  # no Retry after the order's last attempt


def test_the_controller_keeps_a_bounded_number_of_reports(rig: Rig) -> None:
    c = rig.controller
    seen: list[str] = []
    c.on_report(lambda report: seen.append(report.operation_id))
    for _ in range(REPORTS_KEPT + 5):
        view = rig.to_pin()
        assert view.state is S.PIN
        c.cancel()
        rig.fakes.card.remove()
        rig.pump()
        assert now(c) is S.ATTRACT
    assert len(seen) == REPORTS_KEPT + 5
    assert len(c.reports) == REPORTS_KEPT
    assert [r.operation_id for r in c.reports] == seen[-REPORTS_KEPT:]
