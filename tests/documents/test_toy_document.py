"""A document type is one module: a toy type in a temporary package is offered, priced, rendered
and sealed without touching any file of the product; eligibility greys out what a resident may not
ask for, with the reason."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from central.register import DemoRegister
from devstack.demo_pki import MunicipalPki
from devstack.register import DEMO_REGISTER
from kiosk.adapters.sync import extract_from_wire
from kiosk.app import journey_settings
from kiosk.config import load_config
from kiosk.config_reader import ConfigError
from kiosk.ports import CardHolder, Catalogue, PostalAddress, RegisterExtract
from printing.documents import CATALOGUE, Unavailable, load_package, unregister
from printing.render import render
from printing.seal import Sealer
from printing.verify import verify_pdf
from tests.documents.conftest import COMMUNE, make_data

REPO = Path(__file__).resolve().parents[2]

TOY_MODULE = """
from printing.documents.base import DocumentType, holder_block, closing, para
from printing.documents.eligibility import belgian_only


def build(ctx):
    return [
        para("Le Collège communal certifie que la personne suivante peut stationner :", ctx.styles.body),
        *holder_block(ctx, ctx.data.holder),
        *closing(ctx),
    ]


DOCUMENT = DocumentType(
    key="toy_parking",
    titles={"fr": "Attestation de stationnement", "nl": "Parkeerattest", "de": "Parkbescheinigung"},
    build=build,
    eligibility=(belgian_only(),),
)
"""


def _worktree_state() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def toy(tmp_path: Path) -> Iterator[str]:
    package = tmp_path / "toy_documents"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "parking.py").write_text(TOY_MODULE, encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    before = _worktree_state()
    try:
        assert load_package("toy_documents") == ("toy_parking",)
        yield "toy_parking"
    finally:
        unregister("toy_parking")
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.split(".")[0] == "toy_documents"]:
            del sys.modules[name]
    assert _worktree_state() == before


def _holder(national_number: str, nationality: str) -> CardHolder:
    return CardHolder(
        national_number=national_number,
        surname="X",
        first_names="Y",
        birth_date=date(1985, 3, 14),
        sex="F",
        nationality=nationality,
        address=PostalAddress(street="Rue 1", zip_code="5999", municipality="Démo-sur-Meuse"),
        card_valid_until=date(2031, 1, 1),
    )


def _extract(national_number: str) -> RegisterExtract:
    answer = DemoRegister.load(DEMO_REGISTER).extract(national_number)
    assert answer is not None
    return extract_from_wire(answer)


def _config_with(tmp_path: Path, prices: dict[str, int]) -> Path:
    """The shipped configuration with extra lines in its `[prices]` table."""
    extra = "".join(f"{name} = {cents}\n" for name, cents in prices.items())
    text = (REPO / "kiosk.toml").read_text(encoding="utf-8")
    head, marker, tail = text.partition("[prices]")
    line_end = tail.index("\n") + 1
    path = tmp_path / "kiosk.toml"
    path.write_text(head + marker + tail[:line_end] + extra + tail[line_end:], encoding="utf-8")
    return path


def test_a_toy_document_is_offered_priced_rendered_and_sealed(
    toy: str, tmp_path: Path, sealer: Sealer, pki: MunicipalPki
) -> None:
    config = load_config(_config_with(tmp_path, {toy: 150}), environ={})
    catalogue = journey_settings(config).catalogue
    assert catalogue.prices_cents[toy] == 150

    marie = "85031412401"
    assert toy in catalogue.offer(_holder(marie, "BE"), _extract(marie)).available

    data = make_data(document_type=toy, document_id="2026-TOY001")
    sealed = sealer.seal(render(data, commune=COMMUNE), document_id=data.document_id)
    check = verify_pdf(sealed, trust_roots=[pki.root_cert_path])
    assert check.valid, check.reason
    assert check.document_id == "2026-TOY001"
    out = tmp_path / "toy.pdf"
    out.write_bytes(sealed)
    text = subprocess.run(
        ["pdftotext", str(out), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "ATTESTATION DE STATIONNEMENT" in " ".join(text.split()).upper()


def test_a_price_for_an_unregistered_document_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_config_with(tmp_path, {"toy_parking": 150}), environ={})
    assert "prices.toy_parking" in str(caught.value)


def test_unavailable_documents_are_offered_greyed_with_their_reason() -> None:
    catalogue = Catalogue(prices_cents={key: 250 for key in CATALOGUE})
    chiara = "94011730205"
    offer = catalogue.offer(_holder(chiara, "IT"), _extract(chiara))
    assert "nationality" not in offer.available
    assert (
        Unavailable(document_type="nationality", reason_key="documents.unavailable.not_belgian")
        in offer.unavailable
    )
    henri = "60050507701"
    offer = catalogue.offer(_holder(henri, "BE"), _extract(henri))
    assert offer.unavailable == (
        Unavailable(
            document_type="residence_history", reason_key="documents.unavailable.no_history"
        ),
    )
    marie = "85031412401"
    offer = catalogue.offer(_holder(marie, "BE"), _extract(marie))
    assert offer.available == tuple(CATALOGUE)
    assert offer.unavailable == ()
