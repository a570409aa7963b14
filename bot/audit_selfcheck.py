"""Tampering drills for the audit trail: play a story, edit the database behind the bot's back in
each way an insider might, and count how many of those edits `audit verify` catches.

    mediator audit selfcheck

The story has three cases: one decided by a moderator (brief amended and agreed, files delivered
and approved, a change request, proposals voted on, blind offers, an escalation, a moderator's
note and decision), one settled by agreement, and one still waiting for the client's review (a
pending deadline, then a refused command as its newest entry). Each scenario is plain SQL, as
someone with write access to the database, and the source code, but not the audit key, would run.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import Session, select

from mediation import audit
from mediation.clock import FixedClock
from mediation.config import Settings
from mediation.db import Store
from mediation.models import AuditEntry, AuditHead

from .engine import Engine, Services
from .messages import Attachment, Incoming

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BRIEF = "A logo in 3 colour variants as SVG and PNG, 2 revision rounds, within 10 days. Budget 200 USD."


@dataclass
class Story:
    decided: str  # a case a moderator decided
    settled: str  # a case the parties settled by accepting the same proposal
    pending: str  # a delivered case waiting for the client's review; its newest entry is a refusal


def build_engine(settings: Settings, clock: FixedClock, store: Store) -> Engine:
    from .bootstrap import bootstrap

    engine = bootstrap(settings, clock=clock, store=store, services=Services(scope=_NoModel()))
    engine.services.scope = None  # the drills need no language model: requests are kept unclassified
    engine.chat_hooks.clear()
    return engine


class _NoModel:
    def preload(self) -> None:
        pass


def play(engine: Engine, clock: FixedClock, files_dir: Path) -> Story:
    """The three cases, through the same commands people type."""

    def say(user: str, line: str, chat: str = "chat", files: list[Path] | None = None, kind: str = "") -> dict:
        replies = engine.handle_sync(
            Incoming(
                platform="console",
                chat_id=chat,
                user_id=user,
                user_name=user.capitalize(),
                text=line,
                attachments=[Attachment(name=p.name, path=str(p)) for p in files or []],
            )
        )
        found = [r.data for r in replies if not kind or r.data.get("type") == kind]
        if not found or (found[0].get("type") == "error" and not user.startswith("stranger")):
            raise RuntimeError(f"the drill story broke at {line!r}: {[r.data for r in replies]}")
        return found[0]

    files_dir.mkdir(parents=True, exist_ok=True)
    art = []
    for n in (1, 2):
        p = files_dir / f"logo-{n}.svg"
        p.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="{n}00" height="100"></svg>', encoding="utf-8")
        art.append(p)

    def opened(tag: str, chat: str) -> str:
        created = say(
            f"f{tag}", f"/case new Logo {tag} amount=200 currency=USD role=freelancer", chat, kind="case_created"
        )
        say(f"c{tag}", f"/case join {created['invite_code']} role=client", chat)
        say(f"c{tag}", f"/brief {BRIEF}", chat)
        say(f"f{tag}", f"/brief {BRIEF} Source files included.", chat)  # an amendment: version 2
        say(f"c{tag}", "/brief agree", chat)
        say(f"f{tag}", "/deliver first concepts", chat, files=art)
        return created["case_id"]

    decided = opened("a", "chat-a")
    say("ca", "/approve concept 2", "chat-a")
    say("ca", "/request add a fourth colour variant", "chat-a")
    clock.advance(timedelta(days=1))
    proposals = say("ca", "/dispute the colours are not what I asked for", "chat-a", kind="proposals")["items"]
    say("ca", f"/accept {proposals[-1]['id']}", "chat-a")
    say("fa", f"/reject {proposals[-1]['id']} the brief is met", "chat-a")
    say("ca", "/offer 150", "chat-a")
    say("fa", "/offer 20", "chat-a")
    say("fa", "/escalate we cannot agree", "chat-a")
    say("mod", f"/mod take {decided}", "mod")
    say("mod", f"/mod note {decided} the client approved concept 2 before the dispute", "mod")
    say("mod", f"/mod decide {decided} partial_refund 120 reason=one of three variants is off-brief", "mod")

    settled = opened("b", "chat-b")
    first = say("cb", "/dispute I expected something else", "chat-b", kind="proposals")["items"][0]["id"]
    say("cb", f"/accept {first}", "chat-b")
    say("fb", f"/accept {first}", "chat-b")

    pending = opened("c", "chat-c")
    say("strangerc", f"/deliver not mine case={pending}", "chat-x")  # refused, and kept as evidence
    return Story(decided, settled, pending)


# --- what an insider with the database and the source code, but not the key, can do -------------


def _one(conn: Connection, sql: str, **params):
    return conn.execute(text(sql), params).first()


def _forge_chain(conn: Connection, chain: str) -> None:
    """Recompute every entry of a chain, the case's state digest and the head with the published
    algorithm, as an attacker without the key has to: the key can only be guessed."""
    guess = b"not the key, but the attacker's best guess at it"
    raw = getattr(conn, "raw", conn)
    with Session(bind=raw) as s:
        state = audit.state_digest(s, chain)
        rows = list(s.exec(select(AuditEntry).where(AuditEntry.chain == chain).order_by(AuditEntry.seq)))
        prev = audit.GENESIS
        for e in rows:
            e.prev_hash, e.state = prev, state
            e.hash = audit.entry_hash(guess, e)
            prev = e.hash
        head = s.get(AuditHead, chain)
        head.seq, head.hash, head.state, head.legacy_until = rows[-1].seq, prev, state, 0
        head.mac = audit.head_mac(guess, head)
        s.flush()


def _cut_tail(conn: Connection, chain: str) -> None:
    """Delete the newest entry and point the head at the one before, as if it never happened."""
    last = _one(conn, "SELECT MAX(seq) AS seq FROM auditentry WHERE chain = :c", c=chain).seq
    conn.execute(text("DELETE FROM auditentry WHERE chain = :c AND seq = :s"), {"c": chain, "s": last})
    before = _one(conn, "SELECT seq, hash FROM auditentry WHERE chain = :c AND seq = :s", c=chain, s=last - 1)
    conn.execute(
        text("UPDATE audithead SET seq = :s, hash = :h WHERE chain = :c"),
        {"s": before.seq, "h": before.hash, "c": chain},
    )


def _swap_roles(conn: Connection, case_id: str) -> None:
    for a, b in (("client", "swap"), ("freelancer", "client"), ("swap", "freelancer")):
        conn.execute(
            text("UPDATE casemember SET role = :b WHERE case_id = :c AND role = :a"), {"a": a, "b": b, "c": case_id}
        )


def _sql(sql: str, case: str = "decided") -> Callable[[Connection, Story], None]:
    return lambda conn, story: conn.execute(text(sql), {"c": getattr(story, case)})


@dataclass
class Scenario:
    name: str
    what: str
    apply: Callable[[Connection, Story], None]
    limit: bool = False  # beyond what verify can see, by design (README: what it cannot prove)


SCENARIOS: list[Scenario] = [
    Scenario(
        "case_amount", "the contract amount edited in place", _sql("UPDATE \"case\" SET amount = '5.00' WHERE id = :c")
    ),
    Scenario("case_status", "a decided case reopened", _sql("UPDATE \"case\" SET status = 'disputed' WHERE id = :c")),
    Scenario(
        "decision",
        "the moderator's decision changed",
        _sql("UPDATE decision SET outcome = 'full_refund', amount = '200.00' WHERE case_id = :c"),
    ),
    Scenario(
        "offer",
        "a blind offer changed",
        _sql("UPDATE offer SET amount = '1.00' WHERE case_id = :c AND role = 'client'"),
    ),
    Scenario(
        "brief_text",
        "the agreed brief rewritten",
        _sql("UPDATE briefversion SET text = 'A logo in 10 colour variants.' WHERE case_id = :c"),
    ),
    Scenario(
        "note",
        "a moderator's private note rewritten",
        _sql("UPDATE moderatornote SET text = 'the client never approved anything' WHERE case_id = :c"),
    ),
    Scenario("member_role", "client and freelancer swapped", lambda conn, story: _swap_roles(conn, story.decided)),
    Scenario(
        "member_chat",
        "a party's notices redirected to another chat",
        _sql("UPDATE casemember SET chat_id = 'elsewhere' WHERE case_id = :c AND role = 'client'"),
    ),
    Scenario(
        "file_hash",
        "a delivered file's SHA-256 replaced",
        _sql(
            "UPDATE deliveryfile SET sha256 = :h WHERE delivery_id IN (SELECT id FROM delivery WHERE case_id = :c)".replace(
                ":h", "'" + "0" * 64 + "'"
            )
        ),
    ),
    Scenario(
        "delivery_note",
        "a delivery note rewritten",
        _sql("UPDATE delivery SET note = 'final files' WHERE case_id = :c"),
    ),
    Scenario(
        "proposal",
        "a proposal's terms changed",
        _sql("UPDATE proposal SET kind = 'full_refund' WHERE case_id = :c"),
    ),
    Scenario(
        "vote",
        "a rejection turned into an acceptance",
        _sql(
            "UPDATE proposalvote SET accepted = true WHERE proposal_id IN (SELECT id FROM proposal WHERE case_id = :c)"
        ),
    ),
    Scenario(
        "escalation",
        "the escalation's reason rewritten",
        _sql("UPDATE escalation SET reason = 'the freelancer vanished' WHERE case_id = :c"),
    ),
    Scenario(
        "agreement",
        "the settled terms changed",
        _sql("UPDATE agreement SET kind = 'full_refund' WHERE case_id = :c", "settled"),
    ),
    Scenario(
        "timer",
        "a pending deadline moved forward (an early release)",
        _sql(
            "UPDATE timer SET due_at = due_at - INTERVAL '13 days' WHERE case_id = :c AND state = 'pending'", "pending"
        ),
    ),
    Scenario(
        "insert_row",
        "an approval that never happened inserted",
        lambda conn, story: conn.execute(
            text(
                "INSERT INTO approval (case_id, party_id, what, created_at) "
                "SELECT case_id, party_id, 'everything, final', created_at FROM approval WHERE case_id = :c"
            ),
            {"c": story.decided},
        ),
    ),
    Scenario("delete_row", "a change request deleted", _sql("DELETE FROM changerequest WHERE case_id = :c")),
    Scenario(
        "entry_edit",
        "an audit entry edited",
        _sql("UPDATE auditentry SET actor = 'console:mod' WHERE chain = :c AND seq = 2"),
    ),
    Scenario(
        "entry_delete",
        "an audit entry deleted from the middle",
        _sql("DELETE FROM auditentry WHERE chain = :c AND seq = 3"),
    ),
    Scenario(
        "tail_delete",
        "the newest audit entry deleted",
        _sql("DELETE FROM auditentry WHERE chain = :c AND seq = (SELECT MAX(seq) FROM auditentry WHERE chain = :c)"),
    ),
    Scenario(
        "tail_cut",
        "the newest entry deleted and the head moved back",
        lambda conn, story: _cut_tail(conn, story.decided),
    ),
    Scenario(
        "tail_cut_quiet",
        "a refusal deleted and the head moved back (the state did not change)",
        lambda conn, story: _cut_tail(conn, story.pending),
    ),
    Scenario(
        "head_delete",
        "the head row of a chain deleted",
        _sql("DELETE FROM audithead WHERE chain = :c"),
    ),
    Scenario(
        "rechain",
        "the amount edited and the whole chain recomputed without the key",
        lambda conn, story: (
            conn.execute(text("UPDATE \"case\" SET amount = '5.00' WHERE id = :c"), {"c": story.decided}),
            _forge_chain(conn, story.decided),
        ),
    ),
    Scenario(
        "whole_case",
        "a whole case deleted with its chain and head",
        lambda conn, story: _delete_case(conn, story.settled),
        limit=True,
    ),
]


def _delete_case(conn: Connection, case_id: str) -> None:
    p = {"c": case_id}
    proposals = "SELECT id FROM proposal WHERE case_id = :c"
    deliveries = "SELECT id FROM delivery WHERE case_id = :c"
    for sql in (
        f"DELETE FROM proposalvote WHERE proposal_id IN ({proposals})",
        "DELETE FROM agreement WHERE case_id = :c",
        "DELETE FROM proposal WHERE case_id = :c",
        f"DELETE FROM deliveryfile WHERE delivery_id IN ({deliveries})",
        "DELETE FROM approval WHERE case_id = :c",
        "DELETE FROM delivery WHERE case_id = :c",
        *(
            f"DELETE FROM {t} WHERE case_id = :c"
            for t in ("decision", "escalation", "moderatornote", "offer", "timer", "changerequest", "briefversion")
        ),
        "DELETE FROM casemember WHERE case_id = :c",
        "DELETE FROM chatbinding WHERE case_id = :c",
        'DELETE FROM "case" WHERE id = :c',
        "DELETE FROM auditentry WHERE chain = :c",
        "DELETE FROM audithead WHERE chain = :c",
    ):
        conn.execute(text(sql), p)


def detected(store: Store, story: Story, scenario: Scenario) -> list[str]:
    """Apply one scenario to the store's database and return what verify reports."""
    with store.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        tampered = _Dialect(conn)
        scenario.apply(tampered, story)
        if not tampered.rows:
            raise RuntimeError(f"scenario {scenario.name} changed nothing")
    with store.transaction() as s:
        return [f"{p.chain} entry {p.seq}: {p.problem}" for p in audit.verify(s)]


class _Dialect:
    """The scenarios' SQL is PostgreSQL's; on SQLite the one interval expression is translated."""

    def __init__(self, conn: Connection):
        self._conn = conn
        self.raw = conn
        self.dialect = conn.dialect

        self.rows = 0

    def execute(self, clause, params=None):
        if self._conn.dialect.name == "sqlite" and "INTERVAL" in str(clause):
            sql = str(clause).replace("due_at - INTERVAL '13 days'", "datetime(due_at, '-13 days')")
            clause = text(sql)
        result = self._conn.execute(clause, params or {})
        if result.rowcount and result.rowcount > 0:
            self.rows += result.rowcount
        return result


@dataclass
class Result:
    scenario: Scenario
    problems: list[str]

    @property
    def detected(self) -> bool:
        return bool(self.problems)


def run(settings: Settings | None = None) -> tuple[list[Result], list[str]]:
    """Play the story once on a scratch SQLite database, then each scenario on a copy of it.
    Returns the results and what verify says about the untouched copy (which should be nothing)."""
    with tempfile.TemporaryDirectory(prefix="mediator-selfcheck-") as tmp:
        root = Path(tmp)
        base = root / "base"
        base.mkdir()
        settings = settings.model_copy(deep=True) if settings else Settings()
        settings.database.url = f"sqlite:///{base / 'mediator.db'}"
        settings.storage.files_dir = str(base / "files")
        settings.moderators["console"] = ["mod"]
        clock = FixedClock(START)
        store = Store.from_url(settings.database.url)
        story = play(build_engine(settings, clock, store), clock, base / "art")
        store.close()
        clean = _on_copy(root, base, "clean", lambda store: _verify_all(store))
        results = [
            Result(sc, _on_copy(root, base, sc.name, lambda store, sc=sc: detected(store, story, sc)))
            for sc in SCENARIOS
        ]
    return results, clean


def _verify_all(store: Store) -> list[str]:
    with store.transaction() as s:
        return [f"{p.chain} entry {p.seq}: {p.problem}" for p in audit.verify(s)]


def _on_copy(root: Path, base: Path, name: str, fn: Callable[[Store], list[str]]) -> list[str]:
    folder = root / name
    shutil.copytree(base, folder)
    store = Store.from_url(f"sqlite:///{folder / 'mediator.db'}")
    try:
        return fn(store)
    finally:
        store.close()
