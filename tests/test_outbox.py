"""The outbox per notice: backoff per row, no notice blocks another, waiting for /start, and a
notice that can never arrive is recorded and told to the other side."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.adapters.memory import MemoryAdapter
from bot.messages import Address, Reply, Undeliverable
from mediation import audit
from mediation.clock import as_utc
from mediation.models import OutboxMessage
from tests.kit.engine import make_chat
from tests.kit.replies import expect


async def cross_case(settings, clock, db_url):
    """Maya on the memory platform, Clara in Telegram group "g" (a memory adapter named telegram)."""
    chat = make_chat(settings, clock, db_url)
    tg = MemoryAdapter(chat.hub, platform="telegram")
    created = expect(
        await tg.say("clara", "/case new Logo amount=300 currency=EUR role=client", chat="g"), "case_created"
    )
    await chat.say("maya", f"/case join {created['invite_code']} role=freelancer")
    return chat, tg, created["case_id"]


def rows(chat) -> list[OutboxMessage]:
    with chat.hub.engine.store.transaction() as s:
        return list(s.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def notice(text: str, to: Address, case_id: str | None = None, private: bool = False) -> Reply:
    return Reply(text=text, private=private, data={"type": "deadline", "case_id": case_id}, to=to)


async def test_a_failing_notice_backs_off_on_its_own_and_blocks_no_other(settings, clock, db_url):
    chat, tg, cid = await cross_case(settings, clock, db_url)
    real, failing = tg.send, {"bad"}

    async def send(reply, to):
        if to.chat_id in failing:
            raise ConnectionError("Telegram is having a moment")
        await real(reply, to)

    tg.send = send
    hub = chat.hub
    await hub.deliver(notice("first, to a failing chat", Address("telegram", "bad"), cid))
    for i in range(3):
        await hub.deliver(notice(f"then {i}", Address("telegram", "g"), cid))
    assert [r.state for r in rows(chat)] == ["pending"]  # the others went straight through
    waits = []
    for _ in range(4):  # each failure doubles the wait of that row only
        assert await hub.flush("telegram") == 0
        [row] = [r for r in rows(chat) if r.chat_id == "bad"]
        waits.append((as_utc(row.next_attempt_at) - clock.now()).total_seconds())
        assert await hub.flush("telegram") == 0  # not due again yet
        clock.advance(timedelta(seconds=waits[-1]))
    assert waits == [30, 60, 120, 240]
    # meanwhile new notices are sent at the first pass after they were kept
    failing.add("g2")
    await hub.deliver(notice("kept once", Address("telegram", "g2"), cid))
    failing.discard("g2")
    assert await hub.flush("telegram") == 1
    failing.clear()
    assert await hub.flush("telegram") == 0  # that pass failed it a fifth time: 480 s to wait
    clock.advance(timedelta(seconds=480))
    assert await hub.flush("telegram") == 1  # the first one, on its own schedule
    assert {r.state for r in rows(chat)} == {"delivered"}
    assert [r.text for to, r in tg.sent if to.chat_id == "bad"] == ["first, to a failing chat"]
    chat.hub.engine.store.close()


async def test_a_private_notice_waits_until_its_person_starts_the_bot(settings, clock, db_url):
    chat, tg, cid = await cross_case(settings, clock, db_url)
    real, started = tg.send, set()

    async def send(reply, to):
        if to.user_id and to.user_id not in started:
            raise Undeliverable("needs_start", "bot can't initiate conversation with a user")
        await real(reply, to)

    tg.send = send
    await chat.hub.deliver(notice("your blind offer round ends tomorrow", Address("telegram", "clara", "clara"), cid))
    await chat.hub.deliver(notice("group notice", Address("telegram", "g"), cid))
    assert [r.state for r in rows(chat)] == ["waiting"]
    clock.advance(timedelta(days=2))
    assert await chat.hub.flush("telegram") == 0  # waiting is not retrying
    started.add("clara")
    await tg.say("clara", "/help", private=True)  # Clara presses Start
    assert [r.state for r in rows(chat)] == ["delivered"]
    assert any(r.text == "your blind offer round ends tomorrow" for to, r in tg.sent if to.user_id == "clara")
    chat.hub.engine.store.close()


async def test_a_notice_refused_for_good_is_recorded_and_the_other_party_told(settings, clock, db_url):
    chat, tg, cid = await cross_case(settings, clock, db_url)
    real = tg.send

    async def send(reply, to):
        if to.chat_id == "g":
            raise Undeliverable("gone", "the bot was removed from the group")
        await real(reply, to)

    tg.send = send
    await chat.say("maya", "/brief 3 logo concepts as SVG, 2 revision rounds, within 10 days.")
    [failed] = [r for r in rows(chat) if r.state == "failed"]
    assert failed.chat_id == "g" and failed.case_id == cid
    with chat.hub.engine.store.transaction() as s:
        [entry] = [e for e in audit.entries(s, cid) if e.action == "notice.undeliverable"]
        assert entry.detail["reason"] == "gone" and entry.detail["platform"] == "telegram"
        assert audit.verify(s, cid) == []
    told = [r for r in rows(chat) if r.reply["data"].get("about") == "undeliverable"]
    assert [(r.platform, r.chat_id) for r in told] == [("memory", "chat")]  # Maya's chat
    assert await chat.hub.flush("memory") == 1
    assert "could not deliver" in chat.inbox("chat")[-1].text
    chat.hub.engine.store.close()


async def test_a_notice_failing_past_the_limit_is_given_up_and_reported(settings, clock, db_url):
    settings.outbox.give_up_after_hours = 1
    chat, tg, cid = await cross_case(settings, clock, db_url)

    async def down(reply, to):
        raise ConnectionError("still down")

    tg.send = down
    await chat.hub.deliver(notice("a deadline passed", Address("telegram", "g"), cid))
    for _ in range(10):
        await chat.hub.flush("telegram")
        clock.advance(timedelta(minutes=20))
    [row] = [r for r in rows(chat) if r.platform == "telegram"]
    assert row.state == "failed" and row.attempts >= 3
    with chat.hub.engine.store.transaction() as s:
        assert [e.detail["reason"] for e in audit.entries(s, cid) if e.action == "notice.undeliverable"] == [
            "retried too long"
        ]
    chat.hub.engine.store.close()
