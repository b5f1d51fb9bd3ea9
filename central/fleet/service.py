"""The fleet's service API: what the JSON routes and the console call.

`FleetService` ties the fleet's books together on one engine with an injectable clock (epoch
seconds). `start()` launches the sweeper thread (and the mailer); `sweep()` runs one pass by hand
(the tests drive it with their own clock). Every operator action is audited with its actor.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from central.errors import StoreError
from central.fleet import tables as t
from central.fleet.alertbook import AlertBook
from central.fleet.alerts import AlertKind, AlertState, Thresholds
from central.fleet.base import Clock, FleetDb, page_limit
from central.fleet.commands import CommandBook
from central.fleet.config import ConfigBook
from central.fleet.group_commit import GroupCommit
from central.fleet.heartbeats import HeartbeatLog, HeartbeatOutcome
from central.fleet.mail import AlertMail, AlertMailer, MailSettings
from central.fleet.models import (
    AlertPage,
    AlertView,
    AuditEntry,
    AuditPage,
    CommandPage,
    ConfigScope,
    EventView,
    HeartbeatPage,
    HeartbeatView,
    KioskOverview,
    OverviewPage,
    QueuedCommand,
    Reconciliation,
    TimelinePage,
)
from central.fleet.reconcile import Reconciler, needs_review
from central.settings import CentralSettings
from offline_queue.wire import (
    Command,
    CommandKind,
    CommandResult,
    ConfigReport,
    Heartbeat,
    HeartbeatAck,
    IssuanceRecord,
    KioskConfigDocument,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Ingested:
    """What one heartbeat's transaction found: alerts to mail, commands due, the configuration."""

    outcome: HeartbeatOutcome
    commands: tuple[Command, ...]
    document: KioskConfigDocument | None


class FleetService:
    def __init__(
        self, engine: sa.Engine, *, settings: CentralSettings, clock: Clock = time.time
    ) -> None:
        self._settings = settings
        self.db = FleetDb(engine, clock=clock)
        self.alerts = AlertBook(self.db)
        self.commands = CommandBook(self.db, ttl_s=settings.command_ttl_s)
        self.config = ConfigBook(self.db, self.alerts)
        self.reconciler = Reconciler(self.db)
        self.heartbeats = HeartbeatLog(
            self.db,
            self.alerts,
            thresholds=Thresholds(),
            history=settings.heartbeat_history,
            offline_after_s=settings.offline_after_s,
        )
        self._mailer: AlertMailer | None = None
        self._heartbeat_writes: GroupCommit[_Ingested] = GroupCommit(
            self.db, what="the heartbeat", durable=False
        )
        if settings.smtp_host:
            self._mailer = AlertMailer(
                MailSettings(
                    host=settings.smtp_host,
                    port=settings.smtp_port,
                    sender=settings.smtp_sender,
                    recipients=settings.alert_recipients,
                    languages=settings.alert_languages,
                )
            )
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None

    # -- life ----------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the mailer and the sweeper thread (call once, from the app's lifespan)."""
        if self._mailer is not None:
            self._mailer.start()
        if self._sweeper is None:
            self._stop.clear()
            self._sweeper = threading.Thread(
                target=self._sweep_loop, name="fleet-sweeper", daemon=True
            )
            self._sweeper.start()

    def stop(self) -> None:
        self._stop.set()
        if self._sweeper is not None:
            self._sweeper.join(timeout=10.0)
            self._sweeper = None
        if self._mailer is not None:
            self._mailer.stop()

    def _sweep_loop(self) -> None:
        while not self._stop.wait(self._settings.sweep_interval_s):
            try:
                self.sweep()
            except StoreError as err:
                logger.warning("fleet sweep failed", extra={"error": str(err)[:200]})

    def sweep(self) -> int:
        """One pass: silent kiosks marked offline (with their alert), stale commands expired."""
        now = self.db.clock()
        with self.db.write("the fleet sweep") as connection:
            mails = self.heartbeats.sweep(connection, now=now)
            self.commands.expire(connection, now=now)
        for mail in mails:
            logger.warning(
                "kiosk offline", extra={"kiosk_id": mail.kiosk_id, "alert_id": mail.alert_id}
            )
        self._mail(mails)
        return len(mails)

    def mail_alerts(self, mails: list[AlertMail] | tuple[AlertMail, ...]) -> None:
        """Log and mail alerts opened by another book of the central (the staff audit)."""
        self._mail(mails)

    def _mail(self, mails: list[AlertMail] | tuple[AlertMail, ...]) -> None:
        for mail in mails:
            logger.info(
                "alert opened",
                extra={
                    "kiosk_id": mail.kiosk_id,
                    "kind": mail.kind.value,
                    "alert_id": mail.alert_id,
                },
            )
            if self._mailer is not None:
                self._mailer.submit(mail)

    # -- kiosk side ----------------------------------------------------------------------------

    def heartbeat(self, hb: Heartbeat, *, received_at: datetime | None = None) -> HeartbeatAck:
        """Ingest a heartbeat (in a transaction shared with the heartbeats queued behind it,
        `GroupCommit`); the answer carries the pending commands and the configuration's ETag."""
        now = received_at.timestamp() if received_at is not None else self.db.clock()
        json = hb.model_dump_json()

        def ingest(connection: sa.Connection) -> _Ingested:
            self.heartbeats.remember_latest(connection, hb, now=now, json=json)
            return _Ingested(
                outcome=self.heartbeats.ingest(connection, hb, now=now, json=json),
                commands=self.commands.deliver(connection, kiosk_id=hb.kiosk_id, now=now),
                document=self.config.document(hb.kiosk_id, connection=connection),
            )

        done = self._heartbeat_writes.run(ingest)
        outcome, commands, document = done.outcome, done.commands, done.document
        self._mail(outcome.mails)
        return HeartbeatAck(
            received_at=datetime.fromtimestamp(now, tz=UTC),
            next_poll_seconds=self._settings.heartbeat_interval_s,
            commands=commands,
            config_etag=document.etag if document is not None else "",
        )

    def records_received(self, records: tuple[IssuanceRecord, ...], accepted: set[str]) -> None:
        """New records whose payment needs a manual review open that alert (once per kiosk)."""
        review = [r for r in records if r.operation_id in accepted and needs_review(r)]
        if not review:
            return
        try:
            self._mail(self._review(review))
        except StoreError as err:  # the records are stored: the review shows in reconciliation
            logger.warning("payment review not recorded", extra={"error": str(err)[:200]})

    def _review(self, review: list[IssuanceRecord]) -> list[AlertMail]:
        now = self.db.clock()
        mails: list[AlertMail] = []
        with self.db.write("the payment review") as connection:
            for record in review:
                self.db.event(
                    connection,
                    kiosk_id=record.kiosk_id,
                    kind="payment_to_review",
                    ref=record.operation_id,
                    detail=record.outcome,
                )
                mail = self.alerts.open(
                    connection,
                    kiosk_id=record.kiosk_id,
                    kind=AlertKind.MANUAL_REVIEW_PAYMENT,
                    detail=f"operation_id={record.operation_id}",
                    now=now,
                )
                if mail is not None:
                    mails.append(mail)
        return mails

    def command_result(self, result: CommandResult, *, caller_kiosk: str | None) -> bool:
        return self.commands.record_result(result, caller_kiosk=caller_kiosk)

    def kiosk_config(self, kiosk_id: str) -> KioskConfigDocument | None:
        return self.config.document(kiosk_id)

    def config_report(self, report: ConfigReport) -> None:
        mail = self.config.report(report)
        self._mail([mail] if mail is not None else [])

    # -- operator side -------------------------------------------------------------------------

    def queue_command(
        self,
        kiosk_id: str,
        kind: CommandKind,
        *,
        arguments: dict[str, str] | None = None,
        actor: str,
    ) -> QueuedCommand:
        return self.commands.queue(
            kiosk_id=kiosk_id, kind=kind, arguments=arguments or {}, actor=actor
        )

    def list_commands(
        self, kiosk_id: str, *, after: str | None = None, limit: int = 100
    ) -> CommandPage:
        return self.commands.list(kiosk_id=kiosk_id, after=after, limit=limit)

    def acknowledge_alert(self, alert_id: int, *, actor: str) -> AlertView:
        return self.alerts.acknowledge(alert_id, actor=actor)

    def resolve_alert(self, alert_id: int, *, actor: str) -> AlertView:
        return self.alerts.resolve_by_operator(alert_id, actor=actor)

    def list_alerts(
        self,
        *,
        kiosk_id: str | None = None,
        state: AlertState | None = None,
        kind: AlertKind | None = None,
        active: bool = False,
        after: int = 0,
        limit: int = 100,
    ) -> AlertPage:
        return self.alerts.list(
            kiosk_id=kiosk_id, state=state, kind=kind, active=active, after=after, limit=limit
        )

    def put_config(self, scope: str, settings: dict[str, object], *, actor: str) -> ConfigScope:
        return self.config.put(scope, settings, actor=actor)

    def reconciliation(self, kiosk_id: str, day: date, *, actor: str) -> Reconciliation:
        result = self.reconciler.day(kiosk_id, day)
        with self.db.write("the audit") as connection:
            self.db.audit(
                connection,
                actor=actor,
                action="reconciliation.view",
                target=kiosk_id,
                detail=str(day),
            )
        return result

    def overview(
        self,
        *,
        after: str | None = None,
        limit: int = 100,
        online: bool | None = None,
        alerting: bool | None = None,
    ) -> OverviewPage:
        """Every kiosk seen, in id order, with status, paper forecast and active alerts;
        filtered on being online, and on having active alerts."""
        limit = page_limit(limit)
        s, a = t.fleet_status.c, t.fleet_alerts.c
        active = (
            sa.select(sa.func.count())
            .where(a.kiosk_id == s.kiosk_id, a.open_key.is_not(None))
            .scalar_subquery()
        )
        last = (
            sa.select(t.fleet_heartbeats.c.heartbeat_json)
            .where(t.fleet_heartbeats.c.kiosk_id == s.kiosk_id)
            .order_by(t.fleet_heartbeats.c.seq.desc())
            .limit(1)
            .scalar_subquery()
        )
        query = sa.select(s.kiosk_id, s.online, s.last_seen, s.days_until_empty, active, last)
        if after is not None:
            query = query.where(s.kiosk_id > after)
        if online is not None:
            query = query.where(s.online == (sa.true() if online else sa.false()))
        if alerting is not None:
            query = query.where(active > 0 if alerting else active == 0)
        with self.db.read("the fleet") as connection:
            rows = connection.execute(query.order_by(s.kiosk_id).limit(limit + 1)).all()
        kiosks = tuple(_overview(row) for row in rows[:limit])
        return OverviewPage(
            kiosks=kiosks, next_after=kiosks[-1].kiosk_id if len(rows) > limit else None
        )

    def timeline(
        self, kiosk_id: str, *, before: int | None = None, limit: int = 100
    ) -> TimelinePage:
        limit = page_limit(limit)
        e = t.fleet_events.c
        query = sa.select(t.fleet_events).where(e.kiosk_id == kiosk_id)
        if before is not None:
            query = query.where(e.seq < before)
        with self.db.read("the timeline") as connection:
            rows = connection.execute(query.order_by(e.seq.desc()).limit(limit + 1)).all()
        events = tuple(
            EventView(
                seq=row.seq,
                at=datetime.fromtimestamp(row.at, tz=UTC),
                kind=row.kind,
                ref=row.ref,
                detail=row.detail,
            )
            for row in rows[:limit]
        )
        return TimelinePage(
            events=events, next_before=events[-1].seq if len(rows) > limit else None
        )

    def heartbeat_history(
        self, kiosk_id: str, *, before: int | None = None, limit: int = 100
    ) -> HeartbeatPage:
        limit = page_limit(limit)
        h = t.fleet_heartbeats.c
        query = sa.select(h.seq, h.received_at, h.heartbeat_json).where(h.kiosk_id == kiosk_id)
        if before is not None:
            query = query.where(h.seq < before)
        with self.db.read("the heartbeats") as connection:
            rows = connection.execute(query.order_by(h.seq.desc()).limit(limit + 1)).all()
        beats = tuple(
            HeartbeatView(
                seq=row.seq,
                received_at=datetime.fromtimestamp(row.received_at, tz=UTC),
                heartbeat=Heartbeat.model_validate_json(row.heartbeat_json),
            )
            for row in rows[:limit]
        )
        return HeartbeatPage(
            heartbeats=beats, next_before=beats[-1].seq if len(rows) > limit else None
        )

    def audit(self, *, after: int = 0, limit: int = 100) -> AuditPage:
        limit = page_limit(limit)
        o = t.operator_audit.c
        with self.db.read("the audit") as connection:
            rows = connection.execute(
                sa.select(t.operator_audit).where(o.seq > after).order_by(o.seq).limit(limit + 1)
            ).all()
        entries = tuple(
            AuditEntry(
                seq=row.seq,
                at=datetime.fromtimestamp(row.at, tz=UTC),
                actor=row.actor,
                action=row.action,
                target=row.target,
                detail=row.detail,
            )
            for row in rows[:limit]
        )
        return AuditPage(entries=entries, next_after=entries[-1].seq if len(rows) > limit else None)


def _overview(row: sa.Row[Any, Any, Any, Any, Any, Any]) -> KioskOverview:
    kiosk_id, online, last_seen, days, active, body = tuple(row)
    hb = Heartbeat.model_validate_json(str(body)) if body is not None else None
    return KioskOverview(
        kiosk_id=str(kiosk_id),
        online=bool(online),
        last_seen=datetime.fromtimestamp(float(last_seen), tz=UTC),
        version=hb.version if hb else "",
        channel=hb.channel.value if hb else "",
        mode=hb.mode if hb else "",
        days_until_empty=float(days) if days is not None else None,
        outbox_backlog=hb.outbox_backlog if hb else 0,
        active_alerts=int(active),
        config_etag=hb.config_etag if hb else "",
    )
