"""Telegram the way its groups expect: a group upgraded to a supergroup keeps its case, one case per
group, onboarding by deep links and buttons. The real python-telegram-bot against the fake Bot API."""

from __future__ import annotations

from sqlmodel import select

from bot.messages import Address, Reply
from mediation.chats import CHAT_MOVED
from mediation.models import AuditEntry, CaseMember, ChatBinding, OutboxMessage
from mediation.vocabulary import ReplyKind
from tests.telegram_fixtures import start_rig  # noqa: F401 (fixture)
from tests.test_telegram import BRIEF, GROUP, open_case, people  # noqa: F401 (fixture)

SUPERGROUP = -1001234567890
OUT_OF_SCOPE = (
    "Got all 8, but honestly I wanted pictures with people in them, a model holding the soap outside "
    "in a garden. Can you redo them like that?"
)


def rows(rig, model, **where):
    with rig.hub.engine.store.transaction() as s:
        q = select(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return list(s.exec(q))


async def test_a_group_upgraded_to_a_supergroup_keeps_its_case_and_its_waiting_notices(start_rig, people):
    rig = await start_rig()
    f = rig.fake
    maya, clara, _, group = people(f)
    created = await open_case(rig, maya, clara, group)
    cid = created["case_id"]
    # a notice for the group waits in the outbox (Telegram was unreachable a moment ago)
    await rig.hub.keep(
        Reply(
            text="Reminder: the brief is agreed.", data={"type": ReplyKind.NOTICE}, to=Address("telegram", str(GROUP))
        )
    )

    # the group is upgraded: Telegram says so in the old chat, then again in the new one
    supergroup = f.group(SUPERGROUP, "Soap photos")
    await rig.say(f.message(group, maya, None, migrate_to_chat_id=SUPERGROUP))
    await rig.say(f.message(supergroup, maya, None, migrate_from_chat_id=GROUP))

    [binding] = rows(rig, ChatBinding, case_id=cid)
    assert binding.chat_id == str(SUPERGROUP)
    assert {m.chat_id for m in rows(rig, CaseMember, case_id=cid)} == {str(SUPERGROUP)}
    [waiting] = rows(rig, OutboxMessage)
    assert waiting.chat_id == str(SUPERGROUP)
    [moved] = rows(rig, AuditEntry, chain=cid, action=CHAT_MOVED)  # recorded once, though announced twice
    assert moved.detail == {"platform": "telegram", "from": str(GROUP), "to": str(SUPERGROUP), "notices": 1}

    # the waiting notice goes to the new chat, and the client's words there are still scanned
    assert await rig.hub.flush("telegram") == 1
    assert "Reminder" in f.sent(SUPERGROUP)[-1].text
    await rig.say(f.message(supergroup, clara, OUT_OF_SCOPE), timeout=60)  # the model loads on first use
    flag = rig.data("scope")
    assert flag["case_id"] == cid and flag["out_of_scope"] is True
    assert "goes beyond the brief" in f.sent(SUPERGROUP)[-1].text
    await rig.say(f.message(supergroup, maya, "/case status"))
    assert rig.data("case_status")["case_id"] == cid


async def test_a_reply_refused_because_the_group_migrated_moves_the_case_too(start_rig, people):
    rig = await start_rig()
    f = rig.fake
    maya, clara, _, group = people(f)
    created = await open_case(rig, maya, clara, group, agree=False)
    f.fail("sendMessage", 400, "Bad Request: group chat was upgraded to a supergroup chat", migrate_to=SUPERGROUP)
    await rig.say(f.message(group, maya, "/case status"))
    assert f.sent(SUPERGROUP)  # the reply followed the group
    [binding] = rows(rig, ChatBinding, case_id=created["case_id"])
    assert binding.chat_id == str(SUPERGROUP)
