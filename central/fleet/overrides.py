"""A kiosk's override of the fleet configuration, as the console's form edits it.

One form field per setting a kiosk may override: its prices (cents, one per document of the
catalogue), languages, time-outs (seconds) and the commune's name and address. A field left empty
follows the fleet's default; a filled one becomes the override's value, written as `kiosk.toml`
writes it. The form is read into an override (`read_form`), which the configuration book then
validates alone and merged with the default, by the kiosk's own validator (`ConfigBook.put`).
The staff allow-list holds national numbers and is not shown in a form: it stays edited in the
fleet's document only.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from offline_queue.managed_config import TIMEOUT_SCREENS, WARNING_KEY
from printing.documents import CATALOGUE


class FieldKind(enum.StrEnum):
    CENTS = "cents"
    SECONDS = "seconds"
    LANGUAGES = "languages"
    LANGUAGE = "language"
    TEXT = "text"


@dataclass(frozen=True, slots=True, kw_only=True)
class OverrideField:
    section: str
    key: str
    kind: FieldKind

    @property
    def name(self) -> str:
        return f"{self.section}.{self.key}"


OVERRIDE_FIELDS: Final = (
    *(OverrideField(section="prices", key=d, kind=FieldKind.CENTS) for d in CATALOGUE),
    OverrideField(section="kiosk", key="languages", kind=FieldKind.LANGUAGES),
    OverrideField(section="kiosk", key="default_language", kind=FieldKind.LANGUAGE),
    OverrideField(section="kiosk", key="document_languages", kind=FieldKind.LANGUAGES),
    *(
        OverrideField(section="timeouts", key=s, kind=FieldKind.SECONDS)
        for s in (*TIMEOUT_SCREENS, WARNING_KEY)
    ),
    OverrideField(section="commune", key="name", kind=FieldKind.TEXT),
    OverrideField(section="commune", key="address", kind=FieldKind.TEXT),
)
"""The settings a kiosk may override from the console, in the form's order."""
_BY_NAME: Final = {f.name: f for f in OVERRIDE_FIELDS}


@dataclass(frozen=True, slots=True, kw_only=True)
class FormReading:
    override: dict[str, object]
    errors: dict[str, str]
    """Field name → why its text is not a value of its kind (before any validation of ranges)."""


def _value(kind: FieldKind, text: str) -> object:
    """The value typed in a field, as `kiosk.toml` writes it; ValueError when it is not one."""
    if kind is FieldKind.CENTS:
        if not text.isdigit():
            raise ValueError("a whole number of cents expected")
        return int(text)
    if kind is FieldKind.SECONDS:
        number = float(text.replace(",", "."))
        if not math.isfinite(number):
            raise ValueError("a number of seconds expected")
        return int(number) if number.is_integer() else number
    if kind is FieldKind.LANGUAGES:
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


def read_form(fields: Mapping[str, str]) -> FormReading:
    """The override the form's fields say (empty fields: the fleet's default)."""
    override: dict[str, dict[str, object]] = {}
    errors: dict[str, str] = {}
    for spec in OVERRIDE_FIELDS:
        text = fields.get(spec.name, "").strip()
        if not text:
            continue
        try:
            value = _value(spec.kind, text)
        except ValueError:
            errors[spec.name] = "cents" if spec.kind is FieldKind.CENTS else "seconds"
            continue
        override.setdefault(spec.section, {})[spec.key] = value
    return FormReading(override=dict(override), errors=errors)


def form_values(override: Mapping[str, object]) -> dict[str, str]:
    """The form's texts showing `override` (the fields it does not set stay empty)."""
    values: dict[str, str] = {}
    for section, body in override.items():
        if not isinstance(body, Mapping):
            continue
        for key, value in body.items():
            spec = _BY_NAME.get(f"{section}.{key}")
            if spec is None:
                continue
            if isinstance(value, list):
                values[spec.name] = ", ".join(str(v) for v in value)
            else:
                values[spec.name] = str(value)
    return values


def setting_of(settings: Mapping[str, object], name: str) -> str:
    """A setting of a document as the form writes it ("" when the document does not set it)."""
    section, key = name.split(".", 1)
    body = settings.get(section)
    if not isinstance(body, Mapping) or key not in body:
        return ""
    value = body[key]
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def unmanaged_sections(override: Mapping[str, object]) -> dict[str, object]:
    """What a stored override sets beyond the form's fields (kept as is when the form saves)."""
    kept: dict[str, object] = {}
    for section, body in override.items():
        if not isinstance(body, Mapping):
            kept[section] = body
            continue
        rest = {k: v for k, v in body.items() if f"{section}.{k}" not in _BY_NAME}
        if rest:
            kept[section] = rest
    return kept
