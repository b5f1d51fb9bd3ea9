"""eID read through the real pcscd + vpcd + the virtual card: time and APDUs to a verified read.

For an applet 1.8 (marie) and a 1.7 (jan) card: the median time from opening the session on the
inserted card to a verified identity and address (no photo), the APDU count beside the minimum
computed from the card's file sizes, and the same read on a slow-card model (9600 baud) as a ratio
to its transfer-time floor (bytes × 10 bits / baud).
"""

from __future__ import annotations

import logging
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import Figure
from hardware.eid import EidReader, TrustStore
from hardware.eid.apdu import minimum_file_apdus
from hardware.simulators.eid import VirtualCard, ensure_card_pki
from hardware.simulators.pcscd import PcscdService

SLOT = 1
REPEAT = 9
SLOW_REPEAT = 3
BAUD = 9600
TARGET_MS = 150.0
PERSONAS = (("marie", "1.8"), ("jan", "1.7"))


def minimum_apdus(card: VirtualCard) -> int:
    """Session start (SELECT AID, GET CARD DATA, +P2=01 on 1.8) and the read of every file."""
    files = card.applet.image.files
    ecc = (0xDF01, 0x4040) in files
    count = 3 if ecc else 2
    count += sum(
        minimum_file_apdus(files[(0xDF01, fid)]) for fid in (0x4031, 0x4032, 0x4033, 0x4034)
    )
    count += minimum_file_apdus(files[(0xDF00, 0x503C)], der=True)
    if ecc:
        count += minimum_file_apdus(files[(0xDF01, 0x4040)]) + 2
    return count


def _read_once(reader: EidReader) -> tuple[float, int]:
    start = time.perf_counter()
    with reader.open_session() as session:
        result = session.read()
        count = session.apdu_count
    elapsed = (time.perf_counter() - start) * 1000
    if not result.report.ok:
        raise RuntimeError("the benchmark card did not verify")
    return elapsed, count


def _wait_present(reader: EidReader, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not reader.card_present():
        if time.monotonic() > deadline:
            raise RuntimeError("pcscd did not notice the virtual card")
        time.sleep(0.02)


def run() -> list[Figure]:
    logging.getLogger("hardware").setLevel(logging.WARNING)
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp, PcscdService() as pcscd:
        pki = ensure_card_pki(Path(tmp) / "pki")
        trust = TrustStore.with_test_root(pki.test_roots_pem)
        reader = EidReader(reader_prefix=f"{pcscd.reader_prefix} 00 {SLOT:02d}", trust=trust)
        for persona, kind in PERSONAS:
            with VirtualCard(
                persona, host=pcscd.vpcd_host, port=pcscd.vpcd_port(SLOT), pki_dir=pki.directory
            ) as card:
                card.insert()
                _wait_present(reader)
                _read_once(reader)  # warm-up
                samples = [_read_once(reader) for _ in range(REPEAT)]
                median = statistics.median(ms for ms, _ in samples)
                count = samples[-1][1]
                minimum = minimum_apdus(card)
                figures += [
                    Figure(
                        name=f"{kind} read to verified identity+address ({persona})",
                        value=median,
                        unit="ms",
                        note=f"median of {REPEAT}; target ≤ {TARGET_MS:.0f} ms",
                    ),
                    Figure(
                        name=f"{kind} APDUs ({persona})",
                        value=count,
                        unit="APDUs",
                        note=f"minimum from file sizes {minimum}; "
                        + ("equal" if count == minimum else "NOT minimal"),
                    ),
                ]
                card.set_faults(byte_delay=10 / BAUD)
                slow: list[float] = []
                floors: list[float] = []
                for _ in range(SLOW_REPEAT):
                    before = card.bytes_exchanged
                    elapsed, _count = _read_once(reader)
                    slow.append(elapsed)
                    floors.append((card.bytes_exchanged - before) * 10 / BAUD * 1000)
                ratio = statistics.median(slow) / statistics.median(floors)
                figures.append(
                    Figure(
                        name=f"{kind} slow card {BAUD} baud ({persona})",
                        value=ratio,
                        unit="× floor",
                        note=f"median {statistics.median(slow):.0f} ms vs transfer floor "
                        f"{statistics.median(floors):.0f} ms",
                    )
                )
    return figures


if __name__ == "__main__":
    for figure in run():
        print(f"{figure.name} = {figure.value:.3f} {figure.unit} {figure.note}")
