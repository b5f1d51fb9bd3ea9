"""Fixtures: a test PKI, pcscd with vpcd, and virtual cards in slot 1 behind the real pcscd."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from smartcard import scard

from hardware.eid import EidReader, TrustStore
from hardware.simulators.eid import CardFaults, CardPki, VirtualCard, ensure_card_pki
from hardware.simulators.pcscd import PcscdService

SLOT = 1  # slot 0 is the one demos on a shared pcscd use


def wait_for(
    condition: Callable[[], bool], *, timeout: float = 5.0, interval: float = 0.02
) -> bool:
    """Poll `condition` until it holds or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def wait_for_removal_event(reader: str, *, timeout: float = 3.0) -> bool:
    """Block until pcscd's event handler has counted a card removal on `reader`."""
    code, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    assert code == scard.SCARD_S_SUCCESS
    try:
        code, states = scard.SCardGetStatusChange(context, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
        if not states[0][1] & scard.SCARD_STATE_PRESENT:
            return True  # already registered
        start = states[0][1] >> 16
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            known = states[0][1] & ~scard.SCARD_STATE_CHANGED
            code, states = scard.SCardGetStatusChange(context, 200, [(reader, known)])
            if code == scard.SCARD_S_SUCCESS:
                event = states[0][1]
                if event >> 16 != start and not event & scard.SCARD_STATE_PRESENT:
                    return True
        return False
    finally:
        scard.SCardReleaseContext(context)


@pytest.fixture(scope="session")
def card_pki(tmp_path_factory: pytest.TempPathFactory) -> CardPki:
    return ensure_card_pki(tmp_path_factory.mktemp("card-pki"))


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PcscdService]:
    service = PcscdService(log_path=tmp_path_factory.mktemp("pcscd") / "pcscd.log")
    with service:
        yield service


@pytest.fixture(scope="session")
def trust(card_pki: CardPki) -> TrustStore:
    return TrustStore.with_test_root(card_pki.test_roots_pem)


@pytest.fixture
def reader_prefix(pcscd: PcscdService) -> str:
    return f"{pcscd.reader_prefix} 00 {SLOT:02d}"


@pytest.fixture
def eid_reader(reader_prefix: str, trust: TrustStore) -> EidReader:
    return EidReader(reader_prefix=reader_prefix, trust=trust)


InsertCard = Callable[..., VirtualCard]


@pytest.fixture
def insert_card(
    pcscd: PcscdService, card_pki: CardPki, eid_reader: EidReader
) -> Iterator[InsertCard]:
    """Insert a persona's card in slot 1 and wait until pcscd sees it; removed at teardown."""
    cards: list[VirtualCard] = []

    def insert(persona: str, *, faults: CardFaults | None = None) -> VirtualCard:
        card = VirtualCard(
            persona,
            host=pcscd.vpcd_host,
            port=pcscd.vpcd_port(SLOT),
            pki_dir=card_pki.directory,
            faults=faults,
        )
        cards.append(card)
        card.insert()
        assert wait_for(eid_reader.card_present), "pcscd did not notice the virtual card"
        return card

    yield insert
    for card in cards:
        card.close()
    assert wait_for(lambda: not eid_reader.card_present()), "pcscd still sees a card"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents and "pcscd" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.pcsc)
