"""The Telegram adapter as conversations: the real python-telegram-bot against a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import signal
import socket
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from bot.adapters.telegram import CALLBACK_DATA_LIMIT, MESSAGE_LIMIT, TelegramAdapter
from bot.messages import Address, Option, OutFile, Reply
from bot.render import render
from tests.kit import SOAP_BRIEF, case_at, filemakers
from tests.kit.fake_telegram import FakeTelegram
from tests.kit.network import InternetUsed
from tests.kit.telegram import GROUP, MAYA, MOD


def jpeg(n: int, tag: bytes = b"") -> bytes:
    return b"\xff\xd8\xff\xe0" + tag + bytes([n % 251]) * (200 * n)


async def test_a_case_in_a_group_from_opening_to_a_moderator_decision(start_rig, settings):
    settings.moderators["telegram"] = [str(MOD)]
    rig = await start_rig()
    f = rig.fake
    maya, _, mod, group = rig.cast()

    await rig.say("maya", "/case new Soap photos amount=88 currency=USD role=freelancer")
    created = rig.expect("case_created")
    cid = created["case_id"]
    first = f.sent(GROUP)[-1]
    assert cid in first.text and first.params["parse_mode"] == "HTML" and created["invite_code"] in first.text

    await rig.say("clara", f"/case join {created['invite_code']} role=client")
    assert rig.expect("case_status")["parties"]["client"]["name"] == "Clara"

    # the brief comes with an "Agree" button; pressing it is the presser typing /brief agree
    await rig.say("clara", f"/brief {SOAP_BRIEF}")
    buttons = f.sent(GROUP)[-1].buttons
    assert [b["text"] for b in buttons] == ["Agree this brief"]
    press = f.callback(group, maya, buttons[0]["callback_data"])
    await rig.send(press)
    assert rig.dispatched[-1][0].user_id == str(MAYA) and rig.dispatched[-1][0].text == "/brief agree"
    assert rig.expect("brief")["agreed"] is True
    answered = f.methods("answerCallbackQuery")
    assert answered[-1].params["callback_query_id"] == press["callback_query"]["id"]
    assert "text" not in answered[-1].params
    # a second press does not agree twice: the engine refuses, and the press says why
    await rig.send(f.callback(group, maya, buttons[0]["callback_data"]))
    assert rig.expect("error")["code"] == "already_agreed"
    assert "already agreed" in f.methods("answerCallbackQuery")[-1].params["text"]

    # a photo delivered with /deliver in its caption: the largest size is the one kept
    sizes = [jpeg(1, b"s"), jpeg(3, b"m"), jpeg(9, b"L")]
    await rig.send(f.photo(group, maya, sizes, caption="/deliver 2 samples for approval"))
    delivery = rig.expect("delivery")
    assert len(delivery["files"]) == 1
    assert delivery["files"][0]["sha256"] == hashlib.sha256(sizes[-1]).hexdigest()
    largest = next(fid for fid, data in f.files.items() if data == sizes[-1])
    assert [c.params["file_id"] for c in f.methods("getFile")] == [largest]  # only the largest is fetched
    stored = Path(settings.storage.files_dir) / delivery["files"][0]["sha256"][:2] / delivery["files"][0]["sha256"]
    assert stored.read_bytes() == sizes[-1]

    # a document keeps its name; its hash is the one of the fake's file
    pdf = b"%PDF-1.4\n" + b"x" * 3000
    await rig.send(f.document(group, maya, pdf, "final set.pdf", "application/pdf", caption="/deliver the final set"))
    delivery = rig.expect("delivery")
    assert delivery["files"][0]["name"] == "final set.pdf"
    assert delivery["files"][0]["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert "Delivery 2 received" in f.sent(GROUP)[-1].text

    # an album: three photos sent together, the caption on the first, make one delivery
    album = [jpeg(4, b"a"), jpeg(5, b"b"), jpeg(6, b"c")]
    ups = [
        f.photo(group, maya, [data], caption="/deliver all 8 pictures" if i == 0 else None, media_group_id="77")
        for i, data in enumerate(album)
    ]
    deliveries_before = rig.count("delivery")
    await rig.send(*ups)
    await f.wait_for(lambda: rig.count("delivery") > deliveries_before)
    delivery = rig.expect("delivery")
    assert sorted(x["sha256"] for x in delivery["files"]) == sorted(hashlib.sha256(d).hexdigest() for d in album)

    # escalation, then a moderator works from a private chat with the bot
    await rig.say("clara", "/escalate these are not what I asked for")
    assert rig.expect("escalated")["case_id"] == cid
    mod_chat = f.private(mod)
    await rig.say("mod", "/start", chat=mod_chat)
    assert "/mod decide" in f.sent(MOD)[-1].text  # /start shows the help, moderator commands included
    await rig.say("mod", "/mod queue", chat=mod_chat)
    take = f.sent(MOD)[-1].buttons[0]
    assert take["text"] == f"Take {cid}"
    await rig.send(f.callback(mod_chat, mod, take["callback_data"]))
    assert rig.expect("mod_taken")["case_id"] == cid
    assert "A moderator (Mo) is now handling" in f.sent(GROUP)[-1].text  # the parties hear it in their group
    await rig.say("mod", f"/mod case {cid}", chat=mod_chat)
    text, document = f.sent(MOD)[-2:]  # the case file, then the same as a Markdown document
    assert "Brief v1 (agreed)" in text.text and document.files["document"].startswith(f"# Case {cid}".encode())
    await rig.say("mod", f"/mod decide {cid} release_full reason=8 of 8 delivered & approved", chat=mod_chat)
    assert rig.expect("decision")["outcome"] == "release_full"
    told = f.sent(GROUP)[-1].text
    assert "Moderator decision on case" in told and "8 of 8 delivered &amp; approved" in told
    assert rig.adapter.stats["errors"] == 0


async def test_private_reply_to_a_user_who_never_started_the_bot(start_rig, settings):
    settings.moderators["telegram"] = [str(MOD)]
    rig = await start_rig()
    f = rig.fake
    mod = rig.people["mod"]
    created = await case_at(rig)
    await rig.say("clara", "/escalate stuck")
    f.forbidden.add(str(MOD))
    await rig.say("mod", f"/mod case {created['case_id']}")
    assert rig.expect("case_file")  # the engine made the case file ...
    tries = [c for c in f.calls if c.method == "sendMessage" and c.chat_id == str(MOD)]
    assert tries and all(c.status == 403 for c in tries)  # ... Telegram refused the private chat ...
    told = f.sent(GROUP)[-1]
    assert "Mo, I have a private message for you" in told.text and "@MediatorTestBot" in told.text
    assert told.buttons[0]["url"].startswith("https://t.me/MediatorTestBot?start=")
    assert "Brief v1" not in told.text and "Soap" not in told.text  # ... and nothing private leaked
    # once the moderator starts the bot, the same command delivers privately
    f.forbidden.clear()
    await rig.say("mod", "/start", chat=f.private(mod))
    await rig.say("mod", f"/mod case {created['case_id']}")
    assert "Brief v1 (agreed)" in f.sent(MOD)[-2].text and f.sent(MOD)[-1].method == "sendDocument"
    assert rig.adapter.stats["errors"] == 0


async def test_user_text_is_escaped_and_markup_is_ours(start_rig):
    rig = await start_rig()
    f = rig.fake
    await rig.say("maya", "/case new <b>Soap</b> & <i>co amount=88 currency=USD role=freelancer")
    sent = f.sent(GROUP)[-1]
    assert sent.params["parse_mode"] == "HTML"
    assert "&lt;b&gt;Soap&lt;/b&gt; &amp; &lt;i&gt;co" in sent.text
    assert "<b>Soap</b>" not in sent.text and "<i>" not in sent.text
    assert re.match(r"<b>Case C\w+</b>\n", sent.text)  # the title is the bot's own markup


async def test_a_long_reply_is_split_on_lines(start_rig, settings):
    settings.limits.max_message_chars = 12_000
    rig = await start_rig()
    f = rig.fake
    await case_at(rig, "joined")
    long_brief = "\n".join(f"Picture {i}: a soap on slate, natural light, square JPG, 1080x1080." for i in range(90))
    before = len(f.sent(GROUP))
    await rig.say("clara", "/brief " + long_brief)
    chunks = f.sent(GROUP)[before:]
    reply = rig.dispatched[-1][1][0]
    assert reply.type == "brief"
    full = render(reply, rig.adapter.caps)
    assert len(full) > MESSAGE_LIMIT and len(chunks) >= 2
    assert all(len(c.text) <= MESSAGE_LIMIT for c in chunks)
    assert "\n".join(c.text for c in chunks) == full  # cut only between lines, nothing lost
    assert [bool(c.buttons) for c in chunks] == [False] * (len(chunks) - 1) + [True]


async def test_flood_limit_is_waited_out_and_network_errors_retried(start_rig):
    rig = await start_rig()
    f = rig.fake
    f.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    await rig.say("maya", "/help")
    tries = [c for c in f.calls if c.method == "sendMessage"]
    assert [c.status for c in tries] == [429, 200]
    assert tries[1].at - tries[0].at >= 0.95
    assert "Mediator commands" in tries[1].text
    f.fail("sendMessage", 502, "Bad Gateway", times=2)
    await rig.say("maya", "/help")
    assert [c.status for c in f.calls if c.method == "sendMessage"][2:] == [502, 502, 200]
    assert rig.adapter.stats["retries"] == 3 and rig.adapter.stats["errors"] == 0


async def test_markup_telegram_cannot_parse_is_sent_as_plain_text(start_rig):
    rig = await start_rig()
    f = rig.fake
    f.fail("sendMessage", 400, "Bad Request: can't parse entities: unexpected end tag at byte offset 3")
    await rig.say("maya", "/case new A & B amount=10 currency=EUR role=client")
    tries = [c for c in f.calls if c.method == "sendMessage"]
    assert [c.status for c in tries] == [400, 200]
    assert "parse_mode" not in tries[1].params
    assert "<b>" not in tries[1].text and "A & B" in tries[1].text


async def test_an_update_delivered_twice_is_applied_once_even_after_a_restart(start_rig):
    rig = await start_rig()
    f = rig.fake
    maya, clara, _, group = rig.cast()
    await case_at(rig)
    deliver = f.message(group, maya, "/deliver 8 pictures")
    await rig.send(deliver, deliver)
    assert rig.adapter.stats["duplicates"] == 1
    sent = len(f.sent(GROUP))
    # a new process has no memory of the update; the engine still applies it only once
    await rig.restart()
    replies = await rig.send(deliver)
    assert replies == [] and len(f.sent(GROUP)) == sent
    await rig.say("maya", "/case status")
    assert rig.expect("case_status")["deliveries"] == 1
    # the same button press delivered twice acts once
    press = f.callback(group, clara, "/approve 8 pictures")
    await rig.send(press, press)
    assert rig.count("approval") == 1
    assert len(f.methods("answerCallbackQuery")) == 1


async def test_updates_without_a_person_or_a_message_do_not_break_the_loop(start_rig, caplog):
    rig = await start_rig()
    f = rig.fake
    maya, clara, _, group = rig.cast()
    anon = f.user(1087968824, "Group", "GroupAnonymousBot")
    anon["is_bot"] = True
    channel = {"id": -1009999, "type": "channel", "title": "News"}
    odd = [
        f.message(channel, None, "/case new Spam amount=1 currency=USD role=client", kind="channel_post"),
        f.message(
            group,
            maya,
            "/case new Edited amount=1 currency=USD role=client",
            kind="edited_message",
            edit_date=int(time.time()),
        ),
        f.message(group, maya, None, new_chat_members=[clara]),  # a service message
        f.message(group, maya, None, left_chat_member=clara),
        f.message(group, anon, "/case new Anon amount=1 currency=USD role=client", sender_chat=group),
        f.message(
            group,
            maya,
            "/case new Fwd amount=1 currency=USD role=client",
            forward_origin={"type": "user", "date": int(time.time()), "sender_user": clara},
        ),
        f.message(group, maya, "/start@SomeOtherBot"),
        f.message(group, maya, "/weather"),  # another bot's command
        f.callback(None, maya, "/case status"),  # a press with no message
        f.callback(group, maya, "k:no-such-key"),  # a key from before a restart
        f.message(group, maya, "just chatting"),
    ]
    await rig.send(*odd)
    # not even a message Telegram could send: the library drops the batch it came in and polls on
    f.inject({"update_id": 1, "message": {"message_id": 5}})
    await f.wait_for(lambda: f.pending == 0)
    await rig.say("clara", "/help")
    assert "Mediator commands" in f.sent(GROUP)[-1].text
    reached = {inc.text: inc for inc, _ in rig.dispatched}
    assert sorted(reached) == ["/case status", "/help", "just chatting"]  # nothing else reached the engine
    assert reached["/case status"].private is True and reached["/case status"].chat_id == str(MAYA)
    assert any("Remain anonymous" in c.text for c in f.sent(GROUP))
    assert any("expired" in c.params.get("text", "") for c in f.methods("answerCallbackQuery"))
    assert len(f.methods("answerCallbackQuery")) == 2  # both presses answered
    assert not any("Case C" in c.text for c in f.sent())  # no case was opened by any of them
    assert rig.adapter.stats["errors"] == 0


async def test_files_over_the_cap_are_refused_before_download(start_rig, settings):
    settings.storage.max_attachment_mb = 0.004  # 4,000 bytes
    rig = await start_rig()
    f = rig.fake
    maya, _, _, group = rig.cast()
    await case_at(rig)
    big = b"%PDF-1.4\n" + b"0" * 6000
    await rig.send(f.document(group, maya, big, "big.pdf", "application/pdf", caption="/deliver all of it"))
    refusal = f.sent(GROUP)[-1].text
    assert "big.pdf is 0.0 MB; the limit is 0.004 MB. Nothing was delivered." in refusal
    assert f.methods("getFile") == []  # the declared size was enough to refuse
    # a file whose declared size hides its real size is refused once Telegram says how big it is
    await rig.send(f.document(group, maya, big, "sly.pdf", "application/pdf", caption="/deliver", declared_size=10))
    assert "sly.pdf is" in f.sent(GROUP)[-1].text and len(f.methods("getFile")) == 1
    assert f.methods("download") == []
    # an over-long caption is refused by the engine without downloading anything
    await rig.send(f.document(group, maya, b"%PDF small", "s.pdf", "application/pdf", caption="/deliver " + "x" * 5000))
    assert rig.expect("error")["code"] == "too_long" and f.methods("download") == []
    await rig.say("maya", "/case status")
    assert rig.expect("case_status")["deliveries"] == 0


async def test_a_burst_of_500_updates_is_answered_once_each_in_order(start_rig, capsys):
    rig = await start_rig()
    f = rig.fake
    clara = rig.people["clara"]
    groups = [f.group(-5000 - i, f"Project {i}") for i in range(5)]
    for g in groups:
        await case_at(rig, "joined", chat=g)
    marks = {g["id"]: len(f.sent(g["id"])) for g in groups}
    burst = [f.message(g, clara, f"/request change number {k:03d}") for k in range(100) for g in groups]
    t0 = time.perf_counter()
    await rig.send(*burst, timeout=60)
    await f.wait_for(lambda: sum(len(f.sent(g["id"])) - marks[g["id"]] for g in groups) >= 500, 30)
    elapsed = time.perf_counter() - t0
    for g in groups:
        answers = [c.text for c in f.sent(g["id"])[marks[g["id"]] :]]
        numbers = [int(m.group(1)) for a in answers if (m := re.search(r"change number (\d+)", a))]
        assert numbers == list(range(100)), f"group {g['id']}"  # every one, once, in order
        ids = [int(re.search(r"Change request (\d+)", a).group(1)) for a in answers]
        assert ids == sorted(set(ids))
    assert len(rig.dispatched) == 5 * 2 + 500 and rig.adapter.stats["errors"] == 0
    with capsys.disabled():
        print(
            f"\n[telegram] burst of 500 updates over 5 groups answered in {elapsed:.2f} s "
            f"({500 / elapsed:.0f} updates/s)"
        )


async def test_commands_are_published_and_privacy_mode_is_logged(start_rig, caplog):
    caplog.set_level(logging.INFO, logger="mediator.telegram")
    rig = await start_rig(sees_all_messages=False)
    published = rig.fake.methods("setMyCommands")[-1].params["commands"]
    names = [c["command"] for c in published]
    assert {
        "help",
        "case",
        "brief",
        "deliver",
        "approve",
        "request",
        "scope",
        "assess",
        "dispute",
        "proposals",
        "accept",
        "reject",
        "offer",
        "escalate",
        "feedback",
        "mod",
    } <= set(names)
    assert "clock" not in names and len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9_]{1,32}", n) for n in names)
    assert all(0 < len(c["description"]) <= 256 for c in published)
    assert "/case new" in next(c["description"] for c in published if c["command"] == "case")
    assert "privacy mode on" in caplog.text
    await rig.fake.wait_for(lambda: rig.fake.methods("getUpdates"))
    calls = [c.method for c in rig.fake.calls]
    assert calls.index("getMe") < calls.index("deleteWebhook") < calls.index("getUpdates")


async def test_long_button_commands_get_short_keys(start_rig):
    rig = await start_rig()
    f = rig.fake
    maya, _, _, group = rig.cast()
    long_command = "/case status " + "C" + "9" * 80
    await rig.adapter.send(
        Reply(text="Pick one", options=[Option("Status", long_command), Option("Help", "/help")]),
        Address("telegram", str(GROUP)),
    )
    buttons = f.sent(GROUP)[-1].buttons
    assert buttons[1]["callback_data"] == "/help"
    key = buttons[0]["callback_data"]
    assert key.startswith("k:") and len(key.encode()) <= CALLBACK_DATA_LIMIT
    await rig.send(f.callback(group, maya, key))
    assert rig.dispatched[-1][0].text == long_command
    assert rig.expect("error")["code"] == "unknown_case"


async def test_webhook_mode_checks_the_secret_on_every_request(start_rig, settings, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.telegram.webhook_url = "https://mediator.example.invalid/tg/hook"
    settings.telegram.listen = f"127.0.0.1:{port}"
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    rig = await start_rig(start_adapter=False)
    with pytest.raises(RuntimeError, match="TELEGRAM_WEBHOOK_SECRET"):
        await rig.adapter.start()
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "s3cret_token-1")
    rig.adapter = TelegramAdapter(rig.hub, settings, rig.fake.token, poll_timeout=1)
    await rig.adapter.start()
    hook = rig.fake.methods("setWebhook")[-1].params
    assert hook["url"] == settings.telegram.webhook_url and hook["secret_token"] == "s3cret_token-1"
    assert rig.fake.methods("getUpdates") == []
    maya, _, _, group = rig.cast()
    url = f"http://127.0.0.1:{port}/tg/hook"
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with http.post(url, json=rig.fake.message(group, maya, "/help"), headers=headers) as r:
                assert r.status == 403
        async with http.post(
            url,
            json=rig.fake.message(group, maya, "/help"),
            headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret_token-1"},
        ) as r:
            assert r.status == 200
    await rig.fake.wait_for(lambda: rig.fake.sent(GROUP))
    assert "Mediator commands" in rig.fake.sent(GROUP)[-1].text
    assert len(rig.dispatched) == 1


async def test_reply_charts_are_sent_as_photos(start_rig):
    rig = await start_rig()
    f = rig.fake
    png = b"\x89PNG\r\n\x1a\n" + b"c" * 500
    await rig.adapter.send(
        Reply(text="Money split", title="<Outcome>", attachments=[OutFile("split.png", png, "image/png")]),
        Address("telegram", str(GROUP)),
    )
    photo = f.methods("sendPhoto")[-1]
    assert photo.files["photo"] == png and photo.params["caption"] == "<b>&lt;Outcome&gt;</b>\nMoney split"
    await rig.adapter.send(
        Reply(text="x\n" * 700, attachments=[OutFile("split.png", png, "image/png")]), Address("telegram", str(GROUP))
    )
    assert f.calls[-2].method == "sendMessage" and f.calls[-1].method == "sendPhoto"
    assert "caption" not in f.calls[-1].params


async def test_no_test_here_can_reach_the_internet(loopback_only):
    with pytest.raises(InternetUsed):
        socket.create_connection(("203.0.113.7", 443), timeout=1)
    with pytest.raises(InternetUsed):
        socket.getaddrinfo("api.telegram.org", 443)
    with pytest.raises(InternetUsed):
        reader = asyncio.open_connection("198.51.100.1", 80)
        await asyncio.wait_for(reader, 2)
    assert [a[0] for a in loopback_only] == ["203.0.113.7", "api.telegram.org", "198.51.100.1"]
    loopback_only.clear()  # seen and refused: the guard works


@pytest.mark.model  # `mediator run` loads the model in its process
async def test_mediator_run_platform_telegram_serves_until_interrupted(tmp_path):
    """The command line as an operator runs it: token from the environment, API base from the config."""
    fake = await FakeTelegram(can_read_all_group_messages=False).start()
    try:
        cfg = tmp_path / "config.toml"
        cfg.write_text(f"""
[database]
url = "sqlite:///{tmp_path}/run.db"
[storage]
files_dir = "{tmp_path}/files"
[telegram]
api_base_url = "{fake.base_url}"
file_base_url = "{fake.file_base_url}"
""")
        env = {k: v for k, v in os.environ.items() if k != "MEDIATOR_DATABASE_URL"}
        env.update(TELEGRAM_BOT_TOKEN=fake.token, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--platform",
            "telegram",
            "--config",
            str(cfg),
            cwd=Path(__file__).resolve().parents[1],
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await fake.wait_for(lambda: fake.methods("getUpdates"), timeout=30)
            group = fake.group(GROUP)
            fake.inject(fake.message(group, fake.user(MAYA, "Maya"), "/help"))
            await fake.wait_for(lambda: fake.sent(GROUP), timeout=10)
            assert "Mediator commands" in fake.sent(GROUP)[-1].text
            polls = len(fake.methods("getUpdates"))
            proc.send_signal(signal.SIGINT)
            _, err = await asyncio.wait_for(proc.communicate(), 20)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        assert proc.returncode == 0, err.decode()[-2000:]
        assert b"privacy mode on" in err and fake.token.encode() not in err
        # a clean stop confirms the last updates without waiting for a long poll
        assert fake.methods("getUpdates")[polls:][-1].params["timeout"] in ("0", 0, "0.0")
    finally:
        await fake.close()


async def test_a_wrong_token_is_a_clear_start_up_error(start_rig, settings):
    rig = await start_rig(start_adapter=False)
    adapter = TelegramAdapter(rig.hub, settings, "999:not-the-token", poll_timeout=1)
    with pytest.raises(RuntimeError, match="rejected the bot token"):
        await adapter.start()
    await adapter.stop()  # nothing was started: a no-op


async def test_a_group_that_became_a_supergroup_still_gets_its_reply(start_rig):
    rig = await start_rig()
    f = rig.fake
    f.fail("sendMessage", 400, "Bad Request: group chat was upgraded to a supergroup chat", migrate_to=-1001234567890)
    await rig.say("maya", "/help")
    tries = [c for c in f.calls if c.method == "sendMessage"]
    assert [(c.chat_id, c.status) for c in tries] == [(str(GROUP), 400), ("-1001234567890", 200)]


async def test_the_founding_story_settles_with_proposal_buttons(start_rig):
    rig = await start_rig()
    f = rig.fake
    maya, clara, _, group = rig.cast()
    created = await case_at(rig)
    pictures = [filemakers.jpeg_bytes(i) for i in range(8)]
    await rig.send(
        f.photo(group, maya, [pictures[0]], caption="/deliver sample 1", media_group_id="s"),
        f.photo(group, maya, [pictures[1]], media_group_id="s"),
    )
    await f.wait_for(lambda: rig.count("delivery"))
    await rig.say("clara", "/approve 2 samples")
    rest = [
        f.photo(group, maya, [p], caption="/deliver the remaining 6" if i == 0 else None, media_group_id="r")
        for i, p in enumerate(pictures[2:])
    ]
    await rig.send(*rest)
    await f.wait_for(lambda: rig.count("delivery") >= 2)

    # a plain group message from the client is read and flagged as beyond the brief
    await rig.say(
        "clara",
        "Got all 8, but honestly I wanted pictures with people in them, a model "
        "holding the soap outside in a garden. Can you redo them like that?",
    )
    flag = rig.expect("scope")
    assert flag["out_of_scope"] is True and flag["kind"] == "attribute"
    assert "goes beyond the brief" in f.sent(GROUP)[-1].text

    await rig.say("maya", "/dispute the client wants a different shoot")
    assessment = rig.expect("assessment")
    assert next(r for r in assessment["requirements"] if r["kind"] == "deliverable")["verdict"] == "met"
    items = rig.expect("proposals")["items"]
    assert [i["kind"] for i in items[:2]] == ["release_full", "change_order"]
    chart = f.methods("sendPhoto")[-1]
    assert chart.chat_id == str(GROUP)
    keyboard = next(m for m in reversed(f.sent(GROUP)) if any("Accept" in b["text"] for b in m.buttons)).buttons
    # the proposals are one message for a phone screen, and every one of them can be accepted
    [shown] = [m for m in f.sent(GROUP) if "Proposals for case" in m.text]
    assert len(shown.text) <= 4096 and all(f"<b>{i['id']} " in shown.text for i in items)
    assert {f"Accept {i['id']}" for i in items} | {f"Why {i['id']}?" for i in items} <= {b["text"] for b in keyboard}
    why = next(b for b in keyboard if b["text"] == f"Why {items[1]['id']}?")
    await rig.send(f.callback(group, clara, why["callback_data"]))
    assert rig.expect("proposal")["item"]["id"] == items[1]["id"]
    accept = next(b for b in keyboard if b["text"] == f"Accept {items[0]['id']}")
    await rig.send(f.callback(group, clara, accept["callback_data"]))
    assert rig.expect("proposal_vote")["role"] == "client"
    await rig.send(f.callback(group, maya, accept["callback_data"]))
    settled = rig.expect("case_status")
    assert settled["case_id"] == created["case_id"] and settled["status"] == "settled"
    assert settled["agreement"]["kind"] == "release_full"
    assert "is settled" in f.sent(GROUP)[-1].text
    assert rig.adapter.stats["errors"] == 0


async def test_with_privacy_mode_on_the_group_is_told_once_how_to_enable_scanning(start_rig):
    rig = await start_rig(sees_all_messages=False)
    f = rig.fake
    await case_at(rig)
    notes = [m for m in f.sent(GROUP) if "privacy mode" in m.text]
    assert len(notes) == 2  # when the case opens here, and when the other side joins here
    assert all("BotFather" in m.text for m in notes)
    await rig.say("maya", "/case status")
    assert "privacy mode" not in f.sent(GROUP)[-1].text  # not repeated on every status once agreed


async def test_a_private_notice_for_someone_who_never_started_the_bot_waits_for_them(start_rig):
    rig = await start_rig()
    f = rig.fake
    f.forbidden.add(str(MOD))
    notice = Reply(
        text="Reminder: case C12345 waits for a decision.",
        private=True,
        data={"type": "deadline"},
        to=Address("telegram", str(MOD), str(MOD)),
    )
    await rig.hub.deliver(notice)
    assert not any("waits for a decision" in m.text for m in f.sent(MOD))
    f.forbidden.clear()
    assert await rig.hub.flush("telegram") == 0  # it waits for them, not for the clock
    mod = rig.people["mod"]
    await rig.say("mod", "/start", chat=f.private(mod))  # the moderator presses Start
    assert any("waits for a decision" in m.text for m in f.sent(MOD))
    assert await rig.hub.flush("telegram") == 0
