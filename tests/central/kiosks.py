"""Test kiosks for the REAL central server: enrolled with their own key, and a resident's card.

`enrolled_client` does what an operator and a kiosk do (a one-time code, the kiosk's signed
enrollment over the API, the operator's accept on the database); `citizen_proof` has a virtual eID
card (the card reader's own code over the in-process transport) sign the central's nonce.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path

import requests
from cryptography.hazmat.primitives.asymmetric import ec

from central.identity import IdentityStore
from central.process import RunningCentral
from central.store import SqlCentralStore
from hardware.eid import EidReader, TrustStore
from hardware.simulators.eid import CardPki, InProcessCardTransport, ensure_card_pki, load_persona
from hardware.simulators.eid.pki import default_pki_dir
from offline_queue.client import (
    CentralClient,
    SoftwareKioskKey,
    proof_to_wire,
    signed_auth_request,
)
from offline_queue.wire import AuthToken, CitizenProofWire, EnrollmentState


@cache
def card_pki() -> CardPki:
    """The TEST card PKI of the checkout (`var/pki/card`, made by `make setup`)."""
    return ensure_card_pki(default_pki_dir())


def citizen_roots() -> tuple[Path, ...]:
    """What a test central trusts for citizen proofs beside the real Belgian roots."""
    return (card_pki().test_roots_pem,)


def enroll_key(
    server: RunningCentral, kiosk_id: str, *, ca_file: Path | None = None
) -> SoftwareKioskKey:
    """A fresh key for `kiosk_id`, enrolled through `server`'s API and accepted on its database."""
    assert server.db_url is not None
    key = SoftwareKioskKey(ec.generate_private_key(ec.SECP256R1()))
    store = SqlCentralStore(server.db_url, migrate=False)
    try:
        identities = IdentityStore(store.engine)
        with CentralClient(
            base_url=server.url, kiosk_id=kiosk_id, key=key, timeout=10.0, ca_file=ca_file
        ) as client:
            assert client.enroll(identities.new_enrollment_code()) is EnrollmentState.PENDING
        identities.decide(kiosk_id, EnrollmentState.ACCEPTED)
    finally:
        store.close()
    return key


def enrolled_client(
    server: RunningCentral,
    kiosk_id: str,
    *,
    ca_file: Path | None = None,
    timeout: float = 10.0,
) -> CentralClient:
    """A client of `kiosk_id`, enrolled with a fresh key and accepted."""
    key = enroll_key(server, kiosk_id, ca_file=ca_file)
    return CentralClient(
        base_url=server.url, kiosk_id=kiosk_id, key=key, timeout=timeout, ca_file=ca_file
    )


def kiosk_token(server: RunningCentral, kiosk_id: str, *, ca_file: Path | None = None) -> str:
    """A short-lived token of an enrolled `kiosk_id`, for tests that speak raw HTTP."""
    key = enroll_key(server, kiosk_id, ca_file=ca_file)
    request = signed_auth_request(key, kiosk_id=kiosk_id)
    response = requests.post(
        f"{server.url}/api/v1/auth/token",
        verify=str(ca_file) if ca_file is not None else True,
        data=request.model_dump_json(),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    response.raise_for_status()
    return AuthToken.model_validate_json(response.content).token


def card_for(national_number: str, *, persona: str = "marie") -> InProcessCardTransport:
    """A virtual card of `persona`, issued to `national_number` by the TEST Citizen CA."""
    holder = dataclasses.replace(load_persona(persona), national_number=national_number)
    return InProcessCardTransport(holder, pki_dir=card_pki().directory, inserted=True)


def sign_nonce(card: InProcessCardTransport, nonce: str, *, pin: str = "1234") -> CitizenProofWire:
    """The card's citizen proof over `nonce`, through the card reader's own code."""
    trust = TrustStore.with_test_root(card_pki().test_roots_pem)
    reader = EidReader(reader_prefix=card.reader_name, trust=trust, transport=card)
    with reader.open_session() as session:
        proof = session.prove_presence(bytes.fromhex(nonce), bytearray(pin.encode()))
    return proof_to_wire(proof, nonce=nonce)


def citizen_proof(
    client: CentralClient, national_number: str, *, persona: str = "marie"
) -> CitizenProofWire:
    """A fresh nonce from the central, signed by a card issued to `national_number`."""
    nonce = client.citizen_challenge().nonce
    return sign_nonce(card_for(national_number, persona=persona), nonce)
