"""Command line of the central server: `python -m central serve [--host] [--port] [--db] [--register]`.

`python -m central operators add --role viewer|operator|admin NAME` adds a console account
(password from the terminal, or stdin); `python -m central screenshots --out DIR` photographs the
console's pages.

`--db` is a SQLAlchemy URL (`postgresql+psycopg://user@host:port/db`) or a SQLite file path; the
default is `$BORNE_VAR_DIR/data/central.sqlite3` (`var/` by default).

With `--port 0` the server binds a free port itself before starting, then prints ONE JSON line
`{"url": ..., "pid": ..., "db": ...}` on stdout once it is listening (`central.process` reads it).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import ssl
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from central.console import cli as console_cli
from central.db import database_url, default_sqlite_path, redacted
from central.errors import StoreError
from central.identity import IdentityError, IdentityStore
from central.logs import configure_json_logging
from central.server import create_app
from central.settings import DEMO_REGISTER_PATH, CentralSettings
from central.store import SqlCentralStore
from offline_queue.wire import EnrollmentState


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m central")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the central server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port")
    serve.add_argument(
        "--db",
        default=None,
        help="database URL (postgresql+psycopg://…) or SQLite file (default var/data/central.sqlite3)",
    )
    serve.add_argument("--register", type=Path, default=DEMO_REGISTER_PATH)
    serve.add_argument("--tls-cert", type=Path, default=None, help="server certificate (PEM)")
    serve.add_argument("--tls-key", type=Path, default=None, help="server private key (PEM)")
    serve.add_argument(
        "--client-ca", type=Path, default=None, help="CA whose client certificates are asked for"
    )
    serve.add_argument(
        "--max-body-bytes",
        type=int,
        default=1024 * 1024,
        help="largest request body accepted (413 beyond); the seal check of a PDF has its own",
    )
    serve.add_argument(
        "--seal-root",
        type=Path,
        action="append",
        default=[],
        help="municipal CA certificate (PEM) that document seals are verified against; repeatable",
    )
    serve.add_argument(
        "--citizen-root",
        type=Path,
        action="append",
        default=[],
        help="TEST eID root certificates (PEM) trusted for citizen proofs beside the Belgian roots",
    )
    kiosks = commands.add_parser("kiosks", help="enrolment of kiosks: list, decide, make codes")
    kiosks.add_argument("--db", default=None, help="database URL or SQLite file (as for serve)")
    actions = kiosks.add_subparsers(dest="action", required=True)
    actions.add_parser("pending", help="kiosks waiting for a decision (JSON lines)")
    actions.add_parser("list", help="every enrolled kiosk (JSON lines)")
    actions.add_parser("code", help="make a one-time enrollment code (printed once)")
    for action in ("accept", "reject", "revoke"):
        decide = actions.add_parser(action, help=f"{action} a kiosk")
        decide.add_argument("kiosk_id")
    console_cli.add_parsers(commands)
    return parser


def _db_url(value: str | None) -> str:
    return database_url(value) if value else database_url(str(default_sqlite_path()))


_DECISIONS = {
    "accept": EnrollmentState.ACCEPTED,
    "reject": EnrollmentState.REJECTED,
    "revoke": EnrollmentState.REVOKED,
}


def kiosks_command(*, db: str | None, action: str, kiosk_id: str | None = None) -> int:
    """`python -m central kiosks …`: operator decisions on kiosk enrollment, straight on the DB."""
    try:
        store = SqlCentralStore(_db_url(db))
    except StoreError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    try:
        identities = IdentityStore(store.engine)
        if action == "code":
            print(identities.new_enrollment_code())
            return 0
        if action in ("pending", "list"):
            state = EnrollmentState.PENDING if action == "pending" else None
            after: str | None = None
            while page := identities.list_identities(state=state, after=after, limit=500):
                for identity in page:
                    print(
                        json.dumps(
                            {
                                "kiosk_id": identity.kiosk_id,
                                "state": identity.state.value,
                                "requested_at": identity.requested_at.isoformat(),
                                "key_fingerprint": identity.key_fingerprint,
                            }
                        )
                    )
                after = page[-1].kiosk_id
            return 0
        assert kiosk_id is not None
        try:
            identities.decide(kiosk_id, _DECISIONS[action])
        except IdentityError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        print(json.dumps({"kiosk_id": kiosk_id, "state": _DECISIONS[action].value}))
        return 0
    finally:
        store.close()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted connections only then, and
    # without it every answer waits ~40 ms (Nagle against the client's delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _url(sock: socket.socket, *, tls: bool = False) -> str:
    host, port = sock.getsockname()[:2]
    scheme = "https" if tls else "http"
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


class _AnnouncingServer(uvicorn.Server):
    """Prints the ready line once uvicorn is really listening."""

    def __init__(self, config: uvicorn.Config, *, ready_line: str) -> None:
        super().__init__(config)
        self._ready_line = ready_line

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            sys.stdout.write(self._ready_line + "\n")
            sys.stdout.flush()


def serve(
    *,
    host: str,
    port: int,
    db: str | None,
    register: Path,
    seal_roots: tuple[Path, ...] = (),
    citizen_roots: tuple[Path, ...] = (),
    max_body_bytes: int = 1024 * 1024,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    client_ca: Path | None = None,
) -> int:
    configure_json_logging()
    url = _db_url(db)
    settings = CentralSettings.from_env(
        db_url=url,
        register_path=register,
        seal_roots=seal_roots,
        citizen_roots=citizen_roots,
        max_body_bytes=max_body_bytes,
    )
    app = create_app(settings)
    sock = _bind(host, port)
    if (tls_cert is None) != (tls_key is None):
        print("error: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    tls = tls_cert is not None
    ready = json.dumps(
        {"url": _url(sock, tls=tls), "pid": os.getpid(), "db": redacted(settings.db_url)}
    )
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=True,
        lifespan="on",
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None,
        ssl_ca_certs=str(client_ca) if client_ca else None,
        ssl_cert_reqs=ssl.CERT_OPTIONAL if client_ca else ssl.CERT_NONE,
    )
    server = _AnnouncingServer(config, ready_line=ready)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0 if server.started else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "operators":
        return console_cli.operators_command(
            db_url=_db_url(args.db), name=args.name, role=args.role
        )
    if args.command == "screenshots":
        return console_cli.screenshots_command(out=args.out)
    if args.command == "kiosks":
        return kiosks_command(
            db=args.db, action=args.action, kiosk_id=getattr(args, "kiosk_id", None)
        )
    return serve(
        host=args.host,
        port=args.port,
        db=args.db,
        register=args.register,
        seal_roots=tuple(p.resolve() for p in args.seal_root),
        citizen_roots=tuple(p.resolve() for p in args.citizen_root),
        max_body_bytes=args.max_body_bytes,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        client_ca=args.client_ca,
    )


if __name__ == "__main__":
    sys.exit(main())
