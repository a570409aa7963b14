"""Discord the way its communities expect: message scanning (with the message-content intent, or the
"Check against brief" message menu without it), a private thread per case, moderator tools, and quiet
housekeeping. The real discord.py against the local fake Discord, the real engine behind it."""

from __future__ import annotations

import asyncio
import re

import discord
from discord import app_commands
from sqlmodel import select

from bot.adapters.discord import CHECK_MENU, DiscordAdapter
from mediation.models import AuditEntry, ChangeRequest, ChatBinding
from tests.kit.discord import (
    CLARA,
    MAYA,
    MEMBER,
    MOD,
    STRANGER,
    DiscordDriver,
    Shown,
    ask,
    channel_posts,
    message_with_button,
    press,
    shown,
    start_adapter,
    unescape,
)
from tests.kit.fake_discord import (
    BOT_ID,
    CHANNEL_ID,
    GUILD_MESSAGES_INTENT,
    MESSAGE_CONTENT_INTENT,
    MOD_CHANNEL_ID,
    OTHER_CHANNEL_ID,
)

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


async def restarted(world, settings, **discord) -> DiscordDriver:
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
    answer = shown(await fake.settled(iid, timeout=60))  # the model loads on first use
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
    ok = await fake.post(CLARA, "Could you send the samples as JPG?")
    verdict = shown(await fake.settled(await fake.menu(MAYA, ok["id"], CHECK_MENU)))
    assert verdict[-1].ephemeral and "within the brief" in verdict[-1].text
    cmd = await fake.post(CLARA, "/mod decide X release_full reason=x")
    refused = shown(await fake.settled(await fake.menu(MAYA, cmd["id"], CHECK_MENU)))
    assert refused[-1].ephemeral and "reads as a command" in refused[-1].text


# -- 2. one case per place


def thread_posts(fake, thread_id: str, since: int = 0) -> list[str]:
    return [Shown(c.json, False).text for c in channel_posts(fake, int(thread_id), since)]


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
        # the chats' own bindings (each person's current case is kept in rows of its own)
        bound = {b.chat_id: b.case_id for b in s.exec(select(ChatBinding)) if "#user:" not in b.chat_id}
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


# -- 5. moderators


async def test_moderator_tools_hidden_take_greys_out_the_channel_follows_the_queue(world):
    fake = world.fake
    mod_cmd = next(c for c in fake.commands if c["name"] == "mod")
    assert int(mod_cmd["default_member_permissions"]) == 1 << 13  # Manage Messages: hidden from members
    refused = await ask(fake, MEMBER, "mod queue", channel_id=MOD_CHANNEL_ID)  # still checked server-side
    assert refused[0].ephemeral and "Only moderators" in refused[0].text

    cid = await agreed_case(world)
    await ask(fake, CLARA, "escalate", reason="she went silent")
    post_id = message_with_button(fake, "Take", MOD_CHANNEL_ID)

    # the moderator takes it from the post: the post now says who, and Take is greyed out
    since = len(fake.calls)
    taken = await press(fake, MOD, post_id, "Take")
    assert "is now handling case" in taken[0].text
    edits = [c for c in fake.calls[since:] if c.method == "PATCH" and c.path.endswith(f"/messages/{post_id}")]
    assert len(edits) == 1
    post = fake.messages[post_id]
    buttons = {b["label"]: b for row in post["components"] for b in row["components"]}
    assert buttons["Take"].get("disabled") is True and not buttons["Open case file"].get("disabled")
    assert post["embeds"][0]["title"].endswith("· taken") and "Morgan" in post["embeds"][0]["description"]
    again = await press(fake, STRANGER, post_id, "Open case file")
    assert again[0].ephemeral

    # the case file comes as a Markdown document, privately
    iid = await fake.slash(MOD, "mod case", channel_id=MOD_CHANNEL_ID, case=cid)
    calls = await fake.settled(iid)
    [(name, data)] = [f for c in calls for f in c.files]
    assert name == f"case-{cid}.md" and data.startswith(f"# Case {cid}".encode()) and b"## Brief" in data
    assert shown(calls)[0].ephemeral

    # a decision made elsewhere is posted to the moderators' channel; an appeal is queued there
    since = len(fake.calls)
    await ask(fake, MOD, "mod decide", channel_id=OTHER_CHANNEL_ID, case=cid, outcome="release_full", reason="8 of 8")
    [decided] = channel_posts(fake, MOD_CHANNEL_ID, since)
    assert f"Decided: case {cid}" in unescape(str(decided.json)) and "8 of 8" in unescape(str(decided.json))
    since = len(fake.calls)
    await ask(fake, CLARA, "appeal", reason="the samples were never approved")
    [appeal] = channel_posts(fake, MOD_CHANNEL_ID, since)
    assert f"Appeal: case {cid}" in unescape(str(appeal.json))
    assert [b["label"] for row in appeal.json["components"] for b in row["components"]] == ["Take", "Open case file"]


async def test_a_take_typed_elsewhere_also_greys_out_the_post(world):
    fake = world.fake
    cid = await agreed_case(world)
    await ask(fake, MAYA, "escalate", reason="no answer")
    post_id = message_with_button(fake, "Take", MOD_CHANNEL_ID)
    await ask(fake, MOD, "mod take", channel_id=OTHER_CHANNEL_ID, case=cid)
    buttons = {b["label"]: b for row in fake.messages[post_id]["components"] for b in row["components"]}
    assert buttons["Take"].get("disabled") is True
    await ask(fake, MOD, "mod release", channel_id=OTHER_CHANNEL_ID, case=cid)
    buttons = {b["label"]: b for row in fake.messages[post_id]["components"] for b in row["components"]}
    assert not buttons["Take"].get("disabled")


# -- 6. quiet housekeeping


async def test_slash_commands_are_synced_only_when_their_definition_changed(world, settings, monkeypatch):
    fake = world.fake
    puts = lambda: [c for c in fake.calls if c.method == "PUT" and c.path.endswith("/commands")]
    assert len(puts()) == 1  # the first start: nothing was synced before
    await restarted(world, settings)
    assert len(puts()) == 1  # a restart with the same commands leaves Discord alone
    original = DiscordAdapter.commands

    def one_more(self):
        @app_commands.command(name="ping", description="Is the bot there?")
        async def ping(i: discord.Interaction) -> None:
            await self.run(i, "/help")

        return original(self) + [ping]

    monkeypatch.setattr(DiscordAdapter, "commands", one_more)
    await restarted(world, settings)
    assert len(puts()) == 2 and any(c["name"] == "ping" for c in fake.commands)


# -- 4. onboarding


async def test_case_new_without_options_opens_a_form_that_survives_a_restart(world, settings):
    fake = world.fake
    await restarted(world, settings, case_threads=True)
    new = next(o for c in fake.commands if c["name"] == "case" for o in c["options"] if o["name"] == "new")
    assert not any(o.get("required") for o in new["options"])
    iid = await fake.slash(MAYA, "case new")
    [callback] = await fake.settled(iid)
    assert callback.json["type"] == 9  # a modal
    form = callback.json["data"]
    assert [c["custom_id"] for row in form["components"] for c in row["components"]] == [
        "title",
        "amount",
        "currency",
        "role",
    ]
    await restarted(world, settings)  # the form is filled in while the bot restarts
    values = {"title": "Soap photos", "amount": "88", "currency": "usd", "role": "Freelancer"}
    answer = shown(await fake.settled(await fake.submit(MAYA, iid, values)))
    [(tid, _)] = fake.threads.items()
    assert answer[0].ephemeral and f"<#{tid}>" in answer[0].body["content"]
    [created] = thread_posts(fake, tid)
    assert "Soap photos ($88.00)" in created and "Invite the client" in created
