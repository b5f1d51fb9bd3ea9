"""schemathesis, run as a program, over the REAL central server's OpenAPI with every check.

Once with a kiosk's credentials (an enrolled kiosk's short-lived token) and once with the
operators': no answer is a 5xx, every answer's status and body are declared in the OpenAPI, the
bearer schemes are declared, and undeclared methods get a 405 with `Allow`. Bounded by examples per
operation and a time budget; the seed is fixed so a failure can be replayed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from central.process import RunningCentral, start_central
from devstack.demo_pki import ensure_municipal_pki
from tests.central.kiosks import kiosk_token

pytestmark = [pytest.mark.central, pytest.mark.slow]

CONFIG = Path(__file__).with_name("fuzz") / "schemathesis.toml"
OPERATOR_TOKEN = "fuzz-operator-token-0123456789"
EXAMPLES = 12
BUDGET_S = 90


def _schemathesis() -> str:
    found = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("schemathesis is not installed in the virtual environment (make setup)")
    return found


def _fuzz(server: RunningCentral, *, token: str, report: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            _schemathesis(),
            "--config-file",
            str(CONFIG),
            "run",
            f"{server.url}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            str(EXAMPLES),
            "--max-time",
            str(BUDGET_S),
            "--seed",
            "20261202",
            "--header",
            f"Authorization: Bearer {token}",
            "--report",
            "junit",
            "--report-junit-path",
            str(report),
            "--no-color",
            "--warnings",
            "off",
        ],
        capture_output=True,
        text=True,
        timeout=BUDGET_S + 120,
        check=False,
    )


def _server_errors(server: RunningCentral) -> str:
    """The central's own error lines (with their tracebacks), to tell what a 5xx was."""
    lines = server.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    errors = [line for line in lines if '"level": "ERROR"' in line or '" 50' in line]
    return "\ncentral errors:\n" + "\n".join(errors[-20:])[-6000:]


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCentral]:
    tmp = tmp_path_factory.mktemp("fuzz")
    municipal = ensure_municipal_pki(tmp / "pki")  # seal verification configured, as in service
    with start_central(
        db_path=tmp / "central.sqlite3",
        log_path=tmp / "central.log",
        seal_roots=(municipal.root_cert_path,),
        env={"BORNE_CENTRAL_OPERATOR_TOKEN": OPERATOR_TOKEN},
    ) as server:
        yield server


def test_the_openapi_declares_the_bearer_schemes_each_operation_needs(
    central: RunningCentral,
) -> None:
    schema = requests.get(f"{central.url}/openapi.json", timeout=10).json()
    schemes = schema["components"]["securitySchemes"]
    assert {name: s["scheme"] for name, s in schemes.items()} == {
        "kioskToken": "bearer",
        "operatorToken": "bearer",
    }
    paths = schema["paths"]
    assert paths["/api/v1/heartbeat"]["post"]["security"] == [{"kioskToken": []}]
    assert paths["/api/v1/records"]["get"]["security"] == [{"operatorToken": []}]
    assert paths["/api/v1/auth/token"]["post"]["security"] == []
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert {"401", "422", "503"} <= set(operation["responses"]), (method, path)


@pytest.mark.parametrize("who", ["kiosk", "operator"])
def test_schemathesis_finds_no_server_error_nor_undeclared_answer(
    central: RunningCentral, who: str, tmp_path: Path
) -> None:
    token = kiosk_token(central, f"kiosk-fuzz-{who}") if who == "kiosk" else OPERATOR_TOKEN
    report = tmp_path / "junit.xml"
    done = _fuzz(central, token=token, report=report)
    summary = done.stdout[-6000:]
    assert done.returncode == 0, summary + _server_errors(central)
    assert report.exists(), summary
    assert "passed" in summary
    assert json.dumps(token) not in done.stdout  # schemathesis filters the credential
