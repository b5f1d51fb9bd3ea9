"""Operator commands for kiosks: queued, delivered with heartbeat acknowledgements until the kiosk
reports their result, expired after a configurable time.

A result is idempotent per command id: the same result again is accepted, a different one is
refused (`CommandConflict`), and a kiosk cannot answer for another kiosk's command
(`CommandForbidden`). `ISSUE_MAINTENANCE_CODE` makes a one-time code valid one hour: the operator
sees it once, the kiosk receives only its scrypt hash (`scrypt$n$r$p$salt$hash`, the format of
`staff.maintenance_code_hash`) and its expiry.
"""

from __future__ import annotations

import enum
import hashlib
import json
import secrets
import uuid
from datetime import UTC, datetime
from typing import Final

import sqlalchemy as sa

from central.errors import StoreError
from central.fleet import tables as t
from central.fleet.base import FleetDb, iso, page_limit
from central.fleet.models import CommandPage, CommandView, QueuedCommand
from offline_queue.wire import Command, CommandKind, CommandResult

MAINTENANCE_CODE_TTL_S: Final = 3600.0
MAINTENANCE_CODE_DIGITS: Final = 8
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
MAX_DELIVERED: Final = 32


class CommandState(enum.StrEnum):
    QUEUED = "queued"
    DELIVERED = "delivered"
    DONE = "done"
    FAILED = "failed"
    REFUSED = "refused"
    EXPIRED = "expired"


PENDING_STATES: Final = (CommandState.QUEUED.value, CommandState.DELIVERED.value)


class CommandNotFound(StoreError):
    """No such command."""


class CommandForbidden(StoreError):
    """The command belongs to another kiosk."""


class CommandConflict(StoreError):
    """A different result was already stored for this command."""


def maintenance_code_hash(code: str, *, salt: bytes | None = None) -> str:
    """The scrypt hash of a maintenance code, as the kiosk's staff login checks it."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        code.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def new_maintenance_code() -> str:
    return f"{secrets.randbelow(10**MAINTENANCE_CODE_DIGITS):0{MAINTENANCE_CODE_DIGITS}d}"


def _view(row: sa.Row[tuple[object, ...]]) -> CommandView:
    m = row._mapping
    result = m["result_json"]
    return CommandView(
        command_id=str(m["command_id"]),
        kiosk_id=str(m["kiosk_id"]),
        kind=CommandKind(str(m["kind"])),
        state=str(m["state"]),
        arguments=json.loads(str(m["arguments_json"])),
        issued_at=datetime.fromtimestamp(float(m["issued_at"]), tz=UTC),
        issued_by=str(m["issued_by"]),
        expires_at=datetime.fromtimestamp(float(m["expires_at"]), tz=UTC),
        delivered_at=iso(m["delivered_at"]),
        finished_at=iso(m["finished_at"]),
        result=CommandResult.model_validate_json(str(result)) if result is not None else None,
    )


_c = t.fleet_commands.c
_PENDING: Final = (
    sa.select(_c.command_id, _c.kind, _c.issued_at, _c.arguments_json, _c.state)
    .where(
        _c.kiosk_id == sa.bindparam("b_kiosk"),
        sa.or_(*(_c.state == state for state in PENDING_STATES)),
        _c.expires_at > sa.bindparam("b_now"),
    )
    .order_by(_c.issued_at, _c.command_id)
    .limit(MAX_DELIVERED)
)
"""A kiosk's pending commands: built once, as every heartbeat asks it (no expanding IN)."""


class CommandBook:
    """The commands table."""

    def __init__(self, db: FleetDb, *, ttl_s: float) -> None:
        self._db = db
        self._ttl_s = ttl_s

    def queue(
        self,
        *,
        kiosk_id: str,
        kind: CommandKind,
        arguments: dict[str, str],
        actor: str,
        ttl_s: float | None = None,
    ) -> QueuedCommand:
        now = self._db.clock()
        code: str | None = None
        args = dict(arguments)
        if kind is CommandKind.ISSUE_MAINTENANCE_CODE:
            code = new_maintenance_code()
            expiry = datetime.fromtimestamp(now + MAINTENANCE_CODE_TTL_S, tz=UTC)
            args = {"code_hash": maintenance_code_hash(code), "expires_at": expiry.isoformat()}
        command_id = f"cmd-{int(now * 1000):013d}-{uuid.uuid4().hex[:12]}"
        values = {
            "command_id": command_id,
            "kiosk_id": kiosk_id,
            "kind": kind.value,
            "arguments_json": json.dumps(args, sort_keys=True),
            "state": CommandState.QUEUED.value,
            "issued_at": now,
            "issued_by": actor[:128],
            "expires_at": now + (self._ttl_s if ttl_s is None else ttl_s),
        }
        with self._db.write("the command") as connection:
            connection.execute(sa.insert(t.fleet_commands).values(**values))
            self._db.event(
                connection, kiosk_id=kiosk_id, kind="command_queued", ref=command_id, detail=kind
            )
            self._db.audit(
                connection, actor=actor, action="command.queue", target=kiosk_id, detail=kind
            )
            row = connection.execute(
                sa.select(t.fleet_commands).where(t.fleet_commands.c.command_id == command_id)
            ).one()
        return QueuedCommand(command=_view(row), maintenance_code=code)

    def deliver(
        self, connection: sa.Connection, *, kiosk_id: str, now: float
    ) -> tuple[Command, ...]:
        """The kiosk's pending commands (oldest first); first deliveries are marked and logged."""
        c = t.fleet_commands.c
        rows = connection.execute(_PENDING, {"b_kiosk": kiosk_id, "b_now": now}).all()
        fresh = [row.command_id for row in rows if row.state == CommandState.QUEUED.value]
        if fresh:
            connection.execute(
                sa.update(t.fleet_commands)
                .where(c.command_id.in_(fresh), c.state == CommandState.QUEUED.value)
                .values(state=CommandState.DELIVERED.value, delivered_at=now)
            )
            for command_id in fresh:
                self._db.event(
                    connection, kiosk_id=kiosk_id, kind="command_delivered", ref=command_id, at=now
                )
        return tuple(
            Command(
                command_id=row.command_id,
                kind=CommandKind(row.kind),
                issued_at=datetime.fromtimestamp(row.issued_at, tz=UTC),
                arguments=json.loads(row.arguments_json),
            )
            for row in rows
        )

    def record_result(self, result: CommandResult, *, caller_kiosk: str | None) -> bool:
        """Store a kiosk's result; True when new, False when the same result was already stored."""
        c = t.fleet_commands.c
        kiosk = caller_kiosk or result.kiosk_id
        with self._db.write("the command result") as connection:
            row = connection.execute(
                sa.select(c.kiosk_id, c.result_json).where(c.command_id == result.command_id)
            ).one_or_none()
            if row is None:
                raise CommandNotFound(result.command_id)
            if row.kiosk_id != kiosk or row.kiosk_id != result.kiosk_id:
                raise CommandForbidden(result.command_id)
            if row.result_json is not None:
                if CommandResult.model_validate_json(row.result_json) == result:
                    return False
                raise CommandConflict(result.command_id)
            updated = connection.execute(
                sa.update(t.fleet_commands)
                .where(c.command_id == result.command_id, c.result_json.is_(None))
                .values(
                    state=result.outcome.value,
                    finished_at=result.finished_at.timestamp(),
                    result_json=result.model_dump_json(),
                )
            ).rowcount
            if updated != 1:
                raise CommandConflict(result.command_id)
            self._db.event(
                connection,
                kiosk_id=row.kiosk_id,
                kind="command_result",
                ref=result.command_id,
                detail=result.outcome.value,
            )
        return True

    def expire(self, connection: sa.Connection, *, now: float) -> int:
        c = t.fleet_commands.c
        rows = connection.execute(
            sa.update(t.fleet_commands)
            .where(c.state.in_(PENDING_STATES), c.expires_at <= now)
            .values(state=CommandState.EXPIRED.value)
            .returning(c.command_id, c.kiosk_id)
        ).all()
        for row in rows:
            self._db.event(
                connection, kiosk_id=row.kiosk_id, kind="command_expired", ref=row.command_id
            )
        return len(rows)

    def get(self, command_id: str) -> CommandView | None:
        with self._db.read("the command") as connection:
            row = connection.execute(
                sa.select(t.fleet_commands).where(t.fleet_commands.c.command_id == command_id)
            ).one_or_none()
        return _view(row) if row is not None else None

    def list(self, *, kiosk_id: str, after: str | None = None, limit: int = 100) -> CommandPage:
        """A kiosk's commands in the order they were issued (ids sort by issue time)."""
        limit = page_limit(limit)
        c = t.fleet_commands.c
        query = sa.select(t.fleet_commands).where(c.kiosk_id == kiosk_id)
        if after is not None:
            query = query.where(c.command_id > after)
        with self._db.read("the commands") as connection:
            rows = connection.execute(query.order_by(c.command_id).limit(limit + 1)).all()
        views = tuple(_view(row) for row in rows[:limit])
        return CommandPage(
            commands=views, next_after=views[-1].command_id if len(rows) > limit else None
        )
