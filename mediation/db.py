"""Storage: one engine per process, one transaction per command, migrations by Alembic."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import create_engine

from . import audit, auditkey
from .auditkey import AuditKey
from .unit import UnitOfWork

MIGRATIONS = Path(__file__).with_name("migrations")
log = logging.getLogger("mediator.db")


def make_engine(url: str, echo: bool = False) -> Engine:
    """SQLite gets a real BEGIN IMMEDIATE per transaction, so a crash mid-command or a second writer
    never sees half a command (pysqlite's own transaction handling is looser)."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        memory = not u.database or u.database == ":memory:"
        if not memory and u.database:
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        # an in-memory database exists once per connection: keep exactly one
        extra = {"poolclass": StaticPool} if memory else {}
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}, **extra)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None
            dbapi_conn.execute("PRAGMA foreign_keys=ON")
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            # with WAL, NORMAL keeps every committed command through a process crash (the case that
            # matters here) and skips a disk flush per commit
            dbapi_conn.execute("PRAGMA synchronous=NORMAL")

        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if u.get_backend_name() == "postgresql" and u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")
    return create_engine(u, echo=echo, pool_pre_ping=True)


def safe_url(url: str) -> str:
    """The URL with any password hidden, for logs and messages."""
    return make_url(url).render_as_string(hide_password=True)


def head_revision() -> str:
    """The newest schema revision this code knows."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None, "no migrations found"
    return head


MIGRATION_LOCK = "mediator.migrations"


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Migrate; returns the revision the database was at before (None: a new database). On
    PostgreSQL under an advisory lock (one per database and schema): processes starting together,
    or `mediator db upgrade` run beside them, wait for the one that migrates and then find the
    schema current."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))

    def migrate(conn) -> str | None:
        before = MigrationContext.configure(conn).get_current_revision()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        return before

    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            return migrate(conn)
    key = text("SELECT hashtext(:name || current_database() || '.' || current_schema())")
    with engine.connect() as conn:
        lock = conn.execute(key, {"name": MIGRATION_LOCK + ":"}).scalar_one()
        if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock}).scalar_one():
            log.info("another process is migrating the database; waiting for it")
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": lock})
        conn.commit()
        try:
            with conn.begin():
                return migrate(conn)
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock})
            conn.commit()


KEYED_SINCE = "0002"  # the first schema whose audit chain is keyed
BEFORE_KEYS = {"0001"}


class Store:
    """The unit of work: `with store.transaction() as s:` commits everything or nothing, seals the
    audit entries it wrote under the audit key, and `s.changes` says which cases it touched."""

    def __init__(self, engine: Engine, audit_key: AuditKey | None = None):
        self.engine = engine
        self.audit_key = audit_key or auditkey.load(engine.url.render_as_string(hide_password=False))

    @classmethod
    def from_url(cls, url: str, echo: bool = False, migrate: bool = True, audit_key_file: str = "") -> Store:
        engine = make_engine(url, echo=echo)
        key = auditkey.load(url, audit_key_file)
        before = upgrade(engine) if migrate else None
        store = cls(engine, key)
        with store.transaction() as s:
            if before in BEFORE_KEYS:  # the first start on keyed chains: seal the old ones once
                audit.seal_legacy(s)
            elif key.generated and audit.keyed_heads(s):
                auditkey.forget_generated(key)
                engine.dispose()
                raise auditkey.AuditKeyError(
                    f"the audit key is missing: this database's audit trail was sealed with a key that is not "
                    f"at {key.source}; restore that file or set {auditkey.ENV_AUDIT_KEY}"
                )
        return store

    @contextmanager
    def transaction(self) -> Iterator[UnitOfWork]:
        with UnitOfWork(self.engine, expire_on_commit=False) as session:
            session.info[audit.KEY_INFO] = self.audit_key.secret
            try:
                yield session
                audit.seal(session)
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def ping(self) -> None:
        """Raises if the database does not answer."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def close(self) -> None:
        self.engine.dispose()
