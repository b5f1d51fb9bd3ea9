"""The journey's citizen-proof step: after the PIN, the card signs the central's nonce, and the
register's data is asked for only with that proof; a refused proof ends with a translated error."""

from __future__ import annotations

import json
from pathlib import Path

from kiosk.session import SessionState
from offline_queue.errors import CitizenProofRefused
from tests.core.fakes import NATIONAL_NUMBER, Rig

S = SessionState
I18N = Path(__file__).resolve().parents[2] / "assets" / "i18n"


def test_the_card_signs_the_nonce_the_register_issued(rig: Rig) -> None:
    rig.to_pin()
    view = rig.enter_pin("1234")
    assert view.state is S.CHOOSE_DOCUMENTS
    assert rig.fakes.card.proved == rig.fakes.register.nonces
    assert len(rig.fakes.register.nonces) == 1
    assert rig.fakes.register.asked == [NATIONAL_NUMBER]


def test_a_refused_proof_shows_a_translated_error_and_releases_nothing(rig: Rig) -> None:
    rig.fakes.register.proof_error = CitizenProofRefused(
        "citizen proof refused", status=403, code="register.proof_refused"
    )
    rig.to_pin()
    view = rig.enter_pin("1234")
    assert view.state is S.ERROR
    assert view.error_key == "error.citizen_proof_refused"
    assert rig.fakes.register.asked == []
    for language in ("fr", "nl", "de", "en"):
        texts = json.loads((I18N / f"{language}.json").read_text(encoding="utf-8"))
        assert texts[view.error_key].strip()
