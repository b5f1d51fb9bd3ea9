"""The citizen proof in the resident's journey, on the real stack (pcscd + vpcd + virtual eID, the
central over HTTPS with the kiosk enrolled under its own key).

After the PIN the card signs the central's nonce with its Authentication key; the central releases
the register's data only then, and audits the lookup with the national number masked. A central
that does not trust the card's (TEST) Citizen CA refuses the proof, and the resident sees the
translated error before anything is charged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from central import citizen_proof as cp
from central.process import RunningCentral, start_central
from central.store import SqlCentralStore
from devstack.enrollment import enroll_demo_kiosk
from devstack.sim import SimStack
from hardware.simulators.eid import load_persona
from kiosk import app
from kiosk.adapters.kiosk_key import Pkcs11KioskKey
from kiosk.config import KioskConfig
from kiosk.session import SessionState as S
from tests.journey.conftest import Rig, ready_rig

pytestmark = [pytest.mark.pcsc, pytest.mark.hsm, pytest.mark.central]

I18N = Path(__file__).resolve().parents[2] / "assets" / "i18n"


def _rig(stack: SimStack, config: KioskConfig) -> Rig:
    assert stack.token is not None
    kiosk = app.build(config, token=stack.token, print_output=config.printing.output_dir)
    return ready_rig(kiosk, stack)


def _through_pin(rig: Rig) -> None:
    c = rig.controller
    c.touch()
    rig.state(S.LANGUAGE)
    c.choose_language("nl")
    rig.state(S.INSERT_CARD)
    rig.stack.insert_card()
    rig.state(S.PIN)
    for digit in rig.stack.pin:
        c.pin_digit(digit)
    c.pin_submit()


def _audits(central: RunningCentral, kiosk_id: str) -> list[cp.LookupAudit]:
    assert central.db_url is not None
    store = SqlCentralStore(central.db_url, migrate=False)
    try:
        return cp.CitizenProofs(store.engine, trust=cp.citizen_trust(())).audits(kiosk_id=kiosk_id)
    finally:
        store.close()


@pytest.fixture
def rig(stack: SimStack, base_config: KioskConfig) -> Iterator[Rig]:
    built = _rig(stack, base_config)
    try:
        yield built
    finally:
        if stack.card is not None:
            stack.card.remove()
        built.kiosk.stop()


def test_the_register_answers_after_the_card_proves_its_holder_is_here(rig: Rig) -> None:
    assert rig.stack.central is not None
    _through_pin(rig)
    rig.state(S.CHOOSE_DOCUMENTS)
    number = load_persona(rig.stack.persona).national_number
    latest = _audits(rig.stack.central, rig.kiosk.config.kiosk_id)[0]
    assert (latest.outcome, latest.national_number_masked) == ("found", "*" * 11)
    log = rig.stack.central.log_path.read_text(encoding="utf-8")
    assert number not in log
    rig.controller.cancel()


def test_a_proof_the_central_does_not_trust_ends_with_a_translated_error(
    stack: SimStack, base_config: KioskConfig, tmp_path: Path
) -> None:
    """A central pinning only the real Belgian roots: the virtual card's TEST CA is refused."""
    assert stack.central is not None
    central = base_config.central
    assert central.ca_file is not None
    token = app.kiosk_key_token(base_config)
    assert token is not None  # the demo kiosk's key lives in its SoftHSM2 token
    tls_dir = central.ca_file.parent
    with start_central(
        db_path=tmp_path / "strict.sqlite3",
        tls=(tls_dir / "server.cert.pem", tls_dir / "server.key.pem"),
    ) as strict:
        assert strict.db_url is not None
        key = Pkcs11KioskKey.open_or_create(token)
        try:
            enroll_demo_kiosk(
                central_url=strict.url,
                db_url=strict.db_url,
                kiosk_id=base_config.kiosk_id,
                key=key,
                ca_file=central.ca_file,
            )
        finally:
            key.close()
        config = replace(base_config, central=replace(central, url=strict.url))
        rig = _rig(stack, config)
        try:
            _through_pin(rig)
            view = rig.state(S.ERROR)
            assert view.error_key == "error.citizen_proof_refused"
            texts = json.loads((I18N / "nl.json").read_text(encoding="utf-8"))
            assert texts[view.error_key]
            (audit,) = _audits(strict, base_config.kiosk_id)
            assert audit.outcome == "register.proof_refused"
        finally:
            if stack.card is not None:
                stack.card.remove()
            rig.kiosk.stop()


def test_a_card_without_an_authentication_key_is_told_before_the_pin(rig: Rig) -> None:
    """A Kids-ID has no Authentication key: it cannot prove its holder, so no PIN is asked."""
    card = rig.stack.card
    assert card is not None
    card.swap("emma")
    rig.stack.remove_card()
    seen: list[S] = []
    rig.controller.on_change(lambda view: seen.append(view.state))
    try:
        c = rig.controller
        c.touch()
        rig.state(S.LANGUAGE)
        c.choose_language("de")
        rig.state(S.INSERT_CARD)
        rig.stack.insert_card()
        view = rig.state(S.ERROR)
        assert view.error_key == "eid.error.no_authentication_certificate"
        assert S.PIN not in seen
    finally:
        card.swap(rig.stack.persona)
        rig.stack.remove_card()
