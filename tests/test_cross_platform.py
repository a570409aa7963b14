"""One case across two platforms: the client in a Telegram group, the freelancer in a Discord channel,
a moderator in a private Telegram chat. The real python-telegram-bot and discord.py, each against its
local fake over real HTTP and WebSocket, attached to one engine and one hub."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import select

from bot.adapters.discord import DiscordAdapter
from bot.hub import Hub
from mediation.models import OutboxMessage
from tests.kit import JPEG_STUB, SOAP_BRIEF
from tests.kit.discord import (
    MAYA,
    Shown,
    ask,
    channel_posts,
    discord_settings,
    message_with_button,
    press,
    start_adapter,
)
from tests.kit.engine import make_engine
from tests.kit.fake_discord import CHANNEL_ID, MOD_CHANNEL_ID, FakeDiscord
from tests.kit.fake_telegram import FakeTelegram
from tests.kit.network import InternetUsed
from tests.kit.telegram import GROUP, MOD, TelegramDriver, make_driver


@dataclass
class Both:
    """The two platforms over one hub: `tg` drives Telegram (its fake and adapter), `dc` is Discord."""

    tg: TelegramDriver
    dc_fake: FakeDiscord
    dc: DiscordAdapter
    hub: Hub
    settings: Any

    def tg_say(self, text: str, chat: dict | None = None, who: str = "clara"):
        """`who` (the client unless said) writes on Telegram, in the client's group unless said."""
        return self.tg.say(who, text, chat)

    def tg_group(self, since: int = 0) -> list[str]:
        return [c.text for c in self.tg.fake.sent(GROUP)[since:]]

    def dc_channel(self, channel_id: int = CHANNEL_ID, since: int = 0) -> list[Shown]:
        return [Shown(c.json, False) for c in channel_posts(self.dc_fake, channel_id, since)]

    def outbox(self) -> list[OutboxMessage]:
        with self.hub.engine.store.transaction() as s:
            return list(s.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.fixture
async def both(endpoints, settings, clock):
    tg_fake = await FakeTelegram().start()
    dc_fake = await FakeDiscord().start()
    settings.moderators["telegram"] = [str(MOD)]
    discord_settings(settings, dc_fake)
    engine = make_engine(settings, clock)
    hub = Hub(engine)
    tg = make_driver(settings, tg_fake, hub)
    await tg.adapter.start()
    dc = await start_adapter(hub, settings, dc_fake)
    world = Both(tg, dc_fake, dc, hub, settings)
    yield world
    await world.dc.stop()
    await world.tg.adapter.stop()
    engine.store.close()
    await dc_fake.close()
    await tg_fake.close()


async def open_cross_case(w: Both) -> str:
    """Clara opens on Telegram, Maya joins on Discord, the brief is proposed and agreed; the case id."""
    await w.tg_say("/case new Soap photos amount=88 currency=USD role=client")
    created = w.tg.expect("case_created")
    await ask(w.dc_fake, MAYA, "case join", code=created["invite_code"], role="freelancer")
    await w.tg_say(f"/brief {SOAP_BRIEF}")
    await press(w.dc_fake, MAYA, message_with_button(w.dc_fake, "Agree this brief", CHANNEL_ID), "Agree this brief")
    return created["case_id"]


async def test_each_side_sees_the_others_steps_in_its_own_chat(both):
    w, f, d = both, both.tg.fake, both.dc_fake
    await w.tg_say("/case new Soap photos amount=88 currency=USD role=client")
    created = w.tg.expect("case_created")
    cid, code = created["case_id"], created["invite_code"]
    assert created["invite_role"] == "freelancer" and code in w.tg_group()[-1]
    assert w.dc_channel() == []  # nobody on Discord is in the case yet

    mark = len(f.sent(GROUP))
    joined = await ask(d, MAYA, "case join", code=code, role="freelancer")
    assert f"Maya joined case {cid} as the freelancer" in joined[0].text and not joined[0].ephemeral
    [told] = w.tg_group(mark)  # the client's group hears it once
    assert f"Maya joined case {cid} as the freelancer" in told

    # the brief proposed on Telegram reaches the Discord channel with its own button
    since, mark = len(d.calls), len(f.sent(GROUP))
    await w.tg_say(f"/brief {SOAP_BRIEF}")
    [proposed] = w.dc_channel(since=since)
    assert "The client proposed version 1 of the brief" in proposed.text and "1080x1080" in proposed.text
    assert proposed.buttons == {"Agree this brief": "mediator:/brief agree"}
    [here] = f.sent(GROUP)[mark:]
    assert "The client proposed version 1" in here.text
    assert [b["callback_data"] for b in here.buttons] == ["/brief agree"]

    # the freelancer agrees with the Discord button; the Telegram group learns the brief is agreed
    since, mark = len(d.calls), len(f.sent(GROUP))
    agreed = await press(d, MAYA, message_with_button(d, "Agree this brief", CHANNEL_ID), "Agree this brief")
    assert "The brief is agreed (version 1)" in agreed[0].text and not agreed[0].ephemeral
    assert channel_posts(d, CHANNEL_ID, since) == []  # answered in the interaction, not posted twice
    [told] = w.tg_group(mark)
    assert "The brief is agreed (version 1)" in told and "Agreed by both parties" in told
    assert f.sent(GROUP)[-1].buttons == []  # nothing left to agree

    # both sides see the same case, each party on its own platform
    await w.tg_say("/case status")
    status = w.tg.expect("case_status")
    assert status["case_id"] == cid and status["status"] == "active" and status["brief_agreed"]
    assert status["parties"] == {
        "client": {"name": "Clara", "platform": "telegram"},
        "freelancer": {"name": "Maya", "platform": "discord"},
    }
    seen = await ask(d, MAYA, "case status")
    assert f"Case {cid}" in seen[0].text and "agreed (version 1)" in seen[0].text
    assert "client: Clara (telegram)" in seen[0].text and "freelancer: Maya (discord)" in seen[0].text
    assert w.outbox() == []  # both platforms were up: nothing waited
    assert w.tg.adapter.stats["errors"] == 0


async def test_delivery_change_request_and_a_telegram_moderator_deciding(both):
    w, f, d = both, both.tg.fake, both.dc_fake
    cid = await open_cross_case(w)

    # the freelancer delivers on Discord with a file; the client's group is told, with its buttons
    mark = len(f.sent(GROUP))
    delivered = await ask(d, MAYA, "deliver", note="all 8 pictures", file1=d.attach("soap1.jpg", JPEG_STUB))
    assert "Delivery 1 received" in delivered[-1].text and "soap1.jpg" in delivered[-1].text
    [told] = f.sent(GROUP)[mark:]
    assert f"Delivery 1 received for case {cid}: all 8 pictures" in told.text and "soap1.jpg" in told.text
    assert [b["callback_data"] for b in told.buttons] == ["/approve delivery", "/assess"]

    # the client asks for a change on Telegram; the Discord channel reads it
    since = len(d.calls)
    await w.tg_say("/request please reshoot them with models at a beach location")
    [request] = w.dc_channel(since=since)
    assert f"Change request 1 recorded on case {cid}" in request.text and "beach location" in request.text

    # the freelancer escalates on Discord: the moderators' channel gets Take / Open buttons
    since, mark = len(d.calls), len(f.sent(GROUP))
    escalated = await ask(d, MAYA, "escalate", reason="a new shoot is not in the brief")
    assert "moderators' queue" in escalated[0].text
    [queued] = w.dc_channel(MOD_CHANNEL_ID, since)
    assert f"Escalation: case {cid}" in queued.text and "a new shoot is not in the brief" in queued.text
    assert queued.buttons == {"Take": f"mediator:/mod take {cid}", "Open case file": f"mediator:/mod case {cid}"}
    [told] = w.tg_group(mark)
    assert f"Case {cid} is now in the moderators' queue" in told

    # a Telegram moderator works from a private chat with the bot
    mo = w.tg.people["mod"]
    dm = f.private(mo)
    await w.tg_say("/mod queue", dm, "mod")
    [take] = [b for b in f.sent(MOD)[-1].buttons if b["text"] == f"Take {cid}"]
    since, mark = len(d.calls), len(f.sent(GROUP))
    await w.tg.send(f.callback(dm, mo, take["callback_data"]))
    assert w.tg.expect("mod_taken")["case_id"] == cid
    handling = f"A moderator (Mo) is now handling case {cid}."
    assert handling in f.sent(MOD)[-1].text
    [group_told] = w.tg_group(mark)
    assert handling in group_told
    assert [handling in p.text for p in w.dc_channel(since=since)] == [True]

    # the case file goes to the private chat only
    mark_group = len(f.sent(GROUP))
    await w.tg_say(f"/mod case {cid}", dm, "mod")
    case_file = f.sent(MOD)[-2].text
    assert f.sent(MOD)[-1].method == "sendDocument"  # and as a Markdown document
    assert "Brief v1 (agreed)" in case_file and "Delivery 1" in case_file and "beach location" in case_file
    assert len(f.sent(GROUP)) == mark_group

    since, mark = len(d.calls), len(f.sent(GROUP))
    await w.tg_say(f"/mod decide {cid} release_full reason=8 of 8 delivered; a beach shoot is new work", dm, "mod")
    decision = w.tg.expect("decision")
    assert decision["outcome"] == "release_full" and decision["case_id"] == cid
    assert f"Moderator decision on case {cid}: release full" in f.sent(MOD)[-1].text
    [group_told] = w.tg_group(mark)
    [channel_told] = w.dc_channel(since=since)
    for text in (group_told, channel_told.text):
        assert f"Moderator decision on case {cid}: release full" in text and "a beach shoot is new work" in text
    status = await ask(d, MAYA, "case status")
    assert "decided" in status[0].text
    assert w.outbox() == [] and w.tg.adapter.stats["errors"] == 0


async def test_notices_for_discord_wait_in_the_outbox_while_it_is_down(both, settings):
    w, f, d = both, both.tg.fake, both.dc_fake
    cid = await open_cross_case(w)

    # Discord goes away: the adapter stops and is no longer attached (as when only Telegram runs)
    await w.dc.stop()
    w.hub.detach("discord")
    since = len(d.calls)
    mark = len(f.sent(GROUP))
    await w.tg_say("/approve the 2 samples")
    await w.tg_say("/request one more picture with a wooden background")
    told = w.tg_group(mark)
    assert len(told) == 2 and "The client approved: the 2 samples" in told[0]  # Telegram is answered at once
    assert "Change request 1 recorded" in told[1]
    assert d.calls[since:] == []  # nothing reached Discord
    waiting = w.outbox()
    assert [(r.platform, r.chat_id, r.user_id, r.delivered_at) for r in waiting] == [
        ("discord", str(CHANNEL_ID), None, None)
    ] * 2
    assert [r.reply["data"]["type"] for r in waiting] == ["approval", "request"]
    assert waiting[0].reply["data"]["case_id"] == cid

    # back up: the runner attaches the new adapter and flushes what waited, oldest first, once
    w.dc = await start_adapter(w.hub, settings, d)
    assert await w.hub.flush("discord") == 2
    posts = w.dc_channel(since=since)
    assert len(posts) == 2
    assert f"The client approved: the 2 samples. This is kept as evidence on case {cid}" in posts[0].text
    assert "Change request 1 recorded" in posts[1].text and "wooden background" in posts[1].text
    assert all(r.delivered_at is not None for r in w.outbox())
    assert await w.hub.flush("discord") == 0
    await w.hub.tick()  # the scheduler's pass sends nothing again
    assert len(w.dc_channel(since=since)) == 2

    # and the conversation goes on across both platforms
    mark = len(f.sent(GROUP))
    delivered = await ask(d, MAYA, "deliver", note="the wooden one")
    assert "Delivery 1 received" in delivered[-1].text
    assert "Delivery 1 received" in w.tg_group(mark)[0]


async def test_a_stopped_discord_adapter_still_attached_keeps_notices_for_later(both, settings):
    """Stopping the client without detaching it: sending fails, so the notice is kept, not lost."""
    w, d = both, both.dc_fake
    await open_cross_case(w)
    await w.dc.stop()
    since = len(d.calls)
    await w.tg_say("/approve the 2 samples")
    assert "The client approved" in w.tg_group()[-1]
    assert d.calls[since:] == []
    [kept] = w.outbox()
    assert kept.platform == "discord" and kept.delivered_at is None
    w.dc = await start_adapter(w.hub, settings, d)
    assert await w.hub.flush("discord") == 1
    assert ["The client approved" in p.text for p in w.dc_channel(since=since)] == [True]


def test_no_test_here_can_reach_the_internet(loopback_only):
    with pytest.raises(InternetUsed):
        socket.create_connection(("203.0.113.7", 443), timeout=1)
    with pytest.raises(InternetUsed):
        socket.getaddrinfo("discord.com", 443)
    assert [a[0] for a in loopback_only] == ["203.0.113.7", "discord.com"]
    loopback_only.clear()


async def test_a_discord_server_error_keeps_the_notice_for_later(both):
    w, d = both, both.dc_fake
    await open_cross_case(w)
    d.refuse("POST", rf"/channels/{CHANNEL_ID}/messages", status=503, code=0, message="Service Unavailable", times=1)
    since = len(d.calls)
    await w.tg_say("/approve the 2 samples")
    assert len(channel_posts(d, CHANNEL_ID, since)) == 1  # the one attempt Discord refused
    assert [r.delivered_at for r in w.outbox()] == [None]
    assert await w.hub.flush("discord") == 1
    kept = [m for m in d.messages.values() if m["channel_id"] == str(CHANNEL_ID) and "approved" in str(m["embeds"])]
    assert len(kept) == 1


async def test_an_escalation_raised_while_discord_is_down_reaches_the_moderators_later(both, settings):
    w, d = both, both.dc_fake
    cid = await open_cross_case(w)
    await w.dc.stop()
    w.hub.detach("discord")
    await w.tg_say("/escalate the freelancer stopped answering")
    w.dc = await start_adapter(w.hub, settings, d)
    await w.hub.flush("discord")
    await w.hub.tick()
    queued = w.dc_channel(MOD_CHANNEL_ID)
    assert len(queued) == 1
    assert queued[0].buttons == {"Take": f"mediator:/mod take {cid}", "Open case file": f"mediator:/mod case {cid}"}
