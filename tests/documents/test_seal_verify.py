from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils.generic import NameObject, TextStringObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from devstack.demo_pki import MunicipalPki, ensure_municipal_pki
from printing.errors import SigningError
from printing.render import render
from printing.seal import Sealer
from printing.verify import verify_pdf
from tests.documents.conftest import COMMUNE, make_data

pytestmark = pytest.mark.hsm


def test_sealed_household_verifies(sealed_household: bytes, pki: MunicipalPki) -> None:
    check = verify_pdf(sealed_household, trust_roots=[pki.root_cert_path])
    assert check.valid
    assert check.intact
    assert check.trusted
    assert check.reason == "documents.verify.ok"
    assert check.document_id == "2026-000123"
    assert check.signer_subject is not None
    assert "Démo-sur-Meuse electronic seal" in check.signer_subject
    assert check.signed_at is not None


def test_one_flipped_byte_breaks_the_seal(sealed_household: bytes, pki: MunicipalPki) -> None:
    tampered = bytearray(sealed_household)
    at = sealed_household.index(b"/Producer")
    tampered[at + 3] ^= 0x01
    check = verify_pdf(bytes(tampered), trust_roots=[pki.root_cert_path])
    assert not check.valid
    assert not check.intact
    assert check.reason == "documents.verify.altered"


def test_appended_update_is_not_valid(sealed_household: bytes, pki: MunicipalPki) -> None:
    writer = IncrementalPdfFileWriter(BytesIO(sealed_household))
    info = writer.trailer["/Info"].get_object()
    info[NameObject("/DocumentID")] = TextStringObject("2026-FORGED")
    writer.update_container(info)
    out = BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    check = verify_pdf(out.getvalue(), trust_roots=[pki.root_cert_path])
    assert not check.valid
    assert check.document_id == "2026-000123"


def test_other_root_is_untrusted(sealed_household: bytes, tmp_path: Path) -> None:
    stranger = ensure_municipal_pki(tmp_path / "other")
    check = verify_pdf(sealed_household, trust_roots=[stranger.root_cert_path])
    assert check.intact
    assert not check.trusted
    assert not check.valid
    assert check.reason == "documents.verify.untrusted"


def test_unsealed_and_garbage(pki: MunicipalPki) -> None:
    unsealed = render(make_data(), commune=COMMUNE)
    assert (
        verify_pdf(unsealed, trust_roots=[pki.root_cert_path]).reason == "documents.verify.no_seal"
    )
    garbage = verify_pdf(b"not a pdf", trust_roots=[pki.root_cert_path])
    assert not garbage.valid
    assert garbage.reason == "documents.verify.unreadable"


def test_sealing_the_wrong_document_is_refused(sealer: Sealer) -> None:
    pdf = render(make_data(document_id="2026-000777"), commune=COMMUNE)
    with pytest.raises(SigningError) as info:
        sealer.seal(pdf, document_id="2026-000778")
    assert info.value.translation_key == "documents.error.seal_input"


def test_qpdf_and_pdfsig_accept_the_sealed_file(sealed_household: bytes, tmp_path: Path) -> None:
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed_household)
    qpdf = subprocess.run(
        ["qpdf", "--check", str(path)], capture_output=True, text=True, check=False
    )
    assert qpdf.returncode == 0, qpdf.stdout + qpdf.stderr
    assert "No syntax or stream encoding errors" in qpdf.stdout
    pdfsig = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    assert "Signature is Valid" in pdfsig.stdout
    assert "Total document signed" in pdfsig.stdout


def test_info_and_xmp_producer_stay_equal_after_sealing(
    sealed_household: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed_household)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    meta = subprocess.run(
        ["pdfinfo", "-meta", str(path)], capture_output=True, text=True, check=True
    ).stdout
    producer = next(
        line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("Producer:")
    )
    assert producer.startswith("pyHanko")
    assert (
        f'pdf:Producer="{producer}"' in meta or f"<pdf:Producer>{producer}</pdf:Producer>" in meta
    )
    assert 'pdfaid:part="2"' in meta or "<pdfaid:part>2</pdfaid:part>" in meta


def test_signing_is_fast_with_the_cached_session(
    render_sealed: Callable[..., bytes], sealer: Sealer
) -> None:
    pdf = render(make_data(document_id="2026-000900"), commune=COMMUNE)
    started = time.perf_counter()
    for _ in range(5):
        sealer.seal(pdf, document_id="2026-000900")
    per_doc = (time.perf_counter() - started) / 5
    assert per_doc < 0.5
