"""`make soak`: many scripted residents through the real stack, and whether the kiosk leaks.

Runs `python -m kiosk demo --autoplay` in rounds that cycle through personas and document choices
(one kiosk process per round, since a round's virtual card is one persona), and samples the kiosk
process from outside: resident memory (VmRSS), open file descriptors and threads, once the first
journey of the round is reported ("start") and while its last one runs ("end"). Prints one line per
round and a JSON summary. Not part of `make test`: 500 sessions take well over an hour.

    python -m tests.soak.run [--sessions 500] [--rounds 4]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PERSONAS = ("marie", "jan", "anna", "chiara")
DOCUMENTS = ("household", "residence", "household,residence", "life,household")
SAMPLE_S = 0.5


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    rss_kib: int
    fds: int
    threads: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Round:
    persona: str
    documents: str
    sessions: int
    completed: int
    start: Sample | None
    end: Sample | None


def sample(pid: int) -> Sample | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
        fds = sum(1 for _ in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    if "VmRSS" not in fields:  # exiting: a zombie has no memory left to report
        return None
    return Sample(
        rss_kib=int(fields["VmRSS"].split()[0]),
        fds=fds,
        threads=int(fields["Threads"].strip()),
    )


def journeys_reported(log: Path) -> int:
    try:
        with log.open("rb") as handle:
            return sum(1 for line in handle if b'"journey_report"' in line)
    except OSError:
        return 0


def play_round(var_dir: Path, *, persona: str, documents: str, sessions: int) -> Round:
    log = var_dir / "log" / "kiosk.jsonl"
    before = journeys_reported(log)
    env = {**os.environ, "BORNE_VAR_DIR": str(var_dir), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("DISPLAY", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiosk",
            "demo",
            "--autoplay",
            "--persona",
            persona,
            "--documents",
            documents,
            "--sessions",
            str(sessions),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    figures: dict[str, Sample | None] = {"start": None, "end": None}
    finished = threading.Event()

    def watch() -> None:
        while not finished.wait(SAMPLE_S):
            done = journeys_reported(log) - before
            now = sample(process.pid)
            if now is None:
                continue
            if done >= 1 and figures["start"] is None:
                figures["start"] = now
            if 1 <= done < sessions or (sessions == 1 and done == 1 and figures["end"] is None):
                figures["end"] = now  # the last sample while the last journey still runs

    watcher = threading.Thread(target=watch, name="soak-watch", daemon=True)
    watcher.start()
    out, _ = process.communicate()
    finished.set()
    watcher.join()
    completed = 0
    lines = [line for line in out.splitlines() if line.strip()]
    if lines:
        completed = int(json.loads(lines[-1]).get("completed", 0))
    return Round(
        persona=persona,
        documents=documents,
        sessions=sessions,
        completed=completed,
        start=figures["start"],
        end=figures["end"],
    )


def _line(r: Round) -> str:
    def fmt(s: Sample | None) -> str:
        return (
            "n/a"
            if s is None
            else f"RSS {s.rss_kib / 1024:.1f} MiB, {s.fds} fds, {s.threads} threads"
        )

    return (
        f"{r.persona:>7} {r.documents:<22} {r.completed}/{r.sessions} completed;"
        f" start: {fmt(r.start)}; end: {fmt(r.end)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="soak", description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    var_dir = Path(tempfile.mkdtemp(prefix="borne-soak-"))
    var_dir.chmod(0o755)  # cups filters run as lp and must traverse it
    rounds: list[Round] = []
    per_round = max(1, args.sessions // args.rounds)
    choices = itertools.cycle(zip(PERSONAS, DOCUMENTS, strict=True))
    for index in range(args.rounds):
        persona, documents = next(choices)
        count = per_round if index < args.rounds - 1 else args.sessions - per_round * index
        played = play_round(var_dir, persona=persona, documents=documents, sessions=count)
        rounds.append(played)
        sys.stdout.write(_line(played) + "\n")
        sys.stdout.flush()
    summary = {
        "sessions": args.sessions,
        "completed": sum(r.completed for r in rounds),
        "var_dir": str(var_dir),
        "rounds": [asdict(r) for r in rounds],
    }
    sys.stdout.write(json.dumps(summary) + "\n")
    return 0 if summary["completed"] == args.sessions else 1


if __name__ == "__main__":
    raise SystemExit(main())
