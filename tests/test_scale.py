"""Many processes, one database: deadlines fire once, migrations run once, notices go out once."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from mediation.db import Store, head_revision
from mediation.models import AuditEntry, Timer
from tests.kit.console import MEDIATOR, start_console
from tests.kit.engine import PG_BASE, require_postgres

# the model is never needed here: a missing ONNX export fails fast instead of loading torch
LIGHT_CONFIG = '[nlp]\nbackend = "onnx"\nonnx_path = "no-such-onnx-export"\n'


def light_config(tmp_path: Path) -> str:
    path = tmp_path / "config.toml"
    path.write_text(LIGHT_CONFIG)
    return str(path)


class Console:
    """A `mediator console --json` process: write a line, read its JSON replies up to `done`."""

    def __init__(self, cwd: Path, db: str, config: str):
        self.proc = start_console(cwd, db, "--config", config)
        self.n = 0

    def send(self, line: str) -> None:
        self.n += 1
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def read(self) -> list[dict]:
        out = []
        while True:
            raw = self.proc.stdout.readline()
            assert raw, f"console ended early: {self.proc.stderr.read()}"
            msg = json.loads(raw)
            if "done" in msg:
                assert msg["done"] == self.n
                return out
            out.append(msg)

    def say(self, line: str) -> list[dict]:
        self.send(line)
        return self.read()

    def close(self) -> str:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        return self.proc.stderr.read()


def test_three_processes_fire_forty_shared_deadlines_once_each(tmp_path, db_url):
    config = light_config(tmp_path)
    consoles = [Console(tmp_path, db_url, config)]
    try:
        first = consoles[0]
        first.say("/help")  # the schema is made once, before the others start
        consoles += [Console(tmp_path, db_url, config) for _ in range(2)]
        for i in range(40):  # 40 cases whose brief is never agreed: 40 brief-agreement deadlines
            [created] = [r for r in first.say(f"@c{i} /case new Job {i} amount=10 currency=USD role=client")]
            assert created["data"]["type"] == "case_created"
        for c in consoles[1:]:
            c.say("/help")  # started and migrated before the race
        # all three move their clocks past the deadlines at the same moment
        gate = threading.Barrier(3)
        results: list[list[dict]] = [[], [], []]

        def advance(i: int) -> None:
            gate.wait()
            results[i] = consoles[i].say("/clock advance 8d")

        threads = [threading.Thread(target=advance, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        for c in consoles:  # a later pass finds nothing left to fire
            assert [r for r in c.say("/clock advance 1h") if r["data"].get("type") == "deadline"] == []
    finally:
        errors = [c.close() for c in consoles if c.proc.poll() is None]
    notices = Counter(
        r["data"]["case_id"]
        for replies in results
        for r in replies
        if r["data"].get("type") == "deadline" and r["data"].get("action") == "cancelled"
    )
    assert len(notices) == 40 and set(notices.values()) == {1}, (notices.most_common(5), errors)
    store = Store.from_url(db_url, migrate=False)
    with store.transaction() as s:
        cancelled = Counter(
            e.chain for e in s.exec(select(AuditEntry).where(AuditEntry.action == "deadline.cancelled"))
        )
        fired = Counter(t.case_id for t in s.exec(select(Timer).where(Timer.state == "fired")))
    store.close()
    assert len(cancelled) == 40 and set(cancelled.values()) == {1}, cancelled.most_common(5)
    assert len(fired) == 40 and set(fired.values()) == {1}


def test_two_engines_ticking_together_fire_each_deadline_once(settings, clock, db_url):
    """Two engines (two processes' worth) on one database, ticking at the same moment."""
    from datetime import timedelta

    from bot.messages import Incoming
    from tests.kit.engine import make_engine

    settings.database.url = db_url
    engines = [make_engine(settings, clock) for _ in range(2)]
    for i in range(40):
        engines[i % 2].handle_sync(
            Incoming("memory", f"g{i}", f"u{i}", f"U{i}", f"/case new Job {i} amount=10 currency=USD role=client")
        )
    clock.advance(timedelta(days=8))
    gate = threading.Barrier(2)
    fired: list[list] = [[], []]

    def tick(i: int) -> None:
        gate.wait()
        fired[i] = engines[i].tick()

    threads = [threading.Thread(target=tick, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    per_case = Counter(r.data["case_id"] for replies in fired for r in replies if r.data.get("action") == "cancelled")
    assert len(per_case) == 40 and set(per_case.values()) == {1}, per_case.most_common(3)
    with engines[0].store.transaction() as s:
        cancelled = Counter(
            e.chain for e in s.exec(select(AuditEntry).where(AuditEntry.action == "deadline.cancelled"))
        )
    assert len(cancelled) == 40 and set(cancelled.values()) == {1}
    for e in engines:
        e.store.close()


@pytest.fixture
def scratch_db():
    """A fresh PostgreSQL database of its own (not only a schema): what a new deployment starts from."""
    require_postgres()
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = "mediator_scratch_" + uuid.uuid4().hex[:10]
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name}"))
    yield make_url(PG_BASE).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def test_three_concurrent_db_upgrades_on_a_fresh_database_all_succeed(tmp_path, scratch_db):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = [
        subprocess.Popen(
            MEDIATOR + ["db", "upgrade", "--db", scratch_db, "--config", light_config(tmp_path)],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in outs]
    assert all("is at the latest schema" in out for out, _ in outs)
    store = Store.from_url(scratch_db, migrate=False)
    with store.transaction() as s:
        assert s.exec(text("SELECT version_num FROM alembic_version")).all() == [(head_revision(),)]
    store.close()


def test_upgrade_waits_for_a_migration_in_progress(pg_url):
    """A process holding the migration lock (one migrating) makes the next one wait, not fail."""
    from sqlalchemy import create_engine

    from mediation.db import MIGRATION_LOCK, make_engine, upgrade

    holder = create_engine(pg_url)
    with holder.connect() as conn:
        key = conn.execute(
            text("SELECT hashtext(:n || current_database() || '.' || current_schema())"), {"n": MIGRATION_LOCK + ":"}
        ).scalar_one()
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        conn.commit()
        done = threading.Event()
        engine = make_engine(pg_url)
        t = threading.Thread(target=lambda: (upgrade(engine), done.set()))
        t.start()
        assert not done.wait(1.5)  # waiting for the lock
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        conn.commit()
        t.join(timeout=60)
    assert done.is_set()
    with engine.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head_revision()
    engine.dispose()
    holder.dispose()


def test_the_load_benchmark_finds_nothing_applied_twice_or_lost_even_with_a_worker_killed(pg_url):
    from bot.loadtest import run

    report = run(pg_url, workers=2, cases=12, kill=True)
    assert report["killed_worker"] == 0 and report["commands"] > 0
    assert report["deadlines_fired"] == report["notices"] >= 1
    assert (report["double_applied"], report["lost_notices"]) == (0, 0), report


def test_one_update_delivered_to_several_processes_is_applied_once(settings, clock, db_url):
    """Webhooks behind a balancer may hand the same update to two processes: the seen-event record
    (written in the command's transaction) lets one apply it."""
    from bot.messages import Incoming
    from tests.kit.engine import make_engine

    settings.database.url = db_url
    engines = [make_engine(settings, clock) for _ in range(3)]
    update = Incoming(
        "telegram", "-100", "42", "Clara", "/case new Logo amount=300 currency=EUR role=client", message_id="bot:77"
    )
    gate = threading.Barrier(3)
    out: list = [None] * 3

    def handle(i: int) -> None:
        gate.wait()
        out[i] = engines[i].handle_sync(update)

    threads = [threading.Thread(target=handle, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(len(r) for r in out)[:2] == [0, 0] and sum(bool(r) for r in out) == 1
    with engines[0].store.transaction() as s:
        assert [e.action for e in s.exec(select(AuditEntry).where(AuditEntry.action == "case.created"))] == [
            "case.created"
        ]
    for e in engines:
        e.store.close()


def test_discord_shards_are_configured_per_process():
    from bot.adapters.discord import DiscordAdapter, _ShardedClient
    from bot.hub import Hub
    from mediation.config import ConfigError, Settings, load_settings

    settings = Settings()
    settings.discord.shard_count, settings.discord.shard_ids = 4, [1, 3]

    class _Engine:
        registry = None

    adapter = DiscordAdapter(Hub(_Engine()), settings, "token")
    options = dict(adapter.client_options)
    assert options == {} and adapter.config.shard_count == 4
    client = _ShardedClient(adapter, shard_count=4, shard_ids=[1, 3])
    assert (client.shard_count, client.shard_ids) == (4, [1, 3])
    with pytest.raises(ConfigError, match="shard_ids"):
        load_settings(env={}, path=_toml("[discord]\nshard_ids = [5]\nshard_count = 2\n"))


def _toml(text: str) -> str:
    import tempfile

    f = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
    f.write(text)
    f.close()
    return f.name
