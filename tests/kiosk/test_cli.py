"""The kiosk's command line: version, configuration errors, `sim up` / `selftest` / `sim down`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import __version__

REPO = Path(__file__).resolve().parents[2]


def kiosk(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_version() -> None:
    done = kiosk("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"borne {__version__}"


def test_invalid_configuration_exits_2_naming_the_key(tmp_path: Path) -> None:
    text = (
        (REPO / "kiosk.toml").read_text(encoding="utf-8").replace('mode = "demo"', 'mode = "fast"')
    )
    bad = tmp_path / "kiosk.toml"
    bad.write_text(text, encoding="utf-8")
    done = kiosk("--config", str(bad), "selftest")
    assert done.returncode == 2
    assert "'kiosk.mode'" in done.stderr
    assert "one of demo, test, production" in done.stderr
    assert done.stdout == ""


@pytest.fixture
def sim_var() -> Iterator[dict[str, str]]:
    var_dir = Path(tempfile.mkdtemp(prefix="borne-sim-"))
    var_dir.chmod(0o755)
    env = {"BORNE_VAR_DIR": str(var_dir)}
    yield env
    kiosk("sim", "down", env=env)
    shutil.rmtree(var_dir, ignore_errors=True)


@pytest.mark.pcsc
@pytest.mark.cups
@pytest.mark.hsm
@pytest.mark.central
@pytest.mark.serial
def test_sim_up_reports_every_part_selftest_passes_and_sim_down_stops_it(
    sim_var: dict[str, str],
) -> None:
    up = kiosk("sim", "up", "--persona", "jan", env=sim_var)
    assert up.returncode == 0, up.stderr
    (line,) = up.stdout.splitlines()
    endpoints = json.loads(line)
    assert endpoints["persona"] == "jan"
    assert endpoints["reader_prefix"].startswith("Virtual PCD")
    assert Path(endpoints["payment_port"]).exists()
    assert endpoints["central_url"].startswith("https://127.0.0.1:")
    assert Path(endpoints["central_ca"]).is_file()
    # the kiosk's own key is made inside its SoftHSM2 token: no key file on disk
    assert endpoints["kiosk_key_token"] == "borne-kiosk"
    assert endpoints["kiosk_key"] == ""
    assert not (Path(sim_var["BORNE_VAR_DIR"]) / "kiosk" / "kiosk-key.pem").exists()
    assert Path(endpoints["cups_server"]).exists()
    supervisor = endpoints["pid"]

    again = kiosk("sim", "up", env=sim_var)
    assert json.loads(again.stdout)["pid"] == supervisor  # already up: reported, not started twice

    check = kiosk("selftest", env=sim_var)
    results = [json.loads(x) for x in check.stdout.splitlines()]
    assert check.returncode == 0, results
    assert {r["check"] for r in results if "check" in r} == {
        "config", "card_reader", "payment_terminal", "signer", "printer", "central"
    }  # fmt: skip
    assert all(r["ok"] for r in results if "check" in r)

    down = kiosk("sim", "down", env=sim_var)
    assert json.loads(down.stdout) == {"stopped": True}
    with pytest.raises(ProcessLookupError):
        os.kill(supervisor, 0)
    assert not Path(endpoints["payment_port"]).exists()


def test_selftest_without_devices_fails_with_reasons(sim_var: dict[str, str]) -> None:
    done = kiosk(
        "selftest", env={**sim_var, "BORNE_CENTRAL_URL": "http://127.0.0.1:9"}, timeout=120
    )
    results = [json.loads(x) for x in done.stdout.splitlines()]
    assert done.returncode == 1
    failed = {r["check"] for r in results if "check" in r and not r["ok"]}
    assert {"payment_terminal", "central"} <= failed
    assert results[-1] == {"selftest": "failed", "failed": len(failed)}
