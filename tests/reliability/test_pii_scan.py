"""Nothing personal stays on the kiosk's disk after a batch of residents.

A dozen scripted residents, three personas, through the real stack (`python -m kiosk demo
--autoplay`: virtual eID over pcscd, ZVT simulator, SoftHSM seal, private cupsd with cups-pdf, the
central server). Afterwards the kiosk's logs, SQLite stores (and their -wal), temporary folders,
the CUPS spool, temporary folder, cups-pdf spool and job history, and any crash dump are searched
for every persona's PIN, national number (bare and printed), surname and street. The exceptions
are the demo's outputs: the printer's output folder (the paper) and the sealed copies the demo
hands over in `var/spool`. The simulated card images, the test PKI and the central server's
register are not the kiosk's data and are not searched. Files holding records or logs must be
0600 in 0700 folders, owned by the kiosk's user.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.simulators.eid import load_persona
from tests.journey.conftest import lp_readable_dir
from tests.reliability import pii

pytestmark = [
    pytest.mark.ui,
    pytest.mark.pcsc,
    pytest.mark.hsm,
    pytest.mark.cups,
    pytest.mark.central,
    pytest.mark.serial,
    pytest.mark.slow,
]

REPO = Path(__file__).resolve().parents[2]
PERSONAS = ("marie", "jan", "anna")
SESSIONS_EACH = 4


def _run(var_dir: Path, persona: str) -> dict[str, object]:
    env = {
        **os.environ,
        "BORNE_VAR_DIR": str(var_dir),
        "QT_QPA_PLATFORM": "offscreen",
        "TMPDIR": str(var_dir / "tmp"),
    }
    env.pop("DISPLAY", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk",
            "demo",
            "--autoplay",
            "--persona",
            persona,
            "--sessions",
            str(SESSIONS_EACH),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    console = var_dir / "console"
    console.mkdir(exist_ok=True)
    (console / f"stderr-{persona}.txt").write_text(done.stderr, encoding="utf-8")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def batch() -> Iterator[tuple[Path, list[dict[str, object]]]]:
    var_dir = lp_readable_dir("borne-pii-")
    (var_dir / "tmp").mkdir(mode=0o1777)
    (var_dir / "tmp").chmod(0o1777)
    results = [_run(var_dir, persona) for persona in PERSONAS]
    yield var_dir, results
    shutil.rmtree(var_dir, ignore_errors=True)


def test_every_resident_of_the_batch_was_served(
    batch: tuple[Path, list[dict[str, object]]],
) -> None:
    _, results = batch
    assert [r["completed"] for r in results] == [SESSIONS_EACH] * len(PERSONAS)


def test_no_personal_data_is_left_on_the_kiosk(
    batch: tuple[Path, list[dict[str, object]]],
) -> None:
    var_dir, _ = batch
    files = pii.kiosk_files(var_dir)
    assert any(p.suffix == ".sqlite" for p in files), "the stores were searched"
    assert any(p.name == "kiosk.jsonl" for p in files), "the logs were searched"
    assert pii.scan(files, pii.needles(PERSONAS)) == []


def test_the_exceptions_are_the_demos_outputs_only(
    batch: tuple[Path, list[dict[str, object]]],
) -> None:
    """The scan is not blind: the paper and the handed-over copies do carry the residents."""
    var_dir, _ = batch
    surnames = {load_persona(p).surname for p in PERSONAS}
    printed = [p for p in (var_dir / "run" / "cups" / "out").rglob("*.pdf")]
    assert len(printed) >= SESSIONS_EACH  # the last batch's papers at least
    text = "".join(
        subprocess.run(
            ["pdftotext", str(p), "-"], capture_output=True, text=True, check=True
        ).stdout
        for p in printed
    )
    assert any(s.upper() in text.upper() for s in surnames)


def test_records_and_logs_are_private_to_the_kiosk_user(
    batch: tuple[Path, list[dict[str, object]]],
) -> None:
    var_dir, _ = batch
    assert pii.loose_permissions(var_dir) == []
