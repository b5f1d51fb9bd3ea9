"""The demo's seal without SoftHSM2: the TEST key read from its PEM file, sealing like the token."""

from __future__ import annotations

import logging

import pytest

from devstack.demo_pki import KeyType, MunicipalPki, ensure_municipal_pki
from devstack.software_seal import DEMO_KEY, SoftwareSealer
from printing.errors import SigningError, TokenError
from printing.render import render
from printing.verify import verify_pdf
from tests.documents.conftest import COMMUNE, make_data


@pytest.mark.parametrize("key_type", [KeyType.EC, KeyType.RSA])
def test_software_seal_verifies_against_the_municipal_root(
    pki: MunicipalPki, key_type: KeyType, caplog: pytest.LogCaptureFixture
) -> None:
    material = ensure_municipal_pki(pki.out_dir, key_type=key_type)
    with caplog.at_level(logging.INFO):
        sealer = SoftwareSealer(pki=material, location="Démo-sur-Meuse")
        health = sealer.preflight()
        data = make_data(document_id="2026-000777")
        sealed = sealer.seal(render(data, commune=COMMUNE), document_id=data.document_id)
    assert health.ok
    assert "SOFTWARE SEAL KEY IN USE" in caplog.text
    assert any(getattr(r, "key", None) == DEMO_KEY for r in caplog.records)
    check = verify_pdf(sealed, trust_roots=[material.root_cert_path])
    assert check.valid, check.reason
    assert check.trusted
    assert check.document_id == "2026-000777"


def test_software_seal_refuses_the_wrong_document(pki: MunicipalPki) -> None:
    sealer = SoftwareSealer(pki=pki)
    data = make_data(document_id="2026-000001")
    with pytest.raises(SigningError) as caught:
        sealer.seal(render(data, commune=COMMUNE), document_id="2026-000002")
    assert caught.value.translation_key == "documents.error.seal_input"


def test_software_seal_without_its_key_file_is_a_token_error(
    pki: MunicipalPki, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other = ensure_municipal_pki(tmp_path_factory.mktemp("broken-pki"))
    other.seal_key_path.write_bytes(b"not a key")
    with pytest.raises(TokenError) as caught:
        SoftwareSealer(pki=other)
    assert caught.value.translation_key == "documents.error.seal_token_missing"
