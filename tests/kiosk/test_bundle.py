"""The production bundle: built once from `kiosk.spec`, it runs and leaves the development stack out."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PyInstaller.archive.readers import pkg_archive_contents

from devstack.kiosk_token import kiosk_token_pin
from devstack.sim import SimStack
from tests.deploy.harness import lp_readable_dir

REPO = Path(__file__).resolve().parents[2]
LEFT_OUT = ("devstack", "hardware.simulators", "central")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """dist/kiosk built from the spec into a temporary folder, once per test session.

    The work folder is the repository's `build/` that `make bundle` uses, so an unchanged tree
    reuses PyInstaller's cached analysis.
    """
    base = tmp_path_factory.mktemp("bundle")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level=WARN",
            f"--distpath={base / 'dist'}",
            f"--workpath={REPO / 'build'}",
            str(REPO / "kiosk.spec"),
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    yield base / "dist" / "kiosk"
    shutil.rmtree(base, ignore_errors=True)


def _modules(bundle: Path) -> set[str]:
    """Every entry of the executable's archive and of its embedded PYZ (modules by dotted name)."""
    return set(pkg_archive_contents(str(bundle / "kiosk"), recursive=True))


def test_bundle_carries_the_product_and_none_of_the_development_stack(bundle: Path) -> None:
    modules = _modules(bundle)
    assert {"kiosk.cli", "printing.token", "hardware.eid.reader", "ui.app"} <= modules
    leaked = sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in LEFT_OUT))
    assert leaked == []
    files = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*")}
    assert not [f for f in files if "personas" in f or "demo_register" in f]


def test_bundle_runs_and_refuses_the_demo_commands_clearly(bundle: Path) -> None:
    version = subprocess.run(
        [str(bundle / "kiosk"), "--version"], capture_output=True, text=True, check=False
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("borne ")
    demo = subprocess.run(
        [str(bundle / "kiosk"), "sim", "down"], capture_output=True, text=True, check=False
    )
    assert demo.returncode == 2
    assert "no development stack in this build" in demo.stderr


class _Hand:
    """The card hand `kiosk run --autoplay` asks (`kiosk.cli.CardHand`): moves the stack's card."""

    def __init__(self, path: Path, stack: SimStack) -> None:
        self.requests: list[str] = []
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(path))
        self._server.listen()
        self._stack = stack
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with conn:
                request = conn.makefile("r", encoding="utf-8").readline().strip()
                self.requests.append(request)
                move = {"insert": self._stack.insert_card, "remove": self._stack.remove_card}
                try:
                    move[request]()
                    conn.sendall(b"ok\n")
                except Exception as err:  # noqa: BLE001 - reported to the kiosk, which fails
                    conn.sendall(f"error {type(err).__name__}\n".encode())

    def close(self) -> None:
        self._server.close()


@pytest.mark.pcsc
@pytest.mark.cups
@pytest.mark.central
@pytest.mark.hsm
def test_the_bundle_passes_its_selftest_and_plays_a_journey_against_the_simulators(
    bundle: Path, tmp_path: Path
) -> None:
    var_dir = lp_readable_dir("borne-bundle-")
    try:
        with SimStack(var_dir=var_dir, persona="marie") as stack:
            assert stack.endpoints is not None
            assert stack.token is not None
            env = {
                **os.environ,
                "BORNE_CONFIG": str(bundle / "_internal" / "kiosk.toml"),
                "BORNE_VAR_DIR": str(var_dir),
                "BORNE_CENTRAL_URL": stack.endpoints.central_url,
                "BORNE_SEAL_PIN": stack.token.user_pin,
                "BORNE_KIOSK_KEY_PIN": kiosk_token_pin(var_dir / "hsm") or "",
                "CUPS_SERVER": stack.endpoints.cups_server,
                "QT_QPA_PLATFORM": "offscreen",
            }
            env.pop("DISPLAY", None)
            selftest = subprocess.run(
                [str(bundle / "kiosk"), "selftest"],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            lines = [json.loads(line) for line in selftest.stdout.splitlines()]
            assert selftest.returncode == 0, selftest.stdout + selftest.stderr[-2000:]
            assert {c["check"] for c in lines if c.get("ok")} >= {
                "config",
                "card_reader",
                "payment_terminal",
                "signer",
                "printer",
                "central",
            }
            hand = _Hand(tmp_path / "hand.sock", stack)
            try:
                played = subprocess.run(
                    [str(bundle / "kiosk"), "run", "--autoplay", "--documents", "household"],
                    env={
                        **env,
                        "BORNE_AUTOPLAY_PIN": stack.pin,
                        "BORNE_AUTOPLAY_HAND": str(tmp_path / "hand.sock"),
                    },
                    capture_output=True,
                    text=True,
                    timeout=300,
                    check=False,
                )
            finally:
                hand.close()
            assert played.returncode == 0, played.stderr[-3000:]
            summary = json.loads(played.stdout.splitlines()[-1])
            assert summary["outcome"] == "completed"
            assert summary["payment"]["status"] == "approved"
            (handed,) = summary["printed_pdfs"]
            assert not Path(handed).exists()  # the product keeps no sealed copy after printing
            printed = [
                p
                for p in Path(stack.endpoints.print_output).rglob("*.pdf")
                if "receipt" not in p.name  # the receipt may come out as a job of its own
            ]
            assert len(printed) == 1
            assert printed[0].read_bytes()[:5] == b"%PDF-"
            assert hand.requests == ["insert", "remove"]
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def test_the_bundle_carries_the_qt_platform_plugins_and_the_translations(bundle: Path) -> None:
    files = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*")}
    plugins = {Path(f).name for f in files if "/plugins/platforms/" in f}
    assert {"libqxcb.so", "libqwayland.so", "libqoffscreen.so"} <= plugins
    for lang in ("fr", "nl", "de", "en"):
        assert f"_internal/assets/i18n/{lang}.json" in files
