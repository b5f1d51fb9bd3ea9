"""Round trips and strictness of the wire models."""

from __future__ import annotations

import json
from datetime import UTC, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from offline_queue.wire import (
    AddressPeriod,
    BatchAck,
    Heartbeat,
    IssuanceRecord,
    PaymentStatus,
    RecordBatch,
    RegisterExtractRequest,
    RegisterExtractResponse,
    RegisterMember,
    Sex,
    WireAddress,
)
from tests.sync.factories import issuance_record

identifiers = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.:\-]{0,40}\Z")
tokens = st.from_regex(r"\A[a-z0-9][a-z0-9_.\-]{0,20}\Z")
aware = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=2))]))
texts = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=60)
national_numbers = st.from_regex(r"\A[0-9]{11}\Z")
codes = st.from_regex(r"\A[0-9a-f]{12}\Z")


@st.composite
def records(draw: st.DrawFn, kiosk_id: str | None = None) -> IssuanceRecord:
    ids = draw(st.lists(identifiers, max_size=4, unique=True))
    with_codes = bool(ids) and draw(st.booleans())
    return IssuanceRecord(
        operation_id=draw(identifiers),
        kiosk_id=kiosk_id or draw(identifiers),
        occurred_at=draw(aware),
        outcome=draw(tokens),
        documents=tuple(draw(st.lists(tokens, max_size=4))),
        document_ids=tuple(ids),
        document_codes=tuple(draw(codes) for _ in ids) if with_codes else (),
        amount_cents=draw(st.integers(min_value=0, max_value=100_000)),
        payment_status=draw(st.sampled_from(PaymentStatus)),
        receipt_number=draw(st.none() | identifiers),
        extra=draw(st.dictionaries(tokens, st.from_regex(r"\A[a-z ]{0,20}\Z"), max_size=3)),
    )


@st.composite
def batches(draw: st.DrawFn) -> RecordBatch:
    kiosk = draw(identifiers)
    items = draw(
        st.lists(records(kiosk), min_size=1, max_size=5, unique_by=lambda r: r.operation_id)
    )
    return RecordBatch(batch_id=draw(identifiers), kiosk_id=kiosk, records=tuple(items))


addresses = st.builds(
    WireAddress, street=texts, zip_code=st.from_regex(r"\A[0-9]{4}\Z"), municipality=texts
)


@st.composite
def extracts(draw: st.DrawFn) -> RegisterExtractResponse:
    period = st.builds(
        AddressPeriod, address=addresses, start=st.dates(), end=st.none() | st.dates()
    )
    member = st.builds(
        RegisterMember,
        national_number=national_numbers,
        surname=texts,
        first_names=texts,
        birth_date=st.dates(),
        birth_place=texts,
        sex=st.sampled_from(Sex),
        nationality=st.from_regex(r"\A[A-Z]{2}\Z"),
        relation=tokens,
        address_history=st.lists(period, max_size=3).map(tuple),
    )
    return RegisterExtractResponse(
        household_id=draw(identifiers),
        address=draw(addresses),
        members=tuple(draw(st.lists(member, min_size=1, max_size=4))),
    )


@given(records())
def test_issuance_record_round_trip(record: IssuanceRecord) -> None:
    assert IssuanceRecord.model_validate_json(record.model_dump_json()) == record


@given(batches())
def test_record_batch_round_trip(batch: RecordBatch) -> None:
    assert RecordBatch.model_validate_json(batch.model_dump_json()) == batch


@given(extracts())
def test_register_extract_round_trip(extract: RegisterExtractResponse) -> None:
    assert RegisterExtractResponse.model_validate_json(extract.model_dump_json()) == extract


@given(
    st.builds(
        Heartbeat,
        kiosk_id=identifiers,
        version=st.from_regex(r"\A[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6}\Z"),
        sent_at=aware,
        devices=st.dictionaries(identifiers, tokens, max_size=4),
        outbox_backlog=st.integers(min_value=0, max_value=10_000),
    )
)
def test_heartbeat_round_trip(hb: Heartbeat) -> None:
    assert Heartbeat.model_validate_json(hb.model_dump_json()) == hb


def test_every_message_carries_its_schema_version() -> None:
    ack = BatchAck(batch_id="b1", accepted=("a",))
    assert json.loads(ack.model_dump_json())["schema_version"] == 1
    body = json.loads(issuance_record(kiosk_id="k1").model_dump_json())
    body["schema_version"] = 2
    with pytest.raises(ValidationError):
        IssuanceRecord.model_validate(body)


def test_unknown_fields_are_refused() -> None:
    body = json.loads(issuance_record(kiosk_id="k1").model_dump_json())
    body["surname"] = "Dupont"
    with pytest.raises(ValidationError):
        IssuanceRecord.model_validate(body)


def test_naive_datetimes_are_refused() -> None:
    body = json.loads(issuance_record(kiosk_id="k1").model_dump_json())
    body["occurred_at"] = "2026-11-23T10:30:00"
    with pytest.raises(ValidationError):
        IssuanceRecord.model_validate(body)


@pytest.mark.parametrize("note", ["resident 85.03.14-124.01", "85031412401", "nn 85 03 14 124 01"])
def test_a_national_number_cannot_hide_in_extra(note: str) -> None:
    body = json.loads(issuance_record(kiosk_id="k1").model_dump_json())
    body["extra"] = {"note": note}
    with pytest.raises(ValidationError):
        IssuanceRecord.model_validate(body)


@given(st.binary(min_size=16, max_size=16))
def test_operation_ids_in_extra_are_not_taken_for_national_numbers(raw: bytes) -> None:
    body = json.loads(issuance_record(kiosk_id="k1").model_dump_json())
    body["extra"] = {"reference": raw.hex(), "digits": "a85031412401b"}
    assert IssuanceRecord.model_validate(body).extra["reference"] == raw.hex()


def test_a_batch_holds_only_its_own_kiosks_records() -> None:
    with pytest.raises(ValidationError):
        RecordBatch(batch_id="b", kiosk_id="k1", records=(issuance_record(kiosk_id="k2"),))


def test_a_batch_has_no_repeated_operation() -> None:
    record = issuance_record(kiosk_id="k1")
    with pytest.raises(ValidationError):
        RecordBatch(batch_id="b", kiosk_id="k1", records=(record, record))


def test_national_numbers_stay_out_of_repr() -> None:
    request = RegisterExtractRequest(national_number="85031412401")
    assert "85031412401" not in repr(request)
    assert "85031412401" not in str(request)


@pytest.mark.parametrize("value", ["8503141240", "850314124011", "85.03.14-124.01", ""])
def test_malformed_national_numbers_are_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        RegisterExtractRequest(national_number=value)
