"""The REAL central server over HTTPS with the TEST PKI's server certificate (127.0.0.1 and
localhost): the enrolled kiosk pins the central's CA, another CA is refused; curl checks /healthz."""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from central.process import start_central
from devstack.demo_pki import ensure_central_tls
from offline_queue.client import CentralClient
from offline_queue.errors import CentralUnavailable
from offline_queue.wire import Heartbeat
from tests.central.kiosks import enroll_key

pytestmark = pytest.mark.central


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pki(folder: Path) -> tuple[Path, Path, Path]:
    """A test CA and a server certificate for 127.0.0.1 signed by it (CA, cert, key)."""
    now = dt.datetime.now(tz=dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Borne TEST central CA"))
        .issuer_name(_name("Borne TEST central CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("central"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = (folder / "ca.pem", folder / "central.pem", folder / "central.key")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def test_the_central_serves_https_to_a_kiosk_that_pins_its_ca(tmp_path: Path) -> None:
    tls = ensure_central_tls(tmp_path / "pki")
    ca = tls.ca_cert_path
    (tmp_path / "other").mkdir()
    other_ca, _, _ = _pki(tmp_path / "other")
    with start_central(
        db_path=tmp_path / "central.sqlite3", tls=(tls.cert_path, tls.key_path)
    ) as server:
        assert server.url.startswith("https://127.0.0.1:")
        kiosk_id = f"kiosk-{uuid.uuid4().hex[:8]}"
        hb = Heartbeat(kiosk_id=kiosk_id, version="1", sent_at=dt.datetime.now(tz=dt.UTC))
        key = enroll_key(server, kiosk_id, ca_file=ca)
        with CentralClient(
            base_url=server.url, kiosk_id=kiosk_id, key=key, timeout=10.0, ca_file=ca
        ) as pinned:
            assert pinned.heartbeat(hb).next_poll_seconds > 0
        with (
            CentralClient(
                base_url=server.url, kiosk_id=kiosk_id, key=key, timeout=10.0, ca_file=other_ca
            ) as wrong,
            pytest.raises(CentralUnavailable),
        ):
            wrong.heartbeat(hb)
        localhost = server.url.replace("127.0.0.1", "localhost")
        with CentralClient(
            base_url=localhost, kiosk_id=kiosk_id, key=key, timeout=10.0, ca_file=ca
        ) as by_name:
            assert by_name.heartbeat(hb).next_poll_seconds > 0

        if shutil.which("curl") is not None:
            done = subprocess.run(
                ["curl", "-sS", "--cacert", str(ca), f"{server.url}/healthz"],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            )
            assert '"status":"ok"' in done.stdout
