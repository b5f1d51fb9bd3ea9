"""The ONE validator of the central-managed settings, for `kiosk.toml` and for the central alike.

The central distributes part of a kiosk's configuration (`wire.KioskConfigDocument.settings`):
the documents offered and their prices, the languages, the journey's time-outs, the staff
allow-list and the commune's texts. The same keys live in `kiosk.toml`; `kiosk.config` validates
them with this module, so a setting the file accepts is exactly a setting the central may send.

Keys (same names in the TOML file and in the JSON document):

- ``kiosk.languages`` (list of fr/nl/de/en, default all), ``kiosk.default_language`` (one of them,
  default the first), ``kiosk.document_languages`` (list of fr/nl/de, default all),
  ``kiosk.documents`` (the documents offered, default every priced one);
- ``prices.<document>`` = euro cents, 0 to 10000 (0: free, payment skipped);
- ``timeouts.<screen>`` = seconds (10 to 900) for language, insert_card, pin, choose_documents,
  summary, take_documents, remove_card, error; ``timeouts.warning`` (5 to 120, under every one);
- ``staff.allow`` = a list of ``{national_number = "...", role = "clerk" | "technician"}``;
- ``commune.name``, ``commune.address`` (texts), ``commune.service``, ``commune.official_title``
  (one text, or a table per language fr/nl/de/en); ``commune.kingdom`` (true: "Royaume de
  Belgique" above the name on paper) and ``commune.province`` (optional, one text or a table).

Pure: no I/O, no clock. Every error names the key, what was found and what was expected; a
national number is never echoed (`(hidden)`). The known document types come in as `catalogue`
(the kiosk's templates), since this package does not import the documents.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from hardware.errors import BorneError

LANGUAGES: Final = ("fr", "nl", "de", "en")
DOCUMENT_LANGUAGES: Final = ("fr", "nl", "de")
MAX_PRICE_CENTS: Final = 100_00

TIMEOUT_SCREENS: Final = (
    "language",
    "insert_card",
    "pin",
    "choose_documents",
    "summary",
    "take_documents",
    "remove_card",
    "error",
)
TIMEOUT_RANGE_S: Final = (10.0, 900.0)
WARNING_KEY: Final = "warning"
WARNING_RANGE_S: Final = (5.0, 120.0)
DEFAULT_WARNING_S: Final = 20.0
MAX_STAFF: Final = 500
MAX_TEXT: Final = 200

MANAGED_KEYS: Final[Mapping[str, tuple[str, ...] | None]] = MappingProxyType(
    {
        "kiosk": ("languages", "default_language", "document_languages", "documents"),
        "prices": None,  # any document type of the catalogue
        "timeouts": (*TIMEOUT_SCREENS, WARNING_KEY),
        "staff": ("allow",),
        "commune": ("name", "address", "service", "official_title", "kingdom", "province"),
    }
)
"""The managed sections and, per section, the managed keys (None: the table's own keys)."""


class ManagedConfigError(BorneError):
    """A managed setting is invalid: `key` names it, `expected` says what would be accepted."""

    translation_key = "error.config"

    def __init__(self, *, key: str, value: object, expected: str) -> None:
        super().__init__(
            f"configuration key '{key}': got {value!r}, expected {expected}",
            params={"key": key, "expected": expected},
        )
        self.key = key
        self.value = value
        self.expected = expected


class StaffRole(enum.StrEnum):
    CLERK = "clerk"
    TECHNICIAN = "technician"


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffMember:
    national_number: str = field(repr=False)
    role: StaffRole


@dataclass(frozen=True, slots=True, kw_only=True)
class CommuneTexts:
    name: str
    address: str
    service: Mapping[str, str]
    """Per language; the key "" holds one text for every language."""
    official_title: Mapping[str, str]
    kingdom: bool = False
    """Print the kingdom's name above the commune's on certificates."""
    province: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Per language as `service`; empty: no province printed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ManagedSettings:
    """The validated central-managed settings."""

    languages: tuple[str, ...]
    default_language: str
    document_languages: tuple[str, ...]
    prices_cents: Mapping[str, int]
    """The documents offered, in the order given, with their price."""
    timeouts_s: Mapping[str, float]
    """Only the screens whose time-out is set; the others keep the journey's default."""
    timeout_warning_s: float
    staff_allow: tuple[StaffMember, ...]
    commune: CommuneTexts

    def role_of(self, national_number: str) -> StaffRole | None:
        for member in self.staff_allow:
            if member.national_number == national_number:
                return member.role
        return None


def national_number_is_valid(digits: str) -> bool:
    """11 digits whose last two are the modulo-97 check of the first nine (born before 2000) or
    of "2" followed by them (born from 2000)."""
    if len(digits) != 11 or not digits.isascii() or not digits.isdigit():
        return False
    base, check = int(digits[:9]), int(digits[9:])
    return check in (97 - base % 97, 97 - (2_000_000_000 + base) % 97)


def managed_subset(data: Mapping[str, Any]) -> dict[str, Any]:
    """The managed keys found in a whole `kiosk.toml` (other keys are the file's own business)."""
    subset: dict[str, Any] = {}
    for section, keys in MANAGED_KEYS.items():
        table = data.get(section)
        if section not in data:
            continue
        if keys is None or not isinstance(table, Mapping):
            subset[section] = table
            continue
        picked = {key: table[key] for key in keys if key in table}
        if picked:
            subset[section] = picked
    return subset


def validate_managed(settings: Mapping[str, Any], *, catalogue: Collection[str]) -> ManagedSettings:
    """Validate the managed settings; raise `ManagedConfigError` naming the first bad key.

    Unknown sections or keys are refused: the central may not set what the kiosk does not manage.
    """
    r = _Reader(settings)
    r.known_keys()
    languages = r.languages("kiosk.languages", LANGUAGES)
    default_language = r.choice("kiosk.default_language", languages, default=languages[0])
    document_languages = r.languages("kiosk.document_languages", DOCUMENT_LANGUAGES)
    prices = _prices(r, catalogue)
    offered = _offered(r, prices)
    timeouts, warning = _timeouts(r)
    return ManagedSettings(
        languages=languages,
        default_language=default_language,
        document_languages=document_languages,
        prices_cents=MappingProxyType({name: prices[name] for name in offered}),
        timeouts_s=MappingProxyType(timeouts),
        timeout_warning_s=warning,
        staff_allow=_staff(r),
        commune=CommuneTexts(
            name=r.text("commune.name"),
            address=r.text("commune.address"),
            service=MappingProxyType(r.localized("commune.service")),
            official_title=MappingProxyType(r.localized("commune.official_title")),
            kingdom=r.flag("commune.kingdom", default=False),
            province=MappingProxyType(
                r.localized("commune.province") if r.lookup("commune.province")[0] else {}
            ),
        ),
    )


def layered(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with each section of `over` laid over it: a section's keys replace the base's.

    The central distributes only what its operators set; the kiosk lays it over the managed keys
    of its own `kiosk.toml`, the same way the central lays a kiosk's override over the default.
    """
    merged = dict(base)
    for section, body in over.items():
        below = merged.get(section)
        if isinstance(below, Mapping) and isinstance(body, Mapping):
            merged[section] = {**below, **body}
        else:
            merged[section] = body
    return merged


def settings_document(managed: ManagedSettings) -> dict[str, Any]:
    """The JSON-ready settings that `validate_managed` turns back into `managed` (the documents
    offered are the priced ones, in order, so `kiosk.documents` is not needed)."""

    def localized(texts: Mapping[str, str]) -> str | dict[str, str]:
        return texts[""] if "" in texts else dict(texts)

    document: dict[str, Any] = {
        "kiosk": {
            "languages": list(managed.languages),
            "default_language": managed.default_language,
            "document_languages": list(managed.document_languages),
        },
        "prices": dict(managed.prices_cents),
        "timeouts": {**managed.timeouts_s, WARNING_KEY: managed.timeout_warning_s},
        "commune": {
            "name": managed.commune.name,
            "address": managed.commune.address,
            "service": localized(managed.commune.service),
            "official_title": localized(managed.commune.official_title),
            "kingdom": managed.commune.kingdom,
        },
    }
    if managed.commune.province:
        document["commune"]["province"] = localized(managed.commune.province)
    if managed.staff_allow:
        document["staff"] = {
            "allow": [
                {"national_number": m.national_number, "role": m.role.value}
                for m in managed.staff_allow
            ]
        }
    return document


def lookup(data: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    """(found, value) of the dotted `key` (``section.name``) in nested tables."""
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


class _Reader:
    """Typed access to the nested settings, naming the full key in every error."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def lookup(self, key: str) -> tuple[bool, Any]:
        return lookup(self._data, key)

    def known_keys(self) -> None:
        for section, value in self._data.items():
            if section not in MANAGED_KEYS:
                raise ManagedConfigError(
                    key=str(section),
                    value="(set)",
                    expected=f"a managed section: {', '.join(MANAGED_KEYS)}",
                )
            keys = MANAGED_KEYS[section]
            if keys is None:
                continue
            if not isinstance(value, Mapping):
                raise ManagedConfigError(key=section, value=value, expected="a table")
            for key in value:
                if key not in keys:
                    raise ManagedConfigError(
                        key=f"{section}.{key}",
                        value="(set)",
                        expected=f"a managed key of [{section}]: {', '.join(keys)}",
                    )

    def text(self, key: str, *, default: str | None = None) -> str:
        found, value = self.lookup(key)
        if not found and default is not None:
            return default
        if not found:
            raise ManagedConfigError(key=key, value=None, expected="a str (key missing)")
        if not isinstance(value, str):
            raise ManagedConfigError(key=key, value=value, expected="a str")
        if not value.strip():
            raise ManagedConfigError(key=key, value=value, expected="a non-empty string")
        if len(value) > MAX_TEXT:
            raise ManagedConfigError(
                key=key, value=value[:20] + "…", expected=f"at most {MAX_TEXT} characters"
            )
        return value

    def flag(self, key: str, *, default: bool) -> bool:
        found, value = self.lookup(key)
        if not found:
            return default
        if not isinstance(value, bool):
            raise ManagedConfigError(key=key, value=value, expected="true or false")
        return value

    def number(self, key: str, *, low: float, high: float) -> float:
        _, value = self.lookup(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ManagedConfigError(key=key, value=value, expected="a number of seconds")
        if not low <= value <= high:
            raise ManagedConfigError(key=key, value=value, expected=f"{low:g} to {high:g} seconds")
        return float(value)

    def localized(self, key: str) -> dict[str, str]:
        """One text for every language, or a table `{fr = "…", nl = "…", de = "…"}`."""
        found, value = self.lookup(key)
        if isinstance(value, str):
            return {"": self.text(key)}
        if not found or not isinstance(value, Mapping) or not value:
            raise ManagedConfigError(
                key=key, value=value, expected="a string or a table of languages (fr, nl, de)"
            )
        texts: dict[str, str] = {}
        for lang in value:
            if lang not in LANGUAGES:
                raise ManagedConfigError(
                    key=f"{key}.{lang}", value=lang, expected=f"one of {', '.join(LANGUAGES)}"
                )
            texts[lang] = self.text(f"{key}.{lang}")
        return texts

    def choice(self, key: str, options: tuple[str, ...], *, default: str) -> str:
        value = self.text(key, default=default)
        if value not in options:
            raise ManagedConfigError(key=key, value=value, expected=f"one of {', '.join(options)}")
        return value

    def names(self, key: str, options: Iterable[str], *, what: str) -> tuple[str, ...] | None:
        """A non-empty list of distinct names drawn from `options`; None when the key is absent."""
        found, value = self.lookup(key)
        if not found:
            return None
        allowed = tuple(options)
        if (
            not isinstance(value, list | tuple)
            or not value
            or any(not isinstance(v, str) or v not in allowed for v in value)
            or len(set(value)) != len(value)
        ):
            raise ManagedConfigError(
                key=key,
                value=value,
                expected=f"a non-empty list drawn from {', '.join(allowed)}{what}",
            )
        return tuple(value)

    def languages(self, key: str, options: tuple[str, ...]) -> tuple[str, ...]:
        return self.names(key, options, what="") or options


def _prices(r: _Reader, catalogue: Collection[str]) -> dict[str, int]:
    found, table = r.lookup("prices")
    if not found or not isinstance(table, Mapping) or not table:
        raise ManagedConfigError(
            key="prices", value=table, expected="a table of document = price in cents"
        )
    prices: dict[str, int] = {}
    for name, cents in table.items():
        if name not in catalogue:
            raise ManagedConfigError(
                key=f"prices.{name}", value=name, expected=f"one of {', '.join(catalogue)}"
            )
        if isinstance(cents, bool) or not isinstance(cents, int):
            raise ManagedConfigError(key=f"prices.{name}", value=cents, expected="a int")
        if cents < 0 or cents > MAX_PRICE_CENTS:
            raise ManagedConfigError(
                key=f"prices.{name}", value=cents, expected=f"0 to {MAX_PRICE_CENTS} cents"
            )
        prices[name] = cents
    return prices


def _offered(r: _Reader, prices: Mapping[str, int]) -> tuple[str, ...]:
    offered = r.names("kiosk.documents", prices, what=" (every document offered needs a price)")
    return tuple(prices) if offered is None else offered


def _timeouts(r: _Reader) -> tuple[dict[str, float], float]:
    timeouts = {
        screen: r.number(f"timeouts.{screen}", low=TIMEOUT_RANGE_S[0], high=TIMEOUT_RANGE_S[1])
        for screen in TIMEOUT_SCREENS
        if r.lookup(f"timeouts.{screen}")[0]
    }
    warning = DEFAULT_WARNING_S
    if r.lookup(f"timeouts.{WARNING_KEY}")[0]:
        warning = r.number(
            f"timeouts.{WARNING_KEY}", low=WARNING_RANGE_S[0], high=WARNING_RANGE_S[1]
        )
    shortest = min(timeouts.values(), default=TIMEOUT_RANGE_S[1])
    if warning >= shortest:
        raise ManagedConfigError(
            key=f"timeouts.{WARNING_KEY}",
            value=warning,
            expected=f"fewer seconds than the shortest time-out ({shortest:g})",
        )
    return timeouts, warning


def _staff(r: _Reader) -> tuple[StaffMember, ...]:
    found, value = r.lookup("staff.allow")
    if not found:
        return ()
    if not isinstance(value, list | tuple) or len(value) > MAX_STAFF:
        raise ManagedConfigError(
            key="staff.allow",
            value="(hidden)",
            expected=f"a list of at most {MAX_STAFF} {{national_number, role}} tables",
        )
    members: list[StaffMember] = []
    seen: set[str] = set()
    for index, entry in enumerate(value):
        key = f"staff.allow[{index}]"
        if not isinstance(entry, Mapping) or set(entry) != {"national_number", "role"}:
            raise ManagedConfigError(
                key=key, value="(hidden)", expected="a table of national_number and role"
            )
        number, role = entry["national_number"], entry["role"]
        if not isinstance(number, str) or not national_number_is_valid(number):
            raise ManagedConfigError(
                key=f"{key}.national_number",
                value="(hidden)",
                expected="a national number: 11 digits with a valid check",
            )
        if number in seen:
            raise ManagedConfigError(
                key=f"{key}.national_number", value="(hidden)", expected="each person once"
            )
        roles = tuple(StaffRole)
        if role not in roles:
            raise ManagedConfigError(
                key=f"{key}.role", value=role, expected=f"one of {', '.join(roles)}"
            )
        seen.add(number)
        members.append(StaffMember(national_number=number, role=StaffRole(role)))
    return tuple(members)
