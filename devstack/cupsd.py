"""A private cupsd with a cups-pdf queue, for tests, demonstrations and the kiosk's dry-run mode.

The daemon runs in the foreground under our supervision with its own ServerRoot, spool, cache,
state and logs under `base_dir`, listening only on `base_dir/cups.sock`. Nothing is written outside
`base_dir`: the cups-pdf backend reads its settings from `/etc/cups/cups-pdf-<name>.conf` (`<name>`
is the path of the device URI `cups-pdf:/<name>`; the directory is compiled into the backend, and
the Debian build reads nothing else), so the private ServerBin runs it through a wrapper that gives
it a mount namespace of its own in which this cupsd's ServerRoot is bind-mounted on `/etc/cups`.
The file therefore lives in the ServerRoot, and two instances with the same queue name on one host
do not see each other's. Requires root (cups-pdf runs as root; the wrapper needs CAP_SYS_ADMIN).

Filters run as the `lp` user: `base_dir` and its parents must be traversable by others (0755); a
pytest `tmp_path` is not (its root is 0700), so use `tempfile.mkdtemp()` and chmod it.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import socket
import stat
import subprocess
import threading
import time
import uuid
from pathlib import Path
from types import TracebackType

from printing.errors import CupsdStartError

_log = logging.getLogger(__name__)

CUPSD = "/usr/sbin/cupsd"
LPADMIN = "/usr/sbin/lpadmin"
CUPS_PDF_PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_noopt.ppd")
CUPS_PDF_CONF_DIR = Path("/etc/cups")  # compiled into the backend; shadowed by the wrapper
CUPS_PDF_BACKEND = "cups-pdf"
UNSHARE = "/usr/bin/unshare"
START_TIMEOUT = 15.0
SYSTEM_SERVER_BIN = Path("/usr/lib/cups")
FAULT_BACKEND = "borne-fault"
FAULT_MODES = ("ok", "media-empty", "media-jam", "offline")

_FAULT_BACKEND_SCRIPT = """#!/bin/sh
# Borne test backend: reports the printer fault named in the file of its device URI
# (borne-fault:/path/to/mode) with STATE: lines and the matching backend exit status.
if [ $# -eq 0 ]; then
  echo 'direct borne-fault "Unknown" "Borne fault-injection backend"'
  exit 0
fi
mode=$(cat "${DEVICE_URI#borne-fault:}" 2>/dev/null || echo ok)
case "$mode" in
  media-empty)
    echo "STATE: +media-empty-error" >&2
    echo "INFO: Out of paper" >&2
    exit 4;;
  media-jam)
    echo "STATE: +media-jam-error" >&2
    echo "INFO: Paper jam" >&2
    exit 4;;
  offline)
    echo "STATE: +offline-report" >&2
    echo "INFO: Printer not responding" >&2
    exit 1;;
  *)
    echo "STATE: -media-empty-error,media-jam-error,offline-report" >&2
    if [ $# -ge 6 ]; then cat "$6" > /dev/null; else cat > /dev/null; fi
    exit 0;;
esac
"""

_CUPS_PDF_WRAPPER = """#!/bin/sh
# Borne: run the cups-pdf backend with this cupsd's ServerRoot on /etc/cups, in a mount namespace
# of its own, so it reads its queue configuration from there and nothing is written to /etc/cups.
if [ $# -eq 0 ]; then exec {backend}; fi
exec {unshare} --mount --propagation private -- \\
  /bin/sh -c 'mount --bind "$0" {conf_dir} && exec "$@"' {server_root} {backend} "$@"
"""


def _traversable_by_others(path: Path) -> bool:
    return all(part.stat().st_mode & stat.S_IXOTH for part in (path, *path.parents))


class CupsdService:
    """Context manager: `with CupsdService(base) as cups: CupsPrinter(queue=cups.printer_name, server=cups.server)`."""

    def __init__(self, base_dir: Path, *, queue_name: str | None = None) -> None:
        self.base_dir = base_dir.resolve()
        self.printer_name = queue_name or f"borne-pdf-{uuid.uuid4().hex[:8]}"
        self.output_dir = self.base_dir / "out"
        self.socket_path = self.base_dir / "cups.sock"
        self._etc = self.base_dir / "etc"
        self._logs = self.base_dir / "log"
        self._process: subprocess.Popen[bytes] | None = None
        self._queue_conf = self._etc / f"cups-pdf-{self.printer_name}.conf"
        self._stopped = threading.Event()
        self.server_bin = self.base_dir / "serverbin"
        self.fault_dir = self.base_dir / "faults"

    @property
    def server(self) -> str:
        """What `cups.setServer` / `cups.Connection(host=...)` / `lpadmin -h` take."""
        return str(self.socket_path)

    # -- configuration -------------------------------------------------------------------------

    def _write_config(self) -> tuple[Path, Path]:
        dirs = self._make_dirs()
        self._write_server_bin()
        files_conf = self._etc / "cups-files.conf"
        files_conf.write_text(self._files_conf(dirs), encoding="utf-8")
        conf = self._etc / "cupsd.conf"
        conf.write_text(self._cupsd_conf(), encoding="utf-8")
        self._queue_conf.write_text(
            "\n".join(
                [
                    f"Out {self.output_dir}",
                    f"AnonDirName {self.output_dir}",
                    f"Spool {dirs['cups-pdf-spool']}",
                    f"Log {self._logs}",
                    "Label 1",
                    "Grp root",
                    "LogType 3",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        return conf, files_conf

    def _make_dirs(self) -> dict[str, Path]:
        """The daemon's private folders, traversable by the lp user (cups-pdf runs as lp)."""
        dirs = {
            name: self.base_dir / name
            for name in (
                "etc",
                "etc/ppd",
                "spool",
                "cache",
                "state",
                "log",
                "tmp",
                "out",
                "cups-pdf-spool",
            )
        }
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        self.base_dir.chmod(0o755)
        self.output_dir.chmod(0o755)
        dirs["tmp"].chmod(0o1777)
        dirs["cups-pdf-spool"].chmod(0o1777)
        if not _traversable_by_others(self.base_dir):
            raise CupsdStartError(
                f"{self.base_dir} (or a parent) is not traversable by the lp user",
                log_tail="",
            )
        return dirs

    def _files_conf(self, dirs: dict[str, Path]) -> str:
        return "\n".join(
            [
                f"ServerRoot {self._etc}",
                f"RequestRoot {dirs['spool']}",
                f"CacheDir {dirs['cache']}",
                f"StateDir {dirs['state']}",
                f"TempDir {dirs['tmp']}",
                f"AccessLog {self._logs}/access_log",
                f"ErrorLog {self._logs}/error_log",
                f"PageLog {self._logs}/page_log",
                f"Printcap {self.base_dir}/printcap",
                f"ServerBin {self.server_bin}",
                "SystemGroup root",
                "Sandboxing Relaxed",
                "FileDevice No",
                "",
            ]
        )

    def _cupsd_conf(self) -> str:
        return "\n".join(
            [
                "LogLevel info",
                "MaxLogSize 0",
                f"Listen {self.socket_path}",
                "Browsing No",
                "BrowseLocalProtocols none",
                "DefaultAuthType None",
                "WebInterface No",
                "ErrorPolicy abort-job",
                "PreserveJobFiles No",  # no copy of a certificate once its job is done
                "PreserveJobHistory 3600",  # job states (no document) for an hour
                "<Location />",
                "  Order allow,deny",
                "  Allow all",
                "</Location>",
                "<Policy default>",
                "  <Limit All>",
                "    Order deny,allow",
                "  </Limit>",
                "</Policy>",
                "",
            ]
        )

    def _write_server_bin(self) -> None:
        """A private ServerBin: the system's filters and backends plus the fault-injection backend."""
        backends = self.server_bin / "backend"
        backends.mkdir(parents=True, exist_ok=True)
        self.server_bin.chmod(0o755)
        backends.chmod(0o755)
        for entry in SYSTEM_SERVER_BIN.iterdir():
            if entry.name == "backend":
                continue
            link = self.server_bin / entry.name
            if not link.exists():
                link.symlink_to(entry)
        for entry in (SYSTEM_SERVER_BIN / "backend").iterdir():
            link = backends / entry.name
            if entry.name != CUPS_PDF_BACKEND and not link.exists():
                link.symlink_to(entry)
        wrapper = backends / CUPS_PDF_BACKEND
        wrapper.unlink(missing_ok=True)
        wrapper.write_text(
            _CUPS_PDF_WRAPPER.format(
                backend=shlex.quote(str(SYSTEM_SERVER_BIN / "backend" / CUPS_PDF_BACKEND)),
                unshare=UNSHARE,
                conf_dir=shlex.quote(str(CUPS_PDF_CONF_DIR)),
                server_root=shlex.quote(str(self._etc)),
            ),
            encoding="utf-8",
        )
        wrapper.chmod(0o700)  # as the real backend: cupsd runs it as root
        script = backends / FAULT_BACKEND
        script.write_text(_FAULT_BACKEND_SCRIPT, encoding="utf-8")
        script.chmod(0o755)  # not 0700: it runs as the unprivileged lp user
        self.fault_dir.mkdir(parents=True, exist_ok=True)
        self.fault_dir.chmod(0o755)

    def add_fault_queue(self, name: str) -> Path:
        """Add a raw queue on the fault-injection backend; returns the file holding its mode.

        Write one of FAULT_MODES into that file before a job runs to make the "printer" fail.
        """
        mode_file = self.fault_dir / name
        mode_file.write_text("ok", encoding="utf-8")
        mode_file.chmod(0o644)
        self._lpadmin(["-p", name, "-v", f"{FAULT_BACKEND}:{mode_file}", "-m", "raw", "-E"])
        return mode_file

    def _lpadmin(self, args: list[str]) -> None:
        proc = subprocess.run(
            [LPADMIN, "-h", self.server, *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        if proc.returncode != 0:
            raise CupsdStartError(
                f"lpadmin failed: {proc.stderr.strip()}", log_tail=self.log_tail()
            )

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> CupsdService:
        conf, files_conf = self._write_config()
        out = (self._logs / "cupsd.out").open("ab")
        try:
            self._process = subprocess.Popen(
                [CUPSD, "-f", "-c", str(conf), "-s", str(files_conf)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        finally:
            out.close()
        try:
            self._wait_ready()
            self._add_queue()
        except BaseException:
            self.stop()
            raise
        _log.info(
            "private cupsd started",
            extra={"pid": self._process.pid, "queue": self.printer_name, "socket": self.server},
        )
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        process = self._process
        assert process is not None
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise CupsdStartError(
                    f"exited with status {process.returncode}", log_tail=self.log_tail()
                )
            if self.socket_path.exists():
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                    try:
                        probe.connect(str(self.socket_path))
                    except OSError:
                        pass
                    else:
                        return
            self._stopped.wait(0.02)
        raise CupsdStartError(
            f"not listening after {START_TIMEOUT:.0f} s", log_tail=self.log_tail()
        )

    def _add_queue(self) -> None:
        self._lpadmin(
            [
                "-p",
                self.printer_name,
                "-v",
                f"cups-pdf:/{self.printer_name}",
                "-P",
                str(CUPS_PDF_PPD),
                "-E",
                "-o",
                "printer-error-policy=abort-job",
            ]
        )

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self._stopped.set()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        chunks: list[str] = []
        for name in ("cupsd.out", "error_log"):
            path = self._logs / name
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            chunks.append(f"--- {name}\n" + "\n".join(text.splitlines()[-lines:]))
        return "\n".join(chunks)

    def remove(self) -> None:
        """Stop and delete everything under base_dir (tests call this from their fixture)."""
        self.stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> CupsdService:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
