"""Discord the way its communities expect: message scanning (with the message-content intent, or the
"Check against brief" message menu without it), a private thread per case, moderator tools, and quiet
housekeeping. The real discord.py against the local fake Discord, the real engine behind it."""

from __future__ import annotations

import asyncio
import re

from sqlmodel import select

from bot.adapters.discord import CHECK_MENU
from mediation.models import AuditEntry, ChangeRequest, ChatBinding
from tests.discord_fixtures import *  # noqa: F403  (fixtures)
from tests.discord_fixtures import (
    CLARA,
    MAYA,
    MOD,
    STRANGER,
    World,
    ask,
    channel_posts,
    shown,
    start_adapter,
    unescape,
)
from tests.fake_discord import BOT_ID, CHANNEL_ID, GUILD_MESSAGES_INTENT, MESSAGE_CONTENT_INTENT

BRIEF = (
    "8 product pictures of handmade soaps for Instagram, flat lay, natural light, square 1080x1080 JPG. "
    "2 samples first for approval, then the remaining 6. Budget $88, delivery within 1 week."
)
OUT_OF_SCOPE = (
    "Got all 8, but honestly I wanted pictures with people in them, a model holding the soap outside "
    "in a garden. Can you redo them like that?"
)


async def agreed_case(world, channel_id: int = CHANNEL_ID) -> str:
    """maya opens a case, clara joins, both agree the brief; returns the case id."""
    fake = world.fake
    [created] = await ask(
        fake,
        MAYA,
        "case new",
        channel_id=channel_id,
        title="Soap photos",
        amount="88",
        currency="USD",
        role="freelancer",
    )
    cid = re.search(r"Case (C\w+)", created.text).group(1)
    code = re.search(r"code: (\S+)", created.text).group(1)
    await ask(fake, CLARA, "case join", channel_id=channel_id, code=code, role="client")
    await ask(fake, CLARA, "brief propose", channel_id=channel_id, text=BRIEF)
    agreed = await ask(fake, MAYA, "brief agree", channel_id=channel_id)
    assert "The brief is agreed" in agreed[0].text
    return cid


async def until(predicate, timeout: float = 30.0) -> None:
    """Polls for what leaves no trace at the fake (database rows)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def requests_of(world, cid: str) -> list[ChangeRequest]:
    with world.hub.engine.store.transaction() as s:
        return list(s.exec(select(ChangeRequest).where(ChangeRequest.case_id == cid)))


def audit_of(world, cid: str, action: str) -> list[AuditEntry]:
    with world.hub.engine.store.transaction() as s:
        return list(s.exec(select(AuditEntry).where(AuditEntry.chain == cid, AuditEntry.action == action)))


async def restarted(world, settings, **discord) -> World:
    """The same engine and fake with another adapter (other [discord] settings)."""
    await world.adapter.stop()
    for k, v in discord.items():
        setattr(settings.discord, k, v)
    world.adapter = await start_adapter(world.hub, settings, world.fake)
    return world


# -- 1. scanning


async def test_with_the_message_content_intent_the_clients_plain_messages_are_scanned(world, settings):
    fake = world.fake
    assert not fake.intents & MESSAGE_CONTENT_INTENT  # off by default: no privileged intent asked for
    await restarted(world, settings, message_content=True)
    assert fake.intents & MESSAGE_CONTENT_INTENT and fake.intents & GUILD_MESSAGES_INTENT
    cid = await agreed_case(world)

    since = len(fake.calls)
    msg = await fake.post(CLARA, OUT_OF_SCOPE)
    post = await fake.wait_for(lambda: channel_posts(fake, CHANNEL_ID, since), timeout=60)  # the model loads
    body = post[0].json
    assert "goes beyond the brief" in unescape(str(body))
    assert body["message_reference"]["message_id"] == int(msg["id"])  # a Discord reply to the message
    assert body["allowed_mentions"]["replied_user"] is False
    [req] = requests_of(world, cid)
    assert req.source == "chat" and req.text == OUT_OF_SCOPE

    # the freelancer's words and a stranger's are kept or ignored, never flagged; commands are not run
    since = len(fake.calls)
    await fake.post(MAYA, "Happy to quote a people shoot as new work.")
    await fake.post(STRANGER, "I want pictures with models in them too")
    await fake.post(CLARA, "/case new Hijack amount=1 currency=USD role=client")
    await fake.post(CLARA, "Thanks, the flat lays look great.")
    await until(lambda: len(audit_of(world, cid, "message")) >= 3)
    assert not channel_posts(fake, CHANNEL_ID, since) and len(requests_of(world, cid)) == 1
    texts = [e.detail["text"] for e in audit_of(world, cid, "message")]
    assert "I want pictures with models in them too" not in texts and not any(t.startswith("/") for t in texts)


async def test_without_the_intent_the_message_menu_checks_a_chosen_message(world):
    fake = world.fake
    assert any(c["name"] == CHECK_MENU and c["type"] == 3 for c in fake.commands)
    cid = await agreed_case(world)
    msg = await fake.post(CLARA, OUT_OF_SCOPE)  # the adapter does not read it: no intent
    since = len(fake.calls)

    # the freelancer points at the client's message: it is checked as the client's words
    iid = await fake.menu(MAYA, msg["id"], CHECK_MENU)
    answer = shown(await fake.settled(iid))
    assert answer[-1].ephemeral and "goes beyond the brief" in answer[-1].text
    [flag] = channel_posts(fake, CHANNEL_ID, since)
    assert "Kept as change request" in unescape(str(flag.json))
    assert flag.json["message_reference"]["message_id"] == int(msg["id"])
    [req] = requests_of(world, cid)
    assert req.text == OUT_OF_SCOPE
    [kept] = audit_of(world, cid, "message")
    assert kept.actor == f"discord:{CLARA.id}" and kept.detail["checked_by"] == f"discord:{MAYA.id}"

    # checked once: asking again changes nothing
    again = shown(await fake.settled(await fake.menu(CLARA, msg["id"], CHECK_MENU)))
    assert again[-1].ephemeral and "checked already" in again[-1].text
    assert len(requests_of(world, cid)) == 1

    # an in-scope message gets its verdict privately; a command-looking one is not run
    ok = await fake.post(CLARA, "Could you send the 2 samples as JPG first?")
    verdict = shown(await fake.settled(await fake.menu(MAYA, ok["id"], CHECK_MENU)))
    assert verdict[-1].ephemeral and "within the brief" in verdict[-1].text
    cmd = await fake.post(CLARA, "/mod decide X release_full reason=x")
    refused = shown(await fake.settled(await fake.menu(MAYA, cmd["id"], CHECK_MENU)))
    assert refused[-1].ephemeral and "reads as a command" in refused[-1].text


# -- 2. one case per place


def thread_posts(fake, thread_id: str, since: int = 0) -> list[str]:
    return [unescape(str(c.json)) for c in channel_posts(fake, int(thread_id), since)]


async def test_case_new_opens_a_private_thread_per_case_and_join_leads_into_it(world, settings):
    fake = world.fake
    settings.moderators["discord"] = [str(MOD.id)]
    await restarted(world, settings, case_threads=True)

    opened = await ask(fake, MAYA, "case new", title="Soap photos", amount="88", currency="USD", role="freelancer")
    [(tid, thread)] = fake.threads.items()
    assert thread["type"] == 12 and thread["thread_metadata"]["invitable"] is False
    assert thread["parent_id"] == str(CHANNEL_ID) and "Soap photos" in thread["name"]
    assert opened[0].ephemeral and f"<#{tid}>" in opened[0].body["content"]
    assert fake.thread_members[tid] == {BOT_ID, MAYA.id, MOD.id}  # the parties and the moderators
    [created] = thread_posts(fake, tid)
    code = re.search(r"code: ([A-Z0-9]{5}-[A-Z0-9]{5})", created).group(1)

    # a second case in the same channel gets a thread of its own: nothing is taken over
    await ask(fake, MAYA, "case new", title="Logo", amount="300", currency="EUR", role="freelancer")
    assert len(fake.threads) == 2
    with world.hub.engine.store.transaction() as s:
        bound = {b.chat_id: b.case_id for b in s.exec(select(ChatBinding))}
    assert set(bound) == set(fake.threads) and len(set(bound.values())) == 2

    # the client joins from the channel: into the case's thread, no new one
    since = len(fake.calls)
    joined = await ask(fake, CLARA, "case join", code=code, role="client")
    assert joined[0].ephemeral and f"<#{tid}>" in joined[0].body["content"]
    assert CLARA.id in fake.thread_members[tid] and len(fake.threads) == 2
    assert any("Clara joined case" in p for p in thread_posts(fake, tid, since))

    # inside the thread, the case is the thread's: a second /case new there offers the way out
    [refusal] = await ask(
        fake, MAYA, "case new", channel_id=int(tid), title="More", amount="5", currency="USD", role="freelancer"
    )
    assert refusal.ephemeral and "already holds case" in refusal.text and len(fake.threads) == 2
    status = await ask(fake, CLARA, "case status", channel_id=int(tid))
    assert "Soap photos" in status[0].text and not status[0].ephemeral

    # a case that is refused leaves no empty thread behind
    bad = await ask(fake, MAYA, "case new", title="Nope", amount="5", currency="XYZ", role="freelancer")
    assert bad[-1].ephemeral and "XYZ" in bad[-1].text and len(fake.threads) == 2
