"""Fleet benchmark: 10,000 enrolled kiosks heartbeating at 30 s over TLS against a real central.

Every simulated kiosk is enrolled (an accepted identity in the central's database) and holds its
own short-lived token, as after its signed sign-in (the sign-in itself is not measured here). The
load is open loop: kiosk i sends at i × interval / N + k × interval, and latency is measured from
that scheduled time, so a slow server cannot slow the offered load down. The kiosks share a pool
of TLS connections kept alive (the central's TEST CA pinned), while an operator pages through the
fleet list. After the load phase a few kiosks fall silent while the others keep going; the figure
is the time from each silent kiosk's last heartbeat (as the server received it) to its `offline`
alert, read from the alert. Last, the console's overview (its first page, of 10,000 kiosks) is
rendered under load, logged in as an operator. The server's CPU per heartbeat is read from
/proc for its processes over the load phase.

Scale by environment: `BENCH_FLEET_KIOSKS` (10000), `BENCH_FLEET_SECONDS` (60 s of load
measured, after `BENCH_FLEET_WARMUP_S`, 10 s, while the kept-alive connections open: reported
apart),
`BENCH_FLEET_INTERVAL_S` (30), `BENCH_FLEET_OFFLINE_AFTER_S` (90), `BENCH_FLEET_SILENT` (20),
`BENCH_FLEET_BACKLOG_S` (90 s more to wait for their alerts),
`BENCH_FLEET_BACKENDS` (`sqlite,postgresql`: the embedded default with one process, and two
processes on one PostgreSQL), `BENCH_FLEET_CONNECTIONS` (64 kept-alive TLS connections).
"""

from __future__ import annotations

import asyncio
import gc
import os
import secrets
import ssl
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bench.common import Figure
from central import db as central_db
from central.console.accounts import OperatorRole, OperatorStore
from central.console.web import SESSION_COOKIE
from central.db import sqlite_url
from central.fleet import tables as fleet_tables
from central.identity import TokenIssuer
from central.pgcluster import PgCluster
from central.process import RunningCentral, start_central
from central.settings import DEMO_OPERATOR_TOKEN, TOKEN_SECRET_ENV
from central.store import SqlCentralStore
from devstack.demo_pki import ensure_central_tls
from offline_queue.wire import DeviceHealth, EnrollmentState, Heartbeat

_TOKEN_SECRET = secrets.token_hex(32)
"""The servers' token HMAC key, so that the benchmark can hand each kiosk its own token."""
_TOKENS = TokenIssuer(_TOKEN_SECRET.encode())
_OPERATOR = {"Authorization": f"Bearer {DEMO_OPERATOR_TOKEN}"}
_CONSOLE_NAME = "bench-operator"
_CONSOLE_PASSWORD = secrets.token_urlsafe(18)


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in (os.environ.get(name) or default).split(",") if part.strip()]


def kiosk_ids(count: int) -> list[str]:
    return [f"bench-{n:05d}" for n in range(count)]


def _body(kiosk_id: str, sequence: int) -> bytes:
    hb = Heartbeat(
        kiosk_id=kiosk_id,
        version="1.4.0",
        sent_at=datetime.now(tz=UTC),
        health={
            "printer": DeviceHealth(
                state="ok", pages_left=5000 - sequence, pages_printed_total=1000 + sequence
            )
        },
    )
    return hb.model_dump_json().encode()


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (NaN for no samples)."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def enroll_fleet(db_url: str, kiosks: list[str]) -> None:
    """Every kiosk accepted under its id (one key shared: the key is not what is measured) and
    seen online just now, as in a fleet that has been running (the load measures the steady
    heartbeat, not each kiosk's first one), and one console operator."""
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    at = datetime.now(tz=UTC).isoformat()
    store = SqlCentralStore(db_url)
    try:
        with store.engine.begin() as connection:
            connection.execute(
                sa.insert(central_db.kiosk_identities),
                [
                    {
                        "kiosk_id": kiosk,
                        "public_key_pem": pem,
                        "state": EnrollmentState.ACCEPTED.value,
                        "requested_at": at,
                        "decided_at": at,
                    }
                    for kiosk in kiosks
                ],
            )
            now = time.time()
            connection.execute(
                sa.insert(fleet_tables.fleet_status),
                [
                    {"kiosk_id": kiosk, "last_seen": now, "online": True, "changed_at": now}
                    for kiosk in kiosks
                ],
            )
        OperatorStore(store.engine).add(_CONSOLE_NAME, _CONSOLE_PASSWORD, OperatorRole.VIEWER)
    finally:
        store.close()


def console_session(db_url: str) -> str:
    store = SqlCentralStore(db_url, migrate=False)
    try:
        _, token = OperatorStore(store.engine).login(
            _CONSOLE_NAME, _CONSOLE_PASSWORD, client="127.0.0.1"
        )
    finally:
        store.close()
    if token is None:
        raise RuntimeError("the benchmark operator could not log in")
    return token


@dataclass(slots=True)
class FleetLoad:
    """The simulated kiosks: open-loop heartbeats, their latencies and errors. A heartbeat due
    before `measured_from` (the warm-up, while the kept-alive connections open) goes to
    `warmup` rather than `latencies`."""

    urls: list[str]
    kiosks: list[str]
    interval: float
    latencies: list[float] = field(default_factory=list)
    warmup: list[float] = field(default_factory=list)
    errors: int = 0
    silent: set[str] = field(default_factory=set)
    measured_from: float = 0.0

    async def kiosk(
        self, session: aiohttp.ClientSession, index: int, start: float, stop: float, token: str
    ) -> None:
        kiosk_id = self.kiosks[index]
        url = f"{self.urls[index % len(self.urls)]}/api/v1/heartbeat"
        due = start + index * self.interval / len(self.kiosks)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        sequence = 0
        while due < stop and kiosk_id not in self.silent:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            sequence += 1
            try:
                async with session.post(
                    url, data=_body(kiosk_id, sequence), headers=headers
                ) as answer:
                    await answer.read()
                    ok = answer.status == 200
            except (aiohttp.ClientError, TimeoutError):
                ok = False
            if not ok:
                self.errors += 1
            elif due >= self.measured_from:
                self.latencies.append((time.monotonic() - due) * 1000)
            else:
                self.warmup.append((time.monotonic() - due) * 1000)
            due += self.interval

    def start(
        self, session: aiohttp.ClientSession, stop: float, *, warmup_s: float
    ) -> list[asyncio.Task[None]]:
        """Start every kiosk's heartbeats (their tokens issued first, outliving the run, so that
        issuing them is not charged to the first heartbeats)."""
        tokens = [_TOKENS.issue(kiosk, now=time.time() + 3600)[0] for kiosk in self.kiosks]
        start = time.monotonic()
        self.measured_from = start + warmup_s
        return [
            asyncio.create_task(self.kiosk(session, i, start, stop, tokens[i]))
            for i in range(len(self.kiosks))
        ]


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The load generator does not collect reference cycles while it measures: a full collection
    of its 10,000 kiosks' objects stalls its event loop for about 100 ms, which the open-loop
    latencies would count as the server's (its garbage is freed by reference counting)."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def tls_session(ca_file: Path, *, connections: int) -> aiohttp.ClientSession:
    context = ssl.create_default_context(cafile=str(ca_file))
    connector = aiohttp.TCPConnector(limit=connections, ssl=context, keepalive_timeout=30.0)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60.0))


async def page_through(
    session: aiohttp.ClientSession, url: str, path: str, *, pages: int = 5
) -> list[float]:
    """An operator paging a list (100 a page, by cursor): the time of each page, in ms."""
    samples: list[float] = []
    after: str | None = None
    for _ in range(pages):
        params = {"limit": "100", **({"after": after} if after else {})}
        began = time.perf_counter()
        try:
            async with session.get(f"{url}{path}", params=params, headers=_OPERATOR) as answer:
                page = await answer.json()
                ok = answer.status == 200
        except (aiohttp.ClientError, TimeoutError):
            continue
        if ok:
            samples.append((time.perf_counter() - began) * 1000)
        after = page.get("next_after") if ok else None
        if not after:
            break
    return samples


async def operators_polling(
    session: aiohttp.ClientSession, url: str, until: float, samples: list[float]
) -> None:
    """Operators watching the fleet: a few pages of the fleet list every 2 s."""
    while time.monotonic() < until:
        samples += await page_through(session, url, "/api/v1/fleet/kiosks")
        await asyncio.sleep(2.0)


async def _offline_delays(
    session: aiohttp.ClientSession, url: str, silent: set[str], deadline: float
) -> list[float]:
    delays: dict[str, float] = {}
    after = 0  # alerts are read once each, in id order: a loaded server may raise many
    while len(delays) < len(silent) and time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        params = {"kind": "offline", "limit": "500", "after": str(after)}
        try:
            async with session.get(
                f"{url}/api/v1/alerts", params=params, headers=_OPERATOR
            ) as answer:
                page = await answer.json()
        except (aiohttp.ClientError, TimeoutError):
            continue  # a saturated server: ask again
        for alert in page.get("alerts", ()):
            after = max(after, int(alert["alert_id"]))
            if alert["kiosk_id"] in silent and alert["kiosk_id"] not in delays:
                delays[alert["kiosk_id"]] = float(alert["detail"].removeprefix("silent_s="))
    return list(delays.values())


async def _console_ms(
    session: aiohttp.ClientSession, url: str, cookie: str, repeat: int = 20
) -> list[float]:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        try:
            async with session.get(
                f"{url}/console/", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"}
            ) as answer:
                html = await answer.text()
                ok = answer.status == 200 and "bench-" in html
        except (aiohttp.ClientError, TimeoutError):
            continue
        if ok:
            samples.append((time.perf_counter() - began) * 1000)
    return samples


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadResult:
    rate: float
    p50: float
    p99: float
    warmup_p99: float
    """The first seconds' p99, while the kept-alive TLS connections open (not in `p99`)."""
    errors: int
    cpu_ms: float
    """Server CPU per heartbeat over the load phase (all its processes), in ms."""
    operator_pages: list[float]
    delays: list[float] = field(default_factory=list)
    console: list[float] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class Fleet:
    label: str
    servers: list[RunningCentral]
    db_url: str
    ca_file: Path

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]


async def measure_load(
    fleet: Fleet, *, kiosks: int, seconds: float, extra_s: float = 0.0
) -> tuple[LoadResult, FleetLoad, list[asyncio.Task[None]], aiohttp.ClientSession]:
    """Run the load through its warm-up, then for `seconds` measured (and keep it going `extra_s`
    more, for what follows); returns the figures so far, the running load, its tasks and its
    session (the caller closes them)."""
    interval = float(_env_int("BENCH_FLEET_INTERVAL_S", 30))
    warmup = float(_env_int("BENCH_FLEET_WARMUP_S", 10))
    load = FleetLoad(urls=fleet.urls, kiosks=kiosk_ids(kiosks), interval=interval)
    session = tls_session(fleet.ca_file, connections=_env_int("BENCH_FLEET_CONNECTIONS", 64))
    tasks = load.start(session, time.monotonic() + warmup + seconds + extra_s, warmup_s=warmup)
    await asyncio.sleep(max(0.0, load.measured_from - time.monotonic()))
    pids = [server.pid for server in fleet.servers]
    cpu_before = cpu_seconds(pids)
    pages: list[float] = []
    deadline = time.monotonic() + seconds
    async with tls_session(fleet.ca_file, connections=2) as operator:
        polling = asyncio.create_task(operators_polling(operator, fleet.urls[-1], deadline, pages))
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))
        loaded = list(load.latencies)  # answered within the measured seconds
        cpu = cpu_seconds(pids) - cpu_before
        await polling
    result = LoadResult(
        rate=len(loaded) / seconds,
        p50=percentile(loaded, 0.5),
        p99=percentile(loaded, 0.99),
        warmup_p99=percentile(load.warmup, 0.99),
        errors=load.errors,
        cpu_ms=cpu * 1000 / max(1, len(loaded)),
        operator_pages=pages,
    )
    return result, load, tasks, session


async def _run(fleet: Fleet, *, kiosks: int, seconds: float, silent: int) -> LoadResult:
    offline_after = float(_env_int("BENCH_FLEET_OFFLINE_AFTER_S", 90))
    # the wait for the silent kiosks' alerts: the threshold, the sweep, and the backlog a loaded
    # server still holds ahead of a silent kiosk's last heartbeat (its figure is the server's
    # own silent time, which a longer wait does not change)
    extra = offline_after + 40 + _env_int("BENCH_FLEET_BACKLOG_S", 90)
    result, load, tasks, session = await measure_load(
        fleet, kiosks=kiosks, seconds=seconds, extra_s=extra
    )
    try:
        load.silent = set(load.kiosks[-silent:])
        async with tls_session(fleet.ca_file, connections=2) as operator:
            deadline = time.monotonic() + extra
            delays = await _offline_delays(operator, fleet.urls[0], load.silent, deadline)
            console = await _console_ms(operator, fleet.urls[0], console_session(fleet.db_url))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await session.close()
    return LoadResult(
        rate=result.rate,
        p50=result.p50,
        p99=result.p99,
        warmup_p99=result.warmup_p99,
        errors=result.errors,
        cpu_ms=result.cpu_ms,
        operator_pages=result.operator_pages,
        delays=delays,
        console=console,
    )


def load_figures(label: str, result: LoadResult, *, kiosks: int) -> list[Figure]:
    offered = kiosks / float(_env_int("BENCH_FLEET_INTERVAL_S", 30))
    return [
        Figure(
            name=f"{label}: heartbeats sustained",
            value=result.rate,
            unit="req/s",
            note=f"{kiosks} kiosks over TLS, offered {offered:.0f} req/s, target ≥ 333; "
            f"{result.rate / 333:.2f} of target",
        ),
        Figure(name=f"{label}: heartbeat p50", value=result.p50, unit="ms"),
        Figure(
            name=f"{label}: heartbeat p99",
            value=result.p99,
            unit="ms",
            note=f"from the scheduled send, target ≤ 200 ms; {result.errors} errors; after "
            f"{_env_int('BENCH_FLEET_WARMUP_S', 10)} s of warm-up (the connections opening), "
            f"whose own p99 was {result.warmup_p99:.0f} ms",
        ),
        Figure(
            name=f"{label}: server CPU per heartbeat",
            value=result.cpu_ms,
            unit="ms",
            note="user+system of the server processes over the load phase",
        ),
        Figure(
            name=f"{label}: operator fleet list page (100) p99",
            value=percentile(result.operator_pages, 0.99),
            unit="ms",
            note=f"{len(result.operator_pages)} pages, under load",
        ),
    ]


def _figures(label: str, result: LoadResult, *, kiosks: int, silent: int) -> list[Figure]:
    after = float(_env_int("BENCH_FLEET_OFFLINE_AFTER_S", 90))
    return [
        *load_figures(label, result, kiosks=kiosks),
        Figure(
            name=f"{label}: last heartbeat → offline alert p99",
            value=percentile(result.delays, 0.99),
            unit="s",
            note=f"{len(result.delays)}/{silent} silent kiosks; offline after {after:.0f} s of"
            " silence, swept every second, so no alert comes sooner; target ≤ 90 s",
        ),
        Figure(
            name=f"{label}: console overview, first page of {kiosks}",
            value=statistics.median(result.console) if result.console else float("nan"),
            unit="ms",
            note=f"median of {len(result.console)} renders under load; p99 "
            f"{percentile(result.console, 0.99):.0f} ms; target ≤ 300 ms",
        ),
    ]


@contextmanager
def serve_fleet(
    backend: str, folder: Path, *, kiosks: int, env: dict[str, str] | None = None
) -> Iterator[Fleet]:
    """The central over TLS on `backend` (`sqlite`: one process; `postgresql`: two on one
    database), its fleet enrolled."""
    tls = ensure_central_tls(folder / "tls")
    child_env = {**os.environ, TOKEN_SECRET_ENV: _TOKEN_SECRET, **(env or {})}
    base = folder / backend
    base.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        if backend == "postgresql":
            cluster = PgCluster.start()
            stack.callback(cluster.stop)
            url, count, label = cluster.create_database("bench_fleet"), 2, "postgresql, 2 processes"
        else:
            url, count, label = sqlite_url(base / "central.sqlite3"), 1, "sqlite"
        enroll_fleet(url, kiosk_ids(kiosks))
        servers = [
            stack.enter_context(
                start_central(
                    db_url=url,
                    log_path=base / f"central-{n}.log",
                    env=child_env,
                    tls=(tls.cert_path, tls.key_path),
                )
            )
            for n in range(count)
        ]
        yield Fleet(label=label, servers=servers, db_url=url, ca_file=tls.ca_cert_path)


def run() -> list[Figure]:
    kiosks = _env_int("BENCH_FLEET_KIOSKS", 10_000)
    seconds = float(_env_int("BENCH_FLEET_SECONDS", 60))
    silent = _env_int("BENCH_FLEET_SILENT", 20)
    env = {"BORNE_CENTRAL_OFFLINE_AFTER_S": str(_env_int("BENCH_FLEET_OFFLINE_AFTER_S", 90))}
    figures: list[Figure] = []
    for backend in _env_list("BENCH_FLEET_BACKENDS", "sqlite,postgresql"):
        with (
            tempfile.TemporaryDirectory(prefix="bench-fleet-") as folder,
            serve_fleet(backend, Path(folder), kiosks=kiosks, env=env) as fleet,
        ):
            with no_cycle_collection():
                result = asyncio.run(_run(fleet, kiosks=kiosks, seconds=seconds, silent=silent))
            figures += _figures(fleet.label, result, kiosks=kiosks, silent=silent)
    return figures


if __name__ == "__main__":
    for figure in run():
        print(f"{figure.name} = {figure.value:.3f} {figure.unit} {figure.note}")
