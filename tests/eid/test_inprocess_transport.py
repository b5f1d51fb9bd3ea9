"""The reader over the in-process transport: the virtual card without pcscd (the demo's fallback).

The same `EidReader` / `EidSession` / `CardMonitor` as on pcscd; only the transport differs, so the
card's rules (61xx, 6Cxx, PIN, verification) are exercised exactly as they are on the real stack.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest

from hardware.eid import (
    CardExpired,
    CardMonitor,
    CardRemoved,
    CardVerificationError,
    EidReader,
    NoCard,
    PinStatus,
    ReaderNotFound,
    TrustStore,
)
from hardware.eid import transport as eid_transport
from hardware.eid.apdu import minimum_file_apdus
from hardware.eid.errors import WrongPin
from hardware.eid.verify import verify_citizen_proof
from hardware.simulators.eid import CardPki, InProcessCardTransport, load_persona
from hardware.simulators.eid.persona import list_personas
from tests.eid.test_reader_pcsc import VALID

ALL = sorted(info.name for info in list_personas())


@pytest.fixture
def transport(card_pki: CardPki) -> InProcessCardTransport:
    return InProcessCardTransport("marie", pki_dir=card_pki.directory)


@pytest.fixture
def reader(transport: InProcessCardTransport, trust: TrustStore) -> EidReader:
    return EidReader(reader_prefix="Borne in-process", trust=trust, transport=transport)


def test_every_persona_is_covered() -> None:
    assert set(VALID) | {"cloned", "expired", "tampered"} == set(ALL)


@pytest.mark.parametrize("name", VALID)
def test_each_valid_persona_reads_and_verifies(
    name: str, transport: InProcessCardTransport, reader: EidReader
) -> None:
    persona = load_persona(name)
    transport.swap(name)
    with reader.open_session() as session:
        result = session.read(photo=True)
    assert result.report.ok
    assert result.identity.national_number == persona.national_number
    assert result.identity.surname == persona.surname
    assert result.identity.birth_date == persona.birth_date
    assert result.address.street == persona.address.street
    assert result.card_data.applet_version == (0x18 if persona.card_kind == "1.8" else 0x17)
    assert result.atr == transport.applet.atr


def test_failing_personas_fail_as_on_pcscd(
    transport: InProcessCardTransport, reader: EidReader
) -> None:
    transport.swap("expired")
    with reader.open_session() as session, pytest.raises(CardExpired):
        session.read()
    transport.swap("tampered")
    with reader.open_session() as session, pytest.raises(CardVerificationError) as caught:
        session.read()
    assert caught.value.check == "address_signature"
    transport.swap("cloned")
    with reader.open_session() as session:
        failures = session.read(strict=False).report.failures
    assert [check.name for check in failures] == ["basic_key_challenge"]


@pytest.mark.parametrize("name", ["marie", "jan"])
def test_reader_rules_stay_in_the_reader(
    name: str, transport: InProcessCardTransport, reader: EidReader
) -> None:
    """The transport passes 6Cxx / 61xx through; the reader still needs its minimum of APDUs."""
    transport.swap(name)
    files = transport.applet.image.files
    minimum = sum(
        minimum_file_apdus(files[(0xDF01, fid)]) for fid in (0x4031, 0x4032, 0x4033, 0x4034)
    ) + minimum_file_apdus(files[(0xDF00, 0x503C)], der=True)
    if (0xDF01, 0x4040) in files:
        minimum += minimum_file_apdus(files[(0xDF01, 0x4040)]) + 2
    with reader.open_session() as session:
        before = transport.apdu_count
        session.read()
        assert transport.apdu_count - before == minimum


def test_pin_wrong_then_right_then_blocked(
    transport: InProcessCardTransport, reader: EidReader
) -> None:
    transport.swap("anna")
    with reader.open_session() as session:
        assert not session.has_pinpad
        assert session.pin_tries_left() == 3
        wrong = bytearray(b"0000")
        assert session.verify_pin(wrong).status is PinStatus.WRONG
        assert wrong == bytearray(4)
        assert session.verify_pin(bytearray(b"1234")).accepted
        statuses = [session.verify_pin(bytearray(b"0000")).status for _ in range(3)]
    assert statuses == [PinStatus.WRONG, PinStatus.WRONG, PinStatus.BLOCKED]
    transport.swap("blocked")
    with reader.open_session() as session:
        check = session.verify_pin(bytearray(b"1234"))
    assert (check.status, check.tries_left) == (PinStatus.BLOCKED, 0)


def test_citizen_proof_with_pin_once(
    transport: InProcessCardTransport, reader: EidReader, trust: TrustStore
) -> None:
    nonce = os.urandom(32)
    transport.insert()
    with reader.open_session() as session:
        proof = session.prove_presence(nonce, bytearray(b"1234"))
        again = session.prove_presence(b"again", None)
    transport.swap("jan")
    with reader.open_session() as session, pytest.raises(WrongPin) as wrong:
        session.prove_presence(b"x", bytearray(b"0000"))
    assert wrong.value.tries_left == 2
    national_number = load_persona("marie").national_number
    assert verify_citizen_proof(proof, nonce, trust=trust) == national_number
    assert verify_citizen_proof(again, b"again", trust=trust) == national_number


def test_no_card_removal_and_unknown_reader(
    transport: InProcessCardTransport, reader: EidReader, trust: TrustStore
) -> None:
    assert not reader.card_present()
    with pytest.raises(NoCard):
        reader.open_session()
    transport.insert()
    assert reader.card_present()
    with reader.open_session() as session:
        transport.remove()
        with pytest.raises(CardRemoved) as caught:
            session.read()
    assert caught.value.translation_key == "eid.error.card_removed"
    transport.insert()
    with reader.open_session() as session:
        assert session.read().report.ok
    with pytest.raises(ReaderNotFound):
        EidReader(reader_prefix="Virtual PCD", trust=trust, transport=transport).find_reader()


@pytest.fixture
def monitor_events(
    transport: InProcessCardTransport,
) -> Iterator[tuple[list[str], threading.Condition]]:
    events: list[str] = []
    changed = threading.Condition()

    def on_event(kind: str) -> None:
        with changed:
            events.append(kind)
            changed.notify_all()

    monitor = CardMonitor(reader_prefix="Borne", on_event=on_event, transport=transport)
    monitor.start()
    try:
        yield events, changed
    finally:
        monitor.stop()


def test_card_monitor_reports_insert_and_remove(
    transport: InProcessCardTransport, monitor_events: tuple[list[str], threading.Condition]
) -> None:
    events, changed = monitor_events
    for _ in range(2):
        transport.insert()
        with changed:
            assert changed.wait_for(lambda: events[-1:] == ["inserted"], timeout=3)
        transport.remove()
        with changed:
            assert changed.wait_for(lambda: events[-1:] == ["removed"], timeout=3)
    assert events == ["inserted", "removed", "inserted", "removed"]


def test_a_plugged_in_reader_is_reached_by_its_name(
    transport: InProcessCardTransport, trust: TrustStore
) -> None:
    """What lets an adapter's `CardMonitor(reader_prefix=...)` find the in-process card."""
    eid_transport.plug_in(transport.reader_name, transport)
    try:
        assert eid_transport.transport_for("Borne in-process") is transport
        assert isinstance(eid_transport.transport_for(""), eid_transport.PcscTransport)
        assert isinstance(eid_transport.transport_for("Virtual PCD"), eid_transport.PcscTransport)
        transport.insert()
        reader = EidReader(reader_prefix="Borne in-process", trust=trust)
        with reader.open_session() as session:
            assert session.read().report.ok
    finally:
        eid_transport.unplug(transport.reader_name)
    assert isinstance(eid_transport.transport_for("Borne"), eid_transport.PcscTransport)
