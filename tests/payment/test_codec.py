from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hardware.payment.zvt import messages as msg
from hardware.payment.zvt import totals
from hardware.payment.zvt.codec import (
    BMP_LENGTHS,
    DLE,
    LLLVAR,
    LLVAR,
    TLV,
    UNPARSED,
    Apdu,
    BadFrame,
    Bmp,
    CodecError,
    FrameDecoder,
    FrameReceived,
    Tlv,
    Transport,
    TransportByte,
    crc16,
    decode_apdu,
    decode_bcd,
    decode_bmps,
    decode_frame,
    decode_tlv,
    encode_apdu,
    encode_bcd,
    encode_bmps,
    encode_frame,
    encode_tlv,
)
from hardware.payment.zvt.fields import (
    StatusInformation,
    decode_masked_pan,
    encode_masked_pan,
    status_information,
)


# CRC-16/KERMIT as catalogued (reveng CRC catalogue, "CRC-16/KERMIT": width 16, poly 0x1021,
# init 0x0000, refin/refout true, xorout 0x0000, check 0x2189 over ASCII "123456789").
def test_crc_catalogue_check_value() -> None:
    assert crc16(b"123456789") == 0x2189
    assert crc16(b"123456789") != 0x31C3  # the non-reflected XMODEM check value


def test_crc_catalogue_empty_input() -> None:
    assert crc16(b"") == 0x0000


def test_real_ack_frame() -> None:
    # The positive acknowledgement 80 00 00 as sent on a real serial line (payment-terminals.md, section 2).
    real = bytes.fromhex("10 02 80 00 00 10 03 F5 1F")
    assert encode_frame(encode_apdu(msg.ack())) == real
    assert decode_frame(real) == b"\x80\x00\x00"


def test_real_ack_frame_with_xmodem_crc_is_refused() -> None:
    # The same frame carrying the XMODEM CRC a wrong codec sends: a terminal NAKs it, so do we.
    events = FrameDecoder().feed(bytes.fromhex("10028000001003") + b"\x00\x00")
    assert events == [BadFrame(reason="crc")]


def test_authorisation_with_dle_doubling() -> None:
    # 06 01, 10.10 EUR, currency 0978: both 0x10 bytes of the amount are doubled on the line.
    apdu = msg.authorisation(amount_cents=1010, currency=978)
    raw = encode_apdu(apdu)
    assert raw.hex() == "06010a" + "04000000001010" + "490978"
    frame = encode_frame(raw)
    body = raw.replace(b"\x10", b"\x10\x10")
    assert frame[:-2] == b"\x10\x02" + body + b"\x10\x03"
    assert body.count(b"\x10\x10") == 2
    assert decode_frame(frame) == raw


def test_authorisation_sends_no_trace_number() -> None:
    # The specification lists amount, currency and optional fields for 06 01, not BMP 0B.
    apdu = msg.authorisation(amount_cents=250, currency=978)
    assert [b.tag for b in decode_bmps(apdu.data)] == [0x04, 0x49]


def test_extended_length() -> None:
    apdu = Apdu(cls=0x06, instr=0xD3, data=bytes(300))
    raw = encode_apdu(apdu)
    assert raw[:5] == bytes([0x06, 0xD3, 0xFF, 0x2C, 0x01])
    assert decode_apdu(raw) == apdu


def test_transport_bytes_and_noise_outside_frames() -> None:
    events = FrameDecoder().feed(b"\x06\x15\xaa" + encode_frame(b"\x80\x00\x00"))
    assert events[:2] == [
        Transport(byte=TransportByte.ACK),
        Transport(byte=TransportByte.NAK),
    ]
    assert events[-1] == FrameReceived(apdu=b"\x80\x00\x00")


apdus = st.builds(
    Apdu,
    cls=st.integers(0, 255),
    instr=st.integers(0, 255),
    data=st.binary(max_size=600),
)


@given(apdus)
def test_apdu_round_trip(apdu: Apdu) -> None:
    assert decode_apdu(encode_apdu(apdu)) == apdu


@given(st.binary(max_size=700), st.lists(st.integers(1, 40), max_size=50))
def test_frame_round_trip_in_any_chunks(apdu: bytes, cuts: list[int]) -> None:
    frame = encode_frame(apdu)
    decoder = FrameDecoder()
    events = []
    pos = 0
    for cut in cuts:
        events += decoder.feed(frame[pos : pos + cut])
        pos += cut
    events += decoder.feed(frame[pos:])
    assert events == [FrameReceived(apdu=apdu)]


@given(st.binary(min_size=1, max_size=200), st.data())
def test_single_byte_corruption_is_always_detected(apdu: bytes, data: st.DataObject) -> None:
    frame = bytearray(encode_frame(apdu))
    # positions after DLE STX and outside the DLE ETX trailer, never touching a DLE byte
    candidates = [i for i in range(2, len(frame)) if frame[i] != DLE and frame[i - 1] != DLE]
    assume(candidates)
    index = data.draw(st.sampled_from(candidates))
    value = data.draw(st.integers(0, 255).filter(lambda v: v not in (DLE, frame[index])))
    frame[index] = value
    events = FrameDecoder().feed(bytes(frame))
    assert not any(isinstance(e, FrameReceived) for e in events)
    assert any(isinstance(e, BadFrame) for e in events)


def test_corrupt_frame_raises() -> None:
    frame = bytearray(encode_frame(b"\x06\x01\x00"))
    frame[-1] ^= 0x01
    with pytest.raises(CodecError):
        decode_frame(bytes(frame))


@given(st.integers(0, 999_999_999_999))
def test_bcd_round_trip(value: int) -> None:
    assert decode_bcd(encode_bcd(value, size=6)) == value


def test_bcd_rejects_overflow_and_non_digits() -> None:
    with pytest.raises(CodecError):
        encode_bcd(1000, size=1)
    with pytest.raises(CodecError):
        decode_bcd(b"\x1a")


def _bmp_strategy() -> st.SearchStrategy[Bmp]:
    def for_tag(tag: int) -> st.SearchStrategy[Bmp]:
        kind = BMP_LENGTHS[tag]
        if kind == LLVAR:
            size = st.binary(max_size=99)
        elif kind == LLLVAR:
            size = st.binary(max_size=999)
        elif kind == TLV:
            size = st.binary(max_size=400)
        else:
            size = st.binary(min_size=kind, max_size=kind)
        return size.map(lambda value: Bmp(tag=tag, value=value))

    return st.sampled_from(sorted(BMP_LENGTHS)).flatmap(for_tag)


@given(st.lists(_bmp_strategy(), max_size=8))
def test_bmp_round_trip(bmps: list[Bmp]) -> None:
    assert decode_bmps(encode_bmps(bmps)) == tuple(bmps)


def test_undeclared_bmp_is_kept_raw_after_the_known_fields() -> None:
    fields = decode_bmps(b"\x27\x00\xfe\x01\x02")
    assert fields == (Bmp(tag=0x27, value=b"\x00"), Bmp(tag=UNPARSED, value=b"\xfe\x01\x02"))
    assert encode_bmps(fields) == b"\x27\x00\xfe\x01\x02"


tlv_leaf = st.builds(Tlv, tag=st.sampled_from([0x07, 0x1F07, 0x09]), value=st.binary(max_size=300))
tlv_tree = st.recursive(
    tlv_leaf,
    lambda children: st.builds(
        Tlv, tag=st.sampled_from([0x25, 0x24]), children=st.lists(children, max_size=4).map(tuple)
    ),
    max_leaves=10,
)


@given(st.lists(tlv_tree, max_size=4))
def test_tlv_round_trip(items: list[Tlv]) -> None:
    assert decode_tlv(encode_tlv(items)) == tuple(items)


@given(st.text(alphabet="0123456789", min_size=12, max_size=19))
def test_pan_is_never_revealed_beyond_last_four(pan: str) -> None:
    masked = decode_masked_pan(encode_masked_pan(pan))
    assert masked.endswith(pan[-4:])
    assert set(masked[:-4]) == {"*"}


status_infos = st.builds(
    StatusInformation,
    result_code=st.integers(0, 255),
    amount_cents=st.none() | st.integers(0, 10**9),
    trace=st.none() | st.integers(0, 999_999),
    original_trace=st.none() | st.integers(0, 999_999),
    receipt_number=st.none() | st.integers(0, 9999),
    terminal_id=st.sampled_from(["", "52500001"]),
    auth_code=st.text(alphabet="ABC0123456789", max_size=8),
    card_type=st.none() | st.integers(0, 255),
    card_name=st.sampled_from(["", "Bancontact", "Maestro"]),
    currency=st.none() | st.just(978),
    totals=st.none()
    | st.builds(
        totals.IndividualTotals,
        first_receipt=st.integers(0, 9999),
        last_receipt=st.integers(0, 9999),
        groups=st.tuples(
            *(
                st.builds(
                    totals.GroupTotal,
                    group=st.just(name),
                    count=st.integers(0, 255),
                    amount_cents=st.integers(0, 10**12 - 1),
                )
                for name in totals.TOTALS_GROUPS
            )
        ),
    ),
)


@given(status_infos)
def test_status_information_round_trip(info: StatusInformation) -> None:
    assert msg.parse_terminal_message(status_information(info)) == info


@given(st.lists(st.text(alphabet="ABCabc 0123.:*-", max_size=40), max_size=20))
def test_text_block_round_trip(lines: list[str]) -> None:
    parsed = msg.parse_terminal_message(msg.text_block(lines))
    assert parsed == msg.PrintText(lines=tuple(lines))


@given(st.integers(1, 10**9))
def test_authorisation_round_trip(amount: int) -> None:
    command = msg.parse_ecr_command(msg.authorisation(amount_cents=amount, currency=978))
    assert (command.amount_cents, command.currency, command.ecr_trace) == (amount, 978, None)


def test_reversal_carries_password_and_receipt() -> None:
    command = msg.parse_ecr_command(msg.reversal(password="123456", receipt_number=42))
    assert command.password == "123456"
    assert command.receipt_number == 42


def test_result_keys() -> None:
    assert msg.result_key(0x00) == "payment.approved"
    assert msg.result_key(0x05) == "payment.declined"
    assert msg.result_key(0x6C) == "payment.cancelled"
    assert msg.result_key(0xB4) == "payment.already_reversed"
    assert msg.status_key(0x0A) == "payment.status.insert_card"
    assert msg.status_key(0x01) == "payment.status.enter_pin"
