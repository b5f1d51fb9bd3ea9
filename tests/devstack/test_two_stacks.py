"""Two full simulated stacks on one host, each in its own var/ with its own ports, play a paid
journey at the same time: neither writes outside its var/ (the cups-pdf configuration included)
and neither sees the other's card, terminal, printer or central."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.simulators.pcscd import PcscdService
from tests.deploy.harness import kiosk, kiosk_env, lp_readable_dir

pytestmark = [
    pytest.mark.slow,
    pytest.mark.pcsc,
    pytest.mark.cups,
    pytest.mark.central,
    pytest.mark.hsm,
    pytest.mark.serial,
]

SYSTEM_CUPS = Path("/etc/cups")


@pytest.fixture
def host_pcscd() -> Iterator[None]:
    """The host's pcscd, shared by both stacks (as the system daemon would be)."""
    with PcscdService():
        yield


@pytest.fixture
def var_dirs() -> Iterator[tuple[Path, Path]]:
    dirs = (lp_readable_dir("borne-stack-a-"), lp_readable_dir("borne-stack-b-"))
    yield dirs
    for path in dirs:
        shutil.rmtree(path, ignore_errors=True)


def _mentions(directory: Path, needles: tuple[Path, ...]) -> list[str]:
    """Files of the host's /etc/cups that name one of our var/ folders (other programs on this
    host may write there too: only our own traces count)."""
    found = []
    for path in directory.glob("cups-pdf*.conf") if directory.exists() else ():
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if any(str(n) in text for n in needles):
            found.append(path.name)
    return found


def test_two_stacks_on_one_host_each_complete_a_paid_journey(
    host_pcscd: None, var_dirs: tuple[Path, Path]
) -> None:
    runs = [
        kiosk(
            ["demo", "--autoplay", "--documents", "household,residence"],
            kiosk_env(var_dir, QT_QPA_PLATFORM="offscreen"),
        )
        for var_dir in var_dirs
    ]
    results = []
    for run in runs:
        try:
            out, err = run.communicate(timeout=400)
        except subprocess.TimeoutExpired:
            run.kill()
            out, err = run.communicate()
        results.append((run.returncode, out, err))
    summaries = []
    for (code, out, err), var_dir in zip(results, var_dirs, strict=True):
        assert code == 0, err[-3000:]
        summary = json.loads(out.splitlines()[-1])
        assert summary["outcome"] == "completed"
        assert summary["fallbacks"] == []
        assert summary["payment"]["status"] == "approved"
        printed = [Path(p) for p in summary["printed_pdfs"]]
        assert len(printed) == 2
        assert all(p.is_relative_to(var_dir) and p.read_bytes()[:5] == b"%PDF-" for p in printed)
        conf = var_dir / "run" / "cups" / "etc" / "cups-pdf-borne-pdf.conf"
        assert f"Out {var_dir / 'run' / 'cups' / 'out'}" in conf.read_text().splitlines()
        summaries.append(summary)
    assert _mentions(SYSTEM_CUPS, var_dirs) == []  # nothing written to the host's /etc/cups
    ids = [set(s["document_ids"]) for s in summaries]
    assert not ids[0] & ids[1]
    for summary, var_dir in zip(summaries, var_dirs, strict=True):
        journal = json.loads((var_dir / "data" / "zvt-terminal.json").read_text(encoding="utf-8"))
        # each terminal charged its own kiosk once: the one order of this stack, not the other's
        assert [r["amount_cents"] for r in journal["records"]] == [
            summary["payment"]["amount_cents"]
        ]
