"""The kiosks' log uploads on both databases: kept per kiosk, at most `KEPT_PER_KIOSK`, for
`RETENTION_DAYS`; an upload still holding a national number is refused and nothing is stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from central.fleet import FleetService
from central.kiosk_logs import KEPT_PER_KIOSK, RETENTION_DAYS, LogBook, PersonalDataInLogs
from offline_queue.wire import LogUpload
from tests.sync.conftest import FakeClock


def _upload(kiosk_id: str, text: str = '{"event": "sync_deferred"}\n') -> LogUpload:
    return LogUpload(
        kiosk_id=kiosk_id,
        command_id="cmd-1",
        collected_at=datetime(2027, 1, 15, 9, 30, tzinfo=UTC),
        lines=text.count("\n"),
        text=text,
    )


def test_uploads_are_kept_per_kiosk_newest_first_and_given_back(
    fleet: FleetService, kiosk_id: str
) -> None:
    book = LogBook(fleet)
    first = book.ingest(_upload(kiosk_id))
    second = book.ingest(_upload(kiosk_id, '{"event": "a"}\n{"event": "b"}\n'))
    book.ingest(_upload("another-kiosk"))
    listed = book.uploads(kiosk_id)
    assert [u.upload_id for u in listed] == [second.upload_id, first.upload_id]
    assert listed[0].lines == 2
    assert listed[0].command_id == "cmd-1"
    found = book.upload(kiosk_id, second.upload_id)
    assert found is not None
    assert found.text == '{"event": "a"}\n{"event": "b"}\n'
    assert book.upload("another-kiosk", second.upload_id) is None  # not another kiosk's
    events = fleet.timeline(kiosk_id, limit=10).events
    assert [e.kind for e in events].count("logs_uploaded") == 2


def test_only_the_newest_uploads_are_kept(fleet: FleetService, kiosk_id: str) -> None:
    book = LogBook(fleet)
    ids = [book.ingest(_upload(kiosk_id)).upload_id for _ in range(KEPT_PER_KIOSK + 3)]
    listed = [u.upload_id for u in book.uploads(kiosk_id)]
    assert listed == list(reversed(ids))[:KEPT_PER_KIOSK]
    assert book.upload(kiosk_id, ids[0]) is None


def test_uploads_older_than_the_retention_are_gone(
    fleet: FleetService, kiosk_id: str, clock: FakeClock
) -> None:
    book = LogBook(fleet)
    old = book.ingest(_upload(kiosk_id)).upload_id
    clock.advance(RETENTION_DAYS * 86400 + 1)
    assert book.uploads(kiosk_id) == ()  # hidden at once, whatever the pruning
    new = book.ingest(_upload("kiosk-other")).upload_id  # any upload prunes every kiosk's
    assert book.upload(kiosk_id, old) is None
    assert [u.upload_id for u in book.uploads("kiosk-other")] == [new]


@pytest.mark.parametrize("number", ["85031412401", "85.03.14-124.01"])
def test_an_upload_with_a_national_number_is_refused(
    fleet: FleetService, kiosk_id: str, number: str
) -> None:
    book = LogBook(fleet)
    with pytest.raises(PersonalDataInLogs):
        book.ingest(_upload(kiosk_id, f'{{"event": "resident {number}"}}\n'))
    assert book.uploads(kiosk_id) == ()
