"""Many processes, one database: deadlines fire once, migrations run once, notices go out once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

from sqlmodel import select

from mediation.db import Store
from mediation.models import AuditEntry, Timer

MEDIATOR = [sys.executable, "-m", "bot"]
# the model is never needed here: a missing ONNX export fails fast instead of loading torch
LIGHT_CONFIG = '[nlp]\nbackend = "onnx"\nonnx_path = "no-such-onnx-export"\n'


def light_config(tmp_path: Path) -> str:
    path = tmp_path / "config.toml"
    path.write_text(LIGHT_CONFIG)
    return str(path)


class Console:
    """A `mediator console --json` process: write a line, read its JSON replies up to `done`."""

    def __init__(self, cwd: Path, db: str, config: str):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            MEDIATOR + ["console", "--json", "--db", db, "--config", config],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
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
    from tests.conftest import make_engine

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
