"""Fleet benchmark: simulated kiosks heartbeating at 30 s against a real central server.

Open loop: kiosk i sends at i × interval / N + k × interval, and latency is measured from that
scheduled time, so a slow server cannot slow the offered load down. After the load phase a few
kiosks fall silent while the others keep going; the figure is the time from each silent kiosk's
last heartbeat (as the server received it) to its `offline` alert, read from the alert. Last, the
operator overview's first page is fetched under load.

Scale by environment (the defaults suit a shared 2-core machine; the target fleet is 10,000):
`BENCH_FLEET_KIOSKS` (1000), `BENCH_FLEET_SECONDS` (60 s of load), `BENCH_FLEET_INTERVAL_S` (30),
`BENCH_FLEET_OFFLINE_AFTER_S` (90), `BENCH_FLEET_SILENT` (20), `BENCH_FLEET_BACKENDS`
(`sqlite`; add `postgresql` for two processes on one PostgreSQL). Plain HTTP on loopback.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.common import Figure
from central.db import sqlite_url
from central.identity import TokenIssuer
from central.pgcluster import PgCluster
from central.process import start_central
from central.settings import DEMO_OPERATOR_TOKEN, TOKEN_SECRET_ENV
from offline_queue.wire import DeviceHealth, Heartbeat

_TOKEN_SECRET = secrets.token_hex(32)
"""The servers' token HMAC key: each simulated kiosk gets its own short-lived token, as an enrolled
kiosk would after its signed sign-in (the sign-in itself is not what this benchmark measures)."""
_TOKENS = TokenIssuer(_TOKEN_SECRET.encode())


def _kiosk_headers(kiosk_id: str) -> dict[str, str]:
    token, _ = _TOKENS.issue(kiosk_id)
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


_OPERATOR = {"Authorization": f"Bearer {DEMO_OPERATOR_TOKEN}"}


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _body(kiosk_id: str) -> bytes:
    hb = Heartbeat(
        kiosk_id=kiosk_id,
        version="1.4.0",
        sent_at=datetime.now(tz=UTC),
        health={"printer": DeviceHealth(state="ok", pages_left=500, pages_printed_total=1000)},
    )
    return hb.model_dump_json().encode()


def _p(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Result:
    rate: float
    p50: float
    p99: float
    errors: int
    delays: list[float]
    overview: list[float]


class _Load:
    def __init__(self, urls: list[str], kiosks: int, interval: float) -> None:
        self.urls = urls
        self.kiosks = [f"bench-{n:05d}" for n in range(kiosks)]
        self.interval = interval
        self.latencies: list[float] = []
        self.errors = 0
        self.silent: set[str] = set()

    async def kiosk(self, client: httpx.AsyncClient, index: int, start: float, stop: float) -> None:
        kiosk_id = self.kiosks[index]
        url = self.urls[index % len(self.urls)]
        due = start + index * self.interval / len(self.kiosks)
        headers = _kiosk_headers(kiosk_id)
        while due < stop and kiosk_id not in self.silent:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            try:
                answer = await client.post(
                    f"{url}/api/v1/heartbeat", content=_body(kiosk_id), headers=headers
                )
                ok = answer.status_code == 200
            except (httpx.HTTPError, RuntimeError):
                ok = False
            if ok:
                self.latencies.append((time.monotonic() - due) * 1000)
            else:
                self.errors += 1
            due += self.interval


async def _offline_delays(
    client: httpx.AsyncClient, url: str, silent: set[str], deadline: float
) -> list[float]:
    delays: dict[str, float] = {}
    while len(delays) < len(silent) and time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        try:
            answer = await client.get(
                f"{url}/api/v1/alerts",
                params={"kind": "offline", "limit": "500"},
                headers=_OPERATOR,
            )
        except httpx.HTTPError:
            continue  # a saturated server: ask again
        page = answer.json()
        for alert in page["alerts"]:
            if alert["kiosk_id"] in silent and alert["kiosk_id"] not in delays:
                silent_s = float(alert["detail"].removeprefix("silent_s="))
                delays[alert["kiosk_id"]] = silent_s
    return list(delays.values())


async def _overview_ms(client: httpx.AsyncClient, url: str, repeat: int = 20) -> list[float]:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        try:
            answer = await client.get(
                f"{url}/api/v1/fleet/kiosks", params={"limit": "100"}, headers=_OPERATOR
            )
        except httpx.HTTPError:
            continue
        if answer.status_code == 200:
            samples.append((time.perf_counter() - began) * 1000)
    return samples


async def _run(urls: list[str], *, kiosks: int, seconds: float, silent: int) -> _Result:
    interval = float(_env_int("BENCH_FLEET_INTERVAL_S", 30))
    offline_after = float(_env_int("BENCH_FLEET_OFFLINE_AFTER_S", 90))
    load = _Load(urls, kiosks, interval)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with (
        httpx.AsyncClient(limits=limits, timeout=30.0) as client,
        httpx.AsyncClient(timeout=60.0) as operator,
    ):
        start = time.monotonic()
        stop = start + seconds + offline_after + 30
        tasks = [asyncio.create_task(load.kiosk(client, i, start, stop)) for i in range(kiosks)]
        await asyncio.sleep(seconds)
        loaded = list(load.latencies)
        rate = len(loaded) / seconds
        load.silent = set(load.kiosks[-silent:])
        delays = await _offline_delays(operator, urls[0], load.silent, stop)
        overview = await _overview_ms(operator, urls[0])
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return _Result(
        rate=rate,
        p50=_p(loaded, 0.5),
        p99=_p(loaded, 0.99),
        errors=load.errors,
        delays=delays,
        overview=overview,
    )


def _figures(label: str, result: _Result, *, kiosks: int, silent: int) -> list[Figure]:
    offered = kiosks / float(_env_int("BENCH_FLEET_INTERVAL_S", 30))
    return [
        Figure(
            name=f"{label}: heartbeats sustained",
            value=result.rate,
            unit="req/s",
            note=f"{kiosks} kiosks, offered {offered:.0f} req/s",
        ),
        Figure(name=f"{label}: heartbeat p50", value=result.p50, unit="ms"),
        Figure(
            name=f"{label}: heartbeat p99",
            value=result.p99,
            unit="ms",
            note=f"from the scheduled send; {result.errors} errors",
        ),
        Figure(
            name=f"{label}: last heartbeat → offline alert p99",
            value=_p(result.delays, 0.99),
            unit="s",
            note=f"{len(result.delays)}/{silent} silent kiosks; target ≤ 90 s",
        ),
        Figure(
            name=f"{label}: overview first page (100 of {kiosks})",
            value=statistics.median(result.overview) if result.overview else float("nan"),
            unit="ms",
            note=f"median of {len(result.overview)} answered, under load",
        ),
    ]


def run() -> list[Figure]:
    kiosks = _env_int("BENCH_FLEET_KIOSKS", 1000)
    seconds = float(_env_int("BENCH_FLEET_SECONDS", 60))
    silent = _env_int("BENCH_FLEET_SILENT", 20)
    backends = (os.environ.get("BENCH_FLEET_BACKENDS") or "sqlite").split(",")
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as folder, ExitStack() as stack:
        env = {
            **os.environ,
            "BORNE_CENTRAL_OFFLINE_AFTER_S": os.environ.get("BENCH_FLEET_OFFLINE_AFTER_S", "90"),
            TOKEN_SECRET_ENV: _TOKEN_SECRET,
        }
        for backend in backends:
            base = Path(folder) / backend
            base.mkdir()
            if backend == "postgresql":
                cluster = PgCluster.start()
                stack.callback(cluster.stop)
                url = cluster.create_database("bench_fleet")
                servers = [
                    stack.enter_context(
                        start_central(db_url=url, log_path=base / f"{n}.log", env=env)
                    )
                    for n in range(2)
                ]
                label = "postgresql, 2 processes"
            else:
                url = sqlite_url(base / "central.sqlite3")
                servers = [
                    stack.enter_context(start_central(db_url=url, log_path=base / "c.log", env=env))
                ]
                label = "sqlite"
            result = asyncio.run(
                _run([s.url for s in servers], kiosks=kiosks, seconds=seconds, silent=silent)
            )
            figures += _figures(label, result, kiosks=kiosks, silent=silent)
    return figures
