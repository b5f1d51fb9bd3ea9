from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from devstack.demo_pki import SEAL_COMMON_NAME, KeyType, MunicipalPki, ensure_municipal_pki
from devstack.softhsm import ensure_token
from printing.pkcs11_signer import Pkcs11SealSigner
from printing.token import TokenConfig

pytestmark = pytest.mark.hsm
REPO = Path(__file__).resolve().parents[2]


def test_pki_is_idempotent_and_issues_an_ec_seal(pki: MunicipalPki) -> None:
    before = {
        p: p.read_bytes() for p in (pki.root_cert_path, pki.seal_cert_path, pki.seal_key_path)
    }
    again = ensure_municipal_pki(pki.out_dir)
    assert again == pki
    assert {p: p.read_bytes() for p in before} == before
    cert = pki.seal_certificate()
    assert SEAL_COMMON_NAME in cert.subject.rfc4514_string()
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert cert.issuer == pki.root_certificate().subject
    assert pki.seal_key_path.stat().st_mode & 0o077 == 0


def test_rsa_seal_shares_the_root(pki: MunicipalPki) -> None:
    rsa_pki = ensure_municipal_pki(pki.out_dir, key_type=KeyType.RSA)
    assert rsa_pki.root_cert_path == pki.root_cert_path
    assert isinstance(rsa_pki.seal_certificate().public_key(), rsa.RSAPublicKey)


def test_token_is_idempotent_and_hides_pins(token: TokenConfig, pki: MunicipalPki) -> None:
    assert token.conf_path is not None
    again = ensure_token(base_dir=token.conf_path.parent, pki=pki)
    assert again == token
    assert token.user_pin not in repr(token)
    assert token.token_label == "borne-seal"
    assert token.key_label == "seal"


def test_signer_health(token: TokenConfig) -> None:
    health = Pkcs11SealSigner.shared(token).health()
    assert health.ok
    assert health.token_present
    assert health.logged_in
    assert health.days_left is not None
    assert health.days_left > 300
    assert "electronic seal" in health.certificate_subject


def test_rsa_token_seals_and_verifies(tmp_path: Path) -> None:
    # Another token configuration needs its own process (one SoftHSM2 configuration per process).
    script = f"""
import json, sys
from pathlib import Path
from devstack.demo_pki import KeyType, ensure_municipal_pki
from devstack.softhsm import ensure_token
from printing.seal import Sealer
from printing.render import render
from printing.verify import verify_pdf
sys.path.insert(0, {str(REPO)!r})
from tests.documents.conftest import COMMUNE, make_data
base = Path({str(tmp_path)!r})
pki = ensure_municipal_pki(base / "pki", key_type=KeyType.RSA)
token = ensure_token(base_dir=base / "hsm", pki=pki)
data = make_data(document_id="2026-RSA-1")
pdf = Sealer(token).seal(render(data, commune=COMMUNE), document_id=data.document_id)
check = verify_pdf(pdf, trust_roots=[pki.root_cert_path])
print(json.dumps({{"valid": check.valid, "document_id": check.document_id}}))
"""
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == {"valid": True, "document_id": "2026-RSA-1"}
