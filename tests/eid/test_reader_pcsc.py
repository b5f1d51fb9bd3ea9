"""End to end: reader → pyscard → the real pcscd → vpcd → the virtual card."""

from __future__ import annotations

import json
import os
import threading
from datetime import date

import pytest
from smartcard import scard

from hardware.eid import (
    CardExpired,
    CardMonitor,
    CardRemoved,
    CardVerificationError,
    EidReader,
    NoCard,
    PinStatus,
    TrustStore,
)
from hardware.eid.apdu import minimum_file_apdus
from hardware.eid.cli import main as eid_cli
from hardware.eid.errors import (
    NoAuthenticationCertificate,
    PinpadUnavailable,
    WrongPin,
)
from hardware.eid.verify import verify_citizen_proof
from hardware.simulators.eid import CardFaults, CardPki, load_persona
from hardware.simulators.pcscd import PcscdService
from tests.eid.conftest import InsertCard, wait_for, wait_for_removal_event

pytestmark = pytest.mark.pcsc

VALID = ["marie", "jan", "anna", "chiara", "blocked", "long", "emma", "lucas"]


@pytest.mark.parametrize("name", VALID)
def test_each_valid_persona_reads_and_verifies(
    name: str, insert_card: InsertCard, eid_reader: EidReader
) -> None:
    persona = load_persona(name)
    insert_card(name)
    with eid_reader.open_session() as session:
        result = session.read()
    identity = result.identity
    assert result.report.ok
    assert identity.national_number == persona.national_number
    assert identity.surname == persona.surname
    assert identity.first_names == persona.first_names
    assert identity.birth_date == persona.birth_date
    assert identity.sex == persona.sex
    assert identity.issuing_municipality == "Démo-sur-Meuse"
    assert result.address.street == persona.address.street
    assert result.address.zip_code == persona.address.zip_code
    expected_applet = 0x18 if persona.card_kind == "1.8" else 0x17
    assert result.card_data.applet_version == expected_applet
    assert (result.files.basic_key is not None) == (persona.card_kind == "1.8")


@pytest.mark.parametrize("name", ["marie", "jan"])
def test_read_uses_the_minimum_number_of_apdus(
    name: str, insert_card: InsertCard, eid_reader: EidReader
) -> None:
    card = insert_card(name)
    files = card.applet.image.files
    minimum = sum(
        minimum_file_apdus(files[(0xDF01, fid)]) for fid in (0x4031, 0x4032, 0x4033, 0x4034)
    ) + minimum_file_apdus(files[(0xDF00, 0x503C)], der=True)
    if (0xDF01, 0x4040) in files:
        minimum += minimum_file_apdus(files[(0xDF01, 0x4040)]) + 2  # + challenge, GET RESPONSE
    with eid_reader.open_session() as session:
        before = session.apdu_count
        result = session.read()
        assert session.apdu_count - before == minimum
    checks = {check.name for check in result.report.checks}
    assert ("basic_key_challenge" in checks) == (name == "marie")


def test_cloned_chip_is_refused(insert_card: InsertCard, eid_reader: EidReader) -> None:
    insert_card("cloned")
    with eid_reader.open_session() as session:
        lenient = session.read(strict=False)
        assert [check.name for check in lenient.report.failures] == ["basic_key_challenge"]
        with pytest.raises(CardVerificationError) as caught:
            session.read()
    assert caught.value.check == "basic_key_challenge"
    assert not caught.value.recoverable


def test_kids_cards_and_zero_length_fields(insert_card: InsertCard, eid_reader: EidReader) -> None:
    insert_card("lucas")
    with eid_reader.open_session() as session:
        lucas = session.read().identity
    assert lucas.document_type == 6
    assert (lucas.third_initial, lucas.nobility, lucas.special_status, lucas.duplicata) == (
        "",
        "",
        "",
        "",
    )
    assert lucas.birth_date_text == "08.APR.2016"


def test_photo_is_checked_against_its_hash(insert_card: InsertCard, eid_reader: EidReader) -> None:
    insert_card("marie")
    with eid_reader.open_session() as session:
        result = session.read(photo=True)
        assert "photo_hash" in {check.name for check in result.report.checks}
        assert result.files.photo is not None
        assert result.files.photo.startswith(b"\xff\xd8")
        assert session.read_photo() == result.files.photo


@pytest.mark.parametrize("name", ["marie", "jan", "lucas"])
def test_citizen_proof_with_pin_once(
    name: str, insert_card: InsertCard, eid_reader: EidReader, trust: TrustStore
) -> None:
    persona = load_persona(name)
    insert_card(name)
    nonce = os.urandom(32)
    with eid_reader.open_session() as session:
        pin = bytearray(b"1234")
        proof = session.prove_presence(nonce, pin)
        assert pin == bytearray(4)
        again = session.prove_presence(b"second nonce", None)  # PIN once: no new VERIFY
    holder = verify_citizen_proof(
        proof, nonce, trust=trust, national_number=persona.national_number
    )
    assert holder == persona.national_number
    assert verify_citizen_proof(again, b"second nonce", trust=trust) == persona.national_number
    with pytest.raises(CardVerificationError) as caught:
        verify_citizen_proof(proof, b"another nonce", trust=trust)
    assert caught.value.check == "citizen_proof"
    with pytest.raises(CardVerificationError):
        verify_citizen_proof(proof, nonce, trust=trust, national_number="72110204529" + "0")
    with pytest.raises(CardVerificationError):
        verify_citizen_proof(proof, nonce, trust=TrustStore.production())


def test_kids_card_without_key_cannot_prove(insert_card: InsertCard, eid_reader: EidReader) -> None:
    insert_card("emma")
    with eid_reader.open_session() as session, pytest.raises(NoAuthenticationCertificate):
        session.prove_presence(b"nonce", bytearray(b"1234"))


def test_citizen_proof_with_a_wrong_pin(insert_card: InsertCard, eid_reader: EidReader) -> None:
    insert_card("anna")
    with eid_reader.open_session() as session:
        with pytest.raises(WrongPin) as wrong:
            session.prove_presence(b"nonce", bytearray(b"0000"))
        assert wrong.value.tries_left == 2
        assert session.pin_tries_left() == 2


def test_vpcd_reader_has_no_pinpad(insert_card: InsertCard, eid_reader: EidReader) -> None:
    insert_card("marie")
    with eid_reader.open_session() as session:
        assert not session.has_pinpad
        with pytest.raises(PinpadUnavailable):
            session.verify_pin(None)


def test_each_operation_is_its_own_transaction(
    insert_card: InsertCard, eid_reader: EidReader
) -> None:
    insert_card("marie")
    with eid_reader.open_session() as session:
        session.read()
        code, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        try:
            code, other, _protocol = scard.SCardConnect(
                context, session.reader, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0
            )
            assert code == scard.SCARD_S_SUCCESS
            assert scard.SCardBeginTransaction(other) == scard.SCARD_S_SUCCESS, "session idle"
            scard.SCardEndTransaction(other, scard.SCARD_LEAVE_CARD)
            scard.SCardDisconnect(other, scard.SCARD_LEAVE_CARD)
        finally:
            scard.SCardReleaseContext(context)
        assert session.read().report.ok


def test_foreigner_card_and_long_names(insert_card: InsertCard, eid_reader: EidReader) -> None:
    insert_card("chiara")
    with eid_reader.open_session() as session:
        chiara = session.read().identity
    assert chiara.document_type == 33
    assert chiara.card_number == "B012345674"
    assert chiara.nationality == "Italienne"


def test_long_persona_has_third_initial_and_nobility(
    insert_card: InsertCard, eid_reader: EidReader
) -> None:
    insert_card("long")
    with eid_reader.open_session() as session:
        identity = session.read().identity
    assert identity.third_initial == "M"
    assert identity.nobility == "Chevalier"
    assert "Ødegård" in identity.surname


def test_expired_card_is_a_typed_error(insert_card: InsertCard, eid_reader: EidReader) -> None:
    insert_card("expired")
    with eid_reader.open_session() as session, pytest.raises(CardExpired) as caught:
        session.read()
    assert caught.value.translation_key == "eid.error.expired"
    assert "60050507701" not in str(caught.value)


def test_tampered_address_fails_its_signature(
    insert_card: InsertCard, eid_reader: EidReader
) -> None:
    insert_card("tampered")
    with eid_reader.open_session() as session:
        lenient = session.read(strict=False)
        assert [check.name for check in lenient.report.failures] == ["address_signature"]
        with pytest.raises(CardVerificationError) as caught:
            session.read()
    assert caught.value.check == "address_signature"


def test_production_trust_rejects_the_test_card(
    insert_card: InsertCard, reader_prefix: str
) -> None:
    insert_card("marie")
    reader = EidReader(reader_prefix=reader_prefix, trust=TrustStore.production())
    with reader.open_session() as session, pytest.raises(CardVerificationError) as caught:
        session.read()
    assert caught.value.check == "rrn_certificate"


def test_date_is_checked_against_today(insert_card: InsertCard, eid_reader: EidReader) -> None:
    insert_card("marie")
    with eid_reader.open_session() as session:
        report = session.read(strict=False, today=date(2040, 1, 1)).report
    assert [(c.name, c.detail) for c in report.failures] == [("validity", "expired")]


def test_wrong_pin_decrements_then_right_pin_resets(
    insert_card: InsertCard, eid_reader: EidReader
) -> None:
    insert_card("marie")
    with eid_reader.open_session() as session:
        assert session.pin_tries_left() == 3
        wrong = bytearray(b"9999")
        check = session.verify_pin(wrong)
        assert wrong == bytearray(4), "the PIN buffer is wiped"
        assert (check.status, check.tries_left) == (PinStatus.WRONG, 2)
        assert session.pin_tries_left() == 2
        assert session.verify_pin(bytearray(b"1234")).accepted
        assert session.pin_tries_left() == 3


def test_pin_on_applet_1_7_uses_empty_verify(
    insert_card: InsertCard, eid_reader: EidReader
) -> None:
    insert_card("jan")
    with eid_reader.open_session() as session:
        assert session.pin_tries_left() == 3
        assert session.verify_pin(bytearray(b"0000")).tries_left == 2
        assert session.pin_tries_left() == 2
        assert session.verify_pin(bytearray(b"1234")).accepted


def test_blocked_pin(insert_card: InsertCard, eid_reader: EidReader) -> None:
    insert_card("blocked")
    with eid_reader.open_session() as session:
        assert session.pin_tries_left() == 0
        check = session.verify_pin(bytearray(b"1234"))
    assert (check.status, check.tries_left) == (PinStatus.BLOCKED, 0)


def test_three_wrong_pins_block(insert_card: InsertCard, eid_reader: EidReader) -> None:
    insert_card("anna")
    with eid_reader.open_session() as session:
        statuses = [session.verify_pin(bytearray(b"0000")).status for _ in range(3)]
    assert statuses == [PinStatus.WRONG, PinStatus.WRONG, PinStatus.BLOCKED]


def test_removal_mid_read_is_card_removed(insert_card: InsertCard, eid_reader: EidReader) -> None:
    card = insert_card("marie")
    with eid_reader.open_session() as session:
        card.set_faults(remove_after_apdus=4)
        with pytest.raises(CardRemoved) as caught:
            session.read()
    assert caught.value.translation_key == "eid.error.card_removed"
    # pcscd registers the pull-out on its next presence poll; later insertions need that done.
    assert wait_for_removal_event(eid_reader.find_reader())


def test_no_card_is_a_typed_error(pcscd: PcscdService, eid_reader: EidReader) -> None:
    assert wait_for(lambda: not eid_reader.card_present())
    with pytest.raises(NoCard):
        eid_reader.open_session()


@pytest.mark.parametrize(
    "faults",
    [
        CardFaults(force_6c=True),
        CardFaults(spurious_eof_once=True),
        CardFaults(byte_delay=0.00001),
    ],
    ids=["6c-always", "spurious-eof", "slow-card"],
)
def test_reader_recovers_from_card_quirks(
    faults: CardFaults, insert_card: InsertCard, eid_reader: EidReader
) -> None:
    insert_card("marie", faults=faults)
    with eid_reader.open_session() as session:
        assert session.read().report.ok


def test_reader_recovers_from_a_dropped_link(
    insert_card: InsertCard, eid_reader: EidReader
) -> None:
    card = insert_card("marie")
    with eid_reader.open_session() as session:
        card.set_faults(drop_after_apdus=3)
        assert session.read().report.ok


def test_card_monitor_reports_insert_and_remove(
    insert_card: InsertCard, reader_prefix: str, eid_reader: EidReader
) -> None:
    events: list[str] = []
    changed = threading.Condition()

    def on_event(kind: str) -> None:
        with changed:
            events.append(kind)
            changed.notify_all()

    monitor = CardMonitor(reader_prefix=reader_prefix, on_event=on_event)
    monitor.start()
    try:
        card = insert_card("marie")
        with changed:
            assert changed.wait_for(lambda: "inserted" in events, timeout=3)
        card.remove()
        with changed:
            assert changed.wait_for(lambda: "removed" in events, timeout=3)
    finally:
        monitor.stop()
    assert events == ["inserted", "removed"]


def test_cli_reads_json_and_names_the_failure(
    insert_card: InsertCard,
    reader_prefix: str,
    card_pki: CardPki,
    capsys: pytest.CaptureFixture[str],
) -> None:
    insert_card("tampered")
    code = eid_cli(
        [
            "read",
            "--json",
            "--reader-prefix",
            reader_prefix,
            "--test-root",
            str(card_pki.test_roots_pem),
        ]
    )
    captured = capsys.readouterr()
    assert code == 2
    assert "address_signature" in captured.err
    document = json.loads(captured.out)
    assert document["identity"]["surname"] == "Dubois"
    assert document["verified"] is False


def test_pin_change_through_pcscd(insert_card: InsertCard, eid_reader: EidReader) -> None:
    card = insert_card("marie")
    with eid_reader.open_session() as session:
        wrong, new = bytearray(b"0000"), bytearray(b"5678")
        check = session.change_pin(wrong, new)
        assert (check.status, check.tries_left) == (PinStatus.WRONG, 2)
        assert wrong == bytearray(4)
        assert new == bytearray(4)
        assert session.change_pin(bytearray(b"1234"), bytearray(b"5678")).accepted
        assert session.verify_pin(bytearray(b"1234")).status is PinStatus.WRONG
        assert session.verify_pin(bytearray(b"5678")).accepted
    assert card.applet.pin == "5678"
