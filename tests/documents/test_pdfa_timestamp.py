"""PDF/A-2b structure (before and after sealing) and PAdES B-T against a local RFC 3161 server."""

from __future__ import annotations

import asyncio
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path

import pytest
from asn1crypto import keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import ImageCms
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from devstack.demo_pki import MunicipalPki
from printing.errors import SigningError
from printing.icc import PROFILE_PATH, build_profile
from printing.render import render
from printing.seal import Sealer
from printing.token import TokenConfig
from printing.verify import verify_pdf
from tests.documents.conftest import COMMUNE, make_data


def test_shipped_icc_profile_is_the_generated_v2_srgb() -> None:
    assert PROFILE_PATH.read_bytes() == build_profile()
    profile = ImageCms.getOpenProfile(str(PROFILE_PATH)).profile
    assert profile.version == pytest.approx(2.1)
    assert profile.xcolor_space.strip() == "RGB"


@pytest.mark.hsm
def test_pdfa_structure_survives_sealing(sealed_household: bytes, tmp_path: Path) -> None:
    reader = PdfFileReader(BytesIO(sealed_household), strict=False)
    root = reader.root
    intent = root["/OutputIntents"][0]
    assert intent["/S"] == "/GTS_PDFA1"
    icc = intent["/DestOutputProfile"].get_object().data
    assert icc[8] == 2
    assert icc == build_profile()
    xmp = root["/Metadata"].get_object().data.decode("utf-8")
    assert 'pdfaid:part="2"' in xmp or "<pdfaid:part>2</pdfaid:part>" in xmp
    assert "application/pdf" in xmp
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed_household)
    info = subprocess.run(
        ["pdfinfo", "-isodates", str(path)], capture_output=True, text=True, check=False
    )
    mod = next(
        line.split(None, 1)[1] for line in info.stdout.splitlines() if line.startswith("ModDate")
    )
    assert mod[:19].replace("T", "") in xmp.replace("T", "")
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=False
    ).stdout
    assert all(" yes " in row for row in fonts.splitlines()[2:])
    qpdf = subprocess.run(
        ["qpdf", "--check", str(path)], capture_output=True, text=True, check=False
    )
    assert qpdf.returncode == 0, qpdf.stdout + qpdf.stderr


def _tsa_material(directory: Path) -> tuple[Path, asn1_x509.Certificate, keys.PrivateKeyInfo]:
    now = datetime.now(tz=UTC)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA root")])
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    tsa = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")]))
        .issuer_name(root_name)
        .public_key(tsa_key.public_key())
        .serial_number(2)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    root_path = directory / "tsa-root.pem"
    root_path.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    key_der = tsa_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return (
        root_path,
        asn1_x509.Certificate.load(tsa.public_bytes(serialization.Encoding.DER)),
        keys.PrivateKeyInfo.load(key_der),
    )


@pytest.fixture(scope="module")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A local RFC 3161 server on loopback (pyHanko's test time-stamper behind http.server)."""
    root_path, cert, key = _tsa_material(tmp_path_factory.mktemp("tsa"))
    stamper = DummyTimeStamper(tsa_cert=cert, tsa_key=key)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            request = tsp.TimeStampReq.load(body)
            reply = asyncio.run(stamper.async_request_tsa_response(request)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", root_path
    server.shutdown()
    server.server_close()


@pytest.mark.hsm
def test_seal_with_tsa_is_pades_b_t(
    tsa: tuple[str, Path], token: TokenConfig, pki: MunicipalPki
) -> None:
    url, tsa_root = tsa
    sealer = Sealer(token, tsa_url=url)
    data = make_data(document_id="2026-BT-1")
    sealed = sealer.seal(render(data, commune=COMMUNE), document_id=data.document_id)
    check = verify_pdf(sealed, trust_roots=[pki.root_cert_path, tsa_root])
    assert check.valid
    assert check.timestamped
    assert check.timestamp_at is not None


@pytest.mark.hsm
def test_unreachable_tsa_falls_back_to_b_b_or_refuses(
    token: TokenConfig, pki: MunicipalPki
) -> None:
    data = make_data(document_id="2026-BT-2")
    pdf = render(data, commune=COMMUNE)
    dead = "http://127.0.0.1:9/"
    sealed = Sealer(token, tsa_url=dead, tsa_timeout=1).seal(pdf, document_id=data.document_id)
    check = verify_pdf(sealed, trust_roots=[pki.root_cert_path])
    assert check.valid
    assert not check.timestamped
    with pytest.raises(SigningError) as info:
        Sealer(token, tsa_url=dead, tsa_timeout=1, require_timestamp=True).seal(
            pdf, document_id=data.document_id
        )
    assert info.value.translation_key == "documents.error.tsa"
