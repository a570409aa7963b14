"""The case lifecycle as conversations: the way people use the bot in a group chat."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.kit import SOAP_BRIEF, case_at


async def test_case_new_gives_id_and_invite(chat):
    replies = await chat.say("maya", "/case new Soap photos amount=88 currency=usd role=freelancer")
    d = replies.expect("case_created")
    assert d["case_id"].startswith("C") and len(d["invite_code"]) == 11
    assert d["invite_role"] == "client"
    status = (await chat.say("maya", "/case status")).expect("case_status")
    assert status["case_id"] == d["case_id"]
    assert status["status"] == "open" and status["brief_agreed"] is False
    assert status["amount"] == "88.00" and status["currency"] == "USD"
    assert status["parties"]["client"] is None


async def test_brief_is_agreed_only_when_both_agree_the_same_version(chat):
    await case_at(chat, "joined")
    proposed = (await chat.say("clara", f"/brief {SOAP_BRIEF}")).expect("brief")
    assert proposed["version"] == 1 and proposed["client_agreed"] and not proposed["freelancer_agreed"]
    kinds = {r["kind"] for r in proposed["requirements"]}
    assert {"deliverable", "format", "dimensions", "deadline", "price"} <= kinds
    # the proposer cannot agree twice; the brief is still not agreed
    again = (await chat.say("clara", "/brief agree")).expect("error")
    assert again["code"] == "already_agreed"
    assert (await chat.say("clara", "/case status")).expect("case_status")["brief_agreed"] is False
    # the freelancer amends before agreeing: the client's agreement to v1 does not carry over
    v2 = (await chat.say("maya", "/brief " + SOAP_BRIEF.replace("8 product", "10 product"))).expect("brief")
    assert v2["version"] == 2 and v2["freelancer_agreed"] and not v2["client_agreed"]
    done = (await chat.say("clara", "/brief agree")).expect("brief")
    assert done["agreed"] and done["version"] == 2
    status = (await chat.say("maya", "/case status")).expect("case_status")
    assert status["brief_agreed"] and status["agreed_version"] == 2 and status["status"] == "active"


async def test_amending_an_agreed_brief_needs_a_new_agreement(chat):
    await case_at(chat)
    await chat.say("clara", "/brief " + SOAP_BRIEF + " Add a short caption for each.")
    status = (await chat.say("maya", "/case status")).expect("case_status")
    assert status["brief_agreed"] is False and status["agreed_version"] == 1
    await chat.say("maya", "/brief agree")
    status = (await chat.say("maya", "/case status")).expect("case_status")
    assert status["brief_agreed"] is True and status["agreed_version"] == 2


async def test_full_lifecycle_to_a_moderator_decision(chat, clock, tmp_path):
    created = await case_at(chat)
    sample = tmp_path / "sample1.jpg"
    sample.write_bytes(b"\xff\xd8\xff\xe0" + b"0" * 100)
    delivered = (await chat.say("maya", "/deliver 2 samples for approval", files=[str(sample)])).expect("delivery")
    assert delivered["files"][0]["name"] == "sample1.jpg" and len(delivered["files"][0]["sha256"]) == 64
    assert (await chat.say("clara", "/approve 2 samples")).expect("approval")["what"] == "2 samples"
    clock.advance(timedelta(days=5))
    await chat.say("maya", "/deliver all 8 pictures")
    req = (await chat.say("clara", "/request can you redo them with models at the beach?")).expect("request")
    assert req["text"].startswith("can you redo")
    clock.advance(timedelta(days=90))
    assert (await chat.say("maya", "/escalate the client went silent")).expect("escalated")["case_id"] == created[
        "case_id"
    ]
    queue = (await chat.say("mod", "/mod queue")).expect("mod_queue")["items"]
    assert [i["case_id"] for i in queue] == [created["case_id"]]
    cid = created["case_id"]
    assert (await chat.say("mod", f"/mod take {cid}")).expect("mod_taken")["case_id"] == cid
    file = (await chat.say("mod", f"/mod case {cid}")).expect("case_file")
    assert [d["note"] for d in file["deliveries"]] == ["2 samples for approval", "all 8 pictures"]
    assert file["approvals"][0]["what"] == "2 samples"
    assert "case.escalated" in [e["action"] for e in file["timeline"]]
    decision = (
        await chat.say("mod", f"/mod decide {cid} release_full reason=8 of 8 delivered, samples approved")
    ).expect("decision")
    assert decision["outcome"] == "release_full" and decision["client_refund"] == "0.00"
    status = (await chat.say("clara", "/case status")).expect("case_status")
    assert status["status"] == "decided"
    # a closed case takes no more work
    assert (await chat.say("maya", "/deliver one more")).expect("error")["code"] == "case_closed"


@pytest.mark.parametrize(
    "who,line,code",
    [
        ("stranger", "/brief agree case={cid}", "not_a_party"),
        ("stranger", "/deliver here you go case={cid}", "not_a_party"),
        ("clara", "/deliver I deliver myself", "wrong_role"),
        ("maya", "/approve everything", "wrong_role"),
        ("maya", "/request more please", "wrong_role"),
        ("maya", "/mod queue", "not_moderator"),
        ("stranger", "/case status {cid}", "unknown_case"),  # alike for unknown ids
    ],
)
async def test_authorization_refuses_and_changes_nothing(chat, who, line, code):
    created = await case_at(chat)
    before = (await chat.say("maya", "/case status")).expect("case_status")
    refused = (
        await chat.say(who, line.format(cid=created["case_id"]), chat="elsewhere" if who == "stranger" else "chat")
    ).expect("error")
    assert refused["code"] == code
    after = (await chat.say("maya", "/case status")).expect("case_status")
    assert after == before


async def test_a_party_cannot_moderate_its_own_case(chat, settings):
    settings.moderators["memory"] = ["maya"]
    created = await case_at(chat)
    await chat.say("clara", "/escalate stuck")
    refused = (await chat.say("maya", f"/mod take {created['case_id']}")).expect("error")
    assert refused["code"] == "conflict_of_interest"


async def test_only_the_moderator_who_took_a_case_decides(chat, settings):
    settings.moderators["memory"] = ["mod", "mod2"]
    created = await case_at(chat)
    cid = created["case_id"]
    await chat.say("clara", "/escalate stuck")
    await chat.say("mod", f"/mod take {cid}")
    assert (await chat.say("mod2", f"/mod take {cid}")).expect("error")["code"] == "taken_by_other"
    assert (await chat.say("mod2", f"/mod decide {cid} full_refund reason=x")).expect("error")["code"] == "not_assigned"
    assert (await chat.say("mod", f"/mod decide {cid} full_refund")).expect("error")["code"] == "missing_reason"
    assert (await chat.say("mod", f"/mod decide {cid} partial_refund 100 reason=x")).expect("error")[
        "code"
    ] == "bad_amount"
    d = (await chat.say("mod", f"/mod decide {cid} partial_refund 20.50 reason=two pictures were blurry")).expect(
        "decision"
    )
    assert d["client_refund"] == "20.50"


@pytest.mark.parametrize(
    "line,code",
    [
        ("/frobnicate", "unknown_command"),
        ("/case", "unknown_command"),
        ("/case new amount=88 currency=USD role=client", "missing_argument"),
        ("/case new Logo amount=abc currency=USD role=client", "bad_amount"),
        ("/case new Logo amount=-5 currency=USD role=client", "bad_amount"),
        ("/case new Logo amount=10.001 currency=USD role=client", "bad_amount"),
        ("/case new Logo amount=99999999 currency=USD role=client", "bad_amount"),
        ("/case new Logo amount=10 currency=XYZ role=client", "unknown_currency"),
        ("/case new Logo amount=10 currency=USD role=boss", "bad_role"),
        ("/case join ABCDE-FGHJK role=client", "bad_invite"),
        ("/case status CNOPE1", "unknown_case"),
        ("/brief agree", "no_case"),
        ("/clock advance 3d", "unknown_command"),  # console only
        ("/scope is this in scope?", "no_case"),
        ("/scope brief=8 photos request=", "missing_argument"),
        ("/dispute the work is bad", "no_case"),
        ("/feedback preview", "missing_argument"),
        ("/feedback preview outcome=full_refund amount=-3", "bad_amount"),
        ("/feedback preview outcome=teleport amount=30", "unknown_outcome"),
        ("/feedback preview outcome=full_refund amount=30 score=140", "bad_argument"),
    ],
)
async def test_bad_input_gets_a_clear_error(chat, line, code):
    replies = await chat.say("maya", line)
    err = replies.expect("error")
    assert err["code"] == code and err["message"]
    assert "Traceback" not in err["message"]


async def test_over_long_messages_are_refused(chat, settings):
    err = (await chat.say("maya", "/brief " + "x" * settings.limits.max_message_chars)).expect("error")
    assert err["code"] == "too_long"


async def test_invite_codes_cannot_be_reused(chat):
    created = await case_at(chat, "joined")
    again = (await chat.say("eve", f"/case join {created['invite_code']} role=client", chat="other")).expect("error")
    assert again["code"] == "invite_used"


async def test_missing_attachment_is_refused_and_nothing_is_stored(chat):
    await case_at(chat)
    err = (await chat.say("maya", "/deliver pictures", files=["/no/such/file.jpg"])).expect("error")
    assert err["code"] == "bad_file"
    assert (await chat.say("maya", "/case status")).expect("case_status")["deliveries"] == 0


async def test_oversized_attachment_is_refused(chat, settings, tmp_path):
    settings.storage.max_attachment_mb = 0.001
    chat.hub.engine.services.files.max_bytes = 1000
    await case_at(chat)
    big = tmp_path / "big.png"
    big.write_bytes(b"0" * 5000)
    assert (await chat.say("maya", "/deliver big", files=[str(big)])).expect("error")["code"] == "file_too_large"


async def test_parties_on_other_chats_are_notified(chat):
    created = (
        await chat.say("maya", "/case new Logo amount=300 currency=EUR role=freelancer", chat="tg-group")
    ).expect("case_created")
    await chat.say("clara", f"/case join {created['invite_code']} role=client", chat="dc-channel")
    # maya's chat heard that clara joined
    assert any(r.data.get("type") == "case_status" for r in chat.inbox("tg-group")[1:])
    await chat.say("clara", "/brief 3 logo concepts as SVG, 2 revisions, within 10 days.", chat="dc-channel")
    assert chat.inbox("tg-group")[-1].data["type"] == "brief"


async def test_help_lists_the_commands_each_person_can_use(chat):
    reply = (await chat.say("maya", "/help"))[0]
    assert {"case new", "brief agree", "scope", "dispute", "offer", "feedback preview"} <= set(reply.data["commands"])
    assert "mod queue" not in reply.data["commands"]
    assert "/mod queue" not in reply.text  # not a moderator
    assert "/clock" not in reply.text  # console only
    mod_help = (await chat.say("mod", "/help"))[0]
    assert "/mod decide" in mod_help.text


async def test_a_redelivered_event_is_applied_once(chat):
    await case_at(chat)
    first = await chat.say("maya", "/deliver 8 pictures", event_id="update-41")
    assert first.expect("delivery")["delivery_id"] == 1
    assert await chat.say("maya", "/deliver 8 pictures", event_id="update-41") == []
    assert (await chat.say("maya", "/case status")).expect("case_status")["deliveries"] == 1


async def test_platform_moderator_roles_count_as_moderators(chat):
    created = await case_at(chat)
    await chat.say("clara", "/escalate stuck")
    assert (await chat.say("rolemod", "/mod queue")).expect("error")["code"] == "not_moderator"
    queue = (await chat.say("rolemod", "/mod queue", moderator=True)).expect("mod_queue")
    assert queue["items"][0]["case_id"] == created["case_id"]


async def test_guessing_invite_codes_is_stopped(chat, clock):
    created = await chat.say("maya", "/case new Logo amount=300 currency=EUR role=freelancer")
    code = created.expect("case_created")["invite_code"]
    for n in range(5):
        assert (await chat.say("eve", f"/case join AAAAA-BBBB{n} role=client", chat="x")).expect("error")[
            "code"
        ] == "bad_invite"
    blocked = (await chat.say("eve", f"/case join {code} role=client", chat="x")).expect("error")
    assert blocked["code"] == "too_many_attempts"
    clock.advance(timedelta(hours=2))
    assert (await chat.say("eve", f"/case join {code} role=client", chat="x")).expect("case_status")


async def test_the_same_approval_twice_is_recorded_once(chat):
    await case_at(chat)
    await chat.say("maya", "/deliver 2 samples")
    assert (await chat.say("clara", "/approve delivery")).expect("approval")
    assert (await chat.say("clara", "/approve delivery")).expect("error")["code"] == "already_approved"
    assert (await chat.say("maya", "/case status")).expect("case_status")["approvals"] == 1


async def test_the_same_request_twice_is_recorded_once(chat):
    await case_at(chat)
    assert (await chat.say("clara", "/request add a caption to each picture")).expect("request")
    assert (await chat.say("clara", "/request add a caption to each picture")).expect("error")[
        "code"
    ] == "already_requested"
    assert (await chat.say("maya", "/case status")).expect("case_status")["requests"] == 1
