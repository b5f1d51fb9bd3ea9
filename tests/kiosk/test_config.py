"""The configuration loader: the shipped demo file is valid, and every bad value names its key."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import Mode, load_config
from kiosk.config_reader import ConfigError

REPO = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    lines: list[str] = []
    for table, values in data.items():
        lines.append(f"[{table}]")
        for key, value in values.items():
            lines.append(f"{key} = {_toml(value)}")
    path = tmp_path / "kiosk.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return str(value)


@pytest.fixture
def demo() -> dict[str, Any]:
    return tomllib.loads((REPO / "kiosk.toml").read_text(encoding="utf-8"))


def test_shipped_demo_configuration_is_valid() -> None:
    config = load_config(REPO / "kiosk.toml", environ={})
    assert config.mode is Mode.DEMO
    assert config.commune.name == "Démo-sur-Meuse"
    assert config.prices_cents["household"] == 250
    assert config.payment.journal == REPO / "var" / "data" / "payments.sqlite"
    assert config.signing.pin is None


def test_environment_overrides_paths_and_secrets(tmp_path: Path, demo: dict[str, Any]) -> None:
    path = _write(tmp_path, demo)
    config = load_config(
        path,
        environ={
            "BORNE_VAR_DIR": str(tmp_path / "state"),
            "BORNE_SEAL_PIN": "987654",
            "BORNE_CENTRAL_URL": "http://127.0.0.1:9",
        },
    )
    assert config.central.outbox == tmp_path / "state" / "data" / "outbox.sqlite"
    assert config.signing.pin == "987654"
    assert config.central.url == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("table", "key", "value", "expected"),
    [
        ("kiosk", "mode", "staging", "one of demo, test, production"),
        ("kiosk", "languages", ["fr", "xx"], "a non-empty list"),
        ("prices", "household", -5, "0 to 10000 cents"),
        ("prices", "passport", 300, "one of household"),
        ("payment", "baudrate", "fast", "a int"),
        ("printing", "queue", "", "a non-empty string"),
    ],
)
def test_invalid_value_names_key_value_and_expectation(
    tmp_path: Path, demo: dict[str, Any], table: str, key: str, value: Any, expected: str
) -> None:
    demo[table][key] = value
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, demo), environ={})
    assert caught.value.key == f"{table}.{key}"
    assert f"'{table}.{key}'" in str(caught.value)
    assert expected in str(caught.value)


def test_missing_key_is_named(tmp_path: Path, demo: dict[str, Any]) -> None:
    del demo["commune"]["name"]
    with pytest.raises(ConfigError, match=re.escape("'commune.name'")):
        load_config(_write(tmp_path, demo), environ={})


def test_production_refuses_test_roots_and_pin_in_file(
    tmp_path: Path, demo: dict[str, Any]
) -> None:
    demo["kiosk"]["mode"] = "production"
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, demo), environ={"BORNE_SEAL_PIN": "1"})
    assert caught.value.key == "eid.test_roots"

    del demo["eid"]["test_roots"]
    demo["signing"]["pin"] = "1234"
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, demo), environ={"BORNE_SEAL_PIN": "1"})
    assert caught.value.key == "signing.pin"
    assert "1234" not in str(caught.value)

    del demo["signing"]["pin"]
    with pytest.raises(ConfigError, match="BORNE_SEAL_PIN"):
        load_config(_write(tmp_path, demo), environ={})
    demo["central"]["url"] = "https://central.example.be"
    config = load_config(
        _write(tmp_path, demo), environ={"BORNE_SEAL_PIN": "4321", "BORNE_KIOSK_KEY_PIN": "1"}
    )
    assert config.signing.pin == "4321"
    assert not config.mode.trusts_test_roots


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="an existing TOML file"):
        load_config(tmp_path / "absent.toml", environ={})
    bad = tmp_path / "bad.toml"
    bad.write_text("[kiosk\nid=", encoding="utf-8")
    with pytest.raises(ConfigError, match="valid TOML"):
        load_config(bad, environ={})


def test_commune_texts_follow_the_certificate_language(
    tmp_path: Path, demo: dict[str, Any]
) -> None:
    config = load_config(_write(tmp_path, demo), environ={})
    assert config.commune.service_in("nl") == "Dienst Bevolking en Burgerlijke Stand"
    assert config.commune.official_title_in("de") == "Der beauftragte Standesbeamte"

    demo["commune"]["service"] = "Service Population"
    config = load_config(_write(tmp_path, demo), environ={})
    assert config.commune.service_in("nl") == "Service Population"

    demo["commune"]["service"] = {"fr": "Population", "xx": "?"}
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, demo), environ={})
    assert caught.value.key == "commune.service.xx"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"url": "http://central.example.be"}, "central.url"),
        ({"ca_file": None}, "central.ca_file"),
        ({"key_file": None, "key_token": None}, "central.key_token"),
        ({"token": "demo-kiosk-token"}, "central.token"),
    ],
)
def test_production_talks_https_to_a_pinned_central_with_its_own_key(
    tmp_path: Path, demo: dict[str, Any], change: dict[str, str | None], key: str
) -> None:
    demo["kiosk"]["mode"] = "production"
    del demo["eid"]["test_roots"]
    demo["central"]["url"] = "https://central.example.be"
    for name, value in change.items():
        if value is None:
            del demo["central"][name]
        else:
            demo["central"][name] = value
    with pytest.raises(ConfigError) as caught:
        load_config(
            _write(tmp_path, demo), environ={"BORNE_SEAL_PIN": "1", "BORNE_KIOSK_KEY_PIN": "2"}
        )
    assert caught.value.key == key
    assert "demo-kiosk-token" not in str(caught.value)


def test_production_keeps_the_kiosk_key_in_its_token_with_the_pin_from_the_environment(
    tmp_path: Path, demo: dict[str, Any]
) -> None:
    demo["kiosk"]["mode"] = "production"
    del demo["eid"]["test_roots"]
    demo["central"]["url"] = "https://central.example.be"
    path = _write(tmp_path, demo)
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={"BORNE_SEAL_PIN": "1"})
    assert caught.value.key == "central.key_token"
    assert "BORNE_KIOSK_KEY_PIN" in str(caught.value)
    config = load_config(path, environ={"BORNE_SEAL_PIN": "1", "BORNE_KIOSK_KEY_PIN": "24680"})
    assert (config.central.key_token, config.central.key_label) == ("borne-kiosk", "kiosk")
    assert config.central.key_pin == "24680"
    assert "24680" not in repr(config)


def test_the_least_gap_between_payments_is_the_terminals_unless_configured(
    tmp_path: Path, demo: dict[str, Any]
) -> None:
    from hardware.payment.registry import TerminalSettings, create_terminal  # noqa: PLC0415

    assert load_config(_write(tmp_path, demo), environ={}).payment.between_transactions_s is None
    demo["payment"]["between_transactions_s"] = 0.5
    config = load_config(_write(tmp_path, demo), environ={})
    assert config.payment.between_transactions_s == 0.5
    terminal = create_terminal(
        "zvt",
        TerminalSettings(port="loop://", between_transactions_s=0.5, timeout_scale=2.0),
    )
    assert terminal._timeouts.between_transactions == 0.5  # type: ignore[attr-defined]
    assert terminal._timeouts.command == 30.0  # type: ignore[attr-defined]  # still scaled
    demo["payment"]["between_transactions_s"] = -1
    with pytest.raises(ConfigError, match=re.escape("'payment.between_transactions_s'")):
        load_config(_write(tmp_path, demo), environ={})


def test_production_refuses_an_allow_list_in_the_file(tmp_path: Path, demo: dict[str, Any]) -> None:
    number = "85073003328"
    demo["staff"]["allow"] = [{"national_number": number, "role": "clerk"}]
    demo_config = load_config(_write(tmp_path, demo), environ={})
    assert demo_config.managed is not None
    assert demo_config.managed.role_of(number) == "clerk"  # the demo reads it from the file
    demo["kiosk"]["mode"] = "production"
    del demo["eid"]["test_roots"]
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, demo), environ={"BORNE_SEAL_PIN": "1"})
    assert caught.value.key == "staff.allow"
    assert number not in str(caught.value)
    assert "the central sends it" in str(caught.value)
