"""Golden ZVT vectors from public sources (tests/payment/vectors/zvt.txt names each source).

Every vector parses, or is refused for the reason stated here; every message this product sends
(as the ECR, or as the simulated terminal) re-encodes byte for byte where the source shows it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware.payment.zvt import messages as msg
from hardware.payment.zvt.codec import CodecError, decode_apdu, decode_frame, encode_apdu
from hardware.payment.zvt.fields import StatusInformation

VECTORS = Path(__file__).parent / "vectors" / "zvt.txt"


def _load() -> dict[str, bytes]:
    vectors: dict[str, bytes] = {}
    for raw_line in VECTORS.read_text(encoding="ascii").splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        name, hex_bytes = line.split(" ", 1)
        assert name not in vectors, f"duplicate vector {name}"
        vectors[name] = bytes.fromhex(hex_bytes.replace("-", " "))
    return vectors


V = _load()
REFUSED = {"pl_bad_length": "declared APDU length shorter than its data"}


def parse(name: str) -> msg.TerminalMessage:
    raw = decode_frame(V[name]) if name.startswith("serial_") else V[name]
    return msg.parse_terminal_message(decode_apdu(raw), status_enquiry="_status_" in name)


def test_enough_vectors() -> None:
    assert len(V) >= 20


@pytest.mark.parametrize("name", sorted(set(V) - set(REFUSED)))
def test_every_vector_parses(name: str) -> None:
    assert not isinstance(parse(name), msg.Other)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_vectors(name: str) -> None:
    with pytest.raises(CodecError):
        parse(name)


def test_acknowledgements() -> None:
    assert parse("serial_ack_frame") == msg.Positive()
    assert parse("ack") == msg.Positive()
    assert parse("error_please_wait") == msg.ErrorReply(code=msg.RESULT_PLEASE_WAIT)


def test_completion_forms() -> None:
    assert parse("completion_empty") == msg.Completion()
    with_version = parse("completion_status_version")
    assert isinstance(with_version, msg.Completion)
    assert with_version.software_version == "2.14.15"
    assert with_version.terminal_status == msg.TERMINAL_READY
    no_version = parse("completion_status_no_version")
    assert isinstance(no_version, msg.Completion)
    assert no_version.software_version is None
    assert no_version.terminal_status == msg.TERMINAL_INIT_REQUIRED
    assert no_version.terminal_id == "28004869"
    other = parse("completion_other_fields")
    assert isinstance(other, msg.Completion)
    assert (other.status_byte, other.terminal_id) == (0x00, "28004869")


def test_aborts() -> None:
    assert parse("abort_card_not_readable") == msg.TerminalAbort(result_code=0x64)
    assert parse("abort_declined") == msg.TerminalAbort(result_code=msg.RESULT_DECLINED)
    assert parse("abort_empty") == msg.TerminalAbort(result_code=msg.RESULT_SYSTEM_ERROR)


def test_status_information_from_real_terminals() -> None:
    good = parse("si_payment_good_1")
    assert isinstance(good, StatusInformation)
    assert good.result_code == msg.RESULT_SUCCESS
    assert (good.amount_cents, good.currency, good.receipt_number) == (2040, 978, 470)
    assert (good.trace, good.turnover, good.terminal_id) == (470, 470, "28004869")
    assert good.auth_code == "611804"
    assert good.card_name == "Debit Mastercard"
    assert good.masked_pan == "************4771"
    contactless = parse("si_tlv_contactless")
    assert isinstance(contactless, StatusInformation)
    assert (contactless.result_code, contactless.receipt_number) == (0, 8)
    assert contactless.card_name == "MASTERCARD"
    aborted = parse("si_abort_by_key")
    assert isinstance(aborted, StatusInformation)
    assert aborted.result_code == msg.RESULT_ABORTED
    rejected = parse("si_card_rejected")
    assert isinstance(rejected, StatusInformation)
    assert rejected.result_code == msg.RESULT_DECLINED


def test_receipts() -> None:
    assert parse("pl_title") == msg.PrintText(lines=("** KASSENSCHNITT **",))
    merchant = parse("pl_merchant")
    assert isinstance(merchant, msg.PrintText)
    assert merchant.receipt == msg.RECEIPT_MERCHANT
    assert merchant.lines[0].startswith("** H")
    assert merchant.lines[0].endswith("NDLERBELEG **")
    assert parse("pl_customer") == msg.PrintText(
        lines=("** KUNDENBELEG **",), receipt=msg.RECEIPT_CUSTOMER
    )
    block = parse("tb_customer_extended")
    assert isinstance(block, msg.PrintText)
    assert block.receipt == msg.RECEIPT_CUSTOMER
    assert block.lines[0] == "  Leihstellung von hobex"
    assert "KUNDENBELEG" in "".join(block.lines)
    admin = parse("tb_administration")
    assert isinstance(admin, msg.PrintText)
    assert admin.receipt == msg.RECEIPT_ADMINISTRATION
    assert "Abschluss - keine TX" in admin.lines


def test_intermediate_status() -> None:
    assert parse("is_insert_card") == msg.IntermediateStatus(code=msg.STATUS_INSERT_CARD)
    assert parse("is_tlv_text") == msg.IntermediateStatus(code=0xFF)


def test_what_we_send_re_encodes_byte_for_byte() -> None:
    assert encode_apdu(msg.ack()) == V["ack"]
    assert encode_apdu(msg.completion()) == V["completion_empty"]
    assert (
        encode_apdu(msg.status_completion(software_version="2.14.15", terminal_status=0x00))
        == V["completion_status_version"]
    )
    assert (
        encode_apdu(
            msg.status_completion(
                software_version=None, terminal_status=0x51, terminal_id="28004869"
            )
        )
        == V["completion_status_no_version"]
    )
    assert encode_apdu(msg.pt_abort(0x64)) == V["abort_card_not_readable"]
    assert encode_apdu(msg.intermediate_status(msg.STATUS_INSERT_CARD)) == V["is_insert_card"]
    assert encode_apdu(msg.print_line("** KASSENSCHNITT **", attribute=0x40)) == V["pl_title"]
    customer = msg.print_line("** KUNDENBELEG **", attribute=0x40, receipt=msg.RECEIPT_CUSTOMER)
    assert encode_apdu(customer) == V["pl_customer"]
