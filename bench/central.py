"""The central server: the citizen-proof round trip through pcscd + vpcd, over HTTPS.

For an applet 1.8 (marie, ECDSA P-384) and a 1.7 (jan, RSA) card in the vpcd reader, with the kiosk
enrolled under its own key and the central (SQLite) served over TLS with the TEST CA: the time from
asking the central for a nonce, through the card's signature with its Authentication key (the PIN
verified once, as in the journey), to the register's extract released against that proof. Median
and p99 over `REPEAT` round trips each, after a warm-up; TLS connections are kept alive.

Not measured here yet: the fleet load (heartbeats from 10,000 kiosks at 30 s, operators paging) and
the same on PostgreSQL with two processes.
"""

from __future__ import annotations

import logging
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import Figure
from central.identity import IdentityStore
from central.process import start_central
from central.store import SqlCentralStore
from devstack.demo_pki import ensure_central_tls
from hardware.eid import EidReader, TrustStore
from hardware.simulators.eid import VirtualCard, ensure_card_pki, load_persona
from hardware.simulators.pcscd import PcscdService
from offline_queue.client import CentralClient, SoftwareKioskKey, proof_to_wire
from offline_queue.wire import EnrollmentState

SLOT = 1
REPEAT = 25  # under the central's 30 nonces a minute per kiosk
PERSONAS = (("marie", "1.8"), ("jan", "1.7"))


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def _enrolled(url: str, db_url: str, kiosk_id: str, ca: Path, key_dir: Path) -> CentralClient:
    key = SoftwareKioskKey.load_or_create(key_dir / f"{kiosk_id}.pem")
    store = SqlCentralStore(db_url, migrate=False)
    try:
        identities = IdentityStore(store.engine)
        client = CentralClient(base_url=url, kiosk_id=kiosk_id, key=key, timeout=10.0, ca_file=ca)
        client.enroll(identities.new_enrollment_code())
        identities.decide(kiosk_id, EnrollmentState.ACCEPTED)
    finally:
        store.close()
    return client


def _wait_present(reader: EidReader, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not reader.card_present():
        if time.monotonic() > deadline:
            raise RuntimeError("pcscd did not notice the virtual card")
        time.sleep(0.02)


def _round_trips(client: CentralClient, reader: EidReader, persona: str) -> list[float]:
    holder = load_persona(persona)
    samples: list[float] = []
    with reader.open_session() as session:
        session.read()
        session.verify_pin(bytearray(holder.pin.encode()))
        for _ in range(REPEAT + 1):
            start = time.perf_counter()
            nonce = client.citizen_challenge().nonce
            proof = session.prove_presence(bytes.fromhex(nonce), None)
            extract = client.register_extract(
                holder.national_number, proof_to_wire(proof, nonce=nonce)
            )
            samples.append((time.perf_counter() - start) * 1000)
            if not extract.members:
                raise RuntimeError("the register answered no household")
    return samples[1:]  # the first one warms the connection and the card up


def run() -> list[Figure]:
    logging.getLogger("hardware").setLevel(logging.WARNING)
    logging.getLogger("offline_queue").setLevel(logging.WARNING)
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp, PcscdService() as pcscd:
        folder = Path(tmp)
        pki = ensure_card_pki(folder / "card-pki")
        tls = ensure_central_tls(folder / "central-pki")
        trust = TrustStore.with_test_root(pki.test_roots_pem)
        reader = EidReader(reader_prefix=f"{pcscd.reader_prefix} 00 {SLOT:02d}", trust=trust)
        with start_central(
            db_path=folder / "central.sqlite3",
            citizen_roots=(pki.test_roots_pem,),
            tls=(tls.cert_path, tls.key_path),
        ) as central:
            assert central.db_url is not None
            for persona, kind in PERSONAS:
                client = _enrolled(
                    central.url, central.db_url, f"bench-{persona}", tls.ca_cert_path, folder
                )
                with (
                    client,
                    VirtualCard(
                        persona,
                        host=pcscd.vpcd_host,
                        port=pcscd.vpcd_port(SLOT),
                        pki_dir=pki.directory,
                    ) as card,
                ):
                    card.insert()
                    _wait_present(reader)
                    samples = _round_trips(client, reader, persona)
                figures += [
                    Figure(
                        name=f"{kind} citizen proof: nonce → card signature → extract ({persona})",
                        value=statistics.median(samples),
                        unit="ms",
                        note=f"median of {REPEAT}, HTTPS keep-alive, pcscd+vpcd",
                    ),
                    Figure(
                        name=f"{kind} citizen proof p99 ({persona})",
                        value=_p99(samples),
                        unit="ms",
                        note=f"of {REPEAT} (nearest rank)",
                    ),
                ]
    return figures


if __name__ == "__main__":
    for figure in run():
        print(f"{figure.name} = {figure.value:.3f} {figure.unit} {figure.note}")
