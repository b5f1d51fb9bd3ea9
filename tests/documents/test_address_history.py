"""Address history is each person's own: a child's starts at birth; a period before birth is refused."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from devstack.register import DEMO_REGISTER, lookup
from printing.errors import RegisterDataError
from printing.model import AddressPeriod
from printing.render import render
from tests.documents.conftest import ADDRESS, COMMUNE, HOLDER, make_data

REPO = Path(__file__).resolve().parents[2]
I18N = REPO / "assets" / "i18n"


def _demo_people() -> list[dict[str, object]]:
    raw = json.loads(DEMO_REGISTER.read_text(encoding="utf-8"))
    return [member for household in raw["households"] for member in household["members"]]


@pytest.mark.parametrize("member", _demo_people(), ids=lambda m: str(m["first_names"]))
def test_every_demo_person_has_their_own_history_from_birth(member: dict[str, object]) -> None:
    entry = lookup(str(member["national_number"]))
    assert entry.address_history == entry.holder.address_history
    assert all(p.start >= entry.holder.birth_date for p in entry.address_history)


def test_a_child_and_her_parent_in_one_household_have_different_histories() -> None:
    emma = lookup("15093021271")
    marie = lookup("85031412401")
    assert emma.address == marie.address
    assert emma.address_history[0].start == date(2015, 9, 30)
    assert marie.address_history[0].start == date(2008, 9, 1)


def test_residence_history_of_emma_prints_only_periods_after_her_birth(tmp_path: Path) -> None:
    out = tmp_path / "emma.pdf"
    subprocess.run(
        [
            *(sys.executable, "-m", "devstack", "documents", "render"),
            *("--document", "residence_history", "--persona", "emma", "--out", str(out)),
        ],
        check=True,
        cwd=REPO,
        capture_output=True,
    )
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "30/09/2015" in text
    assert "01/04/2016" in text
    assert "2008" not in text


def _before_birth() -> AddressPeriod:
    return AddressPeriod(
        address=ADDRESS, start=HOLDER.birth_date.replace(year=HOLDER.birth_date.year - 1)
    )


@pytest.mark.parametrize("language", ["fr", "nl", "de"])
def test_a_period_before_birth_is_refused_with_a_translated_reason(language: str) -> None:
    data = make_data(document_type="residence_history", language=language)
    bad = replace(data, address_history=(_before_birth(), *data.address_history))
    with pytest.raises(RegisterDataError) as caught:
        render(bad, commune=COMMUNE)
    assert caught.value.translation_key == "documents.error.history_before_birth"
    assert caught.value.params["field"] == "address_history[0]"
    assert str(HOLDER.birth_date.year - 1) not in str(caught.value)
    assert HOLDER.national_number not in str(caught.value)
    for lang in ("fr", "nl", "de", "en"):
        messages = json.loads((I18N / f"{lang}.json").read_text(encoding="utf-8"))
        assert messages[caught.value.translation_key].strip()


def test_a_period_ending_before_it_starts_is_refused() -> None:
    data = make_data(document_type="residence_history")
    backwards = AddressPeriod(address=ADDRESS, start=date(2020, 5, 1), end=date(2020, 4, 30))
    with pytest.raises(RegisterDataError) as caught:
        render(replace(data, address_history=(backwards,)), commune=COMMUNE)
    assert caught.value.translation_key == "documents.error.history_order"


def test_a_register_file_with_a_residence_before_birth_is_refused(tmp_path: Path) -> None:
    register = json.loads(DEMO_REGISTER.read_text(encoding="utf-8"))
    emma = next(
        m for h in register["households"] for m in h["members"] if m["first_names"] == "Emma"
    )
    emma["address_history"][0]["from"] = "2008-09-01"
    bad_register = tmp_path / "register.json"
    bad_register.write_text(json.dumps(register), encoding="utf-8")
    entry = lookup("15093021271", register_path=bad_register)
    with pytest.raises(RegisterDataError):
        render(
            replace(
                make_data(document_type="residence_history"),
                holder=entry.holder,
                address_history=entry.address_history,
            ),
            commune=COMMUNE,
        )
