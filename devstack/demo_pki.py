"""A TEST municipal PKI: a root CA and the commune's electronic-seal certificate; the central's TLS.

Only for demonstrations and tests. In production the seal certificate comes from a qualified trust
service provider and the key is generated inside the HSM; nothing here is meant for that.

    python -m devstack.demo_pki --out var/pki/municipal [--key-type rsa]
"""

from __future__ import annotations

import argparse
import enum
import ipaddress
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from printing.errors import PkiError

_log = logging.getLogger(__name__)

SEAL_COMMON_NAME = "Démo-sur-Meuse electronic seal"
ROOT_COMMON_NAME = "Démo-sur-Meuse TEST municipal root CA"
ORGANISATION = "Commune de Démo-sur-Meuse (TEST)"

_PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class KeyType(enum.StrEnum):
    EC = "ec"
    RSA = "rsa"


@dataclass(frozen=True, slots=True, kw_only=True)
class MunicipalPki:
    out_dir: Path
    key_type: KeyType
    root_cert_path: Path
    seal_cert_path: Path
    seal_key_path: Path
    """Unencrypted PKCS#8 PEM: the file the token imports (test material only)."""

    def root_certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.root_cert_path.read_bytes())

    def seal_certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.seal_cert_path.read_bytes())


def _new_key(key_type: KeyType) -> _PrivateKey:
    if key_type is KeyType.RSA:
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    tmp.replace(path)


def _write_public(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _key_pem(key: _PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _make_root(
    root_key_path: Path, root_cert_path: Path, *, common_name: str = ROOT_COMMON_NAME
) -> tuple[_PrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP384R1())
    now = datetime.now(tz=UTC)
    name = _name(common_name)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA384())
    )
    _write_private(root_key_path, _key_pem(key))
    _write_public(root_cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def _load_root(root_key_path: Path, root_cert_path: Path) -> tuple[_PrivateKey, x509.Certificate]:
    try:
        key = serialization.load_pem_private_key(root_key_path.read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate(root_cert_path.read_bytes())
    except (OSError, ValueError) as err:
        raise PkiError(f"unreadable municipal root in {root_cert_path.parent}") from err
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise PkiError(f"unexpected root key type in {root_key_path}")
    return key, cert


def _make_seal(
    *,
    root_key: _PrivateKey,
    root_cert: x509.Certificate,
    key_type: KeyType,
    key_path: Path,
    cert_path: Path,
) -> None:
    key = _new_key(key_type)
    now = datetime.now(tz=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(SEAL_COMMON_NAME))
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(
            root_key,
            hashes.SHA384()
            if isinstance(root_key, ec.EllipticCurvePrivateKey)
            else hashes.SHA256(),
        )
    )
    _write_private(key_path, _key_pem(key))
    _write_public(cert_path, cert.public_bytes(serialization.Encoding.PEM))


def _leaf_is_usable(
    cert_path: Path, key_path: Path, issuer: x509.Certificate, *, margin: timedelta
) -> bool:
    """Whether the certificate and key on disk exist, were issued by `issuer` and stay valid for
    at least `margin` (else the caller issues new ones)."""
    if not (cert_path.is_file() and key_path.is_file()):
        return False
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except ValueError:
        return False
    fresh = cert.not_valid_after_utc > datetime.now(tz=UTC) + margin
    return fresh and cert.issuer == issuer.subject


def ensure_municipal_pki(out_dir: Path, *, key_type: KeyType = KeyType.EC) -> MunicipalPki:
    """Create (or reuse) the TEST root CA and the seal certificate + key in `out_dir`.

    Idempotent: existing, still valid material is kept. The EC (P-256) and RSA (3072) seals share
    the root and live side by side (`seal-ec.*`, `seal-rsa.*`).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    root_key_path = out_dir / "root.key.pem"
    root_cert_path = out_dir / "root.cert.pem"
    if root_key_path.is_file() and root_cert_path.is_file():
        root_key, root_cert = _load_root(root_key_path, root_cert_path)
    else:
        root_key, root_cert = _make_root(root_key_path, root_cert_path)
        _log.info("municipal test root created", extra={"pki_dir": str(out_dir)})
    seal_key_path = out_dir / f"seal-{key_type.value}.key.pem"
    seal_cert_path = out_dir / f"seal-{key_type.value}.cert.pem"
    if not _leaf_is_usable(seal_cert_path, seal_key_path, root_cert, margin=timedelta(days=30)):
        _make_seal(
            root_key=root_key,
            root_cert=root_cert,
            key_type=key_type,
            key_path=seal_key_path,
            cert_path=seal_cert_path,
        )
        _log.info(
            "seal certificate created",
            extra={"pki_dir": str(out_dir), "key_type": key_type.value},
        )
    return MunicipalPki(
        out_dir=out_dir,
        key_type=key_type,
        root_cert_path=root_cert_path,
        seal_cert_path=seal_cert_path,
        seal_key_path=seal_key_path,
    )


CENTRAL_CA_COMMON_NAME = "Borne TEST central CA"
CENTRAL_SERVER_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True, slots=True, kw_only=True)
class CentralTls:
    """The central server's TEST TLS material: the CA a kiosk pins, and the server's pair."""

    ca_cert_path: Path
    cert_path: Path
    key_path: Path


def _server_names() -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in CENTRAL_SERVER_NAMES:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _make_central_server(
    ca_key: _PrivateKey, ca_cert: x509.Certificate, *, cert_path: Path, key_path: Path
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(tz=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Borne TEST central server"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_server_names(), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA384())
    )
    _write_private(key_path, _key_pem(key))
    _write_public(cert_path, cert.public_bytes(serialization.Encoding.PEM))


def ensure_central_tls(out_dir: Path) -> CentralTls:
    """Create (or reuse) the TEST central CA and a server certificate for localhost / 127.0.0.1.

    The kiosk pins `ca_cert_path`; `python -m central serve --tls-cert --tls-key` serves the pair.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    ca_key_path, ca_cert_path = out_dir / "ca.key.pem", out_dir / "ca.cert.pem"
    if ca_key_path.is_file() and ca_cert_path.is_file():
        ca_key, ca_cert = _load_root(ca_key_path, ca_cert_path)
    else:
        ca_key, ca_cert = _make_root(ca_key_path, ca_cert_path, common_name=CENTRAL_CA_COMMON_NAME)
        _log.info("central test CA created", extra={"pki_dir": str(out_dir)})
    cert_path, key_path = out_dir / "server.cert.pem", out_dir / "server.key.pem"
    if not _leaf_is_usable(cert_path, key_path, ca_cert, margin=timedelta(days=7)):
        _make_central_server(ca_key, ca_cert, cert_path=cert_path, key_path=key_path)
    return CentralTls(ca_cert_path=ca_cert_path, cert_path=cert_path, key_path=key_path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.demo_pki", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("var/pki/municipal"))
    parser.add_argument("--key-type", choices=[k.value for k in KeyType], default=KeyType.EC.value)
    args = parser.parse_args(argv)
    pki = ensure_municipal_pki(args.out, key_type=KeyType(args.key_type))
    print(f"root: {pki.root_cert_path}\nseal: {pki.seal_cert_path}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
