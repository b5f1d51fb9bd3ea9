"""pcscd dying is "reader unavailable", never "card removed"; the monitor recovers when it is back."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from hardware.eid import CardMonitor, EidReader, ReaderUnavailable
from hardware.errors import DeviceUnavailable
from hardware.simulators.pcscd import PcscdService
from tests.eid.conftest import InsertCard

pytestmark = pytest.mark.pcsc


class Events:
    def __init__(self) -> None:
        self.seen: list[str] = []
        self._changed = threading.Condition()

    def __call__(self, kind: str) -> None:
        with self._changed:
            self.seen.append(kind)
            self._changed.notify_all()

    def wait(self, kind: str, *, after: int = 0, timeout: float = 10.0) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: kind in self.seen[after:], timeout=timeout)


@pytest.fixture
def killable_pcscd(pcscd: PcscdService) -> Iterator[PcscdService]:
    if not pcscd.started_here:
        pytest.skip("pcscd is shared with other clients here; only our own may be killed")
    yield pcscd
    pcscd.start()  # whatever happened, the next tests find pcscd running


def test_pcscd_death_is_reader_unavailable_and_the_monitor_recovers(
    killable_pcscd: PcscdService,
    insert_card: InsertCard,
    eid_reader: EidReader,
    reader_prefix: str,
) -> None:
    events = Events()
    monitor = CardMonitor(reader_prefix=reader_prefix, on_event=events)
    monitor.start()
    try:
        insert_card("marie")
        assert events.wait("inserted")
        session = eid_reader.open_session()
        try:
            killable_pcscd.kill()
            with pytest.raises(ReaderUnavailable) as caught:
                session.read()
        finally:
            session.close()
        assert isinstance(caught.value, DeviceUnavailable)
        assert caught.value.translation_key == "eid.error.no_reader"
        assert events.wait("reader_unavailable")
        with pytest.raises(ReaderUnavailable):
            eid_reader.open_session()
        mark = len(events.seen)
        killable_pcscd.start()
        assert events.wait("reader_restored", after=mark)
        assert events.wait("inserted", after=mark), "the card is seen again once pcscd is back"
        with eid_reader.open_session() as again:
            assert again.read().report.ok
    finally:
        monitor.stop()
    assert "removed" not in events.seen
    assert events.seen == ["inserted", "reader_unavailable", "reader_restored", "inserted"]
