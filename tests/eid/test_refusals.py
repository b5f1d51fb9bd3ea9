"""Cards the reader must refuse, through pcscd + vpcd: crafted files, validly signed or not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from hardware.eid import CardDataError, CardVerificationError, EidReader, TrustStore, tlv
from hardware.eid.apdu import CHUNK, MAX_IDENTITY_FILE
from hardware.eid.verify import rrn_certificate_problem
from hardware.simulators.eid import CardPki
from hardware.simulators.eid.image import DF_ID, re_sign
from hardware.simulators.eid.pki import _issue
from tests.eid.conftest import InsertCard

pytestmark = pytest.mark.pcsc

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _with_field(identity: bytes, tag: int, value: bytes) -> bytes:
    fields = [(t, value if t == tag else v) for t, v in tlv.parse_tlv(identity).items()]
    return tlv.encode_tlv(fields)


def test_root_in_the_rrn_file_is_refused(
    insert_card: InsertCard, eid_reader: EidReader, card_pki: CardPki
) -> None:
    card = insert_card("marie")
    re_sign(card.applet.image, card_pki.root_ec, rrn_certificate=card_pki.root_ec.der)
    with eid_reader.open_session() as session:
        report = session.read(strict=False).report
        assert [(c.name, c.detail) for c in report.failures] == [
            ("rrn_certificate", "root_certificate")
        ]
        with pytest.raises(CardVerificationError) as caught:
            session.read()
    assert caught.value.check == "rrn_certificate"


def test_citizen_ca_as_rrn_signer_is_refused(
    insert_card: InsertCard, eid_reader: EidReader, card_pki: CardPki
) -> None:
    card = insert_card("marie")
    ca = card_pki.citizen_ca_ec
    re_sign(card.applet.image, ca, rrn_certificate=ca.der)
    with eid_reader.open_session() as session:
        report = session.read(strict=False).report
    assert [(c.name, c.detail) for c in report.failures] == [("rrn_certificate", "ca_certificate")]


def test_rrn_certificate_rules(card_pki: CardPki, trust: TrustStore) -> None:
    assert rrn_certificate_problem(card_pki.rrn_ec.certificate, trust, now=NOW) is None
    assert rrn_certificate_problem(card_pki.rrn_rsa.certificate, trust, now=NOW) is None
    root = card_pki.root_ec.certificate
    assert rrn_certificate_problem(root, trust, now=NOW) == "root_certificate"
    ca = card_pki.citizen_ca_ec.certificate
    assert rrn_certificate_problem(ca, trust, now=NOW) == "ca_certificate"
    key = ec.generate_private_key(ec.SECP384R1())
    other = _issue(
        subject="TEST Population (EC)",
        key=key,
        issuer=card_pki.root_ec,
        ca=False,
        not_after=datetime(2040, 1, 1, tzinfo=UTC),
    )
    assert rrn_certificate_problem(other.certificate, trust, now=NOW) == "subject"
    below_ca = _issue(
        subject="TEST RRN (EC)",
        key=key,
        issuer=card_pki.citizen_ca_ec,
        ca=False,
        not_after=datetime(2040, 1, 1, tzinfo=UTC),
    )
    assert rrn_certificate_problem(below_ca.certificate, trust, now=NOW) == "untrusted"
    late = datetime(2041, 1, 1, tzinfo=UTC)
    assert rrn_certificate_problem(card_pki.rrn_ec.certificate, trust, now=late) == "expired"
    assert isinstance(root, x509.Certificate)


def test_repeated_tag_in_identity_file_is_unreadable(
    insert_card: InsertCard, eid_reader: EidReader, card_pki: CardPki
) -> None:
    card = insert_card("marie")
    identity = card.applet.image.files[(DF_ID, 0x4031)]
    re_sign(card.applet.image, card_pki.rrn_ec, identity=identity + tlv.encode_tlv([(7, b"Autre")]))
    with eid_reader.open_session() as session, pytest.raises(CardDataError) as caught:
        session.read()
    assert caught.value.translation_key == "eid.error.unreadable"


def test_repeated_tag_in_address_file_is_unreadable(
    insert_card: InsertCard, eid_reader: EidReader, card_pki: CardPki
) -> None:
    card = insert_card("marie")
    address = card.applet.image.files[(DF_ID, 0x4033)]
    body = address.rstrip(b"\x00") + tlv.encode_tlv([(1, b"Rue Ailleurs 1")])
    re_sign(card.applet.image, card_pki.rrn_ec, address=body + bytes(117 - len(body)))
    with eid_reader.open_session() as session, pytest.raises(CardDataError):
        session.read()


def test_unknown_birth_month_is_unreadable(
    insert_card: InsertCard, eid_reader: EidReader, card_pki: CardPki
) -> None:
    card = insert_card("marie")
    identity = _with_field(card.applet.image.files[(DF_ID, 0x4031)], 0x0C, b"14 FOO 1985")
    re_sign(card.applet.image, card_pki.rrn_ec, identity=identity)
    with eid_reader.open_session() as session, pytest.raises(CardDataError) as caught:
        session.read()
    assert caught.value.translation_key == "eid.error.unreadable"


def test_oversized_file_is_unreadable_after_few_apdus(
    insert_card: InsertCard, eid_reader: EidReader
) -> None:
    card = insert_card("marie")
    files = card.applet.image.files
    files[(DF_ID, 0x4031)] = files[(DF_ID, 0x4031)] + b"\x01" * 70_000
    with eid_reader.open_session() as session:
        before = session.apdu_count
        with pytest.raises(CardDataError) as caught:
            session.read()
        spent = session.apdu_count - before
    assert caught.value.translation_key == "eid.error.unreadable"
    assert spent <= 1 + MAX_IDENTITY_FILE // CHUNK + 2
