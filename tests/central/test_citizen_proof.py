"""The register extract only for the citizen present, through REAL central servers over HTTPS.

The kiosk is enrolled with its own key; the central's nonce is signed by a virtual eID card through
the card reader's own code; the central checks it with the TEST Citizen CA pinned beside the real
Belgian roots. Refused: no proof, a replayed proof, a proof for another person, a nonce issued to
another kiosk, a cloned card (genuine certificates, other keys), an untrusted CA; every lookup is
audited with the national number masked; nonces are rate-limited per kiosk (429, Retry-After).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from central import citizen_proof as cp
from central.process import RunningCentral, start_central
from central.settings import CHALLENGES_ENV, DEFAULT_CHALLENGES_PER_MINUTE, CentralSettings
from central.store import SqlCentralStore
from devstack.demo_pki import CentralTls, ensure_central_tls
from offline_queue.client import CentralClient
from offline_queue.errors import CentralUnavailable, CitizenProofRefused, NotInRegister
from offline_queue.wire import CitizenProofWire
from tests.central.databases import BACKENDS, database_url
from tests.central.kiosks import (
    card_for,
    citizen_proof,
    citizen_roots,
    enroll_key,
    enrolled_client,
    sign_nonce,
)

pytestmark = pytest.mark.central

MARIE = "85031412401"  # in the demo register
JAN = "72110204529"  # in the demo register, a 1.7 (RSA) card


@dataclass(frozen=True, slots=True)
class Central:
    server: RunningCentral
    tls: CentralTls

    def kiosk(self) -> CentralClient:
        kiosk_id = f"kiosk-{uuid.uuid4().hex[:10]}"
        return enrolled_client(self.server, kiosk_id, ca_file=self.tls.ca_cert_path)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> CentralTls:
    return ensure_central_tls(tmp_path_factory.mktemp("central-tls"))


@pytest.fixture(scope="module", params=BACKENDS)
def central(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tls: CentralTls
) -> Iterator[Central]:
    folder = tmp_path_factory.mktemp(f"proof-{request.param}")
    with start_central(
        db_url=database_url(str(request.param), folder),
        log_path=folder / "central.log",
        citizen_roots=citizen_roots(),
        tls=(tls.cert_path, tls.key_path),
    ) as server:
        yield Central(server=server, tls=tls)


def _audits(central: Central, kiosk_id: str) -> list[cp.LookupAudit]:
    assert central.server.db_url is not None
    store = SqlCentralStore(central.server.db_url, migrate=False)
    try:
        proofs = cp.CitizenProofs(store.engine, trust=cp.citizen_trust(()))
        return proofs.audits(kiosk_id=kiosk_id)
    finally:
        store.close()


def test_a_fresh_proof_releases_the_extract_and_the_lookup_is_audited(central: Central) -> None:
    with central.kiosk() as kiosk:
        for number, persona in ((MARIE, "marie"), (JAN, "jan")):
            proof = citizen_proof(kiosk, number, persona=persona)
            extract = kiosk.register_extract(number, proof)
            assert number in {m.national_number for m in extract.members}
        (jan, marie) = _audits(central, kiosk.kiosk_id)
    assert (marie.outcome, marie.national_number_masked) == ("found", "***********")
    assert (jan.outcome, jan.national_number_masked) == ("found", "***********")
    log = central.server.log_path.read_text(encoding="utf-8")
    assert MARIE not in log
    assert JAN not in log
    assert any(
        e.get("msg") == "register lookup" and e.get("outcome") == "found"
        for e in map(json.loads, log.splitlines())
    )


def test_without_a_proof_the_extract_is_refused(central: Central) -> None:
    with central.kiosk() as kiosk:
        with pytest.raises(CitizenProofRefused) as caught:
            kiosk.register_extract(MARIE)
        assert caught.value.code == "register.proof_required"
        assert caught.value.translation_key == "error.citizen_proof_refused"
        (audit,) = _audits(central, kiosk.kiosk_id)
    assert (audit.outcome, audit.national_number_masked) == (
        "register.proof_required",
        "***********",
    )


def test_a_proof_is_used_once(central: Central) -> None:
    with central.kiosk() as kiosk:
        proof = citizen_proof(kiosk, MARIE)
        kiosk.register_extract(MARIE, proof)
        with pytest.raises(CitizenProofRefused) as caught:
            kiosk.register_extract(MARIE, proof)
    assert caught.value.code == "register.proof_refused"


def test_a_card_proves_only_its_own_holder(central: Central) -> None:
    """The enumeration of the issue: a card in the reader, another national number asked for."""
    with central.kiosk() as kiosk:
        with pytest.raises(CitizenProofRefused):
            kiosk.register_extract(JAN, citizen_proof(kiosk, MARIE))
        (audit,) = _audits(central, kiosk.kiosk_id)
    assert audit.outcome == "register.proof_refused"


def test_a_nonce_is_bound_to_the_kiosk_it_was_issued_to(central: Central) -> None:
    with central.kiosk() as first, central.kiosk() as second:
        proof = citizen_proof(first, MARIE)
        with pytest.raises(CitizenProofRefused):
            second.register_extract(MARIE, proof)
        # the nonce is still good for the kiosk it was issued to
        assert first.register_extract(MARIE, proof).household_id


def test_a_cloned_card_is_refused(central: Central) -> None:
    """Genuine certificates copied onto a card with other keys: the signature gives it away."""
    with central.kiosk() as kiosk:
        nonce = kiosk.citizen_challenge().nonce
        genuine = sign_nonce(card_for(JAN, persona="jan"), nonce)
        clone = sign_nonce(card_for(JAN, persona="marie"), nonce)
        forged = CitizenProofWire(
            nonce=nonce,
            signature=clone.signature,
            certificate=genuine.certificate,
            ca_certificate=genuine.ca_certificate,
            applet_version=genuine.applet_version,
        )
        with pytest.raises(CitizenProofRefused):
            kiosk.register_extract(JAN, forged)


def test_a_proof_for_someone_not_in_the_register_is_not_found(central: Central) -> None:
    with central.kiosk() as kiosk, pytest.raises(NotInRegister):
        kiosk.register_extract("00010100155", citizen_proof(kiosk, "00010100155"))


def test_a_staff_card_proves_itself_and_no_register_lookup_is_made(central: Central) -> None:
    """The maintenance login's proof: audited as a staff proof, the register not asked (a number
    the register does not hold proves itself all the same), refused like a resident's."""
    stranger = "00010100155"
    with central.kiosk() as kiosk:
        kiosk.staff_proof(MARIE, citizen_proof(kiosk, MARIE))
        kiosk.staff_proof(stranger, citizen_proof(kiosk, stranger))
        with pytest.raises(CitizenProofRefused) as caught:
            kiosk.staff_proof(JAN, citizen_proof(kiosk, MARIE))  # another holder's card
        assert caught.value.code == "register.proof_refused"
        refused, second, first = _audits(central, kiosk.kiosk_id)
    assert [first.outcome, second.outcome, refused.outcome] == [
        "staff_proof",
        "staff_proof",
        "register.proof_refused",
    ]
    assert {a.national_number_masked for a in (first, second, refused)} == {"***********"}
    log = central.server.log_path.read_text(encoding="utf-8")
    assert MARIE not in log
    assert stranger not in log


def test_a_staff_proof_is_used_once_and_needs_a_proof(central: Central) -> None:
    with central.kiosk() as kiosk:
        proof = citizen_proof(kiosk, MARIE)
        kiosk.staff_proof(MARIE, proof)
        with pytest.raises(CitizenProofRefused):
            kiosk.staff_proof(MARIE, proof)
        answer = requests.post(
            f"{central.server.url}/api/v1/staff/proof",
            json={"national_number": MARIE},
            headers={"Authorization": kiosk._authorization()},
            verify=str(central.tls.ca_cert_path),
            timeout=10,
        )
    assert answer.status_code == 422  # the proof is a required field of the request


def test_nonces_are_rate_limited_per_kiosk(central: Central) -> None:
    with central.kiosk() as kiosk, central.kiosk() as other:
        for _ in range(DEFAULT_CHALLENGES_PER_MINUTE):
            kiosk.citizen_challenge()
        with pytest.raises(CentralUnavailable) as caught:
            kiosk.citizen_challenge()
        assert caught.value.params["status"] == "429"
        assert caught.value.retry_after is not None
        assert 0 < caught.value.retry_after <= 61
        assert other.citizen_challenge().nonce  # another kiosk is not held back


def test_the_nonce_rate_is_the_operators_to_set(tmp_path: Path, tls: CentralTls) -> None:
    env = {**os.environ, CHALLENGES_ENV: "3"}
    with (
        start_central(
            db_url=database_url("sqlite", tmp_path),
            log_path=tmp_path / "central.log",
            citizen_roots=citizen_roots(),
            tls=(tls.cert_path, tls.key_path),
            env=env,
        ) as server,
        Central(server=server, tls=tls).kiosk() as kiosk,
    ):
        for _ in range(3):
            kiosk.citizen_challenge()
        with pytest.raises(CentralUnavailable) as caught:
            kiosk.citizen_challenge()
    assert caught.value.params["status"] == "429"
    assert CentralSettings.from_env(db_url="sqlite://", environ={}).challenges_per_minute == 30


def test_the_challenge_needs_an_enrolled_kiosk(central: Central) -> None:
    response = requests.post(
        f"{central.server.url}{cp.CHALLENGE_PATH}",
        headers={"Authorization": "Bearer demo-kiosk-token"},
        verify=str(central.tls.ca_cert_path),
        timeout=10,
    )
    assert response.status_code == 401


def test_test_cards_are_refused_by_a_central_trusting_only_the_belgian_roots(
    tmp_path: Path, tls: CentralTls
) -> None:
    with (
        start_central(db_path=tmp_path / "central.sqlite3", tls=(tls.cert_path, tls.key_path)) as s,
        enrolled_client(s, "kiosk-production", ca_file=tls.ca_cert_path) as kiosk,
    ):
        proof = citizen_proof(kiosk, MARIE)
        with pytest.raises(CitizenProofRefused):
            kiosk.register_extract(MARIE, proof)


def test_an_expired_nonce_is_refused(store: SqlCentralStore) -> None:
    """Nonces expire 120 s after they are issued (the store on both databases, a moved clock)."""
    now = [1_800_000_000.0]
    proofs = cp.CitizenProofs(
        store.engine, trust=cp.citizen_trust(citizen_roots()), clock=lambda: now[0]
    )
    fresh = proofs.challenge("kiosk-clock")
    stale = proofs.challenge("kiosk-clock")
    now[0] += cp.NONCE_TTL_S - 1
    assert proofs._use_nonce("kiosk-clock", fresh.nonce)
    now[0] += 2
    assert not proofs._use_nonce("kiosk-clock", stale.nonce)
    with store.engine.connect() as connection:
        kept = connection.execute(
            sa.select(sa.func.count()).select_from(cp.citizen_nonces)
        ).scalar()
    assert kept == 2


def test_a_nonce_is_single_use_across_two_servers_on_one_postgresql(tmp_path: Path) -> None:
    """Kiosks alternate between processes behind no shared memory: the database holds the nonces."""
    url = database_url("postgresql", tmp_path)
    roots = citizen_roots()
    kiosk_id = f"kiosk-{uuid.uuid4().hex[:8]}"
    with (
        start_central(db_url=url, log_path=tmp_path / "a.log", citizen_roots=roots) as first,
        start_central(db_url=url, log_path=tmp_path / "b.log", citizen_roots=roots) as second,
    ):
        key = enroll_key(first, kiosk_id)
        with (
            CentralClient(base_url=first.url, kiosk_id=kiosk_id, key=key, timeout=10.0) as one,
            CentralClient(base_url=second.url, kiosk_id=kiosk_id, key=key, timeout=10.0) as two,
        ):
            proof = citizen_proof(one, MARIE)  # the nonce comes from the first process
            assert two.register_extract(MARIE, proof).household_id
            with pytest.raises(CitizenProofRefused):
                one.register_extract(MARIE, proof)
