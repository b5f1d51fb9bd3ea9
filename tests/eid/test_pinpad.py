"""The pinpad path: a reader simulated at the SCardControl level only, everything else real.

The reader's answers come from PC/SC part 10 v2.02.09 (see `hardware.simulators.eid.pinpad`); the
structure the kiosk sends is checked against eid-mw's bytes for the eID, and the VERIFY the reader
builds from the typed digits against the eID's PIN block (ISO 9564 format 2, `2N` then BCD, F
padded) as the virtual card decodes it. The VERIFY goes through pcscd to the virtual card.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from smartcard import scard

from hardware.eid import EidReader, PinStatus, TrustStore
from hardware.eid.apdu import CM_IOCTL_GET_FEATURE_REQUEST, parse_features, pin_verify_structure
from hardware.eid.errors import CardCommunicationError, PinEntryCancelled, PinEntryTimeout
from hardware.eid.transport import set_control_handler
from hardware.eid.verify import verify_citizen_proof
from hardware.simulators.eid import load_persona
from hardware.simulators.eid.card import decode_pin_block
from hardware.simulators.eid.pinpad import (
    BAD_PARAMETER,
    SimulatedPinpad,
    parse_verify_structure,
    place_pin,
)
from tests.eid.conftest import InsertCard

# eid-mw's PIN_VERIFY_STRUCTURE for the eID (pinpad.cpp, with wLangId 0409 written high byte
# first as eid-mw does), the reference's §4.2
EID_MW_STRUCTURE = bytes.fromhex("1E1E8947040C0402010409000000000D000000002000010820FFFFFFFFFFFFFF")
# a CCID pinpad's GET_FEATURE_REQUEST entry for VERIFY_PIN_DIRECT: tag 06, length 04, control code
# SCARD_CTL_CODE(0x06 + CLASS2_IOCTL_MAGIC 0x330000) on pcsc-lite, big-endian (part 10 §2.3)
CCID_VERIFY_PIN_DIRECT_TLV = bytes.fromhex("06 04 42 33 00 06")


@pytest.fixture
def pinpad(reader_prefix: str) -> Iterator[SimulatedPinpad]:
    reader = SimulatedPinpad()
    set_control_handler(reader_prefix, reader)
    yield reader
    set_control_handler(reader_prefix, None)


class NoLine:
    """A card line that must not be used (the answer comes from the reader alone)."""

    def transmit(self, apdu: bytes) -> tuple[int, bytes]:  # pragma: no cover - a failure path
        raise AssertionError("the reader sent an APDU")


def test_feature_list_is_the_ccid_drivers() -> None:
    code, answer = SimulatedPinpad().control(CM_IOCTL_GET_FEATURE_REQUEST, b"", NoLine())  # type: ignore[arg-type]
    assert code == scard.SCARD_S_SUCCESS
    assert answer == CCID_VERIFY_PIN_DIRECT_TLV
    assert parse_features(answer) == {0x06: 0x42330006}


def test_the_kiosks_structure_is_eid_mws() -> None:
    assert pin_verify_structure(language="en") == EID_MW_STRUCTURE
    request = parse_verify_structure(EID_MW_STRUCTURE)
    assert (request.timeout_s, request.timeout2_s) == (30, 30)
    assert (request.min_digits, request.max_digits) == (4, 12)
    assert request.validation == 0x02  # the OK key
    assert request.bcd
    assert request.pin_offset_bytes == 1
    assert (request.length_bits, request.block_bytes, request.length_position_bits) == (4, 7, 4)
    assert request.apdu == bytes.fromhex("002000010820FFFFFFFFFFFFFF")


def test_reader_fills_the_eid_pin_block() -> None:
    request = parse_verify_structure(EID_MW_STRUCTURE)
    assert place_pin(request, "1234") == bytes.fromhex("00200001082412 34FFFFFFFFFF")
    assert place_pin(request, "123456789012")[5:] == bytes.fromhex("2C123456789012FF")


@given(st.text(alphabet="0123456789", min_size=4, max_size=12))
def test_any_typed_pin_reaches_the_card_as_typed(digits: str) -> None:
    apdu = place_pin(parse_verify_structure(EID_MW_STRUCTURE), digits)
    assert apdu[:5] == bytes.fromhex("0020000108")
    assert decode_pin_block(apdu[5:]) == digits


def test_a_truncated_structure_is_a_bad_parameter() -> None:
    code, answer = SimulatedPinpad().control(0x42330006, EID_MW_STRUCTURE[:-1], NoLine())  # type: ignore[arg-type]
    assert (code, answer) == (scard.SCARD_S_SUCCESS, BAD_PARAMETER)


def test_pinpad_verify_and_reader_statuses_through_pcscd(
    insert_card: InsertCard, eid_reader: EidReader, pinpad: SimulatedPinpad
) -> None:
    insert_card("marie")
    with eid_reader.open_session() as session:
        assert session.has_pinpad
        pinpad.type_pin("9999")
        check = session.verify_pin(None, language="nl")
        assert (check.status, check.tries_left) == (PinStatus.WRONG, 2)
        assert pinpad.structures[0][9:11] == bytes.fromhex("0813")
        pinpad.time_out()
        with pytest.raises(PinEntryTimeout):
            session.verify_pin(None)
        pinpad.cancel()
        with pytest.raises(PinEntryCancelled):
            session.verify_pin(None)
        pinpad.type_pin("12")
        with pytest.raises(CardCommunicationError):  # 6403: the reader refuses a short PIN itself
            session.verify_pin(None)
        assert session.pin_tries_left() == 2, "reader statuses cost no try"
        pinpad.type_pin("1234")
        assert session.verify_pin(None).accepted
        assert session.pin_tries_left() == 3
    assert pinpad.sent[0][5:] == bytes.fromhex("249999FFFFFFFFFF")


def test_citizen_proof_after_the_pinpad(
    insert_card: InsertCard, eid_reader: EidReader, pinpad: SimulatedPinpad, trust: TrustStore
) -> None:
    persona = load_persona("marie")
    insert_card("marie")
    nonce = os.urandom(32)
    with eid_reader.open_session() as session:
        pinpad.type_pin("1234")
        assert session.verify_pin(None).accepted
        proof = session.prove_presence(nonce, None)  # PIN once: no second entry on the reader
        assert pinpad.entries == 1
    assert verify_citizen_proof(proof, nonce, trust=trust) == persona.national_number
    with eid_reader.open_session() as session:  # a new session: the reader asks again
        pinpad.type_pin("1234")
        proof = session.prove_presence(nonce, None)
        assert pinpad.entries == 2
    assert verify_citizen_proof(proof, nonce, trust=trust) == persona.national_number
