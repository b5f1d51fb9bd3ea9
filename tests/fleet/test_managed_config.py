"""The one validator of the central-managed settings: the file's rules, the central's documents."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.config import load_config
from kiosk.config_reader import ConfigError
from offline_queue.managed_config import (
    LANGUAGES,
    TIMEOUT_SCREENS,
    ManagedConfigError,
    StaffRole,
    layered,
    managed_subset,
    national_number_is_valid,
    settings_document,
    validate_managed,
)
from printing.documents import CATALOGUE

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo() -> dict[str, Any]:
    data = tomllib.loads((REPO / "kiosk.toml").read_text(encoding="utf-8"))
    return managed_subset(data)


def test_the_shipped_file_s_managed_keys_are_valid(demo: dict[str, Any]) -> None:
    managed = validate_managed(demo, catalogue=CATALOGUE)
    assert managed.prices_cents["residence_history"] == 300
    assert managed.languages == ("fr", "nl", "de", "en")
    assert managed.commune.service["nl"] == "Dienst Bevolking en Burgerlijke Stand"
    assert managed.staff_allow == ()
    assert managed.timeouts_s == {}


def test_the_file_s_own_keys_are_not_managed() -> None:
    data = tomllib.loads((REPO / "kiosk.toml").read_text(encoding="utf-8"))
    subset = managed_subset(data)
    assert "id" not in subset["kiosk"]
    assert "mode" not in subset["kiosk"]
    assert "logo" not in subset["commune"]
    assert "payment" not in subset
    assert "signing" not in subset


def test_a_full_document_is_applied(demo: dict[str, Any]) -> None:
    demo["kiosk"]["documents"] = ["residence", "household"]
    demo["timeouts"] = {"pin": 45, "choose_documents": 120.5, "warning": 15}
    demo["staff"] = {
        "allow": [
            # published examples of valid national numbers (check digits by modulo 97)
            {"national_number": "93051822361", "role": "clerk"},
            {"national_number": "85073003328", "role": "technician"},
        ]
    }
    managed = validate_managed(demo, catalogue=CATALOGUE)
    assert list(managed.prices_cents) == ["residence", "household"]
    assert managed.timeouts_s == {"pin": 45.0, "choose_documents": 120.5}
    assert managed.timeout_warning_s == 15.0
    assert managed.role_of("93051822361") is StaffRole.CLERK
    assert managed.role_of("85073003328") is StaffRole.TECHNICIAN
    assert managed.role_of("85031412401") is None
    assert "93051822361" not in repr(managed)


@pytest.mark.parametrize(
    ("path", "value", "key", "expected"),
    [
        (("kiosk", "languages"), ["fr", "xx"], "kiosk.languages", "a non-empty list"),
        (("kiosk", "languages"), [], "kiosk.languages", "a non-empty list"),
        (("kiosk", "default_language"), "es", "kiosk.default_language", "one of fr, nl"),
        (("kiosk", "documents"), ["passport"], "kiosk.documents", "needs a price"),
        (("kiosk", "mode"), "production", "kiosk.mode", "a managed key"),
        (("prices", "household"), -5, "prices.household", "0 to 10000 cents"),
        (("prices", "household"), 10_001, "prices.household", "0 to 10000 cents"),
        (("prices", "household"), True, "prices.household", "a int"),
        (("prices", "household"), 2.5, "prices.household", "a int"),
        (("prices", "passport"), 300, "prices.passport", "one of household"),
        (("timeouts", "pin"), 5, "timeouts.pin", "10 to 900 seconds"),
        (("timeouts", "pin"), "long", "timeouts.pin", "a number of seconds"),
        (("timeouts", "forever"), 60, "timeouts.forever", "a managed key"),
        (("commune", "name"), "  ", "commune.name", "a non-empty string"),
        (("commune", "name"), "x" * 201, "commune.name", "at most 200 characters"),
        (("commune", "service"), {"fr": "P", "xx": "?"}, "commune.service.xx", "one of fr"),
        (("payment", "port"), "/dev/ttyS0", "payment", "a managed section"),
    ],
)
def test_an_invalid_setting_names_its_key(
    demo: dict[str, Any], path: tuple[str, str], value: Any, key: str, expected: str
) -> None:
    demo.setdefault(path[0], {})[path[1]] = value
    with pytest.raises(ManagedConfigError) as caught:
        validate_managed(demo, catalogue=CATALOGUE)
    assert caught.value.key == key
    assert expected in str(caught.value)


def test_warning_must_come_before_the_shortest_time_out(demo: dict[str, Any]) -> None:
    demo["timeouts"] = {"remove_card": 15, "warning": 20}
    with pytest.raises(ManagedConfigError) as caught:
        validate_managed(demo, catalogue=CATALOGUE)
    assert caught.value.key == "timeouts.warning"


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        ({"national_number": "93051822362", "role": "clerk"}, "staff.allow[0].national_number"),
        ({"national_number": "9305182236", "role": "clerk"}, "staff.allow[0].national_number"),
        ({"national_number": 93051822361, "role": "clerk"}, "staff.allow[0].national_number"),
        ({"national_number": "93051822361", "role": "mayor"}, "staff.allow[0].role"),
        ({"national_number": "93051822361"}, "staff.allow[0]"),
    ],
)
def test_a_bad_allow_list_entry_is_refused_without_echoing_the_number(
    demo: dict[str, Any], entry: dict[str, Any], key: str
) -> None:
    demo["staff"] = {"allow": [entry]}
    with pytest.raises(ManagedConfigError) as caught:
        validate_managed(demo, catalogue=CATALOGUE)
    assert caught.value.key == key
    assert "9305182236" not in str(caught.value)


def test_a_person_is_listed_once(demo: dict[str, Any]) -> None:
    member = {"national_number": "93051822361", "role": "clerk"}
    demo["staff"] = {"allow": [member, {**member, "role": "technician"}]}
    with pytest.raises(ManagedConfigError, match="each person once"):
        validate_managed(demo, catalogue=CATALOGUE)


def test_published_national_numbers_pass_the_check() -> None:
    assert national_number_is_valid("93051822361")
    assert national_number_is_valid("85073003328")
    assert not national_number_is_valid("93051822360")
    assert not national_number_is_valid("9305182236a")


def test_kiosk_toml_refuses_what_the_central_may_not_send(tmp_path: Path) -> None:
    text = (REPO / "kiosk.toml").read_text(encoding="utf-8")
    bad = tmp_path / "kiosk.toml"
    bad.write_text(text + "\n[timeouts]\npin = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(bad, environ={})
    assert caught.value.key == "timeouts.pin"
    good = tmp_path / "good.toml"
    good.write_text(text + "\n[timeouts]\npin = 40\n", encoding="utf-8")
    config = load_config(good, environ={})
    assert config.managed is not None
    assert config.managed.timeouts_s == {"pin": 40.0}


_texts = st.text(
    alphabet=st.characters(
        min_codepoint=0x21, max_codepoint=0x17F, exclude_categories=("Cc", "Zs")
    ),
    min_size=1,
    max_size=40,
)


@st.composite
def managed_documents(draw: st.DrawFn) -> dict[str, Any]:
    languages = draw(st.lists(st.sampled_from(LANGUAGES), min_size=1, max_size=4, unique=True))
    priced = draw(st.lists(st.sampled_from(tuple(CATALOGUE)), min_size=1, unique=True))
    prices = {name: draw(st.integers(0, 10_000)) for name in priced}
    timeouts = draw(
        st.dictionaries(st.sampled_from(TIMEOUT_SCREENS), st.integers(30, 900), max_size=4)
    )
    return {
        "kiosk": {
            "languages": languages,
            "default_language": draw(st.sampled_from(languages)),
            "documents": draw(st.permutations(priced)),
        },
        "prices": prices,
        "timeouts": {**timeouts, "warning": draw(st.integers(5, 25))},
        "commune": {
            "name": draw(_texts),
            "address": draw(_texts),
            "service": draw(
                st.one_of(_texts, st.dictionaries(st.sampled_from(LANGUAGES), _texts, min_size=1))
            ),
            "official_title": draw(_texts),
        },
    }


@settings(max_examples=60, deadline=None)
@given(managed_documents())
def test_a_valid_document_round_trips(document: dict[str, Any]) -> None:
    managed = validate_managed(document, catalogue=CATALOGUE)
    assert validate_managed(settings_document(managed), catalogue=CATALOGUE) == managed
    assert list(managed.prices_cents) == document["kiosk"]["documents"]


@settings(max_examples=60, deadline=None)
@given(managed_documents(), st.integers().filter(lambda c: not 0 <= c <= 10_000))
def test_any_price_out_of_range_is_refused(document: dict[str, Any], cents: int) -> None:
    bad = copy.deepcopy(document)
    name = next(iter(bad["prices"]))
    bad["prices"][name] = cents
    with pytest.raises(ManagedConfigError) as caught:
        validate_managed(bad, catalogue=CATALOGUE)
    assert caught.value.key == f"prices.{name}"


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    managed_documents(),
    st.sampled_from(["kiosk", "prices", "timeouts", "staff", "commune"]),
    st.sampled_from(["languages", "documents", "pin", "allow", "service", "household", "name"]),
    _json,
)
def test_whatever_the_central_sends_is_accepted_or_refused_by_name(
    document: dict[str, Any], section: str, key: str, value: Any
) -> None:
    bad = copy.deepcopy(document)
    bad.setdefault(section, {})
    if isinstance(bad[section], dict):
        bad[section][key] = value
    refused: list[str] = []
    try:
        validate_managed(bad, catalogue=CATALOGUE)
    except ManagedConfigError as err:  # anything else escaping would be a crash of the kiosk
        refused.append(err.key)
    assert all(key.split(".")[0].split("[")[0] in (section, "kiosk") for key in refused)


def test_what_the_central_sets_is_laid_over_the_file_s_own_keys(demo: dict[str, Any]) -> None:
    own = settings_document(validate_managed(demo, catalogue=CATALOGUE))
    managed = validate_managed(
        layered(own, {"prices": {"household": 400}, "commune": {"name": "Borne-sur-Lesse"}}),
        catalogue=CATALOGUE,
    )
    assert managed.prices_cents["household"] == 400
    assert managed.prices_cents["residence_history"] == 300  # the file's, kept
    assert managed.commune.name == "Borne-sur-Lesse"
    assert managed.commune.service["nl"] == "Dienst Bevolking en Burgerlijke Stand"
