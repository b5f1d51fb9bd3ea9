"""A kiosk's override as the console's form reads it: each field written as `kiosk.toml` writes
it, empty fields follow the fleet, what the form does not show is kept, and the merge is
validated by the kiosk's own validator when saved."""

from __future__ import annotations

import pytest

from central.fleet import FleetService
from central.fleet.config import DEFAULT_SCOPE, ConfigInvalid, merge
from central.fleet.overrides import (
    OVERRIDE_FIELDS,
    form_values,
    read_form,
    setting_of,
    unmanaged_sections,
)
from printing.documents import CATALOGUE
from tests.central.fleet.conftest import valid_settings


def test_every_document_of_the_catalogue_has_a_price_field() -> None:
    prices = {f.key for f in OVERRIDE_FIELDS if f.section == "prices"}
    assert prices == set(CATALOGUE)


def test_the_form_reads_as_kiosk_toml_writes_and_shows_back_what_it_read() -> None:
    fields = {
        "prices.household": "400",
        "kiosk.languages": "fr, nl",
        "kiosk.default_language": "nl",
        "timeouts.pin": "45",
        "timeouts.warning": "12,5",
        "commune.name": "Démo-sur-Meuse (annexe)",
        "prices.life": "   ",
    }
    reading = read_form(fields)
    assert reading.errors == {}
    assert reading.override == {
        "prices": {"household": 400},
        "kiosk": {"languages": ["fr", "nl"], "default_language": "nl"},
        "timeouts": {"pin": 45, "warning": 12.5},
        "commune": {"name": "Démo-sur-Meuse (annexe)"},
    }
    shown = form_values(reading.override)
    assert shown["kiosk.languages"] == "fr, nl"
    assert shown["timeouts.warning"] == "12.5"
    assert "prices.life" not in shown


@pytest.mark.parametrize(
    ("name", "text"),
    [("prices.household", "2,50"), ("prices.household", "-1"), ("timeouts.pin", "x")],
)
def test_a_field_that_is_not_a_value_of_its_kind_is_named(name: str, text: str) -> None:
    reading = read_form({name: text})
    assert name in reading.errors
    assert reading.override == {}


def test_what_the_form_does_not_show_is_kept() -> None:
    stored = {"staff": {"allow": ["85031412401"]}, "prices": {"household": 300, "life": 0}}
    assert unmanaged_sections(stored) == {"staff": {"allow": ["85031412401"]}}
    assert setting_of(merge(valid_settings(), stored), "prices.household") == "300"
    assert setting_of({}, "prices.household") == ""


def test_an_override_a_kiosk_would_refuse_is_refused_where_it_is_saved(
    fleet: FleetService, kiosk_id: str
) -> None:
    fleet.put_config(DEFAULT_SCOPE, valid_settings(), actor="admin")
    with pytest.raises(ConfigInvalid, match=r"prices\.household"):
        fleet.put_config(kiosk_id, read_form({"prices.household": "15000"}).override, actor="a")
    with pytest.raises(ConfigInvalid, match=r"timeouts\.warning"):
        fleet.put_config(
            kiosk_id,
            read_form({"timeouts.pin": "30", "timeouts.warning": "40"}).override,
            actor="a",
        )
    fleet.put_config(kiosk_id, read_form({"prices.household": "400"}).override, actor="a")
    document = fleet.config.document(kiosk_id)
    assert document is not None
    assert document.settings["prices"]["household"] == 400  # type: ignore[index]
    assert document.settings["prices"]["life"] == 0  # type: ignore[index]  # the fleet's
