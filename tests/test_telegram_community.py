"""Telegram the way its groups expect: a group upgraded to a supergroup keeps its case, one case per
group, onboarding by deep links and buttons. The real python-telegram-bot against the fake Bot API."""

from __future__ import annotations

from sqlmodel import select

from bot.messages import Address, Reply
from mediation.chats import CHAT_MOVED
from mediation.models import AuditEntry, CaseMember, ChatBinding, OutboxMessage
from mediation.vocabulary import ReplyKind
from tests.kit import case_at
from tests.kit.telegram import CLARA, GROUP

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


async def test_a_group_upgraded_to_a_supergroup_keeps_its_case_and_its_waiting_notices(start_rig):
    rig = await start_rig()
    f = rig.fake
    maya, clara, _, group = rig.cast()
    created = await case_at(rig)
    cid = created["case_id"]
    # a notice for the group waits in the outbox (Telegram was unreachable a moment ago)
    await rig.hub.keep(
        Reply(
            text="Reminder: the brief is agreed.", data={"type": ReplyKind.NOTICE}, to=Address("telegram", str(GROUP))
        )
    )

    # the group is upgraded: Telegram says so in the old chat, then again in the new one
    supergroup = f.group(SUPERGROUP, "Soap photos")
    await rig.send(f.message(group, maya, None, migrate_to_chat_id=SUPERGROUP))
    await rig.send(f.message(supergroup, maya, None, migrate_from_chat_id=GROUP))

    bindings = rows(rig, ChatBinding, case_id=cid)  # the chat's own, and each person's current case there
    assert {b.chat_id.split("#")[0] for b in bindings} == {str(SUPERGROUP)}
    assert {m.chat_id for m in rows(rig, CaseMember, case_id=cid)} == {str(SUPERGROUP)}
    [waiting] = rows(rig, OutboxMessage)
    assert waiting.chat_id == str(SUPERGROUP)
    [moved] = rows(rig, AuditEntry, chain=cid, action=CHAT_MOVED)  # recorded once, though announced twice
    assert moved.detail == {"platform": "telegram", "from": str(GROUP), "to": str(SUPERGROUP), "notices": 1}

    # the waiting notice goes to the new chat, and the client's words there are still scanned
    assert await rig.hub.flush("telegram") == 1
    assert "Reminder" in f.sent(SUPERGROUP)[-1].text
    await rig.send(f.message(supergroup, clara, OUT_OF_SCOPE), timeout=60)  # the model loads on first use
    flag = rig.expect("scope")
    assert flag["case_id"] == cid and flag["out_of_scope"] is True
    assert "goes beyond the brief" in f.sent(SUPERGROUP)[-1].text
    await rig.send(f.message(supergroup, maya, "/case status"))
    assert rig.expect("case_status")["case_id"] == cid


async def test_a_reply_refused_because_the_group_migrated_moves_the_case_too(start_rig):
    rig = await start_rig()
    f = rig.fake
    maya, _clara, _, group = rig.cast()
    created = await case_at(rig, "joined")
    f.fail("sendMessage", 400, "Bad Request: group chat was upgraded to a supergroup chat", migrate_to=SUPERGROUP)
    await rig.send(f.message(group, maya, "/case status"))
    assert f.sent(SUPERGROUP)  # the reply followed the group
    [binding] = [b for b in rows(rig, ChatBinding, case_id=created["case_id"]) if "#user:" not in b.chat_id]
    assert binding.chat_id == str(SUPERGROUP)


async def test_a_group_holds_one_case_and_a_second_offers_closing_it_or_a_private_chat(start_rig):
    rig = await start_rig()
    f = rig.fake
    maya, _clara, _, group = rig.cast()
    created = await case_at(rig, "joined")
    cid = created["case_id"]
    await rig.send(f.message(group, maya, "/case new Logo amount=300 currency=EUR role=freelancer"))
    refusal = f.sent(GROUP)[-1]
    assert f"already holds case {cid}" in refusal.text
    buttons = {b["text"]: b for b in refusal.buttons}
    assert buttons[f"Close case {cid}"]["callback_data"] == f"/case close {cid}"
    assert buttons["Continue in private chat"]["url"] == "https://t.me/MediatorTestBot?start=new"

    # continuing privately: the link's /start new is the start of a case in the private chat
    await rig.send(f.message(f.private(maya), maya, "/start new"))
    assert "title" in f.sent(maya["id"])[-1].text.lower()

    # closing the first (its brief is not agreed yet) frees the group
    await rig.send(f.callback(group, maya, f"/case close {cid}"))
    assert rig.expect("case_status")["status"] == "cancelled"
    await rig.send(f.message(group, maya, "/case new Logo amount=300 currency=EUR role=freelancer"))
    assert rig.expect("case_created")["case_id"] != cid


async def test_the_invite_is_a_deep_link_that_joins_privately_with_the_role_by_button(start_rig):
    rig = await start_rig(sees_all_messages=False)
    f = rig.fake
    maya, clara, _, group = rig.cast()
    await rig.send(f.message(group, maya, "/case new Soap photos amount=88 currency=USD role=freelancer"))
    created = rig.expect("case_created")
    code = created["invite_code"]
    text = f.sent(GROUP)[0].text
    assert f"<code>{code}</code>" in text and f"<code>/case join {code} role=client</code>" in text  # tap to copy
    assert f"https://t.me/MediatorTestBot?start={code}" in text
    note = next(m.text for m in f.sent(GROUP) if "privacy mode" in m.text)
    assert "remove me from this group and add me again" in note and "/setprivacy" in note

    # clara taps the link: Telegram opens the private chat and sends /start <code>
    private = f.private(clara)
    await rig.send(f.message(private, clara, f"/start {code}"))
    offer = f.sent(CLARA)[-1]
    assert "invited to case" in offer.text and "as the client" in offer.text
    [join] = offer.buttons
    assert join["text"] == "Join as the client" and join["callback_data"] == f"/case join {code} role=client"
    assert rig.expect("invitation")["case_id"] == created["case_id"]
    await rig.send(f.callback(private, clara, join["callback_data"]))
    status = rig.expect("case_status")
    assert status["parties"]["client"] == {"name": "Clara", "platform": "telegram"}
    assert any("Clara joined case" in m.text for m in f.sent(GROUP))  # the group hears of it

    # a wrong code in a link is refused like a typed one; a bare /start shows the help
    await rig.send(f.message(private, clara, "/start ZZZZZ-ZZZZZ"))
    assert "not valid" in f.sent(CLARA)[-1].text
    await rig.send(f.message(private, clara, "/start"))
    assert rig.expect("help")


async def test_the_progress_note_goes_once_the_answer_is_there(start_rig):
    rig = await start_rig()
    f = rig.fake
    maya, clara, _, group = rig.cast()
    await case_at(rig)
    files = [
        f.document(
            group,
            maya,
            f"page {i}\n".encode() * (i + 1),
            f"page{i}.txt",
            "text/plain",
            caption="/deliver all 5 pages" if i == 0 else None,
            media_group_id="pages",
        )
        for i in range(5)
    ]
    await rig.send(*files)
    await f.wait_for(lambda: "Delivery 1 received" in f.sent(GROUP)[-1].text, timeout=60)
    await rig.send(f.message(group, clara, "/assess"), timeout=60)  # the files are read now
    notes = [c for c in f.sent(GROUP) if "checking 5 files" in c.text]
    assert len(notes) == 1
    [(chat, _)] = f.deleted  # taken back once the assessment was answered
    assert chat == str(GROUP) and "checking" not in f.sent(GROUP)[-1].text


async def test_case_new_alone_asks_step_by_step_and_the_answers_outlive_a_restart(start_rig):
    rig = await start_rig(sees_all_messages=False)
    f = rig.fake
    maya, clara, _, group = rig.cast()
    await rig.send(f.message(group, maya, "/case new"))
    question = f.sent(GROUP)[-1]
    assert "short title" in question.text and question.params["reply_markup"]["force_reply"] is True
    await rig.send(f.message(group, maya, "Soap photos", reply_to_message={"message_id": 1, "date": 0, "chat": group}))
    assert "How much" in f.sent(GROUP)[-1].text
    await rig.send(f.message(group, maya, "lots"))
    assert "Try again" in f.sent(GROUP)[-1].text and rig.expect("error")["code"] == "bad_amount"
    await rig.send(f.message(group, maya, "88"))
    currencies = f.sent(GROUP)[-1]
    assert [b["callback_data"] for b in currencies.buttons] == [
        f"/case new currency={c}" for c in ("USD", "EUR", "GBP")
    ]

    await rig.restart()  # nothing of the draft lives in the process
    await rig.send(f.callback(group, maya, "/case new currency=USD"))
    roles = f.sent(GROUP)[-1]
    assert "Which side" in roles.text and "title: Soap photos" in roles.text
    # someone else's press does not answer maya's questions
    await rig.send(f.callback(group, clara, "/case new role=client"))
    assert rig.expect("error")["code"] == "missing_argument"
    await rig.send(f.callback(group, maya, "/case new role=freelancer"))
    created = rig.expect("case_created")
    assert created["invite_role"] == "client"
    assert "Soap photos ($88.00)" in f.sent(GROUP)[-2].text or "Soap photos ($88.00)" in f.sent(GROUP)[-1].text

    # a plain message afterwards is just a message again
    await rig.send(f.message(group, maya, "thanks"))
    assert rig.expect("case_created", turns=None)["case_id"] == created["case_id"]
