"""Negotiation to an end: accepting proposals, blind offers, deadlines, moderators and appeals."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import text

from tests.kit import case_at, filemakers
from tests.kit.engine import ChatDriver


async def delivered_case(chat, tmp_path):
    """The soap case, delivered with 8 real pictures."""
    return await case_at(chat, "delivered", note="all 8", files=filemakers.photos(tmp_path / "pics", 8))


async def disputed_case(chat, tmp_path):
    """The delivered soap case, disputed by the client: (the case, the proposals)."""
    case = await case_at(
        chat,
        "disputed",
        note="all 8",
        files=filemakers.photos(tmp_path / "pics", 8),
        dispute="I expected something else",
    )
    return case, case.proposals


async def test_settle_by_accepting_the_same_proposal(chat, tmp_path):
    created, items = await disputed_case(chat, tmp_path)
    first = items[0]["id"]
    vote = (await chat.say("clara", f"/accept {first}")).expect("proposal_vote")
    assert vote["role"] == "client" and vote["accepted"] is True
    assert (await chat.say("clara", f"/accept {first}")).expect("error")["code"] == "already_accepted"
    assert (await chat.say("stranger", f"/accept {first} case={created['case_id']}", chat="x")).expect("error")[
        "code"
    ] == "not_a_party"
    settled = (await chat.say("maya", f"/accept {first}")).expect("case_status")
    assert settled["status"] == "settled"
    assert settled["agreement"]["kind"] == items[0]["kind"]
    assert settled["agreement"]["client_refund"] == items[0]["client_refund"]
    assert settled["agreement"]["freelancer_net"]
    offer = f"/offer 10 case={created['case_id']}"
    assert (await chat.say("maya", offer, private=True)).expect("error")["code"] == "case_closed"


async def test_accepting_different_proposals_binds_nothing_and_old_rounds_are_superseded(chat, tmp_path):
    created, items = await disputed_case(chat, tmp_path)
    await chat.say("clara", f"/accept {items[1]['id']}")
    await chat.say("maya", f"/reject {items[1]['id']} the work matches the brief")
    await chat.say("maya", f"/accept {items[0]['id']}")
    assert (await chat.say("maya", "/case status")).expect("case_status")["status"] == "disputed"
    votes = (await chat.say("mod", f"/mod case {created['case_id']}")).expect("case_file")["votes"]
    assert {(v["role"], v["proposal"], v["accepted"]) for v in votes} == {
        ("client", items[1]["id"], True),
        ("freelancer", items[1]["id"], False),
        ("freelancer", items[0]["id"], True),
    }
    again = (await chat.say("maya", "/dispute new round please")).expect("proposals")["items"]
    assert not {i["id"] for i in again} & {i["id"] for i in items}  # new ids for the new round
    assert (await chat.say("clara", f"/accept {items[0]['id']}")).expect("error")["code"] == "superseded"
    assert (await chat.say("clara", "/accept P99")).expect("error")["code"] == "unknown_proposal"


async def test_feedback_waiver_needs_both_parties(chat, tmp_path):
    _, items = await disputed_case(chat, tmp_path)
    await chat.say("clara", f"/accept {items[0]['id']} feedback=waive")
    settled = (await chat.say("maya", f"/accept {items[0]['id']} feedback=waive")).expect("case_status")
    terms = settled["agreement"]
    assert terms["feedback_clause"] == "waive"
    assert terms["feedback_allowed"] == {"client": False, "freelancer": False}


async def test_blind_offers_settle_at_the_midpoint_when_they_cross(chat, tmp_path):
    await disputed_case(chat, tmp_path)
    mine = await chat.say("clara", "/offer 30", private=True)
    private = mine.expect("offer_received")
    assert [r.private for r in mine if r.data["type"] == "offer_received"] == [True]
    assert "30" not in " ".join(r.text for r in mine if not r.private)
    settled = (await chat.say("maya", "/offer 40", private=True)).expect("case_status")  # would give up to 40: crossed
    assert settled["status"] == "settled" and settled["agreement"]["client_refund"] == "35.00"
    assert private["round"] == 1


async def test_blind_offers_that_do_not_meet_reveal_nothing(chat, tmp_path, settings):
    settings.negotiation.offer_rounds = 2
    created, _ = await disputed_case(chat, tmp_path)
    for round_ in (1, 2):
        await chat.say("clara", "/offer 70", private=True)
        replies = await chat.say("maya", "/offer 10.50", private=True)
        notice = replies.expect("offers_not_met")
        assert notice["round"] == round_
        public = [r for r in replies if not r.private]
        assert all("70" not in r.text and "10.50" not in r.text and "10.5" not in r.text for r in public)
        assert all("amount" not in r.data for r in public)
    assert notice["rounds_left"] == 0
    assert (await chat.say("clara", "/offer 60", private=True)).expect("error")["code"] == "offers_exhausted"
    # the moderator sees the offers only after deciding
    await chat.say("clara", "/escalate offers did not meet")
    cid = created["case_id"]
    await chat.say("mod", f"/mod take {cid}")
    assert (await chat.say("mod", f"/mod case {cid}")).expect("case_file")["offers"] is None
    await chat.say("mod", f"/mod decide {cid} partial_refund 40 reason=half the set was late")
    offers = (await chat.say("mod", f"/mod case {cid}")).expect("case_file")["offers"]
    assert {(o["role"], o["amount"]) for o in offers} >= {("client", "70.00"), ("freelancer", "10.50")}


@pytest.mark.parametrize(
    "who,amount,code",
    [
        ("stranger", "10", "not_a_party"),
        ("clara", "-5", "bad_amount"),
        ("clara", "100", "bad_amount"),
        ("clara", "", "missing_argument"),
        ("clara", "ten", "bad_amount"),
    ],
)
async def test_bad_offers_are_refused(chat, tmp_path, who, amount, code):
    created, _ = await disputed_case(chat, tmp_path)
    line = f"/offer {amount} case={created['case_id']}"
    assert (await chat.say(who, line, private=True)).expect("error")["code"] == code


async def test_client_silent_after_objecting_goes_to_a_moderator(chat, clock, tmp_path, settings):
    created = await delivered_case(chat, tmp_path)
    cid = created["case_id"]
    await chat.say("clara", "/request can you redo them with a model at the beach?")
    clock.advance(timedelta(days=13, hours=1))
    reminders = chat.hub.engine.tick()
    assert [r.data["action"] for r in reminders] == ["reminder"]
    clock.advance(timedelta(days=90))
    fired = chat.hub.engine.tick()
    assert [r.data["action"] for r in fired] == ["escalated"]
    assert (await chat.say("maya", "/case status")).expect("case_status")["status"] == "escalated"
    await chat.say("mod", f"/mod take {cid}")
    decision = (
        await chat.say(
            "mod",
            f"/mod decide {cid} release_full reason=8 of 8 delivered as briefed; the new request was outside the brief",
        )
    ).expect("decision")
    by_policy = {e["policy"]: e["feedback_allowed"] for e in decision["feedback"]}
    assert by_policy["fair"]["client"] is False  # the losing side cannot leave revenge feedback
    assert by_policy["marketplace"]["client"] is True
    assert chat.hub.engine.tick() == []  # nothing left to fire


async def test_client_silent_without_objecting_releases_payment(chat, clock, tmp_path):
    await delivered_case(chat, tmp_path)
    clock.advance(timedelta(days=15))
    fired = chat.hub.engine.tick()
    assert [r.data["action"] for r in fired] == ["released"]
    status = (await chat.say("maya", "/case status")).expect("case_status")
    assert status["status"] == "settled"


async def test_unagreed_brief_expires(chat, clock):
    await case_at(chat, "joined")
    clock.advance(timedelta(days=8))
    assert [r.data["action"] for r in chat.hub.engine.tick()] == ["cancelled"]
    assert (await chat.say("maya", "/case status")).expect("case_status")["status"] == "cancelled"


async def test_timers_survive_a_restart(new_chat, clock, tmp_path, db_url):
    first = new_chat(db_url)
    await delivered_case(first, tmp_path)
    first.hub.engine.store.close()
    clock.advance(timedelta(days=20))
    second = new_chat(db_url)
    assert [r.data["action"] for r in second.hub.engine.tick()] == ["released"]


async def test_an_appeal_goes_once_to_a_different_moderator(chat, clock, tmp_path, settings):
    settings.moderators["memory"] = ["mod", "mod2"]
    created, _ = await disputed_case(chat, tmp_path)
    cid = created["case_id"]
    await chat.say("clara", "/escalate we cannot agree")
    await chat.say("mod", f"/mod take {cid}")
    await chat.say("mod", f"/mod note {cid} the client never answered the quote")
    await chat.say("mod", f"/mod decide {cid} release_full reason=delivered as briefed")
    assert (await chat.say("maya", "/appeal x", chat="elsewhere")).expect("error")["code"] in {"no_case", "which_case"}
    (await chat.say("clara", "/appeal the pictures were not what I asked")).expect("escalated")
    assert (await chat.say("mod", f"/mod take {cid}")).expect("error")["code"] == "own_decision"
    await chat.say("mod2", f"/mod take {cid}")
    file = (await chat.say("mod2", f"/mod case {cid}")).expect("case_file")
    assert file["notes"][0]["text"] == "the client never answered the quote"
    await chat.say("mod2", f"/mod decide {cid} partial_refund 20 reason=two pictures were off-brief")
    assert (await chat.say("clara", "/appeal again")).expect("error")["code"] == "already_appealed"


async def test_appeal_window_closes(chat, clock, tmp_path):
    created, _ = await disputed_case(chat, tmp_path)
    cid = created["case_id"]
    await chat.say("clara", "/escalate stuck")
    await chat.say("mod", f"/mod take {cid}")
    await chat.say("mod", f"/mod decide {cid} full_refund reason=nothing usable")
    clock.advance(timedelta(days=8))
    assert (await chat.say("maya", "/appeal too late?")).expect("error")["code"] == "appeal_window_closed"


async def test_release_and_transfer(chat, tmp_path, settings):
    settings.moderators["memory"] = ["mod", "mod2"]
    created, _ = await disputed_case(chat, tmp_path)
    cid = created["case_id"]
    await chat.say("clara", "/escalate stuck")
    await chat.say("mod", f"/mod take {cid}")
    assert (await chat.say("mod2", f"/mod release {cid}")).expect("error")["code"] == "not_assigned"
    assert (await chat.say("mod", f"/mod transfer {cid} nobody")).expect("error")["code"] == "not_moderator"
    (await chat.say("mod", f"/mod transfer {cid} mod2")).expect("mod_transferred")
    assert (await chat.say("mod2", f"/mod release {cid}")).expect("mod_released")
    queue = (await chat.say("mod", "/mod queue")).expect("mod_queue")["items"]
    assert queue[0]["status"] == "queued"


async def test_a_case_across_two_platforms(chat):
    telegram = ChatDriver(chat.hub, platform="telegram")
    discord = ChatDriver(chat.hub, platform="discord")
    created = (
        await telegram.say("clara", "/case new Logo amount=300 currency=EUR role=client", chat="tg-group")
    ).expect("case_created")
    await discord.say("maya", f"/case join {created['invite_code']} role=freelancer", chat="dc-channel")
    assert any(r.data.get("type") == "case_status" for r in telegram.inbox("tg-group"))
    await telegram.say("clara", "/brief 3 logo concepts as SVG, 2 revision rounds, within 10 days.", chat="tg-group")
    assert discord.inbox("dc-channel")[-1].data["type"] == "brief"
    await discord.say("maya", "/brief agree", chat="dc-channel")
    assert telegram.inbox("tg-group")[-1].data["agreed"] is True
    # the Discord side goes down: notices wait in the outbox and arrive when it is back
    del chat.hub.adapters["discord"]
    await telegram.say("clara", "/escalate no answer", chat="tg-group")
    before = len(discord.sent)
    chat.hub.attach(discord)
    assert await chat.hub.flush("discord") == 1
    assert discord.sent[before][1].data["type"] == "escalated"
    assert await chat.hub.flush("discord") == 0


async def test_audit_verify_and_export_cli(chat, settings, tmp_path):
    created = await delivered_case(chat, tmp_path)
    cid = created["case_id"]
    url = settings.database.url
    run = lambda *a: subprocess.run(
        [sys.executable, "-m", "bot", *a, "--db", url],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    ok = run("audit", "verify", cid)
    assert ok.returncode == 0 and "intact" in ok.stdout
    exported = run("export", cid, "--out", str(tmp_path / "out"))
    assert exported.returncode == 0
    doc = json.loads((tmp_path / "out" / f"case-{cid}.json").read_text())
    assert doc["audit_intact"] is True and len(doc["deliveries"][0]["files"]) == 8
    assert doc["audience"] == "party" and "notes" not in doc and "offers" not in doc
    assert run("export", cid, "--for", "moderator", "--out", str(tmp_path / "mod")).returncode == 0
    assert "notes" in json.loads((tmp_path / "mod" / f"case-{cid}.json").read_text())
    assert run("export", cid, "--for", "everyone").returncode == 2
    assert "## Deliveries" in (tmp_path / "out" / f"case-{cid}.md").read_text()
    with chat.hub.engine.store.engine.begin() as c:
        c.execute(text("UPDATE auditentry SET actor = 'memory:someone-else' WHERE chain = :c AND seq = 2"), {"c": cid})
    bad = run("audit", "verify", cid)
    assert bad.returncode == 1 and "changed" in bad.stdout
    with chat.hub.engine.store.engine.begin() as c:  # removing the newest entries also shows
        c.execute(text("UPDATE auditentry SET actor = 'memory:maya' WHERE chain = :c AND seq = 2"), {"c": cid})
        c.execute(
            text(
                "DELETE FROM auditentry WHERE chain = :c AND seq = (SELECT MAX(seq) FROM auditentry WHERE chain = :c)"
            ),
            {"c": cid},
        )
    truncated = run("audit", "verify", cid)
    assert truncated.returncode == 1 and "removed" in truncated.stdout


async def test_feedback_threats_are_flagged_and_kept(chat, tmp_path):
    created = await delivered_case(chat, tmp_path)
    flagged = (await chat.say("clara", "Redo them all with models for free or I'll leave a 1-star review.")).expect(
        "feedback_threat"
    )
    assert flagged["case_id"] == created["case_id"] and flagged["reason"]
    file = (await chat.say("mod", f"/mod case {created['case_id']}")).expect("case_file")
    assert "feedback.threat" in [e["action"] for e in file["timeline"]]
    assert await chat.say("clara", "Thanks, they look lovely.") == []


async def test_assessing_many_files_says_so_first(chat, tmp_path):
    await delivered_case(chat, tmp_path)
    before = len(chat.sent)
    assessment = (await chat.say("clara", "/assess")).expect("assessment")
    notes = [r for _, r in chat.sent[before:] if r.data.get("type") == "progress"]
    assert [r.text for r in notes] == ["checking 8 files…"]
    assert chat.sent.index((notes[0].to, notes[0])) < chat.sent.index(
        next((to, r) for to, r in chat.sent if r.data is assessment)
    )


async def test_a_notice_that_never_goes_through_stops_blocking_the_outbox(chat):
    other = ChatDriver(chat.hub, platform="telegram")
    created = (await other.say("clara", "/case new Logo amount=300 currency=EUR role=client", chat="g")).expect(
        "case_created"
    )
    await chat.say("maya", f"/case join {created['invite_code']} role=freelancer")
    real_send, failing = other.send, {"g"}

    async def flaky(reply, to):
        if to.chat_id in failing:
            raise ConnectionError("chat gone")
        await real_send(reply, to)

    other.send = flaky
    await chat.say("maya", "/brief 3 logo concepts as SVG, 2 revision rounds, within 10 days.")
    for _ in range(5):  # the first notice fails every time
        assert await chat.hub.flush("telegram") == 0
    failing.clear()
    await chat.say("maya", "/escalate no answer")  # delivered directly now
    assert await chat.hub.flush("telegram") == 0  # the given-up notice is not retried
    assert other.sent[-1][1].data["type"] == "escalated"


async def test_the_moderators_are_reminded_once_per_deadline(chat, clock, tmp_path):
    await disputed_case(chat, tmp_path)
    await chat.say("clara", "/escalate stuck")
    clock.advance(timedelta(days=8))
    first = chat.hub.engine.tick()
    assert {r.data["action"] for r in first} == {"moderators_reminded"}
    for _ in range(3):
        clock.advance(timedelta(minutes=1))
        assert chat.hub.engine.tick() == []


async def test_settling_while_escalated_withdraws_the_escalation(chat, tmp_path):
    created, items = await disputed_case(chat, tmp_path)
    cid = created["case_id"]
    await chat.say("clara", "/escalate we cannot agree")
    cancel = next(i["id"] for i in items if i["kind"] == "mutual_cancel")
    await chat.say("clara", f"/accept {cancel}")
    assert (await chat.say("maya", f"/accept {cancel}")).expect("case_status")["status"] == "settled"
    assert (await chat.say("mod", "/mod queue")).expect("mod_queue")["items"] == []
    assert (await chat.say("mod", f"/mod take {cid}")).expect("error")["code"] == "case_closed"


async def test_offer_rounds_keep_the_dispute_alive(chat, clock, tmp_path):
    await disputed_case(chat, tmp_path)
    clock.advance(timedelta(days=4))
    await chat.say("clara", "/offer 70", private=True)
    clock.advance(timedelta(days=2))
    assert (await chat.say("maya", "/offer 10", private=True)).expect("offers_not_met")["rounds_left"] == 2
    assert chat.hub.engine.tick() == []  # the round that just ended gives the parties time again
    assert (await chat.say("clara", "/offer 50", private=True)).expect("offer_received")
    clock.advance(timedelta(days=6))
    fired = chat.hub.engine.tick()
    assert [r.data["action"] for r in fired] == ["escalated"] and fired[0].data["kind"] == "offer_round"


async def test_an_escalation_by_deadline_reaches_moderators_channels(chat, clock, tmp_path):
    fed = []

    class ModChannel:
        platform = "modroom"

        async def moderator_feed(self, reply):
            fed.append(reply.data["case_id"])

    chat.hub.attach(ModChannel())
    created = await delivered_case(chat, tmp_path)
    await chat.say("clara", "/request please redo all with a model")
    clock.advance(timedelta(days=15))
    await chat.hub.tick()
    assert fed == [created["case_id"]]


async def test_the_accepted_terms_are_the_ones_the_proposal_showed(chat, tmp_path):
    _, items = await disputed_case(chat, tmp_path)
    release = next(i for i in items if i["kind"] == "release_full")
    await chat.say("clara", f"/accept {release['id']}")
    terms = (await chat.say("maya", f"/accept {release['id']}")).expect("case_status")["agreement"]
    assert terms["feedback_allowed"] == release["feedback"]["feedback_allowed"]
    assert terms["counts_in_score"] == release["feedback"]["counts_in_score"]


async def test_a_new_acceptance_replaces_the_old_one(chat, tmp_path):
    _, items = await disputed_case(chat, tmp_path)
    first, second = items[0]["id"], items[2]["id"]
    await chat.say("clara", f"/accept {first}")
    await chat.say("clara", f"/accept {second}")
    vote = (await chat.say("maya", f"/accept {first}")).expect("proposal_vote")  # clara moved on: no agreement
    assert vote["role"] == "freelancer"
    assert (await chat.say("maya", "/case status")).expect("case_status")["status"] == "disputed"


async def test_a_moderator_who_is_a_party_cannot_read_or_annotate_the_case(chat, settings, tmp_path):
    settings.moderators["memory"] = ["mod", "clara"]
    created, _ = await disputed_case(chat, tmp_path)
    cid = created["case_id"]
    assert (await chat.say("clara", f"/mod case {cid}")).expect("error")["code"] == "conflict_of_interest"
    assert (await chat.say("clara", f"/mod note {cid} bluff")).expect("error")["code"] == "conflict_of_interest"


async def test_the_comparison_policy_counts_history_its_own_way(chat, tmp_path):
    # maya's earlier contract ended in a full refund decided by a moderator
    pictures = filemakers.photos(tmp_path / "a" / "pics", 8)
    await case_at(
        chat,
        "decided",
        note="all 8",
        files=pictures,
        escalate="no good",
        outcome="full_refund",
        decision="nothing usable",
    )
    await case_at(chat, "agreed", title="Next job", chat="c2")
    preview = (await chat.say("maya", "/feedback preview release_full", chat="c2")).expect("feedback_preview")
    assert preview["feedback"]["freelancer_score_before"] is None  # fair: a refund does not count
    assert preview["comparison_policy"]["freelancer_score_before"] == 0  # marketplace: it counts against her


async def test_a_case_can_be_handed_to_a_moderator_known_by_role(chat, tmp_path):
    created, _ = await disputed_case(chat, tmp_path)
    cid = created["case_id"]
    other = await case_at(chat, "joined", title="Other", amount="50", chat="o")
    await chat.say("clara", "/escalate other case stuck", chat="o")
    await chat.say("rolemod", f"/mod take {other['case_id']}", moderator=True)  # a moderator by platform role
    await chat.say("clara", "/escalate stuck")
    await chat.say("mod", f"/mod take {cid}")
    assert (await chat.say("mod", f"/mod transfer {cid} stranger")).expect("error")["code"] == "not_moderator"
    assert (await chat.say("mod", f"/mod transfer {cid} rolemod")).expect("mod_transferred")["to"] == "memory:rolemod"


async def test_a_client_who_complained_in_chat_was_not_silent(chat, clock, tmp_path):
    await delivered_case(chat, tmp_path)
    await chat.say("clara", "This is not what I asked for at all.")
    clock.advance(timedelta(days=15))
    assert [r.data["action"] for r in chat.hub.engine.tick()] == ["escalated"]


async def test_a_client_who_approved_after_complaining_gets_the_payment_released(chat, clock, tmp_path):
    await delivered_case(chat, tmp_path)
    await chat.say("clara", "Hmm, the third one looks a bit dark.")
    await chat.say("clara", "/approve all 8 after all")
    clock.advance(timedelta(days=15))
    assert [r.data["action"] for r in chat.hub.engine.tick()] == ["released"]
