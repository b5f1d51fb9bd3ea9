"""Value types of the eID layer, and the decoding of the identity and address files."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date

from hardware.eid import tlv
from hardware.eid.errors import CardDataError
from hardware.national_number import mask_national_number

# Identity file tags (EF(ID#RN) 3F00/DF01/4031).
TAG_CARD_NUMBER = 0x01
TAG_CHIP_NUMBER = 0x02
TAG_VALIDITY_BEGIN = 0x03
TAG_VALIDITY_END = 0x04
TAG_ISSUING_MUNICIPALITY = 0x05
TAG_NATIONAL_NUMBER = 0x06
TAG_SURNAME = 0x07
TAG_FIRST_NAMES = 0x08
TAG_THIRD_INITIAL = 0x09
TAG_NATIONALITY = 0x0A
TAG_BIRTH_PLACE = 0x0B
TAG_BIRTH_DATE = 0x0C
TAG_SEX = 0x0D
TAG_NOBILITY = 0x0E
TAG_DOCUMENT_TYPE = 0x0F
TAG_SPECIAL_STATUS = 0x10
TAG_PHOTO_HASH = 0x11
TAG_DUPLICATA = 0x12
TAG_SPECIAL_ORGANIZATION = 0x13
TAG_MEMBER_OF_FAMILY = 0x14
TAG_BASIC_KEY_HASH = 0x1A

# Address file tags (EF(ID#Address) 3F00/DF01/4033).
TAG_STREET = 0x01
TAG_ZIP = 0x02
TAG_MUNICIPALITY = 0x03

# Birth-date month names by card language (FR, NL, DE; upper case, DE "MÄR" in UTF-8).
_MONTHS: dict[str, int] = {}
for _names in (
    ("JAN", "FEV", "MARS", "AVR", "MAI", "JUIN", "JUIL", "AOUT", "SEPT", "OCT", "NOV", "DEC"),
    ("JAN", "FEB", "MAAR", "APR", "MEI", "JUN", "JUL", "AUG", "SEP", "OKT", "NOV", "DEC"),
    ("JAN", "FEB", "MÄR", "APR", "MAI", "JUN", "JUL", "AUG", "SEP", "OKT", "NOV", "DEZ"),
):
    for _index, _name in enumerate(_names, start=1):
        _MONTHS[_name] = _index
_MONTHS.update({"FÉV": 2, "AOÛ": 8, "DÉC": 12, "MRT": 3, "MAR": 3})

_DOB = re.compile(r"^\s*(\d{1,2}|\s{1,2})?[ .]+([^ .\d]+|\s*)[ .]+(\d{4})\s*$")


def parse_card_date(value: str) -> date:
    """`DD.MM.YYYY` as used for validity dates."""
    try:
        day, month, year = value.split(".")
        return date(int(year), int(month), int(day))
    except ValueError as err:
        raise CardDataError("invalid card date") from err


def parse_birth_date(value: str) -> date | None:
    """`DD MMMM YYYY` (FR/NL) or `DD.MMM.YYYY` (DE); None when day or month is left blank.

    A month name outside the FR/NL/DE tables is unreadable, never "unknown": an unknown birth date
    would skip the cross-check with the national number.
    """
    match = _DOB.match(value.upper())
    if match is None:
        raise CardDataError("invalid birth date")
    day_text, month_text, year_text = match.groups()
    month_name = (month_text or "").strip()
    if not month_name:
        return None  # month left blank on the card: unknown
    month = _MONTHS.get(month_name)
    if month is None:
        raise CardDataError("unknown month name in the birth date")
    if not day_text or not day_text.strip():
        return None
    try:
        return date(int(year_text), month, int(day_text))
    except ValueError as err:
        raise CardDataError("invalid birth date") from err


def normalise_sex(letter: str) -> str:
    """M stays M; F (FR/EN), V (NL) and W (DE) become F."""
    if letter == "M":
        return "M"
    if letter in {"F", "V", "W"}:
        return "F"
    raise CardDataError("unknown sex letter")


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    card_number: str
    chip_number: bytes
    validity_begin: date
    validity_end: date
    issuing_municipality: str
    national_number: str
    surname: str
    first_names: str
    third_initial: str
    nationality: str
    birth_place: str
    birth_date: date | None
    birth_date_text: str
    sex: str
    nobility: str
    document_type: int
    special_status: str
    photo_hash: bytes
    duplicata: str
    special_organization: str
    member_of_family: bool
    basic_key_hash: bytes | None

    @property
    def masked_national_number(self) -> str:
        return mask_national_number(self.national_number)

    @classmethod
    def from_file(cls, data: bytes) -> Identity:
        fields = tlv.parse_tlv(data)
        doc_type_text = tlv.text(fields, TAG_DOCUMENT_TYPE).strip()
        try:
            document_type = int(doc_type_text) if doc_type_text else 0
        except ValueError as err:
            raise CardDataError("invalid document type") from err
        birth_text = tlv.text(fields, TAG_BIRTH_DATE)
        return cls(
            card_number=tlv.text(fields, TAG_CARD_NUMBER),
            chip_number=fields.get(TAG_CHIP_NUMBER, b""),
            validity_begin=parse_card_date(tlv.text(fields, TAG_VALIDITY_BEGIN)),
            validity_end=parse_card_date(tlv.text(fields, TAG_VALIDITY_END)),
            issuing_municipality=tlv.text(fields, TAG_ISSUING_MUNICIPALITY),
            national_number=tlv.text(fields, TAG_NATIONAL_NUMBER),
            surname=tlv.text(fields, TAG_SURNAME),
            first_names=tlv.text(fields, TAG_FIRST_NAMES),
            third_initial=tlv.text(fields, TAG_THIRD_INITIAL),
            nationality=tlv.text(fields, TAG_NATIONALITY),
            birth_place=tlv.text(fields, TAG_BIRTH_PLACE),
            birth_date=parse_birth_date(birth_text) if birth_text else None,
            birth_date_text=birth_text,
            sex=normalise_sex(tlv.text(fields, TAG_SEX)),
            nobility=tlv.text(fields, TAG_NOBILITY),
            document_type=document_type,
            special_status=tlv.text(fields, TAG_SPECIAL_STATUS),
            photo_hash=fields.get(TAG_PHOTO_HASH, b""),
            duplicata=tlv.text(fields, TAG_DUPLICATA),
            special_organization=tlv.text(fields, TAG_SPECIAL_ORGANIZATION),
            member_of_family=TAG_MEMBER_OF_FAMILY in fields,
            basic_key_hash=fields.get(TAG_BASIC_KEY_HASH) or None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    street: str
    zip_code: str
    municipality: str

    @classmethod
    def from_file(cls, data: bytes) -> Address:
        fields = tlv.parse_tlv(data)
        return cls(
            street=tlv.text(fields, TAG_STREET),
            zip_code=tlv.text(fields, TAG_ZIP),
            municipality=tlv.text(fields, TAG_MUNICIPALITY),
        )


CARD_DATA_LENGTH = 28
CARD_DATA_WITH_TRIES_LENGTH = 31


@dataclass(frozen=True, slots=True, kw_only=True)
class CardData:
    """GET CARD DATA: serial number, applet version, life cycle, and (1.8) PIN tries left."""

    serial: bytes
    applet_version: int
    global_os_version: int
    life_cycle: int
    pin_tries_left: int | None
    raw: bytes

    @property
    def is_applet_1_8(self) -> bool:
        return self.applet_version >= 0x18

    @property
    def needs_6c_delay(self) -> bool:
        """Belpic V1 applets want a pause before re-sending after 6Cxx."""
        return self.applet_version < 0x17

    @classmethod
    def from_bytes(cls, raw: bytes) -> CardData:
        if len(raw) < CARD_DATA_LENGTH:
            raise CardDataError("GET CARD DATA answer too short")
        tries: int | None = None
        if len(raw) >= CARD_DATA_WITH_TRIES_LENGTH and raw[28] != 0xFF:
            tries = raw[28]
        return cls(
            serial=bytes(raw[:16]),
            applet_version=raw[21],
            global_os_version=int.from_bytes(raw[22:24], "big"),
            life_cycle=raw[27],
            pin_tries_left=tries,
            raw=bytes(raw),
        )


class PinStatus(enum.Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True, kw_only=True)
class PinCheck:
    status: PinStatus
    tries_left: int | None

    @property
    def accepted(self) -> bool:
        return self.status is PinStatus.ACCEPTED


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """One verification step: `name` (e.g. "address_signature"), passed or not, and why."""

    name: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationReport:
    checks: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(check for check in self.checks if not check.ok)


@dataclass(frozen=True, slots=True, kw_only=True)
class RawFiles:
    """The files exactly as read (needed to verify signatures)."""

    identity: bytes
    identity_signature: bytes
    address: bytes
    address_signature: bytes
    rrn_certificate: bytes
    basic_key: bytes | None = None
    photo: bytes | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CardRead:
    identity: Identity
    address: Address
    card_data: CardData
    atr: bytes
    files: RawFiles = field(repr=False)
    report: VerificationReport


@dataclass(frozen=True, slots=True, kw_only=True)
class CitizenProof:
    """The card's signature over a kiosk nonce with the citizen's Authentication key.

    `signature` is raw r‖s (applet 1.8, ECDSA P-384 over SHA-384 of the nonce) or PKCS#1 v1.5
    (applet 1.7, RSA over SHA-256 of the nonce); the certificates are DER as read from the card.
    """

    signature: bytes
    certificate: bytes
    ca_certificate: bytes
    applet_version: int
