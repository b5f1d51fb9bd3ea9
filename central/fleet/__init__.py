"""The fleet: heartbeats and status, alerts and their mails, commands, configuration distribution,
reconciliation and the operator audit (`FleetService`; JSON routes in `central.fleet.router`)."""

from central.fleet.service import FleetService

__all__ = ["FleetService"]
