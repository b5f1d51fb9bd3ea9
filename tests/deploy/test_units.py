"""The systemd units in deploy/: systemd's own checker accepts them, and they say what the kiosk
relies on (watchdog, notify, restart, dedicated user, pcscd without auto-exit)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SYSTEM_UNITS = Path("/lib/systemd/system")


def _verify(unit: Path) -> subprocess.CompletedProcess[str]:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed here")
    return subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _entries(path: Path) -> dict[str, list[str]]:
    """Every `Key=value` of a unit file, in order (keys may repeat)."""
    found: dict[str, list[str]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";", "[")) or "=" not in line:
            continue
        key, value = line.split("=", 1)
        found.setdefault(key, []).append(value)
    return found


def test_the_kiosk_unit_passes_systemd_analyze_verify_without_a_warning() -> None:
    result = _verify(DEPLOY / "borne-kiosk.service")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


def test_the_kiosk_unit_is_a_watched_notify_service_of_its_own_user() -> None:
    entries = _entries(DEPLOY / "borne-kiosk.service")
    assert entries["Type"] == ["notify"]
    assert entries["NotifyAccess"] == ["all"]  # the kiosk is cage's child (MAINPID= on READY)
    assert int(entries["WatchdogSec"][0]) > 0
    assert entries["Restart"] == ["on-failure"]
    assert entries["User"] == ["borne"]
    assert entries["KillMode"] == ["mixed"]
    assert entries["ExecStart"][0].split()[0] == "/usr/bin/cage"
    assert entries["ExecStart"][0].endswith("kiosk run")
    sysusers = [
        line.split()[:2]
        for line in (DEPLOY / "borne.sysusers.conf").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert ["u", "borne"] in sysusers


def test_the_kiosk_user_reads_the_headset_jacks_switch_events() -> None:
    """Plugging a headset starts the audio mode: /dev/input/event* is root:input 0660."""
    entries = _entries(DEPLOY / "borne-kiosk.service")
    assert "input" in entries["SupplementaryGroups"][0].split()
    sysusers = (DEPLOY / "borne.sysusers.conf").read_text(encoding="utf-8").splitlines()
    assert "m borne input" in sysusers


@pytest.mark.parametrize("unit", ["pcscd.service", "cups.service"])
def test_the_daemon_overrides_apply_cleanly_to_debians_units(unit: str, tmp_path: Path) -> None:
    if not (SYSTEM_UNITS / unit).exists():
        pytest.skip(f"{unit} is not installed here")
    shutil.copy(SYSTEM_UNITS / unit, tmp_path / unit)
    shutil.copytree(DEPLOY / f"{unit}.d", tmp_path / f"{unit}.d")
    result = _verify(tmp_path / unit)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


def test_pcscd_is_overridden_to_stay_up() -> None:
    entries = _entries(DEPLOY / "pcscd.service.d" / "borne.conf")
    assert entries["ExecStart"][0] == ""  # the distribution's command line is reset first
    assert "--auto-exit" not in entries["ExecStart"][-1]
    assert entries["ExecStart"][-1].startswith("/usr/sbin/pcscd --foreground")


def test_the_polkit_rule_names_the_kiosk_user() -> None:
    rule = (DEPLOY / "50-borne-pcscd.rules").read_text(encoding="utf-8")
    assert 'subject.user == "borne"' in rule
    assert "org.debian.pcsc-lite.access_card" in rule
