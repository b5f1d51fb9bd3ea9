"""Build the file system image of a virtual eID card from a persona and the test PKI."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from hardware.eid import tlv
from hardware.simulators.eid.persona import Persona
from hardware.simulators.eid.pki import CardPki, Issued

ATR_1_8 = bytes.fromhex("3B7F96000080318065B085040120120FFF829000")
ATR_1_7 = bytes.fromhex("3B9813400AA503010101AD1311")

APPLET_AID = bytes.fromhex("A00000003029057000AD13100101FF")
PKCS15_AID = bytes.fromhex("A000000177504B43532D3135")

MF = 0x3F00
DF_BELPIC = 0xDF00
DF_ID = 0xDF01

ADDRESS_FILE_SIZE = 117
ADDRESS_SIGNATURE_SIZE_EC = 120
CERT_PADDING = {"1.8": 1100, "1.7": 50}

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
    basic_key: ec.EllipticCurvePrivateKey | None


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


def _address_file(persona: Persona, *, street: str) -> bytes:
    body = tlv.encode_tlv(
        [
            (0x01, street.encode()),
            (0x02, persona.address.zip_code.encode()),
            (0x03, persona.address.municipality.encode()),
        ]
    )
    return body + b"\x00" * max(0, ADDRESS_FILE_SIZE - len(body))


def build_card_image(persona: Persona, pki: CardPki) -> CardImage:
    is_ecc = persona.card_kind == "1.8"
    rrn = pki.rrn_ec if is_ecc else pki.rrn_rsa
    root = pki.root_ec if is_ecc else pki.root_rsa
    citizen_ca = pki.citizen_ca_ec if is_ecc else pki.citizen_ca_rsa
    serial = _chip_serial(persona)
    photo = _photo(persona)
    basic_key = ec.generate_private_key(ec.SECP384R1()) if is_ecc else None
    basic_key_der = (
        basic_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if basic_key is not None
        else None
    )
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
        (0x10, b"0"),
        (0x11, hashlib.sha384(photo).digest() if is_ecc else hashlib.sha256(photo).digest()),
    ]
    if basic_key_der is not None:
        fields.append((0x1A, hashlib.sha384(basic_key_der).digest()))
    if persona.document_type not in {"1", "01", "6", "06"}:
        fields += [(0x1B, b""), (0x1C, b""), (0x1F, _card_date(persona.validity_begin))]
    identity = tlv.encode_tlv(fields)
    identity_sig = _sign(rrn, identity)
    address = _address_file(persona, street=persona.address.street)
    signed_address = address
    if persona.faults.tamper_address:
        signed_address = _address_file(persona, street=persona.address.street + " bis")
    address_sig = _sign(rrn, signed_address.rstrip(b"\x00") + identity_sig)
    if is_ecc:
        address_sig += b"\x00" * (ADDRESS_SIGNATURE_SIZE_EC - len(address_sig))
    pad = b"\x00" * CERT_PADDING[persona.card_kind]
    applet_version = 0x18 if is_ecc else 0x17
    card_data = (
        serial
        + bytes([0xD0, 0x01, 0x02, 0x03, 0x01, applet_version])
        + (b"\x00\x01" if is_ecc else b"\x00\x00")
        + bytes([0x00, 0x00, 0x02, 0x0F])
    )
    files: dict[tuple[int, int], bytes] = {
        (MF, 0x2F00): bytes.fromhex("61234F0C")
        + PKCS15_AID
        + bytes.fromhex("5006")
        + b"BELPIC"
        + bytes.fromhex("51043F00DF00" + "73050603603802"),
        (DF_BELPIC, 0x5031): bytes.fromhex(
            "A00A300804063F00DF005035A40A300804063F00DF005037A80A300804063F00DF005034"
        ),
        (DF_BELPIC, 0x5032): bytes.fromhex("30270201000410")
        + serial
        + bytes.fromhex("8006")
        + b"BELPIC"
        + bytes.fromhex("030204309E04")
        + bytes([0x04, 0x01, 0x01, 0x00]),
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
        card_data=card_data,
        files=files,
        pin=persona.pin,
        pin_tries=0 if persona.faults.pin_blocked else 3,
        basic_key=basic_key,
    )
