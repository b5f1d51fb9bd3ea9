"""The kept configuration is sealed on disk: its staff allow-list's national numbers never lie there
in clear, it opens only with this kiosk's key, and a file from before sealing is sealed on read."""

from __future__ import annotations

import logging
import stat
import tomllib
from pathlib import Path

import pytest

from kiosk.fleet.store import SEALED_MAGIC, FleetStore
from offline_queue.managed_config import managed_subset, national_number_is_valid
from offline_queue.wire import KioskConfigDocument

REPO = Path(__file__).resolve().parents[2]
STAFF_NUMBER = "85073003328"  # a valid national number (check digits 28), born 1985-07-30


def document() -> KioskConfigDocument:
    settings = managed_subset(tomllib.loads((REPO / "kiosk.toml").read_text(encoding="utf-8")))
    settings["staff"] = {"allow": [{"national_number": STAFF_NUMBER, "role": "technician"}]}
    return KioskConfigDocument(etag="e1", version="d1.k0", settings=settings)


def test_the_number_is_valid() -> None:
    assert national_number_is_valid(STAFF_NUMBER)


def test_a_saved_configuration_is_sealed_and_opens_again(tmp_path: Path) -> None:
    store = FleetStore(tmp_path / "fleet")
    store.save_config(document())

    raw = store.config_path.read_bytes()
    assert raw.startswith(SEALED_MAGIC)
    assert STAFF_NUMBER.encode() not in raw
    assert b"technician" not in raw  # nothing of the document reads in clear
    for path in (store.config_path, store.key_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert FleetStore(tmp_path / "fleet").load_config() == document()


def test_a_configuration_from_before_sealing_is_read_and_sealed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = FleetStore(tmp_path / "fleet")
    store.directory.mkdir(parents=True)
    store.config_path.write_bytes(document().model_dump_json().encode())

    with caplog.at_level(logging.INFO, logger="kiosk.fleet.store"):
        assert store.load_config() == document()
    assert "fleet_config_sealed" in caplog.messages
    assert store.config_path.read_bytes().startswith(SEALED_MAGIC)
    assert STAFF_NUMBER.encode() not in store.config_path.read_bytes()
    assert store.load_config() == document()


def test_a_tampered_configuration_reads_as_none(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = FleetStore(tmp_path / "fleet")
    store.save_config(document())
    raw = bytearray(store.config_path.read_bytes())
    raw[-1] ^= 0x01
    store.config_path.write_bytes(bytes(raw))

    with caplog.at_level(logging.ERROR, logger="kiosk.fleet.store"):
        assert store.load_config() is None
    assert "fleet_config_unreadable" in caplog.messages


def test_a_configuration_whose_key_is_lost_reads_as_none_and_the_next_is_kept(
    tmp_path: Path,
) -> None:
    store = FleetStore(tmp_path / "fleet")
    store.save_config(document())
    store.key_path.unlink()

    assert store.load_config() is None
    store.save_config(document())  # the central's next one, under a new key
    assert store.load_config() == document()
