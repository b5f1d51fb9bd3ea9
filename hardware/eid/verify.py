"""Checks on the card data before anything is printed from it.

RRN signatures over the identity file and over (address without padding ‖ SGN#ID), the RRN
certificate chained to a pinned root (never the root read from the card), the validity dates, the
national number against birth date and sex, and the photo / basic-key hashes when read.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.x509.oid import NameOID
from stdnum.be import nn as be_nn

from hardware.eid.errors import CardExpired, CardNotYetValid, CardVerificationError
from hardware.eid.model import (
    CheckResult,
    CitizenProof,
    Identity,
    RawFiles,
    VerificationReport,
)
from hardware.national_number import mask_national_number

log = logging.getLogger(__name__)

PRODUCTION_ROOTS_DIR = Path(__file__).resolve().parents[2] / "assets" / "eid-roots"

CHECK_RRN_CERTIFICATE = "rrn_certificate"
CHECK_IDENTITY_SIGNATURE = "identity_signature"
CHECK_ADDRESS_SIGNATURE = "address_signature"
CHECK_NATIONAL_NUMBER = "national_number"
CHECK_VALIDITY = "validity"
CHECK_PHOTO_HASH = "photo_hash"
CHECK_BASIC_KEY_HASH = "basic_key_hash"
CHECK_BASIC_KEY_CHALLENGE = "basic_key_challenge"
CHECK_CITIZEN_PROOF = "citizen_proof"
CHALLENGE_LENGTH = 48

# The order in which failures are raised: integrity first, then the person, then dates.
_RAISE_ORDER = (
    CHECK_RRN_CERTIFICATE,
    CHECK_IDENTITY_SIGNATURE,
    CHECK_ADDRESS_SIGNATURE,
    CHECK_BASIC_KEY_HASH,
    CHECK_BASIC_KEY_CHALLENGE,
    CHECK_PHOTO_HASH,
    CHECK_NATIONAL_NUMBER,
    CHECK_VALIDITY,
)


class TrustStore:
    """Pinned roots for the RRN certificate. Production holds only the real Belgian roots."""

    def __init__(self, roots: Sequence[x509.Certificate], *, includes_test_roots: bool = False):
        if not roots:
            raise ValueError("a trust store needs at least one root")
        self.roots = tuple(roots)
        self.includes_test_roots = includes_test_roots
        self._pinned_keys = {
            root.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            for root in self.roots
        }

    @classmethod
    def production(cls) -> TrustStore:
        return cls(_load_pems(sorted(PRODUCTION_ROOTS_DIR.glob("*.pem"))))

    @classmethod
    def with_test_root(cls, path: Path) -> TrustStore:
        """Production roots plus the test root(s) in `path`: for demo and test configurations only."""
        test_roots = _load_pems([path])
        log.warning("eID trust store includes TEST roots", extra={"path": str(path)})
        return cls(
            (*cls.production().roots, *test_roots),
            includes_test_roots=True,
        )

    @property
    def pinned_keys(self) -> frozenset[bytes]:
        """The roots' SubjectPublicKeyInfo (DER)."""
        return frozenset(self._pinned_keys)

    def issuer_of(self, certificate: x509.Certificate) -> x509.Certificate | None:
        """The pinned root that signed `certificate` directly, if any."""
        for root in self.roots:
            try:
                certificate.verify_directly_issued_by(root)
            except (ValueError, TypeError, InvalidSignature):
                continue
            key = root.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            if key in self._pinned_keys:
                return root
        return None


def _load_pems(paths: Iterable[Path]) -> list[x509.Certificate]:
    certificates: list[x509.Certificate] = []
    for path in paths:
        certificates.extend(x509.load_pem_x509_certificates(path.read_bytes()))
    return certificates


def der_length(data: bytes) -> int:
    """Total length of the DER element at the start of `data` (tag, length, value)."""
    if len(data) < 2:
        raise ValueError("too short for DER")
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0 or count > 4 or len(data) < 2 + count:
        raise ValueError("unsupported DER length")
    return 2 + count + int.from_bytes(data[2 : 2 + count], "big")


def trim_der(data: bytes) -> bytes:
    """Drop the zero padding after a DER element (certificate files, EC signature files)."""
    return data[: der_length(data)]


def _digest_for_photo_hash(length: int) -> list[hashes.HashAlgorithm]:
    if length == 20:
        return [hashes.SHA1(), hashes.SHA256()]  # noqa: S303 - old cards sign with SHA-1
    if length == 48:
        return [hashes.SHA384(), hashes.SHA256()]
    return [hashes.SHA256()]


def verify_rrn_signature(
    certificate: x509.Certificate, data: bytes, signature: bytes, *, photo_hash_length: int
) -> bool:
    key = certificate.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        try:
            key.verify(trim_der(signature), data, ec.ECDSA(hashes.SHA384()))
        except (InvalidSignature, ValueError):
            return False
        return True
    if isinstance(key, rsa.RSAPublicKey):
        raw = signature[: key.key_size // 8]
        for algorithm in _digest_for_photo_hash(photo_hash_length):
            try:
                key.verify(raw, data, padding.PKCS1v15(), algorithm)
            except InvalidSignature:
                continue
            return True
        return False
    return False


def _names_the_rrn(certificate: x509.Certificate) -> bool:
    """The subject's CN or O carries "RRN" as a word (the National Register's signer)."""
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
        for attribute in certificate.subject.get_attributes_for_oid(oid):
            value = attribute.value if isinstance(attribute.value, str) else ""
            if "RRN" in value.upper().replace("(", " ").replace(")", " ").split():
                return True
    return False


def rrn_certificate_problem(
    certificate: x509.Certificate, trust: TrustStore, *, now: datetime
) -> str | None:
    """Why `certificate` cannot be the RRN signer, or None when it can.

    It must be an end-entity certificate (not a CA, not one of the pinned roots themselves) whose
    key usage is digitalSignature or nonRepudiation, whose subject names the RRN, issued directly
    by a pinned root and valid `now`.
    """
    key = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if key in trust.pinned_keys:
        return "root_certificate"
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
        if constraints.value.ca:
            return "ca_certificate"
    except x509.ExtensionNotFound:
        pass
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return "key_usage"
    if usage.key_cert_sign or not (usage.digital_signature or usage.content_commitment):
        return "key_usage"
    if not _names_the_rrn(certificate):
        return "subject"
    if trust.issuer_of(certificate) is None:
        return "untrusted"
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        return "expired"
    return None


def photo_hash_matches(photo: bytes, expected: bytes) -> bool:
    algorithms = {20: hashlib.sha1, 32: hashlib.sha256, 48: hashlib.sha384}
    algorithm = algorithms.get(len(expected))
    return algorithm is not None and algorithm(photo).digest() == expected


def _check_national_number(identity: Identity) -> CheckResult:
    number = identity.national_number
    if not be_nn.is_valid(number):
        return CheckResult(name=CHECK_NATIONAL_NUMBER, ok=False, detail="checksum")
    birth = be_nn.get_birth_date(number)
    if birth is not None and identity.birth_date is not None and birth != identity.birth_date:
        return CheckResult(name=CHECK_NATIONAL_NUMBER, ok=False, detail="birth_date")
    if be_nn.get_gender(number) != identity.sex:
        return CheckResult(name=CHECK_NATIONAL_NUMBER, ok=False, detail="sex")
    return CheckResult(name=CHECK_NATIONAL_NUMBER, ok=True)


def raw_to_der_signature(raw: bytes) -> bytes:
    """Card-computed ECDSA signatures are r‖s of equal halves; `cryptography` wants DER."""
    if not raw or len(raw) % 2:
        raise ValueError("raw ECDSA signature must have two equal halves")
    half = len(raw) // 2
    return utils.encode_dss_signature(
        int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
    )


def verify_basic_key_challenge(basic_key: bytes, challenge: bytes, response: bytes) -> bool:
    """INTERNAL AUTHENTICATE: raw r‖s over the 48-byte challenge used as a SHA-384 digest."""
    if len(challenge) != CHALLENGE_LENGTH:
        return False
    try:
        key = serialization.load_der_public_key(basic_key)
        if not isinstance(key, ec.EllipticCurvePublicKey):
            return False
        key.verify(
            raw_to_der_signature(response), challenge, ec.ECDSA(utils.Prehashed(hashes.SHA384()))
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_card(
    *,
    files: RawFiles,
    identity: Identity,
    trust: TrustStore,
    today: date,
    challenge: tuple[bytes, bytes] | None = None,
) -> VerificationReport:
    """All checks on what was read; `challenge` = (48 random bytes, the card's r‖s answer)."""
    checks = [
        *_signature_checks(files, identity, trust),
        *_basic_key_checks(files, identity, challenge),
    ]
    if files.photo is not None:
        checks.append(
            CheckResult(
                name=CHECK_PHOTO_HASH, ok=photo_hash_matches(files.photo, identity.photo_hash)
            )
        )
    checks.append(_check_national_number(identity))
    if today < identity.validity_begin:
        checks.append(CheckResult(name=CHECK_VALIDITY, ok=False, detail="not_yet_valid"))
    elif today > identity.validity_end:
        checks.append(CheckResult(name=CHECK_VALIDITY, ok=False, detail="expired"))
    else:
        checks.append(CheckResult(name=CHECK_VALIDITY, ok=True))
    return VerificationReport(checks=tuple(checks))


def _signature_checks(files: RawFiles, identity: Identity, trust: TrustStore) -> list[CheckResult]:
    """The RRN certificate, and the identity and address files signed with it."""
    checks: list[CheckResult] = []
    certificate: x509.Certificate | None = None
    try:
        certificate = x509.load_der_x509_certificate(trim_der(files.rrn_certificate))
    except ValueError:
        checks.append(CheckResult(name=CHECK_RRN_CERTIFICATE, ok=False, detail="unreadable"))
    if certificate is None:
        checks.append(CheckResult(name=CHECK_IDENTITY_SIGNATURE, ok=False, detail="no_certificate"))
        checks.append(CheckResult(name=CHECK_ADDRESS_SIGNATURE, ok=False, detail="no_certificate"))
        return checks
    problem = rrn_certificate_problem(certificate, trust, now=datetime.now(tz=UTC))
    checks.append(CheckResult(name=CHECK_RRN_CERTIFICATE, ok=problem is None, detail=problem or ""))
    hash_length = len(identity.photo_hash)
    checks.append(
        CheckResult(
            name=CHECK_IDENTITY_SIGNATURE,
            ok=verify_rrn_signature(
                certificate,
                files.identity,
                files.identity_signature,
                photo_hash_length=hash_length,
            ),
        )
    )
    checks.append(
        CheckResult(
            name=CHECK_ADDRESS_SIGNATURE,
            ok=verify_rrn_signature(
                certificate,
                files.address.rstrip(b"\x00") + files.identity_signature,
                files.address_signature,
                photo_hash_length=hash_length,
            ),
        )
    )
    return checks


def _basic_key_checks(
    files: RawFiles, identity: Identity, challenge: tuple[bytes, bytes] | None
) -> list[CheckResult]:
    """Applet 1.8: the basic key matches the identity file and signed the fresh challenge."""
    if files.basic_key is None:
        if identity.basic_key_hash is not None:
            return [CheckResult(name=CHECK_BASIC_KEY_HASH, ok=False, detail="key_not_read")]
        return []
    expected = identity.basic_key_hash or b""
    checks = [
        CheckResult(
            name=CHECK_BASIC_KEY_HASH,
            ok=hashlib.sha384(files.basic_key).digest() == expected,
        )
    ]
    if challenge is not None:
        checks.append(
            CheckResult(
                name=CHECK_BASIC_KEY_CHALLENGE,
                ok=verify_basic_key_challenge(files.basic_key, *challenge),
            )
        )
    return checks


def raise_for_report(report: VerificationReport) -> None:
    """Raise the typed error of the most important failed check, if any."""
    failures = {check.name: check for check in report.failures}
    for name in _RAISE_ORDER:
        failure = failures.get(name)
        if failure is None:
            continue
        if name == CHECK_VALIDITY:
            if failure.detail == "not_yet_valid":
                raise CardNotYetValid("card not yet valid")
            raise CardExpired("card expired")
        raise CardVerificationError(
            f"eID check failed: {name} ({failure.detail or 'mismatch'})",
            check=name,
            translation_key="eid.error.tampered"
            if name in (CHECK_IDENTITY_SIGNATURE, CHECK_ADDRESS_SIGNATURE)
            else None,
        )


def _fail_proof(detail: str) -> CardVerificationError:
    return CardVerificationError(f"citizen proof refused ({detail})", check=CHECK_CITIZEN_PROOF)


def _serial_number(certificate: x509.Certificate) -> str:
    values = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    if len(values) != 1:
        raise _fail_proof("no_serial_number")
    value = values[0].value
    return value if isinstance(value, str) else value.decode()


def verify_citizen_proof(
    proof: CitizenProof,
    nonce: bytes,
    *,
    trust: TrustStore,
    national_number: str | None = None,
    now: datetime | None = None,
) -> str:
    """Check a citizen proof; return the national number of the certificate's SERIALNUMBER.

    The Authentication certificate must be issued by the CA certificate, itself issued by a pinned
    root, both valid `now`; the signature must be over `nonce`; with `national_number`, the
    certificate must name that person. Raises `CardVerificationError(check="citizen_proof")`.
    """
    moment = now or datetime.now(tz=UTC)
    try:
        certificate = x509.load_der_x509_certificate(proof.certificate)
        ca = x509.load_der_x509_certificate(proof.ca_certificate)
    except ValueError as err:
        raise _fail_proof("unreadable_certificate") from err
    if trust.issuer_of(ca) is None:
        raise _fail_proof("untrusted_ca")
    try:
        certificate.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature) as err:
        raise _fail_proof("not_issued_by_ca") from err
    for item in (certificate, ca):
        if not item.not_valid_before_utc <= moment <= item.not_valid_after_utc:
            raise _fail_proof("certificate_expired")
    key = certificate.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(raw_to_der_signature(proof.signature), nonce, ec.ECDSA(hashes.SHA384()))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(proof.signature, nonce, padding.PKCS1v15(), hashes.SHA256())
        else:
            raise _fail_proof("unsupported_key")
    except (InvalidSignature, ValueError) as err:
        raise _fail_proof("bad_signature") from err
    holder = _serial_number(certificate)
    if national_number is not None and holder != national_number:
        raise _fail_proof("other_person")
    log.info("citizen proof verified", extra={"national_number": mask_national_number(holder)})
    return holder
