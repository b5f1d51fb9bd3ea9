"""The central server's database: SQLAlchemy tables, engines and Alembic migrations.

One schema serves both back-ends: an embedded SQLite file (the default, under `var/`) and
PostgreSQL by URL (`postgresql+psycopg://user@host:port/db`, psycopg 3). The schema is owned by the
Alembic migrations in `central/migrations`; `migrate()` brings a database to the newest revision
when the server starts, holding a PostgreSQL advisory lock so that two servers starting together on
one database do not both migrate it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from central.errors import StoreError

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"
VAR_DIR_ENV: Final = "BORNE_VAR_DIR"
DEFAULT_SQLITE_NAME: Final = "central.sqlite3"
_MIGRATION_LOCK_KEY: Final = 0x626F726E65  # "borne": the advisory lock held while migrating

metadata = sa.MetaData()

_Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""Record sequence numbers: 64 bits on PostgreSQL, the rowid alias on SQLite."""

records = sa.Table(
    "records",
    metadata,
    sa.Column("seq", _Seq, primary_key=True, autoincrement=True),
    sa.Column("kiosk_id", sa.String(128), nullable=False),
    sa.Column("operation_id", sa.String(128), nullable=False),
    sa.Column("occurred_at", sa.String(40), nullable=False),
    sa.Column("received_at", sa.String(40), nullable=False),
    sa.Column("outcome", sa.String(64), nullable=False),
    sa.Column("record_json", sa.Text(), nullable=False),
    sa.UniqueConstraint("kiosk_id", "operation_id", name="uq_records_kiosk_operation"),
)

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("document_id", sa.String(128), primary_key=True),
    sa.Column("record_seq", _Seq, sa.ForeignKey("records.seq"), nullable=False),
    sa.Column("kiosk_id", sa.String(128), nullable=False),
    sa.Column("document_type", sa.String(64)),
    sa.Column("issued_at", sa.String(40), nullable=False),
    sa.Column("verification_code", sa.String(12)),
    sa.Column("holder_ref", sa.String(64), index=True),
)

kiosks = sa.Table(
    "kiosks",
    metadata,
    sa.Column("kiosk_id", sa.String(128), primary_key=True),
    sa.Column("received_at", sa.String(40), nullable=False),
    sa.Column("heartbeat_json", sa.Text(), nullable=False),
)


def default_sqlite_path(environ: dict[str, str] | None = None) -> Path:
    """The embedded database file: `$BORNE_VAR_DIR/data/central.sqlite3` (default `var/`)."""
    env = os.environ if environ is None else environ
    return Path(env.get(VAR_DIR_ENV) or "var") / "data" / DEFAULT_SQLITE_NAME


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def database_url(value: str) -> str:
    """`--db` as given: a URL (`scheme://…`) is kept, anything else is a SQLite file path."""
    return value if "://" in value else sqlite_url(Path(value))


def redacted(url: str) -> str:
    """The URL without its password, for logs and the ready line."""
    return sa.make_url(url).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
    finally:
        cursor.close()


def _sqlite_relaxed(dbapi_connection: Any, record: Any) -> None:
    _sqlite_pragmas(dbapi_connection, record)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def relaxed_engine(engine: sa.Engine) -> sa.Engine | None:
    """A second engine on the same SQLite file whose commits do not wait for the disk
    (`synchronous=NORMAL` in WAL mode: safe against a crash of the server, losing at most the
    last such commits on a power cut), for the writes that the next heartbeat brings again.
    Disposed with `engine`. None for PostgreSQL (`FleetDb.write` sets `synchronous_commit`
    per transaction there) and for an in-memory SQLite (another engine is another database).
    """
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    try:
        relaxed = sa.create_engine(url, connect_args={"timeout": 5.0})
    except sa.exc.SQLAlchemyError as err:
        raise StoreError(f"cannot open the central database {redacted(str(url))}") from err
    sa.event.listen(relaxed, "connect", _sqlite_relaxed)
    sa.event.listen(engine, "engine_disposed", lambda _engine: relaxed.dispose())
    return relaxed


def create_engine(url: str) -> sa.Engine:
    """An engine for `url`; a SQLite file's folder is created and its pragmas set per connection."""
    parsed = sa.make_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(parsed, connect_args={"timeout": 5.0})
            sa.event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        if parsed.get_backend_name() == "postgresql":
            return sa.create_engine(
                parsed, pool_size=10, max_overflow=10, pool_pre_ping=True, pool_timeout=10.0
            )
    except (OSError, sa.exc.SQLAlchemyError, ImportError) as err:
        raise StoreError(f"cannot open the central database {redacted(url)}") from err
    raise StoreError(f"unsupported database {parsed.get_backend_name()!r}: sqlite or postgresql")


def _alembic_config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: sa.Engine) -> None:
    """Bring the database to the newest revision (idempotent; safe with concurrent starters).

    A SQLite file made by the earlier hand-written store (its schema version in `user_version`, no
    Alembic table) holds exactly the tables of the revision of the same number: it is stamped at
    that revision, then upgraded.
    """
    try:
        with engine.begin() as connection:
            postgres = connection.dialect.name == "postgresql"
            if postgres:
                connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                )
            config = _alembic_config(connection)
            context = MigrationContext.configure(connection)
            legacy = _legacy_sqlite_version(connection)
            if context.get_current_revision() is None and legacy:
                command.stamp(config, f"{legacy:04d}")
            command.upgrade(config, "head")
    except sa.exc.SQLAlchemyError as err:
        raise StoreError(
            f"cannot prepare the central database {redacted(str(engine.url))}"
        ) from err


_LEGACY_VERSIONS: Final = (1, 2)


def _legacy_sqlite_version(connection: sa.Connection) -> int | None:
    """The hand-written store's schema version of this SQLite file, if it is one of its files."""
    if connection.dialect.name != "sqlite":
        return None
    version = connection.exec_driver_sql("PRAGMA user_version").scalar()
    if version not in _LEGACY_VERSIONS or not sa.inspect(connection).has_table("records"):
        return None
    return int(version)


kiosk_identities = sa.Table(
    "kiosk_identities",
    metadata,
    sa.Column("kiosk_id", sa.String(128), primary_key=True),
    sa.Column("public_key_pem", sa.Text(), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("requested_at", sa.String(40), nullable=False),
    sa.Column("decided_at", sa.String(40)),
)

enrollment_codes = sa.Table(
    "enrollment_codes",
    metadata,
    sa.Column("code_hash", sa.String(64), primary_key=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("used_by", sa.String(128)),
    sa.Column("used_at", sa.String(40)),
)

auth_nonces = sa.Table(
    "auth_nonces",
    metadata,
    sa.Column("kiosk_id", sa.String(128), primary_key=True),
    sa.Column("nonce", sa.String(64), primary_key=True),
    sa.Column("seen_at", sa.Float(), nullable=False, index=True),
)

server_secrets = sa.Table(
    "server_secrets",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(128), nullable=False),
)
