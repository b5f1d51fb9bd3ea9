"""Real displays and real processes for the deployment tests: Xvfb (a bare X server, no window
manager), cage (the Wayland kiosk compositor), key chords and close requests sent through X with
XTest, the kiosk's JSON log, and the process tree read from /proc."""

from __future__ import annotations

import ctypes
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    """Poll `condition` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        tick.wait(0.1)


def lp_readable_dir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


# -- the kiosk's log and processes ------------------------------------------------------------
def log_events(var_dir: Path, event: str | None = None) -> list[dict[str, Any]]:
    path = var_dir / "log" / "kiosk.jsonl"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if event is None or record.get("event") == event:
            records.append(record)
    return records


def children(pid: int) -> dict[int, str]:
    """Every live descendant of `pid`: {pid: command line}, read from /proc."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] == "Z":
            continue
        parents[int(entry.name)] = int(fields[1])
        commands[int(entry.name)] = cmdline
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        for child, parent in parents.items():
            if parent == current and child not in found:
                found[child] = commands[child]
                frontier.append(child)
    return found


def alive(pids: Iterator[int] | list[int]) -> list[int]:
    living = []
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if stat[stat.rindex(")") + 2] != "Z":
            living.append(pid)
    return living


def kiosk_env(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "BORNE_VAR_DIR": str(var_dir), **extra}
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
        if name not in extra:
            env.pop(name, None)
    return env


def kiosk(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "kiosk", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen[str], *, timeout: float = 60.0) -> tuple[int, str, str]:
    """SIGTERM, then the exit code and output (SIGKILL only if it does not exit in time)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate(timeout=10)
        raise AssertionError(f"the kiosk ignored SIGTERM for {timeout} s\n{err[-3000:]}") from None
    return process.returncode, out, err


def receive(
    sock: socket.socket, process: subprocess.Popen[str], *, timeout: float, what: str
) -> str:
    """The next datagram on `sock`; fail at once if the kiosk exits first, or after `timeout`."""
    deadline = time.monotonic() + timeout
    while not select.select([sock], [], [], 0.5)[0]:
        if process.poll() is not None:
            raise AssertionError(f"the kiosk exited with {process.returncode} before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
    return sock.recv(4096).decode()


@contextmanager
def explained(process: subprocess.Popen[str], var_dir: Path) -> Iterator[None]:
    """A failure inside names what the kiosk was doing: every thread's stack (SIGUSR1, the
    kiosk's faulthandler), its stderr and the end of its logs; the kiosk is stopped."""
    try:
        yield
    except Exception as failure:
        if process.poll() is None:
            process.send_signal(signal.SIGUSR1)
        try:
            _code, _out, err = stop(process, timeout=60)
        except AssertionError as ignored:
            err = str(ignored)
        logs = []
        for name in ("kiosk.jsonl", "pcscd.log", "central.log"):
            path = var_dir / "log" / name
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-25:]
                logs.append(f"--- {name} ---\n" + "\n".join(tail))
        detail = "\n".join([f"--- kiosk stderr ---\n{err[-6000:]}", *logs])
        raise AssertionError(f"{failure}\n{detail}") from failure


# -- a simulated stack for `kiosk run` -------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RunningStack:
    var_dir: Path
    endpoints: dict[str, Any]

    def run_env(self, **extra: str) -> dict[str, str]:
        """The environment that points `kiosk run` (the product command) at this stack."""
        from devstack.sim import prepare_credentials  # noqa: PLC0415

        token = prepare_credentials(self.var_dir)[2]
        return kiosk_env(
            self.var_dir,
            BORNE_CENTRAL_URL=self.endpoints["central_url"],
            BORNE_SEAL_PIN=token.user_pin,
            CUPS_SERVER=self.endpoints["cups_server"],
            **extra,
        )


@contextmanager
def sim_stack(prefix: str) -> Iterator[RunningStack]:
    """`kiosk sim up` in a fresh var/ (card inserted), `kiosk sim down` afterwards."""
    var_dir = lp_readable_dir(prefix)
    env = kiosk_env(var_dir)
    up = subprocess.run(
        [sys.executable, "-m", "kiosk", "sim", "up"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert up.returncode == 0, up.stderr[-3000:]
    try:
        yield RunningStack(var_dir=var_dir, endpoints=json.loads(up.stdout.splitlines()[-1]))
    finally:
        subprocess.run(
            [sys.executable, "-m", "kiosk", "sim", "down"],
            cwd=REPO,
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(var_dir, ignore_errors=True)


# -- X11: Xvfb, windows, XTest -----------------------------------------------------------------
@contextmanager
def xvfb(width: int = 1280, height: int = 1024) -> Iterator[str]:
    """A bare X server (no window manager); yields its DISPLAY."""
    if shutil.which("Xvfb") is None:
        raise AssertionError("Xvfb is not installed (apt package xvfb, in `make setup`)")
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write_end),
            "-screen",
            "0",
            f"{width}x{height}x24",
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as pipe:
            number = pipe.readline().strip().decode()
        assert number.isdigit(), "Xvfb did not report its display"
        yield f":{number}"
    finally:
        process.terminate()
        process.wait(timeout=10)


_WINDOW = re.compile(r'^\s*(0x[0-9a-f]+) "([^"]*)".*?\s(\d+)x(\d+)\+(-?\d+)\+(-?\d+)', re.MULTILINE)


@dataclass(frozen=True, slots=True)
class XWindow:
    id: int
    name: str
    width: int
    height: int
    x: int
    y: int


def x_windows(display: str, name: str) -> list[XWindow]:
    """Mapped top-level windows called `name` (xwininfo lists the tree with names)."""
    tree = subprocess.run(
        ["xwininfo", "-root", "-tree", "-display", display],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    windows = [
        XWindow(int(m[1], 16), m[2], int(m[3]), int(m[4]), int(m[5]), int(m[6]))
        for m in _WINDOW.finditer(tree)
        if m[2] == name
    ]
    return [w for w in windows if _map_state(display, w.id) == "IsViewable"]


def _map_state(display: str, window: int) -> str:
    info = subprocess.run(
        ["xwininfo", "-id", hex(window), "-display", display],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    match = re.search(r"Map State: (\w+)", info)
    return match[1] if match else ""


class _ClientMessage(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [("client", _ClientMessage), ("pad", ctypes.c_long * 24)]


CLIENT_MESSAGE = 33


class XInput:
    """Key chords through XTest, and the close request a window manager would send."""

    def __init__(self, display: str) -> None:
        self._x11 = ctypes.CDLL("libX11.so.6")
        self._xtst = ctypes.CDLL("libXtst.so.6")
        self._x11.XOpenDisplay.restype = ctypes.c_void_p
        self._x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self._x11.XStringToKeysym.restype = ctypes.c_ulong
        self._x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        self._x11.XInternAtom.restype = ctypes.c_ulong
        self._x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        self._x11.XSendEvent.argtypes = [
            ctypes.c_void_p,
            ctypes.c_ulong,
            ctypes.c_int,
            ctypes.c_long,
            ctypes.c_void_p,
        ]
        self._x11.XFlush.argtypes = [ctypes.c_void_p]
        self._x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self._x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self._xtst.XTestFakeKeyEvent.argtypes = [
            ctypes.c_void_p,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_ulong,
        ]
        self._xtst.XTestFakeMotionEvent.argtypes = [
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_ulong,
        ]
        self._dpy = self._x11.XOpenDisplay(display.encode())
        assert self._dpy, f"cannot open X display {display}"

    def close(self) -> None:
        self._x11.XCloseDisplay(self._dpy)

    def pointer_to(self, x: int, y: int) -> None:
        self._xtst.XTestFakeMotionEvent(self._dpy, -1, x, y, 0)
        self._x11.XSync(self._dpy, 0)

    def chord(self, *keysyms: str) -> None:
        """Press the keys in order, release them in reverse (e.g. "Alt_L", "F4")."""
        codes = []
        for name in keysyms:
            keysym = self._x11.XStringToKeysym(name.encode())
            code = self._x11.XKeysymToKeycode(self._dpy, keysym)
            assert code, f"no keycode for {name}"
            codes.append(code)
        for code in codes:
            self._xtst.XTestFakeKeyEvent(self._dpy, code, 1, 0)
        for code in reversed(codes):
            self._xtst.XTestFakeKeyEvent(self._dpy, code, 0, 0)
        self._x11.XSync(self._dpy, 0)

    def request_close(self, window: int) -> None:
        """WM_DELETE_WINDOW, as a window manager sends for Alt+F4 or the title bar's close."""
        protocols = self._x11.XInternAtom(self._dpy, b"WM_PROTOCOLS", 0)
        delete = self._x11.XInternAtom(self._dpy, b"WM_DELETE_WINDOW", 0)
        event = _XEvent()
        event.client.type = CLIENT_MESSAGE
        event.client.window = window
        event.client.message_type = protocols
        event.client.format = 32
        event.client.data[0] = delete
        event.client.data[1] = 0  # CurrentTime
        sent = self._x11.XSendEvent(self._dpy, window, 0, 0, ctypes.byref(event))
        assert sent, "XSendEvent refused the close request"
        self._x11.XSync(self._dpy, 0)


# -- Wayland: cage -----------------------------------------------------------------------------
CAGE_USER = "nobody"


@contextmanager
def cage() -> Iterator[dict[str, str]]:
    """cage on the headless wlroots backend, as an unprivileged user (cage refuses root); yields
    the environment a Wayland client needs to show its window in it.

    cage needs a client: a placeholder that draws nothing holds the session, and the kiosk under
    test joins as a second client (it runs from this checkout's virtualenv, which the unprivileged
    user may not be able to read). Xwayland is not needed: `WLR_XWAYLAND` names a program that is
    never started (wlroots starts Xwayland only when an X client connects).
    """
    runtime = Path(tempfile.mkdtemp(prefix="borne-xdg-"))
    os.chown(runtime, *_ids(CAGE_USER))
    runtime.chmod(0o700)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(runtime),
        "XDG_RUNTIME_DIR": str(runtime),
        "WLR_BACKENDS": "headless",
        "WLR_LIBINPUT_NO_DEVICES": "1",
        "WLR_RENDERER": "pixman",
        "WLR_XWAYLAND": "/bin/false",
    }
    uid, gid = _ids(CAGE_USER)
    process = subprocess.Popen(
        [
            "setpriv",
            f"--reuid={uid}",
            f"--regid={gid}",
            "--clear-groups",
            "cage",
            "--",
            "sh",
            "-c",
            "exec tail -f /dev/null",  # the placeholder client: no window, waits for SIGTERM
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        socket_path = wait_for(
            lambda: next(iter(runtime.glob("wayland-[0-9]")), None) or process.poll() is not None,
            timeout=90,
            what="cage's Wayland socket",
        )
        if process.poll() is not None:
            raise CageUnavailable(process.stderr.read() if process.stderr else "")
        yield {"XDG_RUNTIME_DIR": str(runtime), "WAYLAND_DISPLAY": Path(socket_path).name}
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()
        shutil.rmtree(runtime, ignore_errors=True)


class CageUnavailable(RuntimeError):
    """cage could not start here (its stderr is the message)."""


def _ids(user: str) -> tuple[int, int]:
    import pwd  # noqa: PLC0415

    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid
