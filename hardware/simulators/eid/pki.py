"""The test PKI of the virtual eID cards.

Mirrors the real hierarchy with clearly named TEST certificates: a TEST Belgium Root CA (EC P-384)
issuing the TEST RRN certificate that signs applet 1.8 card data and a TEST Citizen CA, and the same
in RSA 2048 / SHA-256 for applet 1.7 cards. `ensure_card_pki` is idempotent: it creates what is
missing under a lock and otherwise loads what is there.

    python -m hardware.simulators.eid.pki --out DIR
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

log = logging.getLogger(__name__)

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

NOT_BEFORE = datetime(2020, 1, 1, tzinfo=UTC)
ROOT_NOT_AFTER = datetime(2045, 12, 31, tzinfo=UTC)
LEAF_NOT_AFTER = datetime(2040, 12, 31, tzinfo=UTC)

TEST_ROOTS_FILE = "test-roots.pem"
MAX_NAME = 64  # X.520 upper bound of CN, SN and GN; longer names are cut as the CA does
_NAMES = ("root-ec", "rrn-ec", "citizen-ca-ec", "root-rsa", "rrn-rsa", "citizen-ca-rsa")


@dataclass(frozen=True, slots=True, kw_only=True)
class Issued:
    certificate: x509.Certificate
    key: PrivateKey

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)


@dataclass(frozen=True, slots=True, kw_only=True)
class CardPki:
    """Everything the card images need; `test_roots_pem` is what a test/demo trust store adds."""

    directory: Path
    root_ec: Issued
    rrn_ec: Issued
    citizen_ca_ec: Issued
    root_rsa: Issued
    rrn_rsa: Issued
    citizen_ca_rsa: Issued

    @property
    def test_roots_pem(self) -> Path:
        return self.directory / TEST_ROOTS_FILE


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Borne TEST PKI - not for production"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _issue(
    *,
    subject: str,
    key: PrivateKey,
    issuer: Issued | None,
    ca: bool,
    not_after: datetime,
) -> Issued:
    signer_key = key if issuer is None else issuer.key
    issuer_name = _name(subject) if issuer is None else issuer.certificate.subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            _key_usage(digital_signature=not ca, content_commitment=not ca, ca=ca), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    return Issued(certificate=_signed(builder, signer_key), key=key)


def _key_usage(*, digital_signature: bool, content_commitment: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _signed(builder: x509.CertificateBuilder, signer_key: PrivateKey) -> x509.Certificate:
    """SHA-384 under an EC key (P-384 chains), SHA-256 under an RSA key."""
    ec_key = isinstance(signer_key, ec.EllipticCurvePrivateKey)
    return builder.sign(signer_key, hashes.SHA384() if ec_key else hashes.SHA256())


def _generate() -> dict[str, Issued]:
    def ec_key() -> ec.EllipticCurvePrivateKey:
        return ec.generate_private_key(ec.SECP384R1())

    def rsa_key() -> rsa.RSAPrivateKey:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    root_ec = _issue(
        subject="TEST Belgium Root CA (EC)",
        key=ec_key(),
        issuer=None,
        ca=True,
        not_after=ROOT_NOT_AFTER,
    )
    root_rsa = _issue(
        subject="TEST Belgium Root CA (RSA)",
        key=rsa_key(),
        issuer=None,
        ca=True,
        not_after=ROOT_NOT_AFTER,
    )
    return {
        "root-ec": root_ec,
        "rrn-ec": _issue(
            subject="TEST RRN (EC)",
            key=ec_key(),
            issuer=root_ec,
            ca=False,
            not_after=LEAF_NOT_AFTER,
        ),
        "citizen-ca-ec": _issue(
            subject="TEST Citizen CA (EC)",
            key=ec_key(),
            issuer=root_ec,
            ca=True,
            not_after=LEAF_NOT_AFTER,
        ),
        "root-rsa": root_rsa,
        "rrn-rsa": _issue(
            subject="TEST RRN (RSA)",
            key=rsa_key(),
            issuer=root_rsa,
            ca=False,
            not_after=LEAF_NOT_AFTER,
        ),
        "citizen-ca-rsa": _issue(
            subject="TEST Citizen CA (RSA)",
            key=rsa_key(),
            issuer=root_rsa,
            ca=True,
            not_after=LEAF_NOT_AFTER,
        ),
    }


def _cut(text: str, limit: int) -> str:
    """`text` shortened to at most `limit` UTF-8 bytes, on a character boundary."""
    while len(text.encode()) > limit:
        text = text[:-1]
    return text


def issue_citizen_certificate(
    *,
    ca: Issued,
    key: PrivateKey,
    national_number: str,
    given_name: str,
    surname: str,
    role: str,
) -> Issued:
    """A citizen's "Authentication" or "Signature" certificate, as the Citizen CA issues them.

    Subject: C=BE, CN "Given Surname (Role)", SN, GN and SERIALNUMBER = the national number.
    """
    if role not in ("Authentication", "Signature"):
        raise ValueError("role must be Authentication or Signature")
    suffix = f" ({role})"
    common_name = _cut(f"{given_name} {surname}", MAX_NAME - len(suffix)) + suffix
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.SURNAME, _cut(surname, MAX_NAME)),
    ]
    if given_name:
        attributes.append(x509.NameAttribute(NameOID.GIVEN_NAME, _cut(given_name, MAX_NAME)))
    attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, national_number))
    signing = role == "Signature"
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(LEAF_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            _key_usage(digital_signature=not signing, content_commitment=signing, ca=False),
            critical=True,
        )
    )
    return Issued(certificate=_signed(builder, ca.key), key=key)


def _write_atomic(path: Path, data: bytes, *, private: bool = False) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    if private:
        tmp.chmod(0o600)
    tmp.replace(path)


def _store(out_dir: Path, issued: dict[str, Issued]) -> None:
    for name, item in issued.items():
        _write_atomic(
            out_dir / f"{name}.key.pem",
            item.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            private=True,
        )
        _write_atomic(out_dir / f"{name}.der", item.der)
        _write_atomic(
            out_dir / f"{name}.pem", item.certificate.public_bytes(serialization.Encoding.PEM)
        )
    roots = b"".join(
        issued[name].certificate.public_bytes(serialization.Encoding.PEM)
        for name in ("root-ec", "root-rsa")
    )
    _write_atomic(out_dir / TEST_ROOTS_FILE, roots)


def _load(out_dir: Path) -> dict[str, Issued] | None:
    loaded: dict[str, Issued] = {}
    for name in _NAMES:
        cert_path = out_dir / f"{name}.pem"
        key_path = out_dir / f"{name}.key.pem"
        if not cert_path.exists() or not key_path.exists():
            return None
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            return None
        loaded[name] = Issued(
            certificate=x509.load_pem_x509_certificate(cert_path.read_bytes()), key=key
        )
    if not (out_dir / TEST_ROOTS_FILE).exists():
        return None
    return loaded


@contextlib.contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    with (out_dir / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_card_pki(out_dir: Path) -> CardPki:
    """Create the test PKI in `out_dir` unless it is already there; return it loaded."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with _locked(out_dir):
        issued = _load(out_dir)
        if issued is None:
            log.info("creating the test card PKI", extra={"directory": str(out_dir)})
            issued = _generate()
            _store(out_dir, issued)
    return CardPki(
        directory=out_dir,
        root_ec=issued["root-ec"],
        rrn_ec=issued["rrn-ec"],
        citizen_ca_ec=issued["citizen-ca-ec"],
        root_rsa=issued["root-rsa"],
        rrn_rsa=issued["rrn-rsa"],
        citizen_ca_rsa=issued["citizen-ca-rsa"],
    )


def default_pki_dir() -> Path:
    """`var/pki/card` under the repository root."""
    return Path(__file__).resolve().parents[3] / "var" / "pki" / "card"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Create the TEST PKI of the virtual eID cards.")
    parser.add_argument("--out", type=Path, default=default_pki_dir())
    args = parser.parse_args(argv)
    pki = ensure_card_pki(args.out)
    os.write(1, f"{pki.test_roots_pem}\n".encode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
