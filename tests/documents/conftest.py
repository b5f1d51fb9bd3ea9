"""Fixtures of the document pipeline: a test PKI + SoftHSM2 token and a private cupsd, made in tmp dirs."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from devstack.cupsd import CupsdService
from devstack.demo_pki import MunicipalPki, ensure_municipal_pki
from devstack.softhsm import ensure_token
from printing.model import Address, AddressPeriod, CertificateData, Commune, Person
from printing.render import render
from printing.seal import Sealer
from printing.token import TokenConfig, unload_module

COMMUNE = Commune(
    name="Démo-sur-Meuse",
    address="Place communale 1, 5999 Démo-sur-Meuse",
    service="Service Population",
    official_title="L'Officier de l'état civil délégué",
)

HOLDER = Person(
    national_number="85031412401",
    surname="Dupont",
    first_names="Marie Claire",
    birth_date=date(1985, 3, 14),
    birth_place="Namur",
    sex="F",
    nationality="BE",
    relation="reference",
)


def member(i: int) -> Person:
    return Person(
        national_number=f"150930{i:03d}71",
        surname="Lambert",
        first_names=f"Enfant{i:02d}",
        birth_date=date(2015, 9, 30),
        birth_place="Liège",
        sex="M" if i % 2 else "F",
        nationality="IT" if i % 3 == 0 else "BE",
        relation="child",
    )


ADDRESS = Address(street="Rue de la Station 12", zip_code="5999", municipality="Démo-sur-Meuse")

LONG_NAME = ("Van den Bossche-d'Hœdt de Walckiers-Ørsted Çağlar Łukasiewicz " * 3)[:110].strip()
LONG_STREET = "Avenue du Maréchal Ferdinand Foch et des Combattants de la Grande Guerre 1914-1918 nr. 1234 boîte 56"


def history(entries: int) -> tuple[AddressPeriod, ...]:
    """`entries` successive addresses, the last one open and equal to ADDRESS."""
    periods = [
        AddressPeriod(
            address=Address(
                street=f"{LONG_STREET if i % 3 == 0 else 'Chaussée de Namur'} {i + 1}",
                zip_code=f"{5000 + i}",
                municipality="Sint-Niklaas-Waasland" if i % 2 else "Namur",
            ),
            start=date(1990 + i, 1 + i % 12, 1),
            end=date(1991 + i, 1 + i % 12, 1) - timedelta(days=1),
        )
        for i in range(entries - 1)
    ]
    periods.append(AddressPeriod(address=ADDRESS, start=date(1990 + entries - 1, 6, 1)))
    return tuple(periods)


def stress_data(*, document_type: str, language: str) -> CertificateData:
    """A 20-member household, 110-character names with diacritics, long streets, 15 addresses."""
    base = make_data(members=0, document_type=document_type, language=language, history_entries=15)
    holder = replace(HOLDER, surname=LONG_NAME, first_names=LONG_NAME[:60])
    members = tuple(
        replace(member(i), surname=LONG_NAME, first_names=f"Żaneta-Ëlodie {i:02d}")
        for i in range(19)
    )
    return replace(
        base,
        holder=holder,
        household=(holder, *members),
        address=replace(ADDRESS, street=LONG_STREET),
    )


def make_data(
    *,
    members: int = 2,
    language: str = "fr",
    document_id: str = "2026-000123",
    document_type: str = "household",
    history_entries: int = 2,
) -> CertificateData:
    return CertificateData(
        document_type=document_type,
        language=language,
        document_id=document_id,
        issued_at=datetime(2026, 3, 2, 9, 41, tzinfo=UTC),
        kiosk_id="K-TEST-01",
        verify_base_url="https://verify.example.test",
        holder=HOLDER,
        address=ADDRESS,
        household=(HOLDER, *(member(i) for i in range(members))),
        address_history=history(history_entries),
    )


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> MunicipalPki:
    return ensure_municipal_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def token(tmp_path_factory: pytest.TempPathFactory, pki: MunicipalPki) -> Iterator[TokenConfig]:
    config = ensure_token(base_dir=tmp_path_factory.mktemp("hsm"), pki=pki)
    yield config
    unload_module(config)


@pytest.fixture(scope="session")
def sealer(token: TokenConfig) -> Sealer:
    return Sealer(token)


@pytest.fixture(scope="session")
def render_sealed(sealer: Sealer) -> Callable[..., bytes]:
    def _make(**kwargs: object) -> bytes:
        data = make_data(**kwargs)  # type: ignore[arg-type]
        return sealer.seal(render(data, commune=COMMUNE), document_id=data.document_id)

    return _make


@pytest.fixture(scope="session")
def sealed_household(render_sealed: Callable[..., bytes]) -> bytes:
    return render_sealed(members=2)


@pytest.fixture(scope="session")
def cupsd() -> Iterator[CupsdService]:
    if os.geteuid() != 0:
        pytest.skip("the private cupsd with cups-pdf needs root")
    # Not tmp_path: cups filters run as `lp` and must traverse the directory (0755 chain).
    base = Path(tempfile.mkdtemp(prefix="borne-cupsd-"))
    base.chmod(0o755)
    service = CupsdService(base)
    with service:
        yield service
    shutil.rmtree(base, ignore_errors=True)
