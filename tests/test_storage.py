"""Storage contract: the same tests on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import select

from mediation import audit
from mediation.db import Store, head_revision, upgrade
from mediation.models import AuditEntry, Case
from tests.kit import case_at


async def test_lifecycle_persists_across_a_restart(new_chat, db_url):
    first = new_chat(db_url)
    created = await case_at(first)
    await first.say("maya", "/deliver 8 pictures")
    first.hub.engine.store.close()

    second = new_chat(db_url)  # a new process on the same database
    status = (await second.say("clara", f"/case status {created['case_id']}")).expect("case_status")
    assert status["brief_agreed"] is True and status["deliveries"] == 1 and status["status"] == "delivered"
    assert (await second.say("clara", "/approve all 8")).expect("approval")["what"] == "all 8"


async def test_a_crash_mid_command_leaves_the_previous_state(new_chat, db_url, monkeypatch):
    chat = new_chat(db_url)
    created = await case_at(chat)
    from mediation import cases

    real = cases.deliver

    def deliver_then_crash(*args, **kwargs):
        real(*args, **kwargs)  # rows and audit entry written in the transaction...
        raise RuntimeError("power cut")  # ...then the process dies before commit

    monkeypatch.setattr(cases, "deliver", deliver_then_crash)
    err = (await chat.say("maya", "/deliver 8 pictures")).expect("error")
    assert err["code"] == "internal" and "power cut" not in err["message"]
    monkeypatch.undo()
    status = (await chat.say("maya", f"/case status {created['case_id']}")).expect("case_status")
    assert status["deliveries"] == 0 and status["status"] == "active"
    with chat.hub.engine.store.transaction() as s:
        actions = [e.action for e in audit.entries(s, created["case_id"])]
        assert "delivery.added" not in actions
        assert audit.verify(s) == []


async def test_audit_chain_detects_edits_and_deletions(new_chat, db_url):
    chat = new_chat(db_url)
    created = await case_at(chat)
    cid = created["case_id"]
    await chat.say("stranger", f"/deliver fake case={cid}", chat="x")  # refused: kept as evidence
    store = chat.hub.engine.store
    with store.transaction() as s:
        entries = audit.entries(s, cid)
        assert [e.action for e in entries][:2] == ["case.created", "case.joined"]
        assert entries[-1].action == "refused" and entries[-1].detail["code"] == "not_a_party"
        assert audit.verify(s, cid) == []
    with store.engine.begin() as c:  # someone edits history behind the bot's back
        c.execute(
            text("UPDATE auditentry SET detail = :d WHERE chain = :c AND seq = 1"),
            {"d": '{"title": "other", "amount": "1", "currency": "USD", "role": "client"}', "c": cid},
        )
    with store.transaction() as s:
        problems = audit.verify(s, cid)
        assert [(p.seq, p.problem.split(" (")[0]) for p in problems] == [
            (1, "content was changed after it was written")
        ]
    with store.engine.begin() as c:
        c.execute(text("DELETE FROM auditentry WHERE chain = :c AND seq = 2"), {"c": cid})
    with store.transaction() as s:
        assert any("missing" in p.problem for p in audit.verify(s, cid))


def test_migrations_create_every_table_and_are_idempotent(db_url):
    store = Store.from_url(db_url)
    upgrade(store.engine)  # a second upgrade is a no-op
    with store.transaction() as s:
        assert s.exec(select(Case)).all() == []
        assert s.exec(select(AuditEntry)).all() == []
        assert s.exec(text("SELECT version_num FROM alembic_version")).one()[0] == head_revision() == "0006"
    store.close()


async def test_two_commands_on_one_case_at_once_both_apply(new_chat, db_url):
    """Parties in different chats (or platforms) act at the same moment: they take turns, nothing fails."""
    import asyncio

    from bot.messages import Incoming

    chat = new_chat(db_url)
    created = await case_at(chat)
    cid = created["case_id"]
    engine = chat.hub.engine

    def say(user, text, chat_id):
        return Incoming(platform="memory", chat_id=chat_id, user_id=user, user_name=user, text=text)

    for round_ in range(5):
        results = await asyncio.gather(
            engine.handle(say("maya", f"/deliver part {round_} case={cid}", "a")),
            engine.handle(say("clara", f"/approve part {round_} case={cid}", "b")),
            engine.handle(say("clara", f"/request tweak {round_} case={cid}", "c")),
        )
        assert all(r and r[0].data["type"] != "error" for r in results), [r[0].data for r in results]
    with engine.store.transaction() as s:
        assert audit.verify(s, cid) == []
    status = (await chat.say("maya", f"/case status {cid}")).expect("case_status")
    assert (status["deliveries"], status["approvals"], status["requests"]) == (5, 5, 5)
