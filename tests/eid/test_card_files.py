"""The virtual card's file system and signing commands (applet logic only, no transport)."""

from __future__ import annotations

import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from hardware.eid.apdu import (
    FEATURE_VERIFY_PIN_DIRECT,
    parse_features,
    pin_block,
    pin_verify_structure,
)
from hardware.eid.model import Identity
from hardware.eid.verify import raw_to_der_signature, trim_der
from hardware.simulators.eid import CardPki, EidApplet, build_card_image, load_persona

DF_BELPIC = 0xDF00
SELECT_BELPIC = bytes.fromhex("00A4080C043F00DF00")
MSE_AUTH_EC = bytes.fromhex("002241B60504800284") + b"\x82"
MSE_SIGN_EC = bytes.fromhex("002241B60504800284") + b"\x83"


def applet(name: str, pki: CardPki) -> EidApplet:
    return EidApplet(build_card_image(load_persona(name), pki))


def sw(response: bytes) -> str:
    return response[-2:].hex().upper()


def verify(card: EidApplet, pin: str = "1234") -> bytes:
    return card.process(bytes.fromhex("0020000108") + bytes(pin_block(bytearray(pin.encode()))))


def pso(card: EidApplet, digest: bytes) -> bytes:
    first = card.process(bytes([0x00, 0x2A, 0x9E, 0x9A, len(digest)]) + digest)
    if first[-2] != 0x61:
        return first
    return card.process(bytes([0x00, 0xC0, 0x00, 0x00, first[-1]]))


def _paths(der_file: bytes) -> list[bytes]:
    """Every 4- or 6-byte OCTET STRING that starts with 3F00 (the paths in PKCS#15 files)."""
    found = []
    for index in range(len(der_file) - 2):
        size = der_file[index + 1]
        value = der_file[index + 2 : index + 2 + size]
        if der_file[index] == 0x04 and size in (2, 4, 6) and value[:2] == b"\x3f\x00":
            found.append(value)
    return found


@pytest.mark.parametrize("name", ["marie", "jan"])
def test_pkcs15_files_point_at_existing_files(name: str, card_pki: CardPki) -> None:
    files = applet(name, card_pki).image.files
    odf_paths = _paths(files[(DF_BELPIC, 0x5031)])
    assert [p.hex().upper() for p in odf_paths] == ["3F00DF005035", "3F00DF005037", "3F00DF005034"]
    for path in odf_paths:
        assert (DF_BELPIC, int.from_bytes(path[4:], "big")) in files
    cdf_targets = [int.from_bytes(p[4:], "big") for p in _paths(files[(DF_BELPIC, 0x5037)])]
    assert cdf_targets == [0x5038, 0x5039, 0x503A, 0x503B]
    assert b"Basic PIN" in files[(DF_BELPIC, 0x5034)]
    assert b"Authentication" in files[(DF_BELPIC, 0x5035)]
    token_info = files[(DF_BELPIC, 0x5032)]
    assert token_info[7:23] == Identity.from_file(files[(0xDF01, 0x4031)]).chip_number
    assert len(token_info) == token_info[1] + 2
    assert files[(0x3F00, 0x2F00)].startswith(bytes.fromhex("61234F0C"))


@pytest.mark.parametrize(("name", "padding_size"), [("marie", 1100), ("jan", 50)])
def test_certificates_are_zero_padded_and_name_the_citizen(
    name: str, padding_size: int, card_pki: CardPki
) -> None:
    persona = load_persona(name)
    files = applet(name, card_pki).image.files
    for fid, role in ((0x5038, "Authentication"), (0x5039, "Signature")):
        content = files[(DF_BELPIC, fid)]
        der = trim_der(content)
        assert content[len(der) :] == bytes(padding_size)
        certificate = x509.load_der_x509_certificate(der)
        serial = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value
        common = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        assert serial == persona.national_number
        assert common == f"{persona.first_names.split()[0]} {persona.surname} ({role})"
        assert "Citizen CA" in certificate.issuer.rfc4514_string()
    assert len(files[(0xDF01, 0x4033)]) == 117


def test_kids_card_has_an_empty_authentication_certificate(card_pki: CardPki) -> None:
    files = applet("emma", card_pki).image.files
    assert files[(DF_BELPIC, 0x5038)] == bytes(2500)
    assert files[(DF_BELPIC, 0x5039)] == bytes(2500)


def test_pso_needs_a_security_environment_and_the_pin(card_pki: CardPki) -> None:
    card = applet("marie", card_pki)
    digest = hashlib.sha384(b"nonce").digest()
    assert sw(pso(card, digest)) == "6985"
    assert sw(card.process(SELECT_BELPIC)) == "9000"
    assert sw(card.process(MSE_AUTH_EC)) == "9000"
    assert sw(pso(card, digest)) == "6982"
    assert sw(verify(card)) == "9000"
    answer = pso(card, digest)
    assert sw(answer) == "9000"
    assert len(answer) == 98
    certificate = x509.load_der_x509_certificate(trim_der(card.image.files[(DF_BELPIC, 0x5038)]))
    key = certificate.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    key.verify(raw_to_der_signature(answer[:-2]), b"nonce", ec.ECDSA(hashes.SHA384()))
    # "PIN once": the authentication key signs again without a new VERIFY, until LOG OFF.
    assert sw(card.process(bytes.fromhex("00A4080C043F00DF01"))) == "9000"
    assert sw(pso(card, digest)) == "9000"
    assert sw(card.process(bytes.fromhex("80E60000"))) == "9000"
    assert sw(pso(card, digest)) == "6982"


def test_signature_key_wants_the_pin_just_before(card_pki: CardPki) -> None:
    card = applet("marie", card_pki)
    digest = hashlib.sha384(b"document").digest()
    assert sw(card.process(MSE_SIGN_EC)) == "9000"
    assert sw(verify(card)) == "9000"
    assert sw(pso(card, digest)) == "9000"
    assert sw(pso(card, digest)) == "6982", "one signature per VERIFY"
    assert sw(verify(card)) == "9000"
    card.process(SELECT_BELPIC)
    card.process(SELECT_BELPIC)
    assert sw(pso(card, digest)) == "6982", "two commands in between are too many"
    assert sw(verify(card)) == "9000"
    card.process(SELECT_BELPIC)
    assert sw(pso(card, digest)) == "9000"


def test_wrong_pin_clears_the_right_to_sign(card_pki: CardPki) -> None:
    card = applet("marie", card_pki)
    digest = hashlib.sha384(b"nonce").digest()
    card.process(MSE_AUTH_EC)
    assert sw(verify(card)) == "9000"
    assert sw(verify(card, "9999")) == "63C2"
    assert sw(pso(card, digest)) == "6982"


def test_rsa_card_signs_pkcs1_over_sha256(card_pki: CardPki) -> None:
    card = applet("jan", card_pki)
    digest = hashlib.sha256(b"nonce").digest()
    assert sw(card.process(bytes.fromhex("002241B60504800284") + b"\x02")) == "6A88"
    assert sw(card.process(bytes.fromhex("002241B60504800884") + b"\x82")) == "9000"
    assert sw(verify(card)) == "9000"
    answer = pso(card, digest)
    assert sw(answer) == "9000"
    certificate = x509.load_der_x509_certificate(trim_der(card.image.files[(DF_BELPIC, 0x5038)]))
    key = certificate.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(answer[:-2], b"nonce", padding.PKCS1v15(), hashes.SHA256())


def test_kids_card_without_key_refuses_to_sign(card_pki: CardPki) -> None:
    card = applet("emma", card_pki)
    assert sw(card.process(MSE_AUTH_EC)) == "9000"
    assert sw(verify(card)) == "9000"
    assert sw(pso(card, hashlib.sha384(b"x").digest())) == "6985"


def test_cloned_chip_basic_key_file_is_not_the_chips_key(card_pki: CardPki) -> None:
    card = applet("cloned", card_pki)
    assert card.image.basic_key is not None
    own = card.image.basic_key.public_key().public_numbers()
    stored = card.image.files[(0xDF01, 0x4040)]
    assert hashlib.sha384(stored).digest() in card.image.files[(0xDF01, 0x4031)]
    assert own.x.to_bytes(48, "big") not in stored


@given(
    features=st.dictionaries(
        st.integers(min_value=1, max_value=0x20), st.integers(min_value=0, max_value=2**32 - 1)
    )
)
def test_feature_list_round_trip(features: dict[int, int]) -> None:
    encoded = b"".join(bytes([tag, 4]) + code.to_bytes(4, "big") for tag, code in features.items())
    assert parse_features(encoded) == features


def test_pin_verify_structure_matches_the_reference() -> None:
    expected = bytes.fromhex("1E1E8947040C0402010409 00000000 0D000000 002000010820FFFFFFFFFFFFFF")
    assert pin_verify_structure(language="en") == expected
    assert pin_verify_structure(language="fr")[9:11] == bytes.fromhex("080C")
    assert parse_features(bytes.fromhex("06044200")) == {}
    assert FEATURE_VERIFY_PIN_DIRECT in parse_features(bytes.fromhex("060442000D48"))


@given(
    r=st.integers(min_value=1, max_value=2**384 - 1),
    s=st.integers(min_value=1, max_value=2**384 - 1),
)
def test_raw_signature_conversion(r: int, s: int) -> None:
    from cryptography.hazmat.primitives.asymmetric import utils  # noqa: PLC0415

    raw = r.to_bytes(48, "big") + s.to_bytes(48, "big")
    assert utils.decode_dss_signature(raw_to_der_signature(raw)) == (r, s)


def test_pkcs15_directory_files_are_the_specification_bytes(card_pki: CardPki) -> None:
    """AODF and PrKDF of an applet 1.8 card, as the card content specification v5.4 lists them."""
    files = applet("marie", card_pki).image.files
    aodf = (
        "3033 300F 0C09 426173696320504 94E 0302 06C0 3003 0401 01"
        " A11B 3019 0302 020C 0A01 00 0201 04 0201 08 8001 01 0401 FF 3004 0402 3F00"
    )
    assert files[(DF_BELPIC, 0x5034)] == bytes.fromhex(aodf.replace(" ", ""))
    authentication = (
        "A03A 3017 0C0E 41757468656E7469636174696F6E 0302 06C0 0401 01"
        " 300F 0401 02 0302 0520 0302 03B8 0202 0082"
        " A10E 300C 3006 0404 3F00DF00 0202 0180"
    )
    signature = (
        "A039 3015 0C09 5369676E6174757265 0302 06C0 0401 01 0201 01"
        " 3010 0401 03 0303 060040 0302 03B8 0202 0083"
        " A10E 300C 3006 0404 3F00DF00 0202 0180"
    )
    expected = bytes.fromhex((authentication + signature).replace(" ", ""))
    assert files[(DF_BELPIC, 0x5035)] == expected


def test_personas_fit_the_card_field_maxima(card_pki: CardPki) -> None:
    from dataclasses import replace  # noqa: PLC0415

    from hardware.simulators.eid.image import FieldTooLong  # noqa: PLC0415
    from hardware.simulators.eid.persona import PersonaAddress  # noqa: PLC0415

    persona = load_persona("long")
    assert len(persona.address.street.encode()) <= 60
    too_long = replace(
        persona,
        address=PersonaAddress(street="R" * 61, zip_code="5999", municipality="Démo-sur-Meuse"),
    )
    with pytest.raises(FieldTooLong):
        build_card_image(too_long, card_pki)
    with pytest.raises(FieldTooLong):
        build_card_image(replace(persona, surname="N" * 91), card_pki)
