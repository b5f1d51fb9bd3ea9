"""Pure rules of the fleet: alert transitions, findings of a heartbeat, the paper forecast,
configuration merge and ETag, the maintenance code's hash, the day's reconciliation."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from central.fleet.alerts import (
    ALERT_TRANSITIONS,
    AlertKind,
    AlertState,
    Thresholds,
    heartbeat_findings,
    paper_days_left,
)
from central.fleet.commands import maintenance_code_hash, new_maintenance_code
from central.fleet.config import ConfigInvalid, etag_of, merge, validate
from central.fleet.models import TerminalTotals
from central.fleet.reconcile import reconcile
from central.fleet.texts import LANGUAGES, catalogue
from kiosk.staff_auth import CodeHash
from offline_queue.wire import DeviceHealth, Heartbeat, PaymentStatus
from tests.central.fleet.conftest import record, valid_settings

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_alert_transitions_are_open_to_acknowledged_to_resolved_only() -> None:
    assert {
        AlertState.OPEN: {AlertState.ACKNOWLEDGED, AlertState.RESOLVED},
        AlertState.ACKNOWLEDGED: {AlertState.RESOLVED},
        AlertState.RESOLVED: set(),
    } == ALERT_TRANSITIONS


def test_every_alert_kind_has_a_title_and_what_to_do_in_french_dutch_and_english() -> None:
    for language in LANGUAGES:
        texts = catalogue(language)
        for kind in AlertKind:
            assert len(texts[kind.title_key]) > 3
            assert len(texts[kind.action_key]) > 40, (language, kind)
    keys = {language: set(catalogue(language)) for language in LANGUAGES}
    assert keys["fr"] == keys["nl"] == keys["en"]
    folder = Path(__file__).resolve().parents[3] / "central" / "fleet" / "i18n"
    assert sorted(p.stem for p in folder.glob("*.json")) == sorted(LANGUAGES)


def test_paper_forecast_divides_pages_left_by_the_pages_printed_per_day() -> None:
    # 120 pages in 6 hours = 480 a day; 240 left = half a day.
    days = paper_days_left(pages_left=240, now=6 * 3600.0, pages_now=1120, earlier=(0.0, 1000))
    assert days == pytest.approx(0.5)
    assert paper_days_left(pages_left=0, now=1.0, pages_now=None, earlier=None) == 0.0
    assert paper_days_left(pages_left=50, now=10.0, pages_now=5, earlier=(0.0, 5)) is None
    assert paper_days_left(pages_left=None, now=10.0, pages_now=9, earlier=(0.0, 5)) is None


def _hb(**fields: object) -> Heartbeat:
    return Heartbeat.model_validate({"kiosk_id": "k1", "version": "1", "sent_at": NOW, **fields})


def test_a_healthy_heartbeat_raises_nothing() -> None:
    hb = _hb(
        health={
            "printer": DeviceHealth(state="ok", pages_left=400),
            "payment_terminal": DeviceHealth(state="ok"),
            "seal_token": DeviceHealth(state="ok", certificate_not_after=NOW + timedelta(days=90)),
        },
        outbox_backlog=2,
        outbox_oldest_age_s=60,
    )
    assert (
        heartbeat_findings(hb, received_at=NOW, days_until_empty=3.0, thresholds=Thresholds()) == {}
    )


def test_each_condition_of_a_heartbeat_is_found_at_its_threshold() -> None:
    hb = _hb(
        sent_at=NOW - timedelta(seconds=121),
        health={
            "printer": DeviceHealth(state="jammed"),
            "payment_terminal": DeviceHealth(state="absent"),
            "seal_token": DeviceHealth(state="ok", certificate_not_after=NOW + timedelta(days=29)),
        },
        outbox_backlog=3,
        outbox_oldest_age_s=3601,
    )
    found = heartbeat_findings(hb, received_at=NOW, days_until_empty=0.9, thresholds=Thresholds())
    assert set(found) == {
        AlertKind.PAPER_LOW,
        AlertKind.PRINTER_FAULT,
        AlertKind.TERMINAL_FAULT,
        AlertKind.SEAL_CERTIFICATE_EXPIRING,
        AlertKind.OUTBOX_BACKLOG,
        AlertKind.CLOCK_SKEW,
    }
    assert found[AlertKind.CLOCK_SKEW].detail == "skew_s=-121"
    edge = _hb(sent_at=NOW + timedelta(seconds=120))
    assert (
        heartbeat_findings(edge, received_at=NOW, days_until_empty=1.0, thresholds=Thresholds())
        == {}
    )


def test_an_override_replaces_keys_of_a_section_and_the_etag_follows_the_content() -> None:
    default = {"prices": {"household": 250, "life": 0}, "kiosk": {"languages": ["fr", "nl"]}}
    merged = merge(default, {"prices": {"household": 300}})
    assert merged == {
        "prices": {"household": 300, "life": 0},
        "kiosk": {"languages": ["fr", "nl"]},
    }
    same = {"kiosk": {"languages": ["fr", "nl"]}, "prices": {"life": 0, "household": 300}}
    assert etag_of(merged) == etag_of(same)
    assert etag_of(merged) != etag_of(default)


@pytest.mark.parametrize(
    "change",
    [
        {"payment": {"port": "/dev/ttyS0"}},
        {"prices": {"household": -1}},
        {"prices": {"household": "2.50"}},
        {"prices": {"no_such_document": 100}},
        {"kiosk": {"id": "another-kiosk"}},
        {"kiosk": {"mode": "demo"}},
        {"kiosk": {"languages": ["xx"]}},
    ],
)
def test_settings_a_kiosk_would_refuse_are_refused(change: dict[str, object]) -> None:
    validate(valid_settings())
    with pytest.raises(ConfigInvalid):
        validate(merge(valid_settings(), change))


def test_the_maintenance_code_hash_is_checked_by_the_kiosks_staff_login() -> None:
    code = new_maintenance_code()
    assert len(code) == 8
    assert code.isdigit()
    checked = CodeHash.parse(maintenance_code_hash(code))
    assert checked.matches(code)
    assert not checked.matches("00000000" if code != "00000000" else "11111111")


_sections = st.dictionaries(
    st.sampled_from(["kiosk", "commune", "prices", "staff"]),
    st.dictionaries(st.text(min_size=1, max_size=8), st.integers(0, 1000), max_size=4),
    max_size=4,
)


@given(_sections, _sections)
def test_merge_keeps_every_override_value_and_the_etag_ignores_key_order(
    default: dict[str, object], override: dict[str, object]
) -> None:
    merged = merge(default, override)
    for section, body in override.items():
        assert isinstance(body, dict)
        for key, value in body.items():
            assert merged[section][key] == value  # type: ignore[index]
    assert merge(default, {}) == default
    shuffled: dict[str, object] = {
        k: dict(reversed(list(v.items()))) if isinstance(v, dict) else v
        for k, v in reversed(list(merged.items()))
    }
    assert etag_of(shuffled) == etag_of(merged)


def test_a_balanced_day_matches_the_terminal_totals() -> None:
    records = [record("k1", amount_cents=250), record("k1", amount_cents=300)]
    totals = TerminalTotals(count=2, total_cents=550, reported_at=NOW)
    day = reconcile(kiosk_id="k1", day=date(2026, 12, 1), records=records, terminal=totals)
    assert day.balanced, day.differences
    assert (day.payments_approved, day.net_cents, day.documents_issued) == (2, 550, 2)


def test_differences_of_a_day_are_flagged_with_their_operations() -> None:
    paid_nothing = record("k1", amount_cents=250, documents=0)
    unknown = record(
        "k1", amount_cents=250, payment_status=PaymentStatus.UNKNOWN, outcome="payment_unknown"
    )
    reversed_ = record("k1", amount_cents=300, outcome="abandoned_reversed", documents=0)
    totals = TerminalTotals(count=2, total_cents=500, reported_at=NOW)
    day = reconcile(
        kiosk_id="k1",
        day=date(2026, 12, 1),
        records=[paid_nothing, unknown, reversed_],
        terminal=totals,
    )
    codes = {d.code: d for d in day.differences}
    assert codes["paid_without_document"].operation_ids == (paid_nothing.operation_id,)
    assert codes["payment_unknown"].operation_ids == (unknown.operation_id,)
    assert codes["document_without_payment"].operation_ids == (unknown.operation_id,)
    assert codes["amount_mismatch"].detail == "kiosk=250 terminal=500"
    assert codes["count_mismatch"].detail == "kiosk=1 terminal=2"
    assert (day.payments_reversed, day.payments_reversed_cents) == (1, 300)
    assert not day.balanced
    assert json.loads(day.model_dump_json())["balanced"] is False
