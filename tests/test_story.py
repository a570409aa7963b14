"""The founding story, end to end as a group chat: the bot must get this case right."""

from __future__ import annotations

from datetime import timedelta

from tests.kit import CREEP, SOAP_BRIEF, case_at, filemakers
from tests.kit.engine import START


async def play_story(chat, clock, tmp_path, disputer: str):
    created = await case_at(chat, "agreed")
    pics = filemakers.photos(tmp_path / "shoot", 8)
    clock.advance(timedelta(days=2))
    await chat.say("maya", "/deliver 2 samples", files=[str(p) for p in pics[:2]])
    await chat.say("clara", "/approve 2 samples")
    clock.advance(timedelta(days=3))
    await chat.say("maya", "/deliver the remaining 6", files=[str(p) for p in pics[2:]])
    flag = await chat.say("clara", CREEP)  # a plain chat message, scanned
    await chat.say("maya", "Happy to do that as a new shoot with a model, I'll send you a quote.")
    clock.advance(timedelta(days=90))
    who = "maya" if disputer == "freelancer" else "clara"
    replies = await chat.say(who, "/dispute the contract is stuck after delivery")
    return created, flag, replies


async def test_the_founding_story(chat, clock, tmp_path):
    _created, flag, replies = await play_story(chat, clock, tmp_path, "freelancer")
    scope = flag.expect("scope")
    assert scope["out_of_scope"] is True and scope["kind"] == "attribute"
    assert "8 product pictures" in (scope["brief_match"] or "") or "plain surface" in (scope["brief_match"] or "")

    assessment = replies.expect("assessment")
    by_kind = {}
    for r in assessment["requirements"]:
        by_kind.setdefault(r["kind"], []).append(r)
    deliverable = by_kind["deliverable"][0]
    assert deliverable["verdict"] == "met" and "8 of 8" in deliverable["evidence"]
    assert assessment["on_time"] is True and assessment["coverage"] == 1.0
    assert any("natural light" in r["text"] and r["verdict"] == "needs_human" for r in by_kind["quality"])
    assert assessment["approvals"] == ["2 samples"]

    items = replies.expect("proposals")["items"]
    assert [i["kind"] for i in items[:2]] == ["release_full", "change_order"]
    assert items[0]["client_refund"] == "0.00" and items[0]["freelancer_net"] == "83.60"  # fair: fee split
    refund = next(i for i in items if i["kind"] == "full_refund")
    # fair (active): a refunded contract does not count against the freelancer
    assert refund["feedback"]["policy"] == "fair" and refund["feedback"]["counts_in_score"] is False
    # marketplace (comparison): the text is hidden, but the outcome still counts in her score
    market = refund["comparison_policy"]
    assert market["policy"] == "marketplace" and market["feedback_public"] is False
    assert market["counts_in_score"] is True
    # the chart travels with the reply
    reply = next(r for r in replies if r.data.get("type") == "proposals")
    assert reply.attachments and reply.attachments[0].data[:8] == b"\x89PNG\r\n\x1a\n"
    # the client's chat copy is the same
    assert (await chat.say("clara", "/proposals")).expect("proposals")["items"] == items


async def test_the_ranking_does_not_depend_on_who_complains(new_chat, clock, tmp_path):
    rankings = []
    for who in ("freelancer", "client"):
        clock.set(START)
        chat = new_chat(f"sqlite:///{tmp_path}/{who}.db")
        _, _, replies = await play_story(chat, clock, tmp_path / who, who)
        items = replies.expect("proposals")["items"]
        rankings.append([(i["kind"], i["client_refund"], i["freelancer_net"]) for i in items])
    assert rankings[0] == rankings[1]


async def test_feedback_preview_in_a_case_and_ad_hoc(chat, clock, tmp_path):
    created, _, _ = await play_story(chat, clock, tmp_path, "freelancer")
    preview = (await chat.say("maya", "/feedback preview full_refund")).expect("feedback_preview")
    assert preview["client_refund"] == "88.00" and preview["case_id"] == created["case_id"]
    assert preview["comparison_policy"]["counts_in_score"] is True
    adhoc = (
        await chat.say("someone", "/feedback preview outcome=full_refund amount=88 score=92", chat="community")
    ).expect("feedback_preview")
    assert adhoc["feedback"]["freelancer_score_before"] == 92
    assert adhoc["comparison_policy"]["freelancer_score_after"] < 92  # marketplace: still counts
    assert adhoc["feedback"]["freelancer_score_after"] == 92  # fair: does not count


async def test_assess_in_chat_and_what_is_missing(chat, clock, tmp_path):
    await case_at(chat, "joined")
    assert (await chat.say("clara", "/assess")).expect("error")["code"] == "no_agreed_brief"
    assert (await chat.say("clara", "/dispute nothing works")).expect("error")["code"] == "no_agreed_brief"
    await chat.say("clara", f"/brief {SOAP_BRIEF}")
    await chat.say("maya", "/brief agree")
    assert (await chat.say("clara", "/assess")).expect("error")["code"] == "no_delivery"
    small = filemakers.photos(tmp_path / "small", 2, size=(800, 800))
    await chat.say("maya", "/deliver two", files=[str(p) for p in small])
    assessment = (await chat.say("clara", "/assess")).expect("assessment")
    deliverable = next(r for r in assessment["requirements"] if r["kind"] == "deliverable")
    assert deliverable["verdict"] in {"partly_met", "not_met"} and "2" in deliverable["evidence"]
    dims = next(r for r in assessment["requirements"] if r["kind"] == "dimensions")
    assert dims["verdict"] == "not_met" and "800x800" in dims["evidence"]
    assert assessment["coverage"] < 0.6


async def test_a_change_order_is_quoted_then_accepted(chat, clock, tmp_path):
    _created, _, replies = await play_story(chat, clock, tmp_path, "freelancer")
    order = replies.expect("proposals")["items"][1]
    assert order["kind"] == "change_order" and order["change_order"]["basis"] == "to_quote"
    assert f"/quote {order['id']} <price>" in next(r.text for r in replies if r.data.get("type") == "proposals")
    assert (await chat.say("clara", f"/quote {order['id']} 500")).expect("error")["code"] == "wrong_role"
    assert (await chat.say("maya", "/quote P1 500")).expect("error")["code"] == "not_a_change_order"
    assert (await chat.say("maya", f"/quote {order['id']} -5")).expect("error")["code"] == "bad_amount"
    quoted = (await chat.say("maya", f"/quote {order['id']} 500")).expect("proposals")["items"]
    new_order = next(i for i in quoted if i["kind"] == "change_order")
    assert new_order["change_order"]["price"] == "500.00" and new_order["change_order"]["basis"] == "quote"
    assert (await chat.say("clara", f"/accept {order['id']}")).expect("error")["code"] == "superseded"
    await chat.say("clara", f"/accept {new_order['id']}")
    settled = (await chat.say("maya", f"/accept {new_order['id']}")).expect("case_status")
    assert settled["status"] == "settled" and settled["agreement"]["kind"] == "change_order"


async def test_quantity_creep_is_priced_per_unit(chat, clock, tmp_path):
    brief = (
        "Product photos for our candle shop: 8 candles, one photo each, plain white "
        "background, edited JPGs within 10 days. Price $400."
    )
    await case_at(chat, "agreed", title="Candles", amount="400", brief=brief)
    flagged = (
        await chat.say("clara", "/request we have new scents, I need photos for twelve candles, not eight")
    ).expect("request")
    assert flagged["scope"]["kind"] == "quantity" and flagged["scope"]["extra_units"] == 4
    items = (await chat.say("clara", "/dispute pricing of the extra candles")).expect("proposals")["items"]
    order = next(i for i in items if i["kind"] == "change_order")["change_order"]
    assert (order["basis"], order["units"], order["unit_price"], order["price"]) == ("per_unit", 4, "50.00", "200.00")


async def test_strangers_cannot_dispute_or_appeal(chat, clock, tmp_path):
    created, _, _ = await play_story(chat, clock, tmp_path, "freelancer")
    cid = created["case_id"]
    assert (await chat.say("eve", f"/dispute me too case={cid}", chat="x")).expect("error")["code"] == "not_a_party"
    assert (await chat.say("eve", f"/appeal unfair case={cid}", chat="x")).expect("error")["code"] == "not_a_party"


async def test_revision_rounds_asked_for_are_counted(chat, clock, tmp_path):
    brief = "3 logo concepts as SVG and PNG, one round of revisions, within 10 days. 300 EUR."
    await case_at(chat, "agreed", title="Logo", amount="300", currency="EUR", brief=brief)
    await chat.say("maya", "/deliver 3 concepts")
    first = (await chat.say("clara", "/request For our one round of revisions: make the blue darker.")).expect(
        "request"
    )
    assert first["scope"]["kind"] == "revision_within_allowance"
    second = (
        await chat.say(
            "clara", "/request I know we already did the one revision, but round two: can you try a serif font?"
        )
    ).expect("request")
    assert second["scope"]["kind"] == "extra_revisions"
    items = (await chat.say("maya", "/dispute the client wants a second round")).expect("proposals")["items"]
    assert "2 of 1 revision" in items[0]["rationale"] or "2 revisions" in items[0]["rationale"]
