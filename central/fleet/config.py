"""Configuration distribution: the fleet's default and each kiosk's override of the central-managed
sections of `kiosk.toml`, merged per section, served with a strong ETag.

The ETag is a hash of the merged settings' canonical JSON, so it changes exactly when what the
kiosk would apply changes. Settings are validated with the kiosk's own validator
(`offline_queue.managed_config`), so the central saves only what a kiosk would apply.
A kiosk's report (applied, or refused with a reason) goes to its timeline; a refusal opens a
`config_refused` alert that the next applied report resolves.
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import UTC, datetime
from typing import Final

import sqlalchemy as sa

from central.errors import StoreError
from central.fleet import tables as t
from central.fleet.alertbook import AlertBook
from central.fleet.alerts import AlertKind
from central.fleet.base import FleetDb
from central.fleet.mail import AlertMail
from central.fleet.models import ConfigScope
from offline_queue.managed_config import MANAGED_KEYS, ManagedConfigError, validate_managed
from offline_queue.wire import ConfigReport, KioskConfigDocument, contains_national_number
from printing.documents import CATALOGUE

DEFAULT_SCOPE: Final = "*"
_MAX_SETTINGS_BYTES: Final = 64 * 1024


class ConfigInvalid(StoreError):
    """The settings are not a configuration a kiosk would apply; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def validate(settings: dict[str, object]) -> None:
    """Refuse what a kiosk would refuse: the kiosk's own validator of the managed settings
    (`offline_queue.managed_config`, against the documents' catalogue), and oversized settings."""
    if len(json.dumps(settings, default=str)) > _MAX_SETTINGS_BYTES:
        raise ConfigInvalid("settings too large")
    try:
        validate_managed(settings, catalogue=CATALOGUE)
    except ManagedConfigError as err:
        raise ConfigInvalid(str(err)) from err


def validate_part(settings: dict[str, object]) -> None:
    """An override alone: only managed sections and keys (the merge is validated in full)."""
    for section, body in settings.items():
        keys = MANAGED_KEYS.get(section, ())
        if section not in MANAGED_KEYS or not isinstance(body, dict):
            raise ConfigInvalid(f"configuration key '{section[:40]}': not a managed section")
        unknown = [key for key in body if keys is not None and key not in keys]
        if unknown:
            raise ConfigInvalid(f"configuration key '{section}.{unknown[0][:40]}': not managed")


def merge(default: dict[str, object], override: dict[str, object]) -> dict[str, object]:
    """The default with each section of the override laid over it (keys of a section replaced)."""
    merged = dict(default)
    for section, body in override.items():
        base = merged.get(section)
        if isinstance(base, dict) and isinstance(body, dict):
            merged[section] = {**base, **body}
        else:
            merged[section] = body
    return merged


def etag_of(settings: dict[str, object]) -> str:
    canonical = json.dumps(settings, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:40]


def _scope(row: sa.Row[tuple[object, ...]]) -> ConfigScope:
    return ConfigScope(
        scope=str(row.scope),
        revision=int(row.revision),
        settings=json.loads(str(row.settings_json)),
        updated_at=datetime.fromtimestamp(float(row.updated_at), tz=UTC),
        updated_by=str(row.updated_by),
    )


_DOCUMENT_ROWS: Final = sa.select(
    t.fleet_config.c.scope, t.fleet_config.c.revision, t.fleet_config.c.settings_json
).where(
    sa.or_(
        t.fleet_config.c.scope == DEFAULT_SCOPE, t.fleet_config.c.scope == sa.bindparam("b_kiosk")
    )
)
"""The fleet's and one kiosk's stored settings: built once, as every heartbeat asks them."""


@functools.lru_cache(maxsize=1024)
def _document(
    default: tuple[int, str] | None, override: tuple[int, str] | None
) -> KioskConfigDocument:
    """The merged document of a (revision, stored JSON) default and override.

    Every heartbeat needs its kiosk's ETag while the stored settings change only when an operator
    saves: the same stored texts give the same (immutable) document, parsed, merged and hashed
    once. The texts are part of the key, so a scope deleted and made again cannot read stale.
    """
    settings = merge(
        json.loads(default[1]) if default else {}, json.loads(override[1]) if override else {}
    )
    version = f"d{default[0] if default else 0}.k{override[0] if override else 0}"
    return KioskConfigDocument(etag=etag_of(settings), version=version, settings=settings)


class ConfigBook:
    def __init__(self, db: FleetDb, alerts: AlertBook) -> None:
        self._db = db
        self._alerts = alerts

    def scope(self, scope: str) -> ConfigScope | None:
        with self._db.read("the configuration") as connection:
            row = connection.execute(
                sa.select(t.fleet_config).where(t.fleet_config.c.scope == scope)
            ).one_or_none()
        return _scope(row) if row is not None else None

    def put(self, scope: str, settings: dict[str, object], *, actor: str) -> ConfigScope:
        """Save the default (`*`) or a kiosk's override, after validating it and its merge."""
        if scope == DEFAULT_SCOPE:
            validate(settings)
        else:
            validate_part(settings)
            default = self.scope(DEFAULT_SCOPE)
            validate(merge(default.settings if default else {}, settings))
        c = t.fleet_config.c
        now = self._db.clock()
        body = json.dumps(settings, sort_keys=True)
        with self._db.write("the configuration") as connection:
            revision = connection.execute(
                sa.select(c.revision).where(c.scope == scope)
            ).scalar_one_or_none()
            if revision is None:
                connection.execute(
                    sa.insert(t.fleet_config).values(
                        scope=scope,
                        revision=1,
                        settings_json=body,
                        updated_at=now,
                        updated_by=actor,
                    )
                )
            else:
                connection.execute(
                    sa.update(t.fleet_config)
                    .where(c.scope == scope)
                    .values(
                        revision=c.revision + 1,
                        settings_json=body,
                        updated_at=now,
                        updated_by=actor,
                    )
                )
            self._db.audit(
                connection,
                actor=actor,
                action="config.put",
                target="fleet" if scope == DEFAULT_SCOPE else scope,
                detail="sections: " + ",".join(sorted(settings)),
            )
            if scope != DEFAULT_SCOPE:
                self._db.event(connection, kiosk_id=scope, kind="config_changed")
        saved = self.scope(scope)
        assert saved is not None
        return saved

    def document(
        self, kiosk_id: str, *, connection: sa.Connection | None = None
    ) -> KioskConfigDocument | None:
        """The kiosk's merged configuration, or None when neither default nor override exists."""
        bound = {"b_kiosk": kiosk_id}
        if connection is not None:
            rows = connection.execute(_DOCUMENT_ROWS, bound).all()
        else:
            with self._db.read("the configuration") as reading:
                rows = reading.execute(_DOCUMENT_ROWS, bound).all()
        scopes = {str(row.scope): (int(row.revision), str(row.settings_json)) for row in rows}
        default, override = scopes.get(DEFAULT_SCOPE), scopes.get(kiosk_id)
        if default is None and override is None:
            return None
        return _document(default, override)

    def report(self, report: ConfigReport) -> AlertMail | None:
        """Record what the kiosk did with a configuration; a refusal opens `config_refused`."""
        reason = (
            "(reason withheld: personal data)"
            if contains_national_number(report.reason)
            else report.reason
        )
        now = self._db.clock()
        with self._db.write("the configuration report") as connection:
            kind = "config_applied" if report.applied else "config_refused"
            self._db.event(
                connection,
                kiosk_id=report.kiosk_id,
                kind=kind,
                ref=report.etag[:128],
                detail=reason,
            )
            if report.applied:
                self._alerts.resolve(
                    connection, kiosk_id=report.kiosk_id, kind=AlertKind.CONFIG_REFUSED, now=now
                )
                return None
            return self._alerts.open(
                connection,
                kiosk_id=report.kiosk_id,
                kind=AlertKind.CONFIG_REFUSED,
                detail=f"etag={report.etag[:40]} {reason}"[:500],
                now=now,
            )
