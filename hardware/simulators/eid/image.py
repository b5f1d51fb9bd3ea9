"""Build the file system image of a virtual eID card from a persona and the test PKI."""

from __future__ import annotations

import functools
import hashlib
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from hardware.eid import tlv
from hardware.simulators.eid.persona import Persona
from hardware.simulators.eid.pki import CardPki, Issued, PrivateKey, issue_citizen_certificate

ATR_1_8 = bytes.fromhex("3B7F96000080318065B085040120120FFF829000")
ATR_1_7 = bytes.fromhex("3B9813400AA503010101AD1311")

APPLET_AID = bytes.fromhex("A00000003029057000AD13100101FF")
PKCS15_AID = bytes.fromhex("A000000177504B43532D3135")

MF = 0x3F00
DF_BELPIC = 0xDF00
DF_ID = 0xDF01

ADDRESS_FILE_SIZE = 117
FILE_STRUCTURE_VERSION = b"\x00\x01"  # tag 00, first in the identity and address files

# Current maxima (bytes) of the fields a persona fills (ID_ADRESSE v5): a card holds no more.
IDENTITY_MAXIMA = {
    0x01: 12, 0x05: 47, 0x06: 11, 0x07: 90, 0x08: 75, 0x09: 3, 0x0A: 65, 0x0B: 60, 0x0C: 12,
    0x0D: 1, 0x0E: 30, 0x0F: 2, 0x10: 1,
}  # fmt: skip
ADDRESS_MAXIMA = {0x01: 60, 0x02: 4, 0x03: 47}
ADDRESS_SIGNATURE_SIZE_EC = 120
CERT_PADDING = {"1.8": 1100, "1.7": 50}
EMPTY_CERT_SIZE = {"1.8": 2500, "1.7": 1300}

KEY_AUTHENTICATION = 0x82
KEY_SIGNATURE = 0x83

_MONTHS = {
    "fr": ("JAN", "FEV", "MARS", "AVR", "MAI", "JUIN", "JUIL", "AOUT", "SEPT", "OCT", "NOV", "DEC"),
    "nl": ("JAN", "FEB", "MAAR", "APR", "MEI", "JUN", "JUL", "AUG", "SEP", "OKT", "NOV", "DEC"),
    "de": ("JAN", "FEB", "MÄR", "APR", "MAI", "JUN", "JUL", "AUG", "SEP", "OKT", "NOV", "DEZ"),
}
_WOMAN = {"fr": "F", "nl": "V", "de": "W"}


@dataclass(frozen=True, slots=True, kw_only=True)
class CardImage:
    """What a card holds: ATR, GET CARD DATA bytes, files by (DF, EF), PIN and keys."""

    persona: str
    applet_version: int
    atr: bytes
    card_data: bytes  # the 28 bytes of GET CARD DATA P2=00
    files: dict[tuple[int, int], bytes]
    pin: str
    pin_tries: int
    basic_key: ec.EllipticCurvePrivateKey | None  # the chip's key (differs from 4040 if cloned)
    citizen_keys: dict[int, PrivateKey]  # key reference (0x82, 0x83) → private key


def birth_date_text(day: date, language: str) -> str:
    month = _MONTHS[language][day.month - 1]
    if language == "de":
        return f"{day.day:02d}.{month}.{day.year:04d}"
    return f"{day.day:02d} {month} {day.year:04d}"


def _card_date(day: date) -> bytes:
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}".encode()


def _chip_serial(persona: Persona) -> bytes:
    unique = hashlib.sha256(f"borne-test-card:{persona.name}".encode()).digest()[:12]
    return bytes.fromhex("534C") + bytes.fromhex("0001") + unique


def _photo(persona: Persona) -> bytes:
    """A small greyscale JPEG (150×195), distinct per persona."""
    from PIL import Image  # noqa: PLC0415 - only the simulator needs Pillow

    shade = hashlib.sha256(persona.name.encode()).digest()[0]
    picture = Image.new("L", (150, 195), color=shade)
    for y in range(40, 160):
        for x in range(45, 105):
            picture.putpixel((x, y), 255 - shade)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=60)
    return buffer.getvalue()


def _sign(signer: Issued, data: bytes) -> bytes:
    key = signer.key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA384()))
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    raise TypeError("unsupported key")


class FieldTooLong(ValueError):
    """A persona field is longer than the card can hold."""


def _check_lengths(fields: list[tuple[int, bytes]], maxima: dict[int, int], file: str) -> None:
    for tag, value in fields:
        limit = maxima.get(tag)
        if limit is not None and len(value) > limit:
            raise FieldTooLong(f"{file} tag {tag:#04x}: {len(value)} bytes, the card holds {limit}")


def _address_file(persona: Persona, *, street: str) -> bytes:
    fields = [
        (0x01, street.encode()),
        (0x02, persona.address.zip_code.encode()),
        (0x03, persona.address.municipality.encode()),
    ]
    _check_lengths(fields, ADDRESS_MAXIMA, "address")
    body = tlv.encode_tlv([(0x00, FILE_STRUCTURE_VERSION), *fields])
    if len(body) > ADDRESS_FILE_SIZE:
        raise FieldTooLong(f"address file of {len(body)} bytes, the card holds {ADDRESS_FILE_SIZE}")
    return body + b"\x00" * (ADDRESS_FILE_SIZE - len(body))


def _der(tag: int, *parts: bytes) -> bytes:
    body = b"".join(parts)
    size = len(body)
    if size < 0x80:
        length = bytes([size])
    elif size < 0x100:
        length = bytes([0x81, size])
    else:
        length = bytes([0x82]) + size.to_bytes(2, "big")
    return bytes([tag]) + length + body


def _utf8(text: str) -> bytes:
    return _der(0x0C, text.encode())


def _octets(value: bytes) -> bytes:
    return _der(0x04, value)


def _integer(value: int) -> bytes:
    return _der(0x02, value.to_bytes((value.bit_length() + 8) // 8, "big"))


def _path(value: bytes) -> bytes:
    return _der(0x30, _octets(value))


def odf_file() -> bytes:
    """EF(ODF): PrKDF 5035 [0], CDF 5037 [4], AODF 5034 [8]."""
    return b"".join(
        _der(tag, _path(bytes.fromhex("3F00DF00") + fid.to_bytes(2, "big")))
        for tag, fid in ((0xA0, 0x5035), (0xA4, 0x5037), (0xA8, 0x5034))
    )


def aodf_file() -> bytes:
    """EF(AODF) as the card content specification (v5.4 §5.3.3) gives it, byte for byte.

    "Basic PIN": private and modifiable; authId 01; initialized and needs-padding; BCD, 4 digits
    at least, stored in 8 bytes; reference 1; pad FF; path 3F00.
    """
    return _der(
        0x30,
        _der(0x30, _utf8("Basic PIN"), _der(0x03, b"\x06\xc0")),  # private(0), modifiable(1)
        _der(0x30, _octets(b"\x01")),
        _der(
            0xA1,
            _der(
                0x30,
                _der(0x03, b"\x02\x0c"),  # initialized(4), needs-padding(5)
                _der(0x0A, b"\x00"),  # bcd
                _integer(4),
                _integer(8),
                _der(0x80, b"\x01"),  # pinReference
                _octets(b"\xff"),  # padChar
                _path(bytes.fromhex("3F00")),
            ),
        ),
    )


# Key access flags: sensitive(0), alwaysSensitive(2), neverExtractable(3), local(4).
KEY_ACCESS_FLAGS = b"\x03\xb8"


def prkdf_file(*, ecc: bool) -> bytes:
    """EF(PrKDF) (v5.4 §5.3.4): "Authentication" (ID 02, sign, key 0x82) and "Signature" (ID 03,
    nonRepudiation, userConsent 1, key 0x83), both private and modifiable, authId 01."""
    entries = []
    for label, key_id, usage, reference, consent in (
        ("Authentication", 2, b"\x05\x20", KEY_AUTHENTICATION, False),  # sign(2)
        ("Signature", 3, b"\x06\x00\x40", KEY_SIGNATURE, True),  # nonRepudiation(9)
    ):
        common = [_utf8(label), _der(0x03, b"\x06\xc0"), _octets(b"\x01")]
        if consent:
            common.append(_integer(1))  # userConsent
        key_attributes = _der(
            0x30,
            _octets(bytes([key_id])),
            _der(0x03, usage),
            _der(0x03, KEY_ACCESS_FLAGS),
            _integer(reference),
        )
        size = _integer(384 if ecc else 2048)
        type_attributes = _der(0xA1, _der(0x30, _path(bytes.fromhex("3F00DF00")), size))
        body = (_der(0x30, *common), key_attributes, type_attributes)
        entries.append(_der(0xA0, *body) if ecc else _der(0x30, *body))
    return b"".join(entries)


def cdf_file() -> bytes:
    """EF(CDF): Authentication 5038, Signature 5039, CA 503A, Root 503B (not the RRN cert)."""
    entries = []
    for label, cert_id, fid, authority in (
        ("Authentication", 2, 0x5038, False),
        ("Signature", 3, 0x5039, False),
        ("CA", 4, 0x503A, True),
        ("Root", 6, 0x503B, True),
    ):
        attributes = [_octets(bytes([cert_id]))]
        if authority:
            attributes.append(_der(0x01, b"\xff"))
        entries.append(
            _der(
                0x30,
                _der(0x30, _utf8(label), _der(0x03, b"\x06\x40")),
                _der(0x30, *attributes),
                _der(0xA1, _der(0x30, _path(bytes.fromhex("3F00DF00") + fid.to_bytes(2, "big")))),
            )
        )
    return b"".join(entries)


def token_info_file(serial: bytes, *, ecc: bool) -> bytes:
    """EF(TokenInfo): version, 16-byte serial, "BELPIC", flags, 4 perso version bytes."""
    versions = bytes([0x04, 0x01, 0x01, 0x00]) if ecc else bytes([0x02, 0x01, 0x01, 0x00])
    return (
        bytes.fromhex("30270201000410")
        + serial
        + bytes.fromhex("8006")
        + b"BELPIC"
        + bytes.fromhex("030204309E04")
        + versions
    )


def dir_file() -> bytes:
    """EF(DIR): the PKCS#15 application template (AID, label BELPIC, path 3F00DF00, OID)."""
    return (
        bytes.fromhex("61234F0C")
        + PKCS15_AID
        + bytes.fromhex("5006")
        + b"BELPIC"
        + bytes.fromhex("51043F00DF00" + "73050603603802")
    )


def _new_key(ecc: bool) -> PrivateKey:
    if ecc:
        return ec.generate_private_key(ec.SECP384R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.lru_cache(maxsize=64)
def _citizen_keys(directory: Path, persona: str, kind: str) -> tuple[PrivateKey, PrivateKey]:
    """A persona's two card keys, generated once per process (RSA generation is slow)."""
    ecc = kind == "1.8"
    return _new_key(ecc), _new_key(ecc)


def _cert_file(issued: Issued | None, kind: str) -> bytes:
    if issued is None:
        return b"\x00" * EMPTY_CERT_SIZE[kind]
    return issued.der + b"\x00" * CERT_PADDING[kind]


def _citizen_certificates(
    persona: Persona, directory: Path, citizen_ca: Issued
) -> tuple[dict[str, Issued], dict[int, PrivateKey]]:
    """The persona's authentication and signature certificates, and the card keys behind them."""
    auth_key, sign_key = _citizen_keys(directory, persona.name, persona.card_kind)
    given_name = persona.first_names.split(" ")[0]
    issued: dict[str, Issued] = {
        role: issue_citizen_certificate(
            ca=citizen_ca,
            key=key,
            national_number=persona.national_number,
            given_name=given_name,
            surname=persona.surname,
            role=role.capitalize(),
        )
        for role, key in (("authentication", auth_key), ("signature", sign_key))
        if role in persona.certificates
    }
    citizen_keys: dict[int, PrivateKey] = {}
    if "authentication" in issued:
        citizen_keys[KEY_AUTHENTICATION] = auth_key
    if "signature" in issued:
        citizen_keys[KEY_SIGNATURE] = sign_key
    return issued, citizen_keys


def _identity_fields(
    persona: Persona, *, serial: bytes, photo: bytes, basic_key_der: bytes | None
) -> list[tuple[int, bytes]]:
    """The identity file's tags, in the card's order (the photo hash as the applet makes it)."""
    is_ecc = persona.card_kind == "1.8"
    sex = "M" if persona.sex == "M" else _WOMAN[persona.card_language]
    fields: list[tuple[int, bytes]] = [
        (0x01, persona.card_number.encode()),
        (0x02, serial),
        (0x03, _card_date(persona.validity_begin)),
        (0x04, _card_date(persona.validity_end)),
        (0x05, persona.issuing_municipality.encode()),
        (0x06, persona.national_number.encode()),
        (0x07, persona.surname.encode()),
        (0x08, persona.first_names.encode()),
        (0x09, persona.third_initial.encode()),
        (0x0A, persona.nationality.encode()),
        (0x0B, persona.birth_place.encode()),
        (0x0C, birth_date_text(persona.birth_date, persona.card_language).encode()),
        (0x0D, sex.encode()),
        (0x0E, persona.nobility.encode()),
        (0x0F, persona.document_type.encode()),
        (0x10, b"" if persona.zero_length_tags else b"0"),
        (0x11, hashlib.sha384(photo).digest() if is_ecc else hashlib.sha256(photo).digest()),
    ]
    if persona.zero_length_tags:
        fields += [(0x12, b""), (0x13, b"")]
    if basic_key_der is not None:
        fields.append((0x1A, hashlib.sha384(basic_key_der).digest()))
    if persona.zero_length_tags:
        fields += [(0x1B, b""), (0x1C, b""), (0x1D, b""), (0x1E, b"")]
    elif persona.document_type not in {"1", "01", "6", "06"}:
        fields += [(0x1B, b""), (0x1C, b""), (0x1F, _card_date(persona.validity_begin))]
    return fields


def _signed_address(persona: Persona, *, rrn: Issued, identity_sig: bytes) -> tuple[bytes, bytes]:
    """The address file and its RRN signature (over the address and the identity signature)."""
    address = _address_file(persona, street=persona.address.street)
    signed_address = address
    if persona.faults.tamper_address:
        signed_address = _address_file(persona, street=persona.address.street + " bis")
    address_sig = _sign(rrn, signed_address.rstrip(b"\x00") + identity_sig)
    if persona.card_kind == "1.8":
        address_sig += b"\x00" * (ADDRESS_SIGNATURE_SIZE_EC - len(address_sig))
    return address, address_sig


def _basic_key(persona: Persona) -> tuple[ec.EllipticCurvePrivateKey | None, bytes | None]:
    """Applet 1.8's basic key and its EF 4040 (a cloned chip's file holds another card's key)."""
    basic_key = ec.generate_private_key(ec.SECP384R1()) if persona.card_kind == "1.8" else None
    # A cloned chip carries a copy of another card's EF 4040 but cannot have its private key.
    file_key = ec.generate_private_key(ec.SECP384R1()) if persona.faults.cloned_chip else basic_key
    if file_key is None:
        return basic_key, None
    return basic_key, file_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def build_card_image(persona: Persona, pki: CardPki) -> CardImage:
    is_ecc = persona.card_kind == "1.8"
    rrn = pki.rrn_ec if is_ecc else pki.rrn_rsa
    root = pki.root_ec if is_ecc else pki.root_rsa
    citizen_ca = pki.citizen_ca_ec if is_ecc else pki.citizen_ca_rsa
    serial = _chip_serial(persona)
    photo = _photo(persona)
    basic_key, basic_key_der = _basic_key(persona)
    issued, citizen_keys = _citizen_certificates(persona, pki.directory, citizen_ca)
    fields = _identity_fields(persona, serial=serial, photo=photo, basic_key_der=basic_key_der)
    _check_lengths(fields, IDENTITY_MAXIMA, "identity")
    identity = tlv.encode_tlv([(0x00, FILE_STRUCTURE_VERSION), *fields])
    identity_sig = _sign(rrn, identity)
    address, address_sig = _signed_address(persona, rrn=rrn, identity_sig=identity_sig)
    pad = b"\x00" * CERT_PADDING[persona.card_kind]
    kind = persona.card_kind
    applet_version = 0x18 if is_ecc else 0x17
    files: dict[tuple[int, int], bytes] = {
        (MF, 0x2F00): dir_file(),
        (DF_BELPIC, 0x5031): odf_file(),
        (DF_BELPIC, 0x5032): token_info_file(serial, ecc=is_ecc),
        (DF_BELPIC, 0x5034): aodf_file(),
        (DF_BELPIC, 0x5035): prkdf_file(ecc=is_ecc),
        (DF_BELPIC, 0x5037): cdf_file(),
        (DF_BELPIC, 0x5038): _cert_file(issued.get("authentication"), kind),
        (DF_BELPIC, 0x5039): _cert_file(issued.get("signature"), kind),
        (DF_BELPIC, 0x503A): citizen_ca.der + pad,
        (DF_BELPIC, 0x503B): root.der + pad,
        (DF_BELPIC, 0x503C): rrn.der + pad,
        (DF_ID, 0x4031): identity,
        (DF_ID, 0x4032): identity_sig,
        (DF_ID, 0x4033): address,
        (DF_ID, 0x4034): address_sig,
        (DF_ID, 0x4035): photo,
    }
    if basic_key_der is not None:
        files[(DF_ID, 0x4040)] = basic_key_der
    return CardImage(
        persona=persona.name,
        applet_version=applet_version,
        atr=ATR_1_8 if is_ecc else ATR_1_7,
        card_data=(
            serial
            + bytes([0xD0, 0x01, 0x02, 0x03, 0x01, applet_version])
            + (b"\x00\x01" if is_ecc else b"\x00\x00")
            + bytes([0x00, 0x00, 0x02, 0x0F])
        ),
        files=files,
        pin=persona.pin,
        pin_tries=0 if persona.faults.pin_blocked else 3,
        basic_key=basic_key,
        citizen_keys=citizen_keys,
    )


def re_sign(
    image: CardImage,
    signer: Issued,
    *,
    identity: bytes | None = None,
    address: bytes | None = None,
    rrn_certificate: bytes | None = None,
) -> None:
    """Craft a card: replace its identity / address / RRN certificate files and sign the data again.

    For tests of the reader's refusals (a card whose data is validly signed but malformed, or
    signed by a key that is not a proper RRN signer). `signer` signs SGN#ID and SGN#Address.
    """
    files = image.files
    if identity is not None:
        files[(DF_ID, 0x4031)] = identity
    if address is not None:
        files[(DF_ID, 0x4033)] = address
    if rrn_certificate is not None:
        files[(DF_BELPIC, 0x503C)] = rrn_certificate + b"\x00" * CERT_PADDING["1.8"]
    identity_sig = _sign(signer, files[(DF_ID, 0x4031)])
    address_sig = _sign(signer, files[(DF_ID, 0x4033)].rstrip(b"\x00") + identity_sig)
    if isinstance(signer.key, ec.EllipticCurvePrivateKey):
        address_sig += b"\x00" * (ADDRESS_SIGNATURE_SIZE_EC - len(address_sig))
    files[(DF_ID, 0x4032)] = identity_sig
    files[(DF_ID, 0x4034)] = address_sig
