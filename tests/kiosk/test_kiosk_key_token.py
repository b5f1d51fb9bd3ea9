"""The kiosk's own key in a PKCS#11 token (SoftHSM2): made by the token, never readable, and
accepted by the REAL central for enrollment and sign-in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import PyKCS11
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from central.identity import IdentityStore
from central.process import start_central
from central.store import SqlCentralStore
from devstack.kiosk_token import ensure_kiosk_token
from kiosk.adapters.kiosk_key import Pkcs11KioskKey
from offline_queue.client import CentralClient
from offline_queue.wire import EnrollmentState, Heartbeat
from printing.token import load_module, unload_module

pytestmark = pytest.mark.hsm


def _verify(public_pem: str, signature: bytes, message: bytes) -> None:
    key = serialization.load_pem_public_key(public_pem.encode())
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert key.curve.name == "secp256r1"
    key.verify(signature, message, ec.ECDSA(hashes.SHA256()))


def test_the_token_makes_the_key_once_and_signs_what_openssl_verifies(tmp_path: Path) -> None:
    config = ensure_kiosk_token(base_dir=tmp_path / "hsm")
    try:
        key = Pkcs11KioskKey.open_or_create(config)
        message = b"kiosk-auth\ndemo-kiosk-01\n2026-12-02T04:00:00+00:00\nnonce"
        signature = key.sign(message)
        _verify(key.public_key_pem(), signature, message)
        with pytest.raises(InvalidSignature):
            _verify(key.public_key_pem(), signature, message + b"!")
        key.close()

        again = Pkcs11KioskKey.open_or_create(ensure_kiosk_token(base_dir=tmp_path / "hsm"))
        assert again.public_key_pem() == key.public_key_pem()  # found again, not made anew
        again.close()

        lib = load_module(config)
        slot = next(
            s
            for s in lib.getSlotList(tokenPresent=True)
            if lib.getTokenInfo(s).label.strip() == config.token_label
        )
        session = lib.openSession(slot, PyKCS11.CKF_SERIAL_SESSION)
        session.login(config.user_pin)
        try:
            (private,) = session.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY)])
            sensitive, extractable = session.getAttributeValue(
                private, [PyKCS11.CKA_SENSITIVE, PyKCS11.CKA_EXTRACTABLE]
            )
            assert sensitive is True
            assert extractable is False
            # a sensitive attribute is refused (CKR_ATTRIBUTE_SENSITIVE): PyKCS11 gives None
            assert session.getAttributeValue(private, [PyKCS11.CKA_VALUE]) == [None]
        finally:
            session.logout()
            session.closeSession()
    finally:
        unload_module(config)


@pytest.mark.central
def test_a_kiosk_enrolls_and_signs_in_with_its_token_key(tmp_path: Path) -> None:
    config = ensure_kiosk_token(base_dir=tmp_path / "hsm")
    key = Pkcs11KioskKey.open_or_create(config)
    db_path = tmp_path / "central.sqlite"
    server = start_central(db_path=db_path, log_path=tmp_path / "central.log")
    try:
        assert server.db_url is not None
        store = SqlCentralStore(server.db_url, migrate=False)
        try:
            identities = IdentityStore(store.engine)
            with CentralClient(
                base_url=server.url, kiosk_id="kiosk-hsm", key=key, timeout=10.0
            ) as client:
                assert client.enroll(identities.new_enrollment_code()) is EnrollmentState.PENDING
                identities.decide("kiosk-hsm", EnrollmentState.ACCEPTED)
                ack = client.heartbeat(
                    Heartbeat(kiosk_id="kiosk-hsm", version="test", sent_at=datetime.now(UTC))
                )
            assert ack is not None  # the central checked a sign-in signed inside the token
            (identity,) = identities.list_identities(state=EnrollmentState.ACCEPTED)
            assert identity.kiosk_id == "kiosk-hsm"
        finally:
            store.close()
    finally:
        server.stop()
        key.close()
        unload_module(config)
