"""My requests on the real stack: a resident obtains a certificate, comes back, and after their PIN
the list shows it, with the code printed on it. The list comes from the real central over TLS,
against a second proof the virtual eID card signs through pcscd over a fresh nonce; the central
audits the lookup with the national number masked."""

from __future__ import annotations

import re

import pytest

from hardware.simulators.eid import load_persona
from kiosk.flows.my_requests import MY_REQUESTS
from kiosk.session import SessionState as S
from tests.journey.conftest import Rig
from tests.journey.test_citizen_proof_journey import _audits
from tests.journey.test_real_stack import finish, pdf_text, to_summary

pytestmark = [pytest.mark.pcsc, pytest.mark.hsm, pytest.mark.cups, pytest.mark.central]


def test_the_certificate_obtained_earlier_is_listed_with_its_code(rig: Rig) -> None:
    assert rig.stack.central is not None
    to_summary(rig, document="life")
    rig.controller.confirm_summary()
    rig.state(S.TAKE_DOCUMENTS)
    finish(rig)
    (report,) = rig.controller.reports
    (document_id,) = report.document_ids
    rig.kiosk.sync.deliver_now().result(timeout=10)  # the record is at the central
    sealed = rig.kiosk.config.var_dir / "spool" / f"{document_id}.pdf"
    (printed_code,) = set(re.findall(r"\b[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}\b", pdf_text(sealed)))

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
    view = rig.state(S.CHOOSE_DOCUMENTS)
    assert view.requests_offered
    c.open_my_requests()
    view = rig.state(MY_REQUESTS)
    listed = {d.document_id: d for d in view.earlier}
    assert document_id in listed
    earlier = listed[document_id]
    assert earlier.document_type == "life"
    assert earlier.commune
    assert earlier.verification_code == printed_code  # as on the paper (pdftotext)
    audits = _audits(rig.stack.central, rig.kiosk.config.kiosk_id)
    assert audits[0].outcome == "requests_listed"
    assert audits[0].national_number_masked == "*" * 11
    number = load_persona(rig.stack.persona).national_number
    assert number not in rig.stack.central.log_path.read_text(encoding="utf-8")
    c.back()
    rig.state(S.CHOOSE_DOCUMENTS)
    c.cancel()
