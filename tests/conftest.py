"""Shared fixtures: settings in a temp folder, both databases, and a chat through the memory adapter."""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from datetime import UTC, datetime

import pytest

from bot.adapters.memory import MemoryAdapter
from bot.bootstrap import bootstrap
from bot.engine import Services
from bot.hub import Hub
from mediation.clock import FixedClock
from mediation.config import Settings
from mediation.db import Store
from nlp.service import ScopeService

LOOPBACK_NAMES = {None, "localhost", "127.0.0.1", "::1", b"localhost", b"127.0.0.1"}


def _loopback(host) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.decode() if isinstance(host, bytes) else host).is_loopback
    except ValueError:
        return False


class InternetUsed(OSError):
    """A test tried to reach beyond this machine."""


TEST_AUDIT_KEY = "test-audit-key-" + "k" * 32


@pytest.fixture(autouse=True)
def audit_key(monkeypatch):
    """One audit key from the environment for every test (subprocesses inherit it), so no key file
    lands in the working directory; tests of the key file itself remove it."""
    monkeypatch.setenv("MEDIATOR_AUDIT_KEY", TEST_AUDIT_KEY)
    return TEST_AUDIT_KEY


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Every test: any connection or name lookup beyond 127.0.0.1 fails, and fails the test even if a
    library swallowed the error. Yields the attempts (a test of the guard itself clears them)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # python-telegram-bot's coming time type, without its notice
    attempts: list = []
    real_connect, real_connect_ex, real_getaddrinfo = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.getaddrinfo,
    )

    def check(address):
        if isinstance(address, tuple) and not _loopback(address[0]):
            attempts.append(address)
            raise InternetUsed(f"a test tried to reach {address[0]}:{address[1]}")

    def connect(self, address):
        check(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        check(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if not _loopback(host):
            attempts.append((host, args[0] if args else None))
            raise InternetUsed(f"a test tried to look up {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    assert not attempts, f"a test tried to reach the network: {attempts}"


PG_BASE = os.environ.get("MEDIATOR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _pg_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def pg_url():
    """A PostgreSQL schema of its own for one test; skipped (failed under CI=true) without a server."""
    if not _pg_up():
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432, and CI requires it")
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    from sqlalchemy import create_engine, text

    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    with admin.connect() as c:
        c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/mediator.db"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def settings(tmp_path) -> Settings:
    s = Settings()
    s.database.url = f"sqlite:///{tmp_path}/mediator.db"
    s.storage.files_dir = str(tmp_path / "files")
    s.moderators["memory"] = ["mod"]
    return s


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


SCOPE = ScopeService()  # the real model, loaded once for the whole test run, on first use


def make_engine(settings: Settings, clock: FixedClock):
    """The real engine on the settings' database, sharing the test run's one model."""
    return bootstrap(settings, clock=clock, store=Store.from_url(settings.database.url), services=Services(scope=SCOPE))


def make_chat(settings: Settings, clock: FixedClock, url: str | None = None) -> MemoryAdapter:
    if url:
        settings.database.url = url
    return MemoryAdapter(Hub(make_engine(settings, clock)))


@pytest.fixture
def chat(settings, clock) -> MemoryAdapter:
    adapter = make_chat(settings, clock)
    yield adapter
    adapter.hub.engine.store.close()


def data(replies, kind: str | None = None) -> dict:
    """The data payload of the first reply (of a given type)."""
    for r in replies:
        if kind is None or r.data.get("type") == kind:
            return r.data
    raise AssertionError(f"no {kind} reply in {[r.data.get('type') for r in replies]}")
