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
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.simulators.eid import load_persona, persona_pin
from tests.journey.conftest import lp_readable_dir

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
SEARCHED = (
    "data",
    "log",
    "console",
    "tmp",
    "run/cups/spool",
    "run/cups/tmp",
    "run/cups/cups-pdf-spool",
)
"""The kiosk's own folders under var/, its console output, the process's TMPDIR (var/tmp) and the
CUPS folders."""
CUPS_HISTORY = ("run/cups/log", "run/cups/state", "run/cups/cache")
PRIVATE = ("data", "log")


def _needles() -> dict[str, re.Pattern[bytes]]:
    needles: dict[str, re.Pattern[bytes]] = {}
    for name in PERSONAS:
        persona = load_persona(name)
        nn = persona.national_number
        printed = f"{nn[:2]}.{nn[2:4]}.{nn[4:6]}-{nn[6:9]}.{nn[9:]}"
        for label, text in (
            ("national number", nn),
            ("printed national number", printed),
            ("surname", persona.surname),
            ("street", persona.address.street),
        ):
            for encoding in ("utf-8", "utf-16-le"):
                needles[f"{name} {label} ({encoding})"] = re.compile(
                    re.escape(text.encode(encoding)), re.IGNORECASE
                )
        pin = persona_pin(name).encode()
        # a PIN is short: as a value of its own, not inside a longer number or word
        needles[f"{name} PIN"] = re.compile(
            rb"(?<![0-9A-Za-z.:\-_/*])" + re.escape(pin) + rb"(?![0-9A-Za-z.\-_/])"
        )
    return needles


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


def _files(var_dir: Path) -> list[Path]:
    roots = [var_dir / sub for sub in (*SEARCHED, *CUPS_HISTORY)]
    files = [p for root in roots if root.is_dir() for p in root.rglob("*") if p.is_file()]
    files += [p for p in var_dir.rglob("core*") if p.is_file()]  # crash dumps, wherever
    return files


def test_every_resident_of_the_batch_was_served(
    batch: tuple[Path, list[dict[str, object]]],
) -> None:
    _, results = batch
    assert [r["completed"] for r in results] == [SESSIONS_EACH] * len(PERSONAS)


def test_no_personal_data_is_left_on_the_kiosk(
    batch: tuple[Path, list[dict[str, object]]],
) -> None:
    var_dir, _ = batch
    needles = _needles()
    files = _files(var_dir)
    assert any(p.suffix == ".sqlite" for p in files), "the stores were searched"
    assert any(p.name == "kiosk.jsonl" for p in files), "the logs were searched"
    found = []
    for path in files:
        data = path.read_bytes()
        for label, needle in needles.items():
            if needle.search(data):
                found.append(f"{path.relative_to(var_dir)}: {label}")
    assert found == []


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
    loose = []
    for sub in PRIVATE:
        folder = var_dir / sub
        for path in [folder, *folder.rglob("*")]:
            info = path.lstat()
            want = 0o700 if path.is_dir() else 0o600
            if stat.S_IMODE(info.st_mode) != want or info.st_uid != os.geteuid():
                loose.append(f"{path.relative_to(var_dir)} {stat.filemode(info.st_mode)}")
    assert loose == []
