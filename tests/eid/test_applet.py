"""The virtual card's applet, APDU by APDU (no transport)."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from hypothesis import given
from hypothesis import strategies as st

from hardware.eid.apdu import pin_block
from hardware.simulators.eid import CardPki, EidApplet, build_card_image, load_persona
from hardware.simulators.eid.card import decode_pin_block, parse_apdu
from hardware.simulators.eid.image import APPLET_AID

READ_ID = bytes.fromhex("00A4080C063F00DF014031")


@pytest.fixture
def marie(card_pki: CardPki) -> EidApplet:
    return EidApplet(build_card_image(load_persona("marie"), card_pki))


@pytest.fixture
def jan(card_pki: CardPki) -> EidApplet:
    return EidApplet(build_card_image(load_persona("jan"), card_pki))


def sw(response: bytes) -> str:
    return response[-2:].hex().upper()


def verify(applet: EidApplet, pin: str) -> bytes:
    return applet.process(bytes.fromhex("0020000108") + bytes(pin_block(bytearray(pin.encode()))))


@given(pin=st.text(alphabet="0123456789", min_size=4, max_size=12))
def test_pin_block_round_trip(pin: str) -> None:
    block = pin_block(bytearray(pin.encode()))
    assert len(block) == 8
    assert decode_pin_block(bytes(block)) == pin


def test_pin_block_known_values() -> None:
    assert pin_block(bytearray(b"1234")).hex().upper() == "241234FFFFFFFFFF"
    assert pin_block(bytearray(b"12345")).hex().upper() == "2512345FFFFFFFFF"


def test_select_forms(marie: EidApplet) -> None:
    assert sw(marie.process(bytes.fromhex("00A4040C0F") + APPLET_AID)) == "9000"
    assert sw(marie.process(READ_ID)) == "9000"
    assert sw(marie.process(bytes.fromhex("00A4080C04DF014031"))) == "9000"
    for fid in ("3F00", "DF01", "4031"):
        assert sw(marie.process(bytes.fromhex("00A4020C02" + fid))) == "9000"
    assert sw(marie.process(bytes.fromhex("00A4020C024031"))) == "9000"
    marie.process(bytes.fromhex("00A4020C023F00"))
    assert sw(marie.process(bytes.fromhex("00A4020C024031"))) == "6A82"
    assert sw(marie.process(bytes.fromhex("00A4080C04DF019999"))) == "6A82"
    assert sw(marie.process(bytes.fromhex("00A4080C03DF0140"))) == "6A87"
    assert sw(marie.process(bytes.fromhex("00A4080003DF01"))) == "6700"


def test_read_binary_6c_and_6b00(marie: EidApplet) -> None:
    marie.process(bytes.fromhex("00A4080C063F00DF014033"))  # the 117-byte address file
    size = len(marie.image.files[(0xDF01, 0x4033)])
    answer = marie.process(bytes.fromhex("00B00000FC"))
    assert sw(answer) == f"6C{size:02X}"
    assert len(marie.process(bytes([0, 0xB0, 0, 0, size]))) == size + 2
    assert sw(marie.process(bytes([0, 0xB0, size >> 8, size & 0xFF, 1]))) == "6B00"


def test_read_binary_without_file_is_6986(marie: EidApplet) -> None:
    assert sw(marie.process(bytes.fromhex("00B0000010"))) == "6986"


def test_get_card_data_both_forms(marie: EidApplet, jan: EidApplet) -> None:
    assert sw(marie.process(bytes.fromhex("80E4000000"))) == "6C1C"
    short = marie.process(bytes.fromhex("80E400001C"))
    assert len(short) == 30
    assert short[21] == 0x18
    long = marie.process(bytes.fromhex("80E400011F"))
    assert long[28] == 3
    assert sw(long) == "9000"
    assert jan.process(bytes.fromhex("80E400001C"))[21] == 0x17
    assert sw(jan.process(bytes.fromhex("80E400011F"))) == "6B00"


def test_verify_counts_down_blocks_and_resets(marie: EidApplet) -> None:
    assert sw(verify(marie, "0000")) == "63C2"
    assert sw(verify(marie, "1234")) == "9000"
    assert marie.tries_left == 3
    assert sw(marie.process(bytes.fromhex("00200001"))) == "9000"
    marie.reset()
    assert sw(marie.process(bytes.fromhex("00200001"))) == "63C3"
    for expected in ("63C2", "63C1", "63C0"):
        assert sw(verify(marie, "9999")) == expected
    assert sw(verify(marie, "1234")) == "6983"
    assert sw(marie.process(bytes.fromhex("00200001"))) == "6983"


def test_log_off_forgets_the_pin(marie: EidApplet) -> None:
    verify(marie, "1234")
    assert marie.pin_verified
    assert sw(marie.process(bytes.fromhex("80E60000"))) == "9000"
    assert not marie.pin_verified


def test_malformed_pin_block_counts_as_wrong(marie: EidApplet) -> None:
    assert (
        sw(marie.process(bytes.fromhex("0020000108") + bytes.fromhex("1412 34FF FFFF FFFF")))
        == "63C2"
    )


def test_internal_authenticate_with_get_response(marie: EidApplet) -> None:
    challenge = hashlib.sha384(b"kiosk nonce").digest()
    first = marie.process(bytes.fromhex("00880281329430") + challenge)
    assert sw(first) == "6160"
    signature = marie.process(bytes.fromhex("00C0000060"))
    assert sw(signature) == "9000"
    raw = signature[:-2]
    der = utils.encode_dss_signature(
        int.from_bytes(raw[:48], "big"), int.from_bytes(raw[48:], "big")
    )
    public = serialization.load_der_public_key(marie.image.files[(0xDF01, 0x4040)])
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(der, challenge, ec.ECDSA(utils.Prehashed(hashes.SHA384())))


def test_unknown_instruction_and_class(marie: EidApplet) -> None:
    assert sw(marie.process(bytes.fromhex("00FE0000"))) == "6D00"
    assert sw(marie.process(bytes.fromhex("FFC2010000"))) == "6E00"


def test_apdu_parser_cases() -> None:
    case2 = parse_apdu(bytes.fromhex("00B00000FC"))
    assert case2 is not None
    assert case2.le == 0xFC
    assert case2.data == b""
    case4 = parse_apdu(bytes.fromhex("0088028102AABB00"))
    assert case4 is not None
    assert case4.data == b"\xaa\xbb"
    assert case4.le == 0
    assert parse_apdu(bytes.fromhex("00A4080C06AABB")) is None


def change(applet: EidApplet, current: str, new: str) -> bytes:
    blocks = bytes(pin_block(bytearray(current.encode()))) + bytes(
        pin_block(bytearray(new.encode()))
    )
    return applet.process(bytes.fromhex("0024000110") + blocks)


def test_change_reference_data(marie: EidApplet) -> None:
    assert sw(change(marie, "0000", "5678")) == "63C2"
    assert sw(change(marie, "1234", "5678")) == "9000"
    assert marie.tries_left == 3
    assert sw(verify(marie, "1234")) == "63C2"
    assert sw(verify(marie, "5678")) == "9000"
    bad_new = bytes(pin_block(bytearray(b"5678"))) + bytes.fromhex("1412 34FF FFFF FFFF")
    assert sw(marie.process(bytes.fromhex("0024000110") + bad_new)) == "6A80"
    assert sw(marie.process(bytes.fromhex("0024000108") + bad_new[:8])) == "6700"
    assert sw(marie.process(bytes.fromhex("0024000210") + bad_new)) == "6A88"
    assert sw(marie.process(bytes.fromhex("0024010110") + bad_new)) == "6A86"
    for _ in range(3):
        change(marie, "0000", "1111")
    assert sw(change(marie, "5678", "1111")) == "6983"


def test_status_words_for_wrong_parameters_and_references(marie: EidApplet) -> None:
    assert sw(marie.process(bytes.fromhex("80E4000200"))) == "6B00"  # GET CARD DATA
    assert sw(marie.process(bytes.fromhex("80E60100"))) == "6B00"  # LOG OFF
    assert sw(marie.process(bytes.fromhex("002241B70504800284") + b"\x82")) == "6B00"
    assert sw(marie.process(bytes.fromhex("002241B60504800284") + b"\x84")) == "6A88"
    assert sw(marie.process(bytes.fromhex("002A9E9B0101"))) == "6B00"  # PSO:CDS
    challenge = bytes(48)
    assert sw(marie.process(bytes.fromhex("00880282329430") + challenge)) == "6A88"
    assert sw(marie.process(bytes.fromhex("00880381329430") + challenge)) == "6B00"
    assert sw(marie.process(bytes.fromhex("00200002"))) == "6A88"  # VERIFY, unknown PIN
    assert sw(marie.process(READ_ID)) == "9000"
    assert sw(marie.process(bytes.fromhex("00B08000FC"))) == "6B00"  # offset bit 15


def test_identity_and_address_files_start_with_the_structure_version(marie: EidApplet) -> None:
    for fid in (0x4031, 0x4033):
        content = marie.image.files[(0xDF01, fid)]
        assert content[:4] == bytes.fromhex("00020001")
