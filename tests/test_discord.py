"""The Discord adapter end to end: the real discord.py over real HTTP and WebSocket to a local fake
Discord, the real engine behind it. Conversations are slash commands and button presses."""

from __future__ import annotations

import logging
import re
import socket
import statistics
import time

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlmodel import func, select

from bot.adapters.discord import (
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    FIELD_VALUE_MAX,
    FIELDS_MAX,
    build,
    line,
    message_payloads,
)
from bot.commands import Spec
from bot.hub import Hub
from bot.messages import Address, Option, OutFile, Reply
from mediation.models import AuditEntry, Delivery, DeliveryFile
from tests.kit import JPEG_STUB, SOAP_BRIEF, case_at, filemakers, quiet
from tests.kit.discord import (
    CLARA,
    MAYA,
    MEMBER,
    MOD,
    STRANGER,
    channel_posts,
    discord_settings,
    message_with_button,
    shown,
    unescape,
)
from tests.kit.engine import make_engine
from tests.kit.fake_discord import APP_ID, CHANNEL_ID, GUILD_ID, MOD_CHANNEL_ID, OTHER_CHANNEL_ID


def count(world, model, **where) -> int:
    with world.hub.engine.store.transaction() as s:
        q = select(func.count()).select_from(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return s.exec(q).one()


async def test_start_up_logs_in_syncs_commands_and_identifies(world):
    fake = world.fake
    assert [(c.method, c.path) for c in fake.calls[:3]] == [
        ("GET", "/users/@me"),
        ("GET", "/oauth2/applications/@me"),
        ("PUT", f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands"),
    ]
    names = {c["name"]: c for c in fake.commands}
    assert {"case", "brief", "deliver", "scope", "feedback", "mod", "escalate", "help"} <= set(names)
    subs = {o["name"] for o in names["brief"]["options"]}
    assert subs == {"propose", "agree", "show"}
    new = next(o for o in names["case"]["options"] if o["name"] == "new")
    role = next(o for o in new["options"] if o["name"] == "role")
    assert [c["value"] for c in role["choices"]] == ["client", "freelancer"]
    assert not role["required"]  # /case new alone opens a form instead
    deliver = {o["name"]: o for o in names["deliver"]["options"]}
    assert deliver["file1"]["type"] == 11 and not deliver["file1"]["required"]  # attachment
    assert all(o["description"] for c in fake.commands for o in c.get("options", []))
    assert fake.identifies == 1 and 1 in fake.gateway_ops  # heartbeats answered with op 11


async def test_the_founding_story_as_a_discord_conversation(world, tmp_path):
    fake = world.fake
    cid = (await case_at(world, "joined")).case_id
    [joined] = world.shown  # slash commands typed as lines: the join was /case join code=... role=client
    assert f"Clara joined case {cid}" in joined.text and not joined.ephemeral
    proposed = await world.ask(CLARA, "brief propose", text=SOAP_BRIEF)
    assert "version 1" in proposed[0].text and proposed[0].buttons == {"Agree this brief": "mediator:/brief agree"}

    # the gateway drops; maya presses the button while the bot is disconnected
    answered_before = len(fake.calls)
    fake.accepting.clear()
    await fake.drop()
    agree_msg = message_with_button(fake, "Agree this brief")
    iid = await fake.press(MAYA, agree_msg, "Agree this brief")  # queued: nobody is connected
    await quiet(lambda: len(fake.calls), until=lambda: fake.answers(iid), period=0.2)
    assert not fake.answers(iid)
    fake.accepting.set()
    agreed = shown(await fake.settled(iid))
    assert fake.resumes == 1 and fake.identifies == 1  # RESUMEd where it left off, no new IDENTIFY
    assert fake.replayed == 1  # the press arrived with the resume
    assert "The brief is agreed (version 1)" in agreed[0].text and not agreed[0].ephemeral
    # the same event delivered again changes nothing and is not answered twice
    n = len(fake.calls)
    await fake.replay(iid)
    await quiet(lambda: len(fake.calls), until=lambda: len(fake.calls) > n, period=0.3)
    assert len(fake.calls) == n
    with world.hub.engine.store.transaction() as s:
        agreements = s.exec(select(AuditEntry).where(AuditEntry.action == "brief.agreed")).all()
    assert [e.detail["role"] for e in agreements] == ["freelancer"]  # applied once
    assert answered_before < n

    # delivery with an attachment, downloaded from Discord's CDN and kept by hash
    world.adapter.tmp_dir = str(tmp_path)
    att = fake.attach("soap1.jpg", JPEG_STUB)
    delivered = await world.ask(MAYA, "deliver", note="2 samples for approval", file1=att)
    assert "soap1.jpg" in delivered[-1].text and f"({len(JPEG_STUB)} bytes" in delivered[-1].text
    assert any(c.path == "/files/soap1.jpg" for c in fake.calls)
    assert count(world, Delivery, case_id=cid) == 1
    assert count(world, DeliveryFile) == 1 and not list(tmp_path.glob("mediator-discord-*"))  # cleaned up

    # escalation: answered in the channel and posted to the moderators' channel with buttons
    since = len(fake.calls)
    escalated = await world.ask(CLARA, "escalate", reason="she went silent @everyone")
    assert "moderators' queue" in escalated[0].text
    [post] = channel_posts(fake, MOD_CHANNEL_ID, since)
    assert post.json["allowed_mentions"] == {"parse": []}
    post_msg = next(mid for mid, m in fake.messages.items() if m["channel_id"] == str(MOD_CHANNEL_ID))
    buttons = {c["label"]: c["custom_id"] for row in post.json["components"] for c in row["components"]}
    assert buttons == {"Take": f"mediator:/mod take {cid}", "Open case file": f"mediator:/mod case {cid}"}

    # a member without the moderator role is refused, privately; the queue is unchanged
    refused = await world.press(MEMBER, post_msg, "Take")
    assert refused[0].ephemeral and "Only moderators" in refused[0].text
    # the moderator (by role) takes it: the parties' channel hears about it
    since = len(fake.calls)
    taken = await world.press(MOD, post_msg, "Take")
    assert "is now handling case" in taken[0].text
    assert any("is now handling" in unescape(str(c.json)) for c in channel_posts(fake, CHANNEL_ID, since))
    case_file = await world.press(MOD, post_msg, "Open case file")
    assert case_file[0].ephemeral and "2 samples for approval" in case_file[0].text
    since = len(fake.calls)
    decided = await world.ask(
        MOD,
        "mod decide",
        channel_id=MOD_CHANNEL_ID,
        case=cid,
        outcome="release_full",
        reason="8 of 8 delivered, samples approved",
    )
    assert "release full" in decided[0].text
    [notice] = channel_posts(fake, CHANNEL_ID, since)
    assert "Moderator decision" in unescape(str(notice.json))
    status = await world.ask(CLARA, "case status")
    assert "decided" in status[0].text


async def test_strangers_and_non_moderators_are_refused_privately(world):
    cid = (await case_at(world, "joined")).case_id
    refused = await world.ask(STRANGER, "brief agree", channel_id=OTHER_CHANNEL_ID, case=cid)
    assert len(refused) == 1 and refused[0].ephemeral and "Only the parties" in refused[0].text
    queue = await world.ask(MEMBER, "mod queue")
    assert queue[0].ephemeral and "Only moderators" in queue[0].text
    in_dm = await world.ask(MOD, "mod queue", channel_id=None)
    assert "server channel" in in_dm[0].text
    assert "Moderation queue" in (await world.ask(MOD, "mod queue"))[0].text
    # listed by user id in the settings: a moderator without the role
    world.settings.moderators["discord"] = [str(MEMBER.id)]
    assert "Moderation queue" in (await world.ask(MEMBER, "mod queue"))[0].text


async def test_no_message_can_mention_anyone(world):
    fake = world.fake
    await case_at(world, "joined", title="@everyone look <@&930000000000000001>")
    await world.ask(CLARA, "brief propose", text="@here 8 pictures **bold** [link](http://x)")
    await world.adapter.send(Reply(text="@everyone", title="@everyone"), Address("discord", str(OTHER_CHANNEL_ID)))
    bodies = [
        c.json.get("data", c.json)
        for c in fake.calls
        if isinstance(c.json, dict) and ("embeds" in c.json or "embeds" in (c.json.get("data") or {}))
    ]
    assert len(bodies) >= 4
    assert all(b["allowed_mentions"] == {"parse": []} for b in bodies)
    title_embed = next(e for b in bodies for e in b["embeds"] if "look" in (e.get("description") or ""))
    assert "@everyone look" in title_embed["description"]
    brief = next(e for b in bodies for e in b["embeds"] if "bold" in (e.get("description") or ""))
    assert r"\*\*bold\*\* \[link\]\(http://x\)" in brief["description"]  # no markup from user text


async def test_a_429_is_waited_out_then_the_message_goes(world):
    fake = world.fake
    fake.rate_limit("POST", rf"/channels/{OTHER_CHANNEL_ID}/messages", retry_after=0.4)
    await world.adapter.send(Reply(text="hello"), Address("discord", str(OTHER_CHANNEL_ID)))
    tries = channel_posts(fake, OTHER_CHANNEL_ID)
    assert len(tries) == 2
    assert tries[1].at - tries[0].at >= 0.4
    assert sum(m["channel_id"] == str(OTHER_CHANNEL_ID) for m in fake.messages.values()) == 1


async def test_stale_and_unknown_buttons_get_a_clear_private_answer(world):
    fake = world.fake
    await case_at(world, "joined")
    await world.ask(CLARA, "brief propose", text=SOAP_BRIEF)
    msg = message_with_button(fake, "Agree this brief")
    unknown = await world.press(MAYA, msg, custom_id="old-version:agree:17")
    assert unknown[0].ephemeral and "no longer works" in unknown[0].text
    assert "agreed" in (await world.press(MAYA, msg, "Agree this brief"))[0].text
    again = await world.press(MAYA, msg, "Agree this brief")  # the brief is already agreed
    assert again[0].ephemeral and again[0].body["embeds"][0]["color"] == 0xED4245


async def test_unknown_commands_and_expired_interactions(world):
    fake = world.fake
    gone = await world.ask(MAYA, "frobnicate")
    assert gone[0].ephemeral and "not available any more" in gone[0].text
    await case_at(world, "joined")
    # the interaction expired before the answer: the answer goes to the channel instead of being lost
    fake.refuse(
        "POST", r"/interactions/\d+/[^/]+/callback", status=404, code=10062, message="Unknown interaction", times=1
    )
    since = len(fake.calls)
    await fake.slash(CLARA, "case status")
    await fake.wait_for(lambda: channel_posts(fake, CHANNEL_ID, since))
    assert "Soap photos" in unescape(str(channel_posts(fake, CHANNEL_ID, since)[0].json))


async def test_buttons_still_work_after_a_restart(world):
    fake = world.fake
    await case_at(world, "joined")
    await world.ask(CLARA, "brief propose", text=SOAP_BRIEF)
    msg = message_with_button(fake, "Agree this brief")
    await world.restart()
    assert fake.identifies == 2
    agreed = await world.press(MAYA, msg, "Agree this brief")
    assert "The brief is agreed" in agreed[0].text


async def test_long_replies_are_split_within_discord_limits(world):
    fake = world.fake
    text = "\n".join(f"line {i}: " + "word_* " * 20 for i in range(120))  # ~17,000 characters, with markup
    fields = [(f"field {i}", "v" * 1500) for i in range(30)]
    reply = Reply(text=text, title="A long case file", fields=fields, options=[Option("Agree", "/brief agree")])
    await world.adapter.send(reply, Address("discord", str(OTHER_CHANNEL_ID)))
    posts = channel_posts(fake, OTHER_CHANNEL_ID)
    assert len(posts) > 2
    for p in posts:
        embeds = p.json["embeds"]
        assert len(embeds) <= 10 and len(p.json.get("content") or "") <= 2000
        total = 0
        for e in embeds:
            assert len(e.get("description") or "") <= DESCRIPTION_MAX and len(e.get("fields", [])) <= FIELDS_MAX
            assert all(len(f["value"]) <= FIELD_VALUE_MAX for f in e.get("fields", []))
            total += (
                len(e.get("title") or "")
                + len(e.get("description") or "")
                + sum(len(f["name"]) + len(f["value"]) for f in e.get("fields", []))
            )
        assert total <= EMBED_TOTAL_MAX
    described = "\n".join(unescape(e["description"]) for p in posts for e in p.json["embeds"] if e.get("description"))
    assert described.split() == text.split()  # nothing lost, nothing cut inside an escape
    values = "".join(f["value"] for p in posts for e in p.json["embeds"] for f in e.get("fields", []))
    assert values == "v" * 1500 * 30
    assert "components" in posts[-1].json and all(
        "components" not in p.json or not p.json["components"] for p in posts[:-1]
    )


def test_payloads_fit_for_any_reply():
    for n in (0, 1999, 2001, 4096, 4097, 12001):
        payloads = message_payloads(Reply(text="x" * n, title="t" * 300))
        descs = [e.description for p in payloads for e in p["embeds"] if e.description]
        assert "".join(descs) == "x" * n
        assert all(len(e) <= EMBED_TOTAL_MAX for p in payloads for e in p["embeds"])
        assert all(sum(len(e) for e in p["embeds"]) <= EMBED_TOTAL_MAX for p in payloads)
    assert message_payloads(Reply(text="")) == []
    many = message_payloads(
        Reply(
            text="x",
            options=[Option(f"o{i}", f"/accept {i}") for i in range(30)] + [Option("long", "/scope " + "y" * 200)],
        )
    )
    view = many[-1]["view"]
    assert len(view.children) == 25
    more = [f.value for e in many[-1]["embeds"] for f in e.fields if f.name == "More options"]
    assert "/accept 29" in unescape(more[0]) and "/scope yyy" in unescape(more[0])


@hypothesis_settings(max_examples=60, deadline=None)
@given(
    text=st.text(max_size=9000),
    title=st.text(max_size=400),
    fields=st.lists(st.tuples(st.text(max_size=300), st.text(max_size=2500)), max_size=30),
)
def test_any_reply_fits_discord_limits(text, title, fields):
    payloads = message_payloads(Reply(text=text, title=title or None, fields=fields))
    for p in payloads:
        assert len(p["embeds"]) <= 10 and sum(len(e) for e in p["embeds"]) <= EMBED_TOTAL_MAX
        for e in p["embeds"]:
            assert len(e.description or "") <= DESCRIPTION_MAX and len(e.fields) <= FIELDS_MAX
            assert all(len(f.value) <= FIELD_VALUE_MAX and len(f.name) <= 256 for f in e.fields)
    kept = "".join(unescape(e.description or "") for p in payloads for e in p["embeds"])
    assert kept.split() == text.split()


def test_command_lines_are_what_a_person_would_type():
    assert (
        line("case new", "Logo  design", amount="300", currency="EUR", role="client")
        == "/case new Logo design amount=300 currency=EUR role=client"
    )
    assert line("brief agree", case=None) == "/brief agree"
    assert (
        line("mod decide", "C1", "partial_refund", None, reason="two\nblurry")
        == "/mod decide C1 partial_refund reason=two blurry"
    )


async def test_ad_hoc_scope_and_feedback_preview_defer_then_follow_up(world):
    """They need no case, work in any channel, and take long enough that the bot defers first."""
    fake = world.fake
    seen = []
    registry = world.hub.engine.registry
    for word, keys in (
        ("scope", ("brief", "request", "case")),
        ("feedback preview", ("outcome", "amount", "currency", "refund", "score", "case")),
    ):

        def slow(ctx, cmd):
            seen.append((cmd.word, dict(cmd.kv), cmd.text))
            time.sleep(0.3)
            return [Reply(text=f"checked {', '.join(sorted(cmd.kv))}", title=cmd.word, data={"type": cmd.word})]

        registry.add(Spec(word, f"/{word}", "stand-in", slow, keys=keys))
    iid = await fake.slash(
        STRANGER,
        "scope",
        channel_id=OTHER_CHANNEL_ID,
        brief="8 photos, JPG",
        request="can you add models at the beach?",
    )
    calls = await fake.settled(iid)
    assert calls[0].json["type"] == 5  # deferred ("thinking") first
    assert calls[1].method == "PATCH" and "checked brief, request" in shown(calls)[0].text
    assert not shown(calls)[0].ephemeral and len(calls) == 2
    assert seen[0] == ("scope", {"brief": "8 photos, JPG", "request": "can you add models at the beach?"}, "")
    iid = await fake.slash(
        STRANGER, "feedback preview", channel_id=OTHER_CHANNEL_ID, outcome="full_refund", amount="88", score=92.0
    )
    calls = await fake.settled(iid)
    assert calls[0].json["type"] == 5 and "checked amount, outcome, score" in shown(calls)[0].text
    assert seen[1][1] == {"outcome": "full_refund", "amount": "88", "score": "92"}
    assert fake.sent_at[iid] <= calls[0].at < fake.sent_at[iid] + 1.0


async def test_slow_commands_are_deferred_within_the_interaction_window(world):
    fake = world.fake
    world.adapter.defer_after = 0.2
    original = world.hub.engine.registry.specs["help"]

    def slow(ctx, cmd):
        time.sleep(0.6)
        return original.fn(ctx, cmd)

    world.hub.engine.registry.add(Spec("help", original.usage, original.summary, slow))
    iid = await fake.slash(MAYA, "help")
    calls = await fake.settled(iid)
    assert calls[0].json["type"] == 5 and calls[0].at - fake.sent_at[iid] < 0.5
    assert calls[1].method == "PATCH" and "Mediator commands" in shown(calls)[0].text


async def test_a_party_on_another_platform_reaches_the_discord_channel(world, memory):
    fake = world.fake
    [created] = await world.ask(MAYA, "case new", title="Logo", amount="300", currency="EUR", role="freelancer")
    code = re.search(r"code: (\S+)", created.text).group(1)
    since = len(fake.calls)
    await memory.say("clara", f"/case join {code} role=client")
    await memory.say("clara", "/brief 3 logo concepts as SVG, 2 revisions, within 10 days.")
    posts = channel_posts(fake, CHANNEL_ID, since)
    assert len(posts) == 2 and "Clara joined" in unescape(str(posts[0].json))
    assert posts[1].json["components"][0]["components"][0]["custom_id"] == "mediator:/brief agree"
    # a private notice goes to the user's direct messages
    since = len(fake.calls)
    await world.adapter.send(
        Reply(text="your offer is recorded", private=True), Address("discord", str(MAYA.id), str(MAYA.id))
    )
    assert [(c.method, c.path) for c in fake.calls[since:]] == [
        ("POST", "/users/@me/channels"),
        ("POST", f"/channels/{MAYA.id + 7}/messages"),
    ]


async def test_missing_permissions_in_the_mod_channel_do_not_lose_the_answer(world, caplog):
    fake = world.fake
    await case_at(world, "joined")
    fake.refuse("POST", rf"/channels/{MOD_CHANNEL_ID}/messages")
    with caplog.at_level(logging.WARNING, logger="mediator.discord"):
        escalated = await world.ask(CLARA, "escalate", reason="stuck")
    assert "moderators' queue" in escalated[0].text
    assert "no permission to post" in caplog.text


async def test_oversized_attachments_are_refused_before_download(world):
    fake = world.fake
    await case_at(world, "joined")
    world.adapter.max_file_bytes = 100
    att = fake.attach("big.png", b"0" * 5000, "image/png")
    refused = await world.ask(MAYA, "deliver", note="pictures", file1=att)
    assert refused[-1].ephemeral and "big.png is 0.0 MB; the limit is 0.0 MB" in refused[-1].text
    assert not any(c.path == "/files/big.png" for c in fake.calls)


async def test_charts_attach_to_the_embed(world):
    fake = world.fake
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    await world.adapter.send(
        Reply(text="scores", attachments=[OutFile("score chart.png", png, "image/png")]),
        Address("discord", str(OTHER_CHANNEL_ID)),
    )
    [post] = channel_posts(fake, OTHER_CHANNEL_ID)
    assert post.files == [("score_chart.png", png)]
    assert post.json["embeds"][0]["image"]["url"] == "attachment://score_chart.png"


async def test_case_ids_autocomplete_from_the_store(world):
    fake = world.fake
    cid = (await case_at(world, "joined")).case_id
    iid = await fake.slash(CLARA, "case status", focused="case", case="")
    [cb] = await fake.settled(iid)
    assert cb.json["type"] == 8
    assert [c["value"] for c in cb.json["data"]["choices"]] == [cid]
    iid = await fake.slash(STRANGER, "case status", focused="case", case="")
    assert (await fake.settled(iid))[0].json["data"]["choices"] == []
    await world.ask(CLARA, "escalate", reason="stuck")
    iid = await fake.slash(MOD, "mod take", channel_id=MOD_CHANNEL_ID, focused="case", case=cid[:3])
    [cb] = await fake.settled(iid)
    assert [c["value"] for c in cb.json["data"]["choices"]] == [cid]


async def test_interaction_to_callback_latency(world, capsys):
    fake = world.fake
    await case_at(world, "joined")
    for _ in range(5):
        await world.ask(MAYA, "case status")
    gaps = []
    for iid, sent in fake.sent_at.items():
        cb = next((c for c in fake.calls if c.path.startswith(f"/interactions/{iid}/")), None)
        if cb is not None:
            gaps.append(cb.at - sent)
    assert len(gaps) >= 7 and max(gaps) < 2.5
    with capsys.disabled():
        print(
            f"\ninteraction -> callback: median {statistics.median(gaps) * 1000:.0f} ms, "
            f"max {max(gaps) * 1000:.0f} ms over {len(gaps)} interactions"
        )


async def test_a_wrong_token_fails_start_up_clearly(fake, settings, clock):
    discord_settings(settings, fake)
    engine = make_engine(settings, clock)
    adapter = build(Hub(engine), settings, "wrong-token", guild_ready_timeout=0.05)
    with pytest.raises(RuntimeError, match="refused the bot token"):
        await adapter.start()
    assert fake.identifies == 0
    engine.store.close()


def test_the_network_guard_stops_outside_connections(loopback_only):
    with pytest.raises(OSError, match="a test tried to"):
        socket.create_connection(("192.0.2.1", 443), timeout=0.1)
    assert loopback_only == [("192.0.2.1", 443)]
    loopback_only.clear()


async def test_an_escalation_from_another_platform_reaches_the_mod_channel(world, memory):
    fake = world.fake
    created = next(
        r
        for r in await memory.say("maya", "/case new Logo amount=300 currency=EUR role=freelancer", chat="elsewhere")
        if r.data.get("type") == "case_created"
    )
    await memory.say("clara", f"/case join {created.data['invite_code']} role=client", chat="elsewhere")
    since = len(fake.calls)
    await memory.say("clara", "/escalate the freelancer stopped answering", chat="elsewhere")
    posts = channel_posts(fake, MOD_CHANNEL_ID, since)
    assert len(posts) == 1 and created.data["case_id"] in unescape(str(posts[0].json))
    buttons = [b["custom_id"] for b in posts[0].json["components"][0]["components"]]
    assert buttons == [f"mediator:/mod take {created.data['case_id']}", f"mediator:/mod case {created.data['case_id']}"]


async def test_a_dispute_shows_proposals_with_a_chart_and_settles_by_buttons(world, tmp_path):
    fake = world.fake
    cid = (await case_at(world, "joined")).case_id
    await world.ask(CLARA, "brief propose", text=SOAP_BRIEF)
    await world.press(MAYA, message_with_button(fake, "Agree this brief"), "Agree this brief")
    world.adapter.tmp_dir = str(tmp_path)
    files = {}
    for i in range(3):
        files[f"file{i + 1}"] = fake.attach(f"soap{i + 1}.jpg", filemakers.jpeg_bytes(i))
    await world.ask(MAYA, "deliver", note="first 3 of 8", **files)
    shown_ = await world.ask(CLARA, "dispute", reason="only 3 of the 8 pictures arrived")
    assert any("Assessment of case" in s.text and "3 of 8" in s.text for s in shown_)
    proposals = next(s for s in shown_ if "Proposals for case" in s.text)
    assert any(e.get("image", {}).get("url") == "attachment://proposals.png" for e in proposals.body["embeds"])
    labels = list(proposals.buttons)
    first = labels[0].split()[-1]
    assert labels[0] == f"Accept {first}" and proposals.buttons[labels[0]] == f"mediator:/accept {first}"
    msg = message_with_button(fake, f"Accept {first}")
    voted = await world.press(CLARA, msg, f"Accept {first}")
    assert "accepted" in voted[0].text and not voted[0].ephemeral
    settled = await world.press(MAYA, msg, f"Accept {first}")
    assert "is settled" in settled[0].text
    status = await world.ask(CLARA, "case status")
    assert "settled" in status[0].text and cid in status[0].text


async def test_every_command_word_has_a_slash_command(world):
    """The same words on every platform: what the engine knows, Discord publishes."""
    published = set()
    for c in world.fake.commands:
        subs = [o["name"] for o in c.get("options", []) if o.get("type") == 1]  # subcommands
        published |= {f"{c['name']} {s}" for s in subs} or {c["name"]}
    words = {spec.word for spec in world.hub.engine.registry.specs.values() if not spec.console_only}
    brief_forms = {"brief": "brief propose", "brief agree": "brief agree"}  # /brief is a group on Discord
    missing = {w for w in words if brief_forms.get(w, w) not in published}
    assert not missing, f"no slash command for: {sorted(missing)}"


def test_a_footer_about_skipped_files_never_breaks_the_size_limit():
    fields = [(f"f{i}", "v" * 1024) for i in range(5)]  # one embed of about 5,100 characters
    files = [OutFile("n" * 120 + f"{i}.png", b"x" * 50, "image/png") for i in range(12)]
    payloads = message_payloads(Reply(text="", title="t", fields=fields, attachments=files), 10)
    assert all(len(e) <= EMBED_TOTAL_MAX for p in payloads for e in p["embeds"])
    assert all(sum(len(e) for e in p["embeds"]) <= EMBED_TOTAL_MAX for p in payloads)
    assert any(e.footer and "Not attached" in e.footer.text for p in payloads for e in p["embeds"])
