"""`mediator loadtest`: N processes over one database play M cases through their lifecycles.

Each worker process runs its own engine and hub (as a bot process would) on an injected clock and
plays its share of the cases: half agree a brief and deliver (their review deadline releases the
payment), half never agree one (their brief deadline cancels them). Then every worker moves its
clock past all the deadlines at the same moment and runs the scheduler, so each deadline is
reachable by every process. The report counts commands/s and latency, and checks the database
for effects applied twice and notices never delivered (both must be 0). With `--kill`, one worker
is SIGKILLed while it is firing deadlines; the others finish its work.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .messages import Address, Incoming, Reply

PLATFORM = "load"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BRIEF = "8 product photos, square 1080x1080 JPG, delivered within 1 week, budget $88."


class RecordingAdapter:
    """A platform that accepts everything, appending each delivered outbox row to a file."""

    platform = PLATFORM

    def __init__(self, hub, log_path: Path):
        from .render import Capabilities

        self.caps = Capabilities(max_length=100_000, buttons=True)
        self.out = log_path.open("a", buffering=1)
        hub.attach(self)

    async def start(self) -> None: ...

    async def stop(self) -> None:
        self.out.close()

    async def send(self, reply: Reply, to: Address) -> None:
        if reply.outbox_id is not None:
            self.out.write(json.dumps({"outbox_id": reply.outbox_id}) + "\n")


async def _worker(db: str, index: int, workers: int, cases: int, files_dir: str, log_path: Path) -> None:
    from mediation.clock import FixedClock
    from mediation.config import Settings
    from mediation.db import Store

    from .bootstrap import bootstrap
    from .engine import Services
    from .hub import Hub

    settings = Settings()
    settings.database.url = db
    settings.storage.files_dir = files_dir
    clock = FixedClock(START)
    engine = bootstrap(settings, clock=clock, store=Store.from_url(db), services=Services(scope=None))
    hub = Hub(engine)
    adapter = RecordingAdapter(hub, log_path)
    latencies: list[float] = []
    created: list[str] = []
    n = 0

    async def say(user: str, chat: str, text: str) -> list[Reply]:
        nonlocal n
        n += 1
        began = time.perf_counter()
        out = await hub.dispatch(
            Incoming(PLATFORM, chat, user, user, text, message_id=f"{log_path.parent.name}-{index}-{n}")
        )
        latencies.append(time.perf_counter() - began)
        return out

    began = time.perf_counter()
    for j in range(index, cases, workers):
        chat = f"g{j}"
        out = await say(f"c{j}", chat, f"/case new Load {j} amount=88 currency=USD role=client")
        case = next(r.data for r in out if r.data.get("type") == "case_created")
        created.append(case["case_id"])
        await say(f"f{j}", chat, f"/case join {case['invite_code']} role=freelancer")
        if j % 2 == 0:
            await say(f"c{j}", chat, f"/brief {BRIEF}")
            await say(f"f{j}", chat, "/brief agree")
            await say(f"f{j}", chat, "/deliver all 8 photos")
        await say(f"c{j}", chat, "/case status")
    played = time.perf_counter() - began
    _emit({"played": len(latencies), "seconds": played, "latencies": latencies, "cases": created})
    for line in sys.stdin:  # the parent says when: all workers cross the deadlines together
        if line.strip() == "go":
            for days in (8, 15):  # past the brief deadlines, then past the review deadlines
                clock.advance(timedelta(days=days))
                await hub.tick()
        elif line.strip() == "sweep":
            await hub.tick()
        else:
            break
        _emit({"ticked": True})
    await adapter.stop()
    engine.store.close()


def _emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def _spawn(db: str, index: int, workers: int, cases: int, tmp: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.loadtest", db, str(index), str(workers), str(cases), str(tmp)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _read(proc: subprocess.Popen) -> dict | None:
    line = proc.stdout.readline()
    return json.loads(line) if line else None


def run(db: str, workers: int, cases: int, kill: bool = False) -> dict:
    """Play the cases and report; the database is migrated first (as a deployment would)."""
    from mediation.db import Store

    Store.from_url(db).close()
    tmp = Path(tempfile.mkdtemp(prefix="mediator-load-"))
    procs = [_spawn(db, i, workers, cases, tmp) for i in range(workers)]
    played = [_read(p) for p in procs]
    if any(p is None for p in played):
        raise RuntimeError("a worker failed before playing its cases")
    killed = None
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    if kill and workers > 1:  # one worker dies while it is firing deadlines and sending notices
        log0 = tmp / "sent-0.jsonl"
        until = time.monotonic() + 30
        while time.monotonic() < until and (not log0.exists() or len(log0.read_text().splitlines()) < 3):
            time.sleep(0.005)
        procs[0].send_signal(signal.SIGKILL)
        procs[0].wait()
        killed = 0
    alive = [p for i, p in enumerate(procs) if i != killed]
    for p in alive:
        _read(p)
    for p in alive:  # a last scheduler pass: what the dead worker held is free again
        p.stdin.write("sweep\n")
        p.stdin.flush()
        _read(p)
    for p in alive:
        p.stdin.close()
        p.wait(timeout=60)
    case_ids = [c for r in played for c in r["cases"]]
    latencies = sorted(x for r in played for x in r["latencies"])
    sent = Counter(
        json.loads(line)["outbox_id"]
        for f in tmp.glob("sent-*.jsonl")
        for line in f.read_text().splitlines()
        if line.strip()
    )
    report = {
        "workers": workers,
        "cases": cases,
        "killed_worker": killed,
        "commands": len(latencies),
        "commands_per_s": round(len(latencies) / max(r["seconds"] for r in played), 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
        **_check(db, case_ids, sent),
    }
    return report


def _check(db: str, case_ids: list[str], sent: Counter) -> dict:
    """Effects applied twice and notices lost, read from the database."""
    from sqlmodel import select

    from mediation.db import Store
    from mediation.models import AuditEntry, OutboxMessage, Timer

    store = Store.from_url(db, migrate=False)
    effects = ("deadline.cancelled", "case.settled", "deadline.reminder", "case.escalated")
    with store.transaction() as s:
        audit = Counter(
            (e.chain, e.action)
            for e in s.exec(select(AuditEntry).where(AuditEntry.chain.in_(case_ids), AuditEntry.action.in_(effects)))
        )
        fired = Counter(
            (t.case_id, t.kind)
            for t in s.exec(select(Timer).where(Timer.case_id.in_(case_ids), Timer.state == "fired"))
        )
        rows = list(s.exec(select(OutboxMessage).where(OutboxMessage.case_id.in_(case_ids))))
    store.close()
    return {
        "deadlines_fired": sum(fired.values()),
        "cancelled": sum(1 for (_, a) in audit if a == "deadline.cancelled"),
        "released": sum(1 for (_, a) in audit if a == "case.settled"),
        "double_applied": sum(n - 1 for n in audit.values() if n > 1) + sum(n - 1 for n in fired.values() if n > 1),
        "notices": len(rows),
        "lost_notices": sum(1 for r in rows if r.state != "delivered" or r.id not in sent),
        "notices_sent_twice": sum(n - 1 for n in sent.values() if n > 1),
    }


if __name__ == "__main__":
    db_url, idx, n_workers, n_cases, folder = sys.argv[1:6]
    asyncio.run(
        _worker(
            db_url,
            int(idx),
            int(n_workers),
            int(n_cases),
            str(Path(folder) / "files"),
            Path(folder) / f"sent-{idx}.jsonl",
        )
    )
