"""The real engine for tests: settings in a temp folder, both databases, a fixed clock, the one
shared model, and the in-memory chat driver (`chat`, `new_chat`)."""

from __future__ import annotations

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
from tests.kit.replies import History, Turn

PG_BASE = os.environ.get("MEDIATOR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SCOPE = ScopeService()  # the real model, loaded once for the whole test run, on first use
TEST_AUDIT_KEY = "test-audit-key-" + "k" * 32

# fixtures that hand a test an engine with the real model, or the model itself: `model` by use
MODEL_FIXTURES = {"chat", "new_chat", "start_rig", "world", "both", "clf"}


def _pg_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def audit_key(monkeypatch):
    """One audit key from the environment for every test (subprocesses inherit it), so no key file
    lands in the working directory; tests of the key file itself remove it."""
    monkeypatch.setenv("MEDIATOR_AUDIT_KEY", TEST_AUDIT_KEY)
    return TEST_AUDIT_KEY


def require_postgres() -> None:
    """Skips the test without a PostgreSQL server, or fails it under CI=true, where it is required."""
    if not _pg_up():
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432, and CI requires it")
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")


@pytest.fixture
def pg_url():
    """A PostgreSQL schema of its own for one test; skipped (failed under CI=true) without a server."""
    require_postgres()
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
    """Each storage test twice: on SQLite, and on PostgreSQL (marked `postgres`)."""
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


@pytest.fixture(scope="session")
def clf():
    """The scope classifier on the real model: the one every engine here shares, loaded once."""
    return SCOPE.classifier()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def make_engine(settings: Settings, clock: FixedClock):
    """The real engine on the settings' database, sharing the test run's one model."""
    return bootstrap(settings, clock=clock, store=Store.from_url(settings.database.url), services=Services(scope=SCOPE))


class ChatDriver(MemoryAdapter, History):
    """The in-memory adapter as a test conversation: `say()` returns the turn's replies, `expect()`
    reads the replies to the last input."""

    def __init__(self, hub: Hub, platform: str = "memory"):
        super().__init__(hub, platform)
        self._turns: list[Turn] = []

    async def say(self, user: str, text: str, chat: str = "chat", **kw) -> Turn:  # type: ignore[override]
        """`user` speaks in `chat` (private=, files=, event_id=, moderator= as the memory adapter)."""
        turn = Turn(await super().say(user, text, chat, **kw))
        self._turns.append(turn)
        return turn

    @property
    def engine(self):
        return self.hub.engine

    def inbox_kinds(self, chat: str) -> list[str | None]:
        return [r.data.get("type") for r in self.inbox(chat)]

    def close(self) -> None:
        self.hub.engine.store.close()


def make_chat(settings: Settings, clock: FixedClock, url: str | None = None) -> ChatDriver:
    if url:
        settings.database.url = url
    return ChatDriver(Hub(make_engine(settings, clock)))


@pytest.fixture
def chat(settings, clock) -> ChatDriver:
    """A group chat ("chat") over the real engine and the in-memory adapter."""
    driver = make_chat(settings, clock)
    yield driver
    driver.close()


@pytest.fixture
def new_chat(settings, clock):
    """Call for a chat driver on a fresh engine (`url`: another database, as a new process would);
    every engine made is closed at the end of the test."""
    made: list[ChatDriver] = []

    def make(url: str | None = None) -> ChatDriver:
        made.append(make_chat(settings, clock, url))
        return made[-1]

    yield make
    for driver in made:
        driver.close()
