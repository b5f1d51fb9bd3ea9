"""`make soak`: hundreds of scripted residents through the real stack, with faults; nothing leaks.

One kiosk process plays every resident, as a kiosk does for months: pcscd + vpcd with the virtual
eID, the ZVT simulator on a pty, SoftHSM2, a private cupsd with cups-pdf and the central server
over HTTPS, all started once (`devstack.sim.SimStack`). The residents come in episodes that mix
personas, documents and injected faults (`tests.reliability.soak_faults`): declined payments,
terminal time-outs, a garbled line (bad CRC) and NAKs, a card pulled out while read, refused cards
(expired, cloned, blocked PIN), a printer that stops after payment, and the central server down
for a while. Then:

- **Leaks**: the process's resident memory (VmRSS), open file descriptors, threads and Python
  objects, sampled idle between residents after the warm-up (`start`) and after the last one
  (`end`); a leak is a growth over `MAX_FD_GROWTH` descriptors, `MAX_THREAD_GROWTH` threads or
  `MAX_OBJECTS_PER_RESIDENT` objects per resident. The RSS growth is a figure for
  bench/RESULTS.md against its target (`RSS_GROWTH_TARGET_MIB`), not a pass or a fail.
- **Lost records** (`tests.reliability.soak_ledger`): every payment the terminal approved ends
  COMPLETED, REVERSED or MANUAL_REVIEW; the outbox is empty; the central holds each order's outcome
  and each issued document exactly once, with the outcome the journal says.
- **Personal data** (`tests.reliability.pii`): the soak's var/ folders, /tmp, the CUPS spool and
  job history and any crash dump hold no persona's PIN, national number, surname or street
  (the printer's output folder excepted); the records and logs are 0600 in 0700 folders.

Prints one line per episode and a JSON summary; exits 1 on a leak, a lost record, personal data
or residents that did not finish. Run inside a private namespace (`/work/ns-run` in CI):

    python -m tests.reliability.soak [--sessions 500] [--summary FILE] [--keep]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.reliability import soak_memory

if TYPE_CHECKING:
    from kiosk.app import Kiosk
    from kiosk.report import JourneyReport
    from tests.reliability.soak_faults import Faults

REPO = Path(__file__).resolve().parents[2]
RSS_GROWTH_TARGET_MIB = 10.0
"""The memory target `make soak` reports against in bench/RESULTS.md. A target, not a gate: over a
short soak the allocator's and Qt's caches still grow by a few MiB from run to run, so the leak
gate is the objects, fds and threads below, which count what a kept window or journey leaves."""
MAX_FD_GROWTH = 10
MAX_THREAD_GROWTH = 2
MAX_OBJECTS_PER_RESIDENT = 40
"""Python objects a resident may leave (the soak keeps each one's report: about 8); a window or a
journey kept alive leaves hundreds, which a short soak's RSS does not show yet."""
SESSION_LIMIT_S = 90.0
"""The scripted residents' time limit, each."""
SIM_PAYMENT_GAP_S = 0.2
"""Least gap between the soak's payments (`payment.between_transactions_s`)."""
CHALLENGES_PER_MINUTE = 600
"""The central's citizen-proof nonces per kiosk and minute in the soak: scripted residents follow
each other faster than people can, and the default (30) would turn some away with a 429."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    sessions: int
    rss_kib: int
    rss_anon_kib: int
    """Of which anonymous (heap): a leak shows here, not in the pages of mapped files."""
    fds: int
    threads: int
    objects: int
    """Python objects the garbage collector tracks, after a collection."""
    python_threads: dict[str, int]
    """The Python threads by name (digits dropped), to tell which kind grew."""


def sample(sessions: int) -> Sample:
    """This process, idle between residents (after a garbage collection)."""
    gc.collect()
    fields = soak_memory.status()
    memory = soak_memory.resident(fields)
    return Sample(
        sessions=sessions,
        rss_kib=memory.total,
        rss_anon_kib=memory.anon,
        fds=sum(1 for _ in Path("/proc/self/fd").iterdir()),
        threads=int(fields["Threads"].strip()),
        objects=len(gc.get_objects()),
        python_threads=dict(Counter(re.sub(r"[0-9_]+", "", t.name) for t in threading.enumerate())),
    )


def leaks(start: Sample, end: Sample) -> list[str]:
    found = []
    if end.fds - start.fds > MAX_FD_GROWTH:
        found.append(f"open fds grew {end.fds - start.fds} (limit {MAX_FD_GROWTH})")
    if end.threads - start.threads > MAX_THREAD_GROWTH:
        found.append(f"threads grew {end.threads - start.threads} (limit {MAX_THREAD_GROWTH})")
    residents = max(1, end.sessions - start.sessions)
    if end.objects - start.objects > MAX_OBJECTS_PER_RESIDENT * residents:
        found.append(
            f"Python objects grew {end.objects - start.objects} over {residents} residents"
            f" (limit {MAX_OBJECTS_PER_RESIDENT} each)"
        )
    return found


def _describe(s: Sample) -> str:
    return f"RSS {s.rss_kib / 1024:.1f} MiB, {s.objects} objects, {s.fds} fds, {s.threads} threads"


def _var_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="borne-soak-"))
    path.chmod(0o755)  # cups filters run as lp and must traverse it
    (path / "tmp").mkdir(mode=0o1777)
    (path / "tmp").chmod(0o1777)
    os.environ["TMPDIR"] = str(path / "tmp")  # the kiosk's temporary files are searched too
    tempfile.tempdir = None
    return path


def run(*, sessions: int, var_dir: Path, trace_top: int = 0) -> dict[str, object]:
    """Play `sessions` residents on a fresh stack in `var_dir`; the soak's summary."""
    from central.settings import CHALLENGES_ENV  # noqa: PLC0415
    from devstack.sim import SimStack  # noqa: PLC0415
    from kiosk import app  # noqa: PLC0415
    from kiosk.config import load_config  # noqa: PLC0415
    from kiosk.demo import _with_endpoints  # noqa: PLC0415
    from kiosk.storage import PRIVATE_UMASK  # noqa: PLC0415
    from tests.reliability import soak_faults, soak_ledger  # noqa: PLC0415

    began = time.monotonic()
    began_wall = time.time()
    os.environ[CHALLENGES_ENV] = str(CHALLENGES_PER_MINUTE)  # for every central the soak starts
    with SimStack(var_dir=var_dir, persona="marie") as stack:
        assert stack.endpoints is not None
        os.umask(PRIVATE_UMASK)  # as the demo: from here on the files are the kiosk's alone
        config = _with_endpoints(
            load_config(REPO / "kiosk.toml", environ={"BORNE_VAR_DIR": str(var_dir)}),
            stack.endpoints,
        )
        config = replace(
            config,
            printing=replace(config.printing, job_timeout_s=soak_faults.PRINT_JOB_TIMEOUT_S),
            # the simulator takes the next payment at once; a terminal's 5 s would make the soak
            # an hour of waiting without exercising anything more
            payment=replace(config.payment, between_transactions_s=SIM_PAYMENT_GAP_S),
        )
        faults = soak_faults.Faults(stack)
        kiosk = app.build(
            config,
            token=stack.token,
            print_output=Path(stack.endpoints.print_output),
            keep_issued=False,
        )
        try:
            kiosk.ready()
            played = _episodes(kiosk, faults, sessions=sessions, trace_top=trace_top)
            drained = soak_ledger.drain(kiosk)
        finally:
            kiosk.stop()
            faults.close()
        ledger = soak_ledger.check(
            config, central_db=var_dir / "data" / "central.sqlite", reports=played.reports
        )
    summary = _summary(played, ledger, sessions=sessions)
    summary["outbox_drained"] = drained
    summary["pii"] = _pii(var_dir, since=began_wall)
    summary["wall_s"] = round(time.monotonic() - began, 1)
    return summary


@dataclass(frozen=True, slots=True, kw_only=True)
class Played:
    reports: list[JourneyReport]
    samples: dict[str, Sample]
    anon_slope_kib: float
    """The anonymous memory's growth a resident over the soak's second half."""
    allocations: list[str]
    stuck: list[str]
    faults: dict[str, int]


def _episodes(kiosk: Kiosk, faults: Faults, *, sessions: int, trace_top: int) -> Played:
    """Every episode in one run of the kiosk (one window, as a kiosk keeps for months)."""
    from tests.reliability import soak_faults  # noqa: PLC0415

    episodes = list(soak_faults.plan(sessions, prices=kiosk.config.prices_cents))
    reports: list[JourneyReport] = []
    samples: dict[str, Sample] = {}
    series = soak_memory.Series()
    trace = soak_memory.AllocationTrace()
    planned = list(itertools.accumulate(e.sessions for e in episodes))  # residents after each
    read = 0  # the reports of the episodes that ended
    last = 0  # the episode that ended last (the one a stuck run ended in)

    def ended(index: int) -> None:  # on the autoplay's card thread, the kiosk idle
        nonlocal read, last
        episode, played, mine = episodes[index], planned[index], reports[read:]
        read, last = len(reports), index
        line = (
            f"{played:>4}/{sessions} {episode.fault.value:<13} {episode.persona:<8}"
            f" {','.join(episode.documents):<20}"
            f" {Counter(r.outcome for r in mine)}"
        )
        if played >= soak_faults.first_sample(sessions) and "start" not in samples:
            samples["start"] = sample(played)
            line += f"  start: {_describe(samples['start'])}"
            if trace_top:
                trace.start()
        series.add(played)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    result = faults.play(
        kiosk, episodes, limit_s=SESSION_LIMIT_S, between=ended, on_report=reports.append
    )
    # every report: the run's own keeps only the journey's latest (a bounded history)
    where = f"{episodes[last].fault.value} ({episodes[last].persona})"
    stuck = [] if result.finished else [f"{where} after {len(reports)} of {sessions}"]
    samples["end"] = sample(planned[last])
    samples.setdefault("start", samples["end"])
    sys.stdout.write(f"end: {_describe(samples['end'])}\n")
    allocations = trace.report(top=trace_top) if trace_top else []
    for line in allocations:
        sys.stdout.write(f"  {line}\n")
    return Played(
        reports=reports,
        samples=samples,
        anon_slope_kib=series.late_slope(),
        allocations=allocations,
        stuck=stuck,
        faults=dict(faults.injected),
    )


def _summary(played: Played, ledger: dict[str, object], *, sessions: int) -> dict[str, object]:
    samples = played.samples
    return {
        "sessions": sessions,
        "reports": len(played.reports),
        "outcomes": dict(Counter(r.outcome for r in played.reports)),
        "faults_injected": played.faults,
        "stuck_episodes": played.stuck,
        "samples": {k: asdict(v) for k, v in samples.items()},
        "rss_growth_mib": round((samples["end"].rss_kib - samples["start"].rss_kib) / 1024, 2),
        "anon_growth_mib": round(
            (samples["end"].rss_anon_kib - samples["start"].rss_anon_kib) / 1024, 2
        ),
        "anon_slope_kib": round(played.anon_slope_kib, 2),
        "allocations": played.allocations,
        "leaks": leaks(samples["start"], samples["end"]),
        "ledger": ledger,
    }


def _pii(var_dir: Path, *, since: float) -> dict[str, object]:
    from tests.reliability import pii  # noqa: PLC0415
    from tests.reliability.soak_faults import PERSONAS_ALL  # noqa: PLC0415

    patterns = pii.needles(PERSONAS_ALL)
    files = pii.kiosk_files(var_dir, extra=("spool",))
    # what the run wrote to /tmp (all of a private namespace's; a test session's holds more),
    # but not pytest's own folders: other tests write their fixtures there (a redaction test's
    # log holds a persona's national number on purpose), and a test running meanwhile, or a
    # folder pytest tidies, reads as this run's
    tmp = Path("/tmp")
    files += pii.tree_files(tmp, skip=[var_dir, *tmp.glob("pytest-of-*")], since=since)
    hits = pii.scan(files, patterns)
    return {
        "files_searched": len(files),
        "stores_searched": sum(p.suffix == ".sqlite" for p in files),
        "hits": hits,
        "loose_permissions": pii.loose_permissions(var_dir),
    }


def problems(summary: dict[str, object]) -> list[str]:
    """Everything that fails the soak, in words."""
    found: list[str] = []
    leaked = summary["leaks"]
    assert isinstance(leaked, list)
    found += leaked
    ledger = summary["ledger"]
    assert isinstance(ledger, dict)
    found += ledger["problems"]
    pii_found = summary["pii"]
    assert isinstance(pii_found, dict)
    found += [f"personal data: {h}" for h in pii_found["hits"]]
    found += [f"not private: {p}" for p in pii_found["loose_permissions"]]
    stuck = summary["stuck_episodes"]
    assert isinstance(stuck, list)
    found += [f"residents did not finish: {s}" for s in stuck]
    if summary["reports"] != summary["sessions"]:
        found.append(f"{summary['reports']} journeys reported for {summary['sessions']} residents")
    if not summary["outbox_drained"]:
        found.append("the outbox was not drained to the central")
    return found


def figures(summary: dict[str, Any]) -> list[tuple[str, float, str, str]]:
    """The soak's figures for bench/RESULTS.md: (name, value, unit, note)."""
    start, end = summary["samples"]["start"], summary["samples"]["end"]
    ledger, pii = summary["ledger"], summary["pii"]
    span = f"sessions {start['sessions']} → {end['sessions']}"
    return [
        ("residents", float(summary["reports"]), "count", f"of {summary['sessions']}"),
        ("wall time", summary["wall_s"] / 60, "min", "stack start included"),
        ("RSS at start", start["rss_kib"] / 1024, "MiB", f"after {start['sessions']}"),
        ("RSS at end", end["rss_kib"] / 1024, "MiB", f"after {end['sessions']}"),
        (
            "RSS growth",
            summary["rss_growth_mib"],
            "MiB",
            f"target ≤ {RSS_GROWTH_TARGET_MIB}"
            f" ({'met' if summary['rss_growth_mib'] <= RSS_GROWTH_TARGET_MIB else 'missed'}); {span}",
        ),
        (
            "of which anonymous (heap)",
            summary["anon_growth_mib"],
            "MiB",
            "the rest is pages of libraries and fonts first used",
        ),
        (
            "heap growth a resident, second half",
            summary["anon_slope_kib"],
            "KiB",
            "least squares over the episodes; a steady leak shows here",
        ),
        (
            "open fds start → end",
            float(end["fds"] - start["fds"]),
            "fds",
            f"{start['fds']} → {end['fds']}",
        ),
        (
            "Python objects start → end",
            float(end["objects"] - start["objects"]),
            "objects",
            f"{start['objects']} → {end['objects']}; limit {MAX_OBJECTS_PER_RESIDENT} a resident",
        ),
        (
            "threads start → end",
            float(end["threads"] - start["threads"]),
            "threads",
            f"{start['threads']} → {end['threads']}",
        ),
        (
            "approved payments",
            float(ledger["approved"]),
            "count",
            json.dumps(ledger["payment_states"]),
        ),
        ("records at the central", float(ledger["central_records"]), "count", "each exactly once"),
        (
            "files searched for personal data",
            float(pii["files_searched"]),
            "count",
            f"{len(pii['hits'])} hits",
        ),
        (
            "problems",
            float(len(summary["problems"])),
            "count",
            "; ".join(summary["problems"])[:200],
        ),
    ]


def write_results(path: Path, summary: dict[str, Any]) -> None:
    """A dated soak section at the top of bench/RESULTS.md, as `make bench` writes its own."""
    from bench.__main__ import _machine  # noqa: PLC0415

    stamp = datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(summary["outcomes"].items()))
    lines = [f"### soak — {stamp}", "", f"Machine: {_machine()}", "", f"Outcomes: {outcomes}.", ""]
    lines += ["| figure | value | unit | note |", "|---|---|---|---|"]
    lines += [f"| {n} | {v:.3f} | {u} | {note} |" for n, v, u, note in figures(summary)]
    header = "# Benchmark results\n\nWritten by `make bench`; newest first.\n\n"
    previous = path.read_text(encoding="utf-8") if path.exists() else header
    body = previous[len(header) :] if previous.startswith(header) else previous
    path.write_text(header + "\n".join(lines) + "\n\n" + body, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="soak", description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--summary", type=Path, default=None, help="also write the JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the soak's var/ folder")
    parser.add_argument("--results", type=Path, default=None, help="add a section to this file")
    parser.add_argument(
        "--trace-allocations",
        type=int,
        default=0,
        metavar="N",
        help="trace Python allocations from the start sample and print the N largest growths",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.pop("DISPLAY", None)
    var_dir = _var_dir()
    try:
        summary = run(sessions=args.sessions, var_dir=var_dir, trace_top=args.trace_allocations)
    finally:
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
    found = problems(summary)
    summary["problems"] = found
    text = json.dumps(summary, default=str)
    sys.stdout.write(text + "\n")
    if args.summary is not None:
        args.summary.write_text(text + "\n", encoding="utf-8")
    if args.results is not None:
        write_results(args.results, summary)
    for problem in found:
        sys.stderr.write(f"soak: {problem}\n")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
