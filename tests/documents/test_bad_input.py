"""Bad register data and an unavailable seal token give typed errors, never a blank or clipped page."""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devstack.demo_pki import MunicipalPki
from printing.errors import DocumentError, TokenError
from printing.render import render
from printing.seal import Sealer
from printing.token import TokenConfig
from printing.validate import clean_text
from tests.documents.conftest import ADDRESS, COMMUNE, HOLDER, make_data


def _field_error(data: object) -> DocumentError:
    with pytest.raises(DocumentError) as info:
        render(data, commune=COMMUNE)  # type: ignore[arg-type]
    return info.value


@pytest.mark.parametrize(
    ("change", "field", "key"),
    [
        ({"surname": ""}, "holder.surname", "documents.error.field_missing"),
        ({"surname": "x" * 161}, "holder.surname", "documents.error.field_too_long"),
        ({"national_number": ""}, "holder.national_number", "documents.error.field_missing"),
        ({"national_number": "1234"}, "holder.national_number", "documents.error.field_invalid"),
        ({"first_names": "Yuki 山田"}, "holder.first_names", "documents.error.field_charset"),
        ({"birth_place": "Gent\x07"}, "holder.birth_place", "documents.error.field_charset"),
    ],
)
def test_bad_holder_fields_are_named(change: dict[str, Any], field: str, key: str) -> None:
    data = make_data()
    error = _field_error(replace(data, holder=replace(HOLDER, **change)))
    assert error.translation_key == key
    assert error.params["field"] == field
    assert "85031412401" not in str(error)


def test_bad_address_and_member_fields_are_named() -> None:
    data = make_data(members=3)
    assert (
        _field_error(replace(data, address=replace(ADDRESS, street="  "))).params["field"]
        == "address.street"
    )
    members = list(data.household)
    members[2] = replace(members[2], surname="\u0378")
    assert (
        _field_error(replace(data, household=tuple(members))).params["field"]
        == "household[2].surname"
    )
    nothing = _field_error(
        replace(make_data(document_type="residence_history"), address_history=())
    )
    assert nothing.params["field"] == "address_history"


def test_compatibility_characters_degrade_visibly() -> None:
    assert clean_text("ℊrégoire  Dupont", field="x.surname") == "grégoire Dupont"


def test_nationality_certificate_refuses_a_foreigner() -> None:
    data = make_data(document_type="nationality")
    error = _field_error(replace(data, holder=replace(HOLDER, nationality="IT")))
    assert error.translation_key == "documents.error.not_belgian"


_NAMES = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x24F),
        st.sampled_from("ŒœŠšŽžŸ’–—ﬁﬂ山田ÆØÅ\u0301\u200b\t"),
    ),
    min_size=0,
    max_size=170,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(surname=_NAMES, street=_NAMES)
def test_any_name_or_street_prints_in_full_or_is_refused(surname: str, street: str) -> None:
    data = make_data(document_type="residence")
    data = replace(
        data, holder=replace(HOLDER, surname=surname), address=replace(ADDRESS, street=street)
    )
    try:
        pdf = render(data, commune=COMMUNE)
    except DocumentError as err:
        refused = err.params["field"]
        assert refused in {"holder.surname", "address.street"}
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    flat = "".join(text.split())
    expected_name = "".join(clean_text(surname, field="holder.surname").upper().split())
    expected_street = "".join(clean_text(street, field="address.street").split())

    # Characters pdftotext cannot map back (combining marks, format characters) are skipped.
    def simple(value: str) -> str:
        return "".join(ch for ch in value if ch.isalnum() and ch.isascii())

    assert simple(expected_name) in simple(flat)
    assert simple(expected_street) in simple(flat)


@pytest.mark.hsm
def test_wrong_pin_is_a_typed_error_without_the_pin(token: TokenConfig) -> None:
    wrong = replace(token, user_pin="00000000" if token.user_pin != "00000000" else "11111111")
    with pytest.raises(TokenError) as info:
        Sealer(wrong)
    assert info.value.translation_key == "documents.error.seal_pin"
    assert wrong.user_pin not in str(info.value)
    assert "00000000" not in repr(wrong)


@pytest.mark.hsm
def test_missing_token_is_a_typed_error(token: TokenConfig) -> None:
    with pytest.raises(TokenError) as info:
        Sealer(replace(token, token_label="no-such-token"))
    assert info.value.translation_key == "documents.error.seal_token_missing"


@pytest.mark.hsm
def test_preflight_reports_a_healthy_token(sealer: Sealer, pki: MunicipalPki) -> None:
    health = sealer.preflight()
    assert health.ok
    assert health.days_left is not None
    assert health.days_left > 300
