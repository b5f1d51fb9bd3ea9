"""The staff login's code check: scrypt hash, one-time use, rate limit, nothing secret logged."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest

from kiosk.config import load_config
from kiosk.config_reader import ConfigError
from kiosk.staff_auth import (
    FAILURES_BEFORE_LOCK,
    FIRST_LOCK_S,
    CodeHash,
    LoginResult,
    StaffAuthenticator,
    StaffCodeFormatError,
    hash_code,
)

CODE = "735194"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_hash_is_rfc7914_scrypt_of_the_code() -> None:
    salt = bytes(range(16))
    parts = hash_code(CODE, salt=salt).split("$")
    assert parts[:5] == ["scrypt", "16384", "8", "1", salt.hex()]
    expected = hashlib.scrypt(CODE.encode(), salt=salt, n=16384, r=8, p=1, dklen=32)
    assert bytes.fromhex(parts[5]) == expected


@pytest.mark.parametrize(
    "text",
    ["", "scrypt$1024$8$1$00$00", "argon2id$v=19$...", "scrypt$16384$8$1$zz$" + "00" * 32],
)
def test_malformed_hashes_are_refused(text: str) -> None:
    with pytest.raises(StaffCodeFormatError):
        CodeHash.parse(text)


def test_right_code_accepted_once_then_refused_as_used(tmp_path: Path) -> None:
    used = tmp_path / "used.json"
    auth = StaffAuthenticator(code_hash=hash_code(CODE), used_file=used, clock=Clock())
    assert auth.login(CODE) is LoginResult.ACCEPTED
    assert auth.login(CODE) is LoginResult.USED
    again = StaffAuthenticator(code_hash=hash_code(CODE), used_file=used, clock=Clock())
    # a fresh hash of the same code (new salt) is a new code: accepted once
    assert again.login(CODE) is LoginResult.ACCEPTED
    assert CODE not in used.read_text()


def test_wrong_codes_lock_out_and_the_lock_doubles(tmp_path: Path) -> None:
    clock = Clock()
    auth = StaffAuthenticator(code_hash=hash_code(CODE), used_file=None, clock=clock)
    for _ in range(FAILURES_BEFORE_LOCK):
        assert auth.login("000000") is LoginResult.REFUSED
    assert auth.login(CODE) is LoginResult.LOCKED  # even the right code while locked
    clock.now += FIRST_LOCK_S
    for _ in range(FAILURES_BEFORE_LOCK):
        assert auth.login("111111") is LoginResult.REFUSED
    clock.now += FIRST_LOCK_S
    assert auth.login(CODE) is LoginResult.LOCKED
    clock.now += FIRST_LOCK_S
    assert auth.login(CODE) is LoginResult.ACCEPTED


def test_without_a_configured_hash_nothing_is_accepted() -> None:
    auth = StaffAuthenticator(code_hash=None, used_file=None, clock=Clock())
    assert auth.login("") is LoginResult.NOT_CONFIGURED
    assert auth.login(CODE) is LoginResult.NOT_CONFIGURED


def test_log_lines_hold_neither_code_nor_length(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kiosk.staff_auth")
    code = "98765432101"
    auth = StaffAuthenticator(code_hash=hash_code(code), used_file=None, clock=Clock())
    auth.login("12345678909")
    auth.login(code)
    assert [r.getMessage() for r in caplog.records] == ["staff_login", "staff_login"]
    for record in caplog.records:
        values = [str(v) for v in vars(record).values()]
        assert not any(code in v or "12345678909" in v for v in values)
        assert not hasattr(record, "length")


def test_config_validates_the_staff_hash(tmp_path: Path) -> None:
    shipped = Path("kiosk.toml").read_text(encoding="utf-8")
    config = load_config(Path("kiosk.toml"), environ={"BORNE_VAR_DIR": str(tmp_path)})
    assert config.staff.maintenance_code_hash is not None
    assert config.staff.used_codes == tmp_path / "data" / "staff-codes-used.json"
    bad = tmp_path / "bad.toml"
    start = shipped.index("maintenance_code_hash = ")
    end = shipped.index("\n", start)
    bad.write_text(shipped[:start] + 'maintenance_code_hash = "md5$abc"' + shipped[end:])
    with pytest.raises(ConfigError) as err:
        load_config(bad, environ={"BORNE_VAR_DIR": str(tmp_path)})
    assert err.value.key == "staff.maintenance_code_hash"
    assert "md5" not in str(err.value)


@pytest.mark.parametrize(
    ("line", "key"),
    [("screen_size = [1080]", "ui.screen_size"), ("dpi = 5", "ui.dpi")],
)
def test_config_validates_the_screen(tmp_path: Path, line: str, key: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(Path("kiosk.toml").read_text(encoding="utf-8") + f"\n[ui]\n{line}\n")
    with pytest.raises(ConfigError) as err:
        load_config(bad, environ={"BORNE_VAR_DIR": str(tmp_path)})
    assert err.value.key == key
