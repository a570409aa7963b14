"""Hostile chat input: server paths, blind offers in public, rebinding a shared chat, bad input,
display spoofing, and refusals that flood a case's audit trail."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from bot.messages import Incoming
from mediation.models import AuditEntry, ChatBinding, Delivery, Offer
from tests.kit import case_at, expect, filemakers
from tests.kit.telegram import GROUP


def err(replies) -> dict:
    return expect(replies, "error")


def rows(chat, model, *where):
    with chat.hub.engine.store.transaction() as s:
        return list(s.exec(select(model).where(*where)))


async def disputed(chat):
    """The soap case, agreed and disputed before any delivery."""
    created = await case_at(chat)
    await chat.say("clara", "/dispute I expected something else")
    return created


# -- 1: a remote chat never names a server path ----------------------------------------------------


async def test_file_tokens_from_a_chat_platform_never_touch_the_server(chat, tmp_path, monkeypatch):
    created = await case_at(chat)
    secret = tmp_path / "server-secret.txt"
    secret.write_text("the server's own file")
    touched: list[str] = []
    real_is_file = Path.is_file
    monkeypatch.setattr(Path, "is_file", lambda self: touched.append(str(self)) or real_is_file(self))
    real = err(await chat.say("maya", f"/deliver the final set file={secret}"))
    missing = err(await chat.say("maya", "/deliver the final set file=/no/such/file"))
    assert real["code"] == missing["code"] == "server_path_refused"
    assert real["message"] == missing["message"]  # no probe: an existing path and a missing one look alike
    assert "not found" not in real["message"].lower() and str(secret) not in real["message"]
    assert touched == []
    assert rows(chat, Delivery, Delivery.case_id == created["case_id"]) == []
    assert not Path(chat.hub.engine.settings.storage.files_dir).exists() or not any(
        Path(chat.hub.engine.settings.storage.files_dir).rglob("*")
    )


async def test_platform_attachments_still_deliver(chat, tmp_path):
    await case_at(chat)
    pics = filemakers.photos(tmp_path / "pics", 2)
    d = (await chat.say("maya", "/deliver two samples", files=[str(p) for p in pics])).expect("delivery")
    assert len(d["files"]) == 2


# -- 5: blind offers stay blind --------------------------------------------------------------------


async def test_an_offer_in_a_shared_chat_is_refused_and_not_recorded(chat):
    created = await disputed(chat)
    out = await chat.say("clara", "/offer 12.91")
    e = err(out)
    assert e["code"] == "offer_not_private" and e.get("delete_message") is True
    assert "privately" in e["message"] and "12.91" not in e["message"]
    assert rows(chat, Offer, Offer.case_id == created["case_id"]) == []
    assert not [a for a in rows(chat, AuditEntry, AuditEntry.chain == created["case_id"]) if "12.91" in str(a.detail)]
    ok = (await chat.say("clara", "/offer 12.91", private=True)).expect("offer_received")
    assert ok["case_id"] == created["case_id"]


async def test_an_appeal_moderator_does_not_see_the_offers_before_deciding(chat):
    created = await disputed(chat)
    cid = created["case_id"]
    await chat.say("clara", "/offer 80", private=True)
    await chat.say("maya", "/offer 5", private=True)
    await chat.say("clara", "/escalate offers far apart")
    chat.hub.engine.settings.moderators["memory"] = ["mod", "mod2"]
    await chat.say("mod", f"/mod take {cid}", chat="mods")
    assert (await chat.say("mod", f"/mod case {cid}", chat="mods")).expect("case_file")["offers"] is None
    await chat.say("mod", f"/mod decide {cid} partial_refund 40 reason=split the difference", chat="mods")
    assert (await chat.say("mod", f"/mod case {cid}", chat="mods")).expect("case_file")["offers"]  # decided: shown
    await chat.say("maya", "/appeal the work met the brief")
    await chat.say("mod2", f"/mod take {cid}", chat="mods")
    appeal_file = (await chat.say("mod2", f"/mod case {cid}", chat="mods")).expect("case_file")
    assert appeal_file["offers"] is None


async def test_help_says_a_settled_amount_bounds_the_other_offer(chat):
    text = chat.text(await chat.say("clara", "/help"))
    assert "settled amount" in text and "bounds the other" in text


# -- 6: a stranger cannot rebind a shared chat -----------------------------------------------------


async def test_a_stranger_cannot_rebind_a_case_chat(chat):
    created = await case_at(chat)
    cid = created["case_id"]
    e = err(await chat.say("eve", "/case new Mine now amount=5 currency=USD role=client"))
    assert e["code"] == "chat_bound"
    [binding] = rows(chat, ChatBinding, ChatBinding.chat_id == "chat")
    assert binding.case_id == cid
    other = (await chat.say("eve", "/case new Mine amount=5 currency=USD role=client", chat="elsewhere")).expect(
        "case_created"
    )
    e = err(await chat.say("bob", f"/case join {other['invite_code']} role=freelancer"))
    assert e["code"] == "chat_bound"
    assert rows(chat, ChatBinding, ChatBinding.chat_id == "chat")[0].case_id == cid
    # the parties' plain messages are still evidence of their case
    await chat.say("clara", "just checking in")
    assert any(a.action == "message" for a in rows(chat, AuditEntry, AuditEntry.chain == cid))
    # one case per place: not even a party opens a second case while the first is open; an agreed
    # case cannot just be closed
    [refusal] = await chat.say("maya", "/case new Next job amount=50 currency=USD role=freelancer")
    assert refusal.data["code"] == "chat_has_case" and refusal.data["case_id"] == cid and not refusal.options
    assert err(await chat.say("maya", "/case close"))["code"] == "case_under_way"


async def test_a_chat_holds_one_open_case_and_a_case_not_yet_agreed_can_be_closed(chat):
    first = (await chat.say("maya", "/case new Draft amount=50 currency=USD role=freelancer")).expect("case_created")
    [refusal] = await chat.say("maya", "/case new Next job amount=50 currency=USD role=freelancer")
    assert refusal.data["code"] == "chat_has_case" and "private chat" in refusal.text
    assert [o.command for o in refusal.options] == [f"/case close {first['case_id']}"]
    assert err(await chat.say("eve", f"/case close {first['case_id']}"))["code"] == "not_a_party"
    closed = (await chat.say("maya", refusal.options[0].command)).expect("case_status")
    assert closed["status"] == "cancelled"
    actions = [a.action for a in rows(chat, AuditEntry, AuditEntry.chain == first["case_id"])]
    assert "case.withdrawn" in actions
    moved = (await chat.say("maya", "/case new Next job amount=50 currency=USD role=freelancer")).expect("case_created")
    assert rows(chat, ChatBinding, ChatBinding.chat_id == "chat")[0].case_id == moved["case_id"]
    # in a private chat nothing is bound, so a person may keep several cases there
    (await chat.say("maya", "/case new Third amount=5 currency=USD role=freelancer", private=True)).expect(
        "case_created"
    )


# -- 7: bad input gets a specific error ------------------------------------------------------------


@pytest.mark.parametrize(
    "line, code",
    [
        ("/request add\x00 more", "bad_input"),
        ("/case new T\x00 amount=5 currency=USD role=client", "bad_input"),
        ("/offer 12345678901234567890123456789012", "bad_amount"),
        ("/offer 1e999", "bad_amount"),
        ("/request café \udcff", "bad_encoding"),
        ("/case new T amount=5 currency=USD role=client role=freelancer", "repeated_key"),
        ("/scope brief=a brief=b request=c", "repeated_key"),
    ],
)
async def test_bad_input_gets_a_specific_error(new_chat, db_url, line, code):
    chat = new_chat(db_url)  # on SQLite, and on PostgreSQL
    await disputed(chat)
    e = err(await chat.say("clara", line, private=line.startswith("/offer")))
    assert e["code"] == code, e


async def test_absurd_decision_amounts_are_refused(new_chat, db_url):
    chat = new_chat(db_url)  # on SQLite, and on PostgreSQL
    created = await disputed(chat)
    cid = created["case_id"]
    await chat.say("clara", "/escalate stuck")
    await chat.say("mod", f"/mod take {cid}", chat="mods")
    e = err(await chat.say("mod", f"/mod decide {cid} partial_refund {'9' * 40} reason=x", chat="mods"))
    assert e["code"] == "bad_amount"


def console_say(engine, user, text):
    return engine.handle_sync(Incoming(platform="console", chat_id="console", user_id=user, user_name=user, text=text))


async def test_console_clock_moves_only_within_a_sane_window(chat):
    engine = chat.hub.engine
    before = engine.clock.now()
    assert expect(console_say(engine, "op", "/clock advance 3000000d"), "error")["code"] == "bad_duration"
    assert expect(console_say(engine, "op", "/clock set 0001-01-01"), "error")["code"] == "bad_date"
    assert expect(console_say(engine, "op", "/clock set 9999-12-31"), "error")["code"] == "bad_date"
    assert engine.clock.now() == before
    assert expect(console_say(engine, "op", "/clock advance 3d"), "clock")  # the session still works
    assert expect(console_say(engine, "op", "/help"), "help")


async def test_a_long_file_name_in_the_console_is_a_clear_error(chat, tmp_path):
    engine = chat.hub.engine
    created = expect(console_say(engine, "maya", "/case new T amount=5 currency=USD role=freelancer"), "case_created")
    console_say(engine, "clara", f"/case join {created['invite_code']} role=client")
    console_say(engine, "clara", "/brief 2 photos as JPG")
    assert expect(console_say(engine, "maya", "/brief agree"), "brief")["agreed"]
    e = expect(console_say(engine, "maya", f"/deliver x file={tmp_path}/{'a' * 300}.jpg"), "error")
    assert e["code"] == "too_long", e
    e = expect(console_say(engine, "maya", f"/deliver x file={tmp_path}/{'a' * 150}/{'b' * 150}/{'c' * 3000}"), "error")
    assert e["code"] in {"too_long", "bad_file"}, e


# -- 9: display spoofing, refusal floods, and case ids that say nothing ------------------------------


async def test_control_and_bidi_characters_are_not_stored_or_echoed(chat):
    created = (
        await chat.say("maya", "/case new Logo\u202egnp.exe\u2066 x\x1b[31m amount=5 currency=USD role=freelancer")
    ).expect("case_created")
    status = (await chat.say("maya", f"/case status {created['case_id']}")).expect("case_status")
    for bad in ("\u202e", "\u2066", "\x1b"):
        assert bad not in status["title"]
    joined = await chat.say("clara\u202e", f"/case join {created['invite_code']} role=client")
    assert "\u202e" not in chat.text(joined)


async def test_refusals_per_actor_and_case_are_rate_limited(chat):
    created = await case_at(chat)
    cid = created["case_id"]
    codes = [err(await chat.say("eve", f"/approve nothing case={cid}", chat="x"))["code"] for _ in range(40)]
    refused = [a for a in rows(chat, AuditEntry, AuditEntry.chain == cid) if a.action == "refused"]
    assert 0 < len(refused) <= 10
    assert codes[0] == "not_a_party" and codes[-1] == "too_many_attempts"


async def test_case_status_does_not_tell_unknown_from_someone_elses(chat):
    created = await case_at(chat)
    theirs = err(await chat.say("eve", f"/case status {created['case_id']}", chat="x"))
    unknown = err(await chat.say("eve", "/case status CZZZZZ", chat="x"))
    assert theirs["code"] == unknown["code"] == "unknown_case"
    assert theirs["message"].replace(created["case_id"], "?") == unknown["message"].replace("CZZZZZ", "?")


# -- the same holes through the real Telegram adapter ------------------------------------------------


async def test_telegram_text_cannot_deliver_a_server_file_and_public_offers_are_deleted(start_rig, tmp_path):
    rig = await start_rig()
    f = rig.fake
    _maya, clara, _mod, group = rig.cast()
    created = await case_at(rig)
    secret = tmp_path / "secret.txt"
    secret.write_text("server only")
    out = await rig.say("maya", f"/deliver the final set file={secret}")
    assert out.expect("error")["code"] == "server_path_refused"
    assert "sha256" not in f.sent(GROUP)[-1].text and "File not found" not in f.sent(GROUP)[-1].text
    await rig.say("clara", "/dispute not what I asked")
    offer = f.message(group, clara, "/offer 12.91")
    out = await rig.send(offer)
    assert out.expect("error")["code"] == "offer_not_private"
    assert (str(GROUP), offer["message"]["message_id"]) in f.deleted
    assert not any("12.91" in c.text for c in f.sent(GROUP))
    with rig.hub.engine.store.transaction() as s:
        assert list(s.exec(select(Offer).where(Offer.case_id == created["case_id"]))) == []
