"""Which outcome comes first: conversations for each pattern of the decision table, with real files
and links, plus the table and the chat reader on their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from mediation.facts import ApprovalFacts, DeliveryFacts, SignalFacts, gather
from mediation.judgment import RULES, decide
from nlp.conversation import Offer, RuleReader, read_offer
from nlp.language import detect_language
from tests.kit import filemakers
from tests.kit.replies import expect


async def case_with(chat, brief: str, amount: str, currency: str = "USD"):
    created = expect(
        await chat.say("fay", f"/case new Job amount={amount} currency={currency} role=freelancer"), "case_created"
    )
    await chat.say("cole", f"/case join {created['invite_code']} role=client")
    await chat.say("cole", f"/brief {brief}")
    assert expect(await chat.say("fay", "/brief agree"), "brief")["agreed"] is True
    return created


def first(replies) -> dict:
    """The first proposal that is not a change order, as a user would read it."""
    items = [i for i in expect(replies, "proposals")["items"] if i["kind"] != "change_order"]
    assert items[0]["cites"], "the first proposal cites the facts it rests on"
    return items[0]


def attach(paths) -> list[str]:
    """Files sent with a chat message, as a platform attaches them."""
    return [str(p) for p in paths]


# --- conversations ------------------------------------------------------------------------------


async def test_nothing_delivered_past_the_deadline_is_a_full_refund(chat, clock):
    await case_with(chat, "Edit a 3-minute wedding highlight video as MP4 within 10 days. Price $400.", "400")
    await chat.say("cole", "Any news on the video?")
    clock.advance(timedelta(days=25))
    await chat.say("cole", "It has been weeks past the deadline and I have nothing")
    top = first(await chat.say("cole", "/dispute nothing was ever delivered"))
    assert top["kind"] == "full_refund" and Decimal(top["client_refund"]) == Decimal("400.00")
    assert any("nothing has been delivered" in c for c in top["cites"])


async def test_one_icon_of_ten_refunds_nine_tenths_not_half(chat, tmp_path):
    await case_with(chat, "Design 10 app icons as 512x512 PNG within 5 days. Price $200.", "200")
    icon = filemakers.photos(tmp_path / "icons", 1, size=(512, 512), suffix=".png", prefix="icon")
    await chat.say("fay", "/deliver first icon", files=attach(icon))
    top = first(await chat.say("cole", "/dispute only one icon arrived"))
    assert top["kind"] == "partial_refund"
    assert Decimal(top["client_refund"]) == Decimal("180.00")
    assert any("1 of 10" in c for c in top["cites"])


async def test_two_of_three_screen_sets_refund_the_missing_set_at_its_unit_price(chat, tmp_path):
    brief = (
        "App UI design in three versions: 10 mobile, 10 desktop and 10 tablet screens as 1440x900 PNG. "
        "Price $900 ($30 per screen). Deadline 10 days."
    )
    await case_with(chat, brief, "900")
    screens = filemakers.photos(tmp_path / "ui", 20, size=(1440, 900), suffix=".png", prefix="screen")
    await chat.say("fay", "/deliver mobile and desktop sets", files=attach(screens))
    await chat.say("fay", "The tablet set is not finished, I can't do it this month")
    top = first(await chat.say("fay", "/dispute the client will not release anything"))
    assert top["kind"] == "partial_refund" and Decimal(top["client_refund"]) == Decimal("300.00")


async def test_a_link_delivery_the_client_approved_is_released_in_full(chat):
    await case_with(chat, "Build a one-page landing site on the client's hosting within 7 days. Price $500.", "500")
    reply = expect(await chat.say("fay", "/deliver site is live https://staging.example.test/landing"), "delivery")
    assert reply["links"] == ["https://staging.example.test/landing"] and reply["files"] == []
    await chat.say("cole", "/approve the landing page, looks great")
    await chat.say("cole", "Our investor wants a blog section now, please add it")
    top = first(await chat.say("cole", "/dispute I want the blog included"))
    assert top["kind"] == "release_full"


async def test_a_link_delivery_nobody_confirmed_goes_to_a_moderator_at_the_review_deadline(chat, clock):
    await case_with(chat, "Edit a 60-second promo video as MP4 within 5 days. Price $150.", "150")
    await chat.say("fay", "/deliver done, check your email for the video")
    clock.advance(timedelta(days=15))
    fired = chat.hub.engine.tick()
    assert [r.data["action"] for r in fired if r.data.get("action") != "reminder"][:1] == ["escalated"]
    assert any("without files" in r.text for r in fired)
    status = expect(await chat.say("cole", "/case status"), "case_status")
    assert status["status"] == "escalated"


async def test_a_partial_delivery_is_not_released_at_the_review_deadline(chat, clock, tmp_path):
    await case_with(chat, "Design 8 social media templates as 1080x1080 PNG within 7 days. Price $160.", "160")
    done = filemakers.photos(tmp_path / "t", 6, size=(1080, 1080), suffix=".png", prefix="template")
    await chat.say("fay", "/deliver templates", files=attach(done))
    clock.advance(timedelta(days=15))
    fired = [r for r in chat.hub.engine.tick() if r.data.get("action") != "reminder"]
    assert fired and all(r.data["action"] == "escalated" for r in fired)
    assert "6 of 8" in fired[0].text


async def test_a_complete_file_delivery_is_still_released_at_the_review_deadline(chat, clock, tmp_path):
    await case_with(chat, "Design 4 social media templates as 1080x1080 PNG within 7 days. Price $80.", "80")
    done = filemakers.photos(tmp_path / "t", 4, size=(1080, 1080), suffix=".png", prefix="template")
    await chat.say("fay", "/deliver templates", files=attach(done))
    clock.advance(timedelta(days=15))
    assert [r.data["action"] for r in chat.hub.engine.tick()] == ["released"]


async def test_an_admission_of_borrowed_work_is_a_full_refund(chat, tmp_path):
    await case_with(chat, "Write 3 original blog posts of 800 words each as DOCX within 7 days. Price $240.", "240")
    posts = [
        filemakers.docx_file(tmp_path / f"post{i}.docx", paragraphs=[f"post {i} " + "text " * 820]) for i in range(3)
    ]
    await chat.say("fay", "/deliver posts", files=attach(posts))
    await chat.say("cole", "These read like they were copied from somewhere, did you write them?")
    await chat.say("fay", "ok I used ChatGPT for the drafts and edited them")
    top = first(await chat.say("fay", "/dispute I delivered all three posts"))
    assert top["kind"] == "full_refund"
    assert any("not their own" in c for c in top["cites"])


async def test_an_unadmitted_authenticity_claim_goes_to_a_moderator_whoever_disputes(chat, settings, clock, tmp_path):
    await case_with(chat, "Write 2 original articles of 600 words each as DOCX within 5 days. Price $120.", "120")
    docs = [
        filemakers.docx_file(tmp_path / f"a{i}.docx", paragraphs=[f"article {i} " + "text " * 610]) for i in range(2)
    ]
    await chat.say("fay", "/deliver articles", files=attach(docs))
    await chat.say("cole", "A plagiarism checker flags half of this as copied from other sites")
    await chat.say("fay", "I wrote every word myself")
    by_client = first(await chat.say("cole", "/dispute this is plagiarised"))
    by_freelancer = first(await chat.say("fay", "/dispute the client will not pay for my articles"))
    assert by_client["kind"] == by_freelancer["kind"] == "escalate", (by_client["rule"], by_client["cites"])
    assert by_client["client_refund"] == by_freelancer["client_refund"]


async def test_an_offer_in_chat_bounds_the_partial_refund(chat, tmp_path):
    await case_with(chat, "Shoot 10 product photos as 2000x2000 JPG within 7 days. Price $150.", "150")
    pics = filemakers.photos(tmp_path / "p", 8, size=(2000, 2000))
    await chat.say("fay", "/deliver 8 of 10 photos", files=attach(pics))
    await chat.say("fay", "I couldn't finish the last two, I'm fine keeping $100 and returning $50")
    top = first(await chat.say("cole", "/dispute two photos missing"))
    assert top["kind"] == "partial_refund"
    assert Decimal(top["client_refund"]) == Decimal("50.00")  # more than the $30 the missing two are worth


async def test_a_money_back_promise_in_the_brief_is_honoured(chat, tmp_path):
    brief = "Design one web banner 1200x628 PNG in 2 days. If you don't like the banner, I will return your money. Price $40."
    await case_with(chat, brief, "40")
    banner = filemakers.photos(tmp_path / "b", 1, size=(1200, 628), suffix=".png", prefix="banner")
    await chat.say("fay", "/deliver banner", files=attach(banner))
    await chat.say("cole", "Sorry, I don't like it at all")
    top = first(await chat.say("cole", "/dispute I want my money back as promised"))
    assert top["kind"] == "full_refund"
    assert any("promises the money back" in c for c in top["cites"])


async def test_an_english_file_does_not_pass_an_english_to_german_brief(chat, tmp_path):
    brief = "Translate a 60-word product page from English into German, delivered as DOCX within 3 days. Price €60."
    await case_with(chat, brief, "60", "EUR")
    english = (
        "Our handmade soap is made in small batches with olive oil and shea butter. "
        "It is gentle on the skin, smells of lavender and lasts for weeks. "
        "Every bar is wrapped in recycled paper and shipped without plastic."
    )
    doc = filemakers.docx_file(tmp_path / "page.docx", paragraphs=[english])
    await chat.say("fay", "/deliver the German page", files=attach([doc]))
    top = first(await chat.say("cole", "/dispute this is still in English"))
    assert top["kind"] == "full_refund"
    assert any("'de'" in c for c in top["cites"])


async def test_bad_input_never_crashes_nor_proposes_without_facts(chat):
    created = expect(await chat.say("fay", "/case new Odd job amount=90 currency=USD role=freelancer"), "case_created")
    await chat.say("cole", f"/case join {created['invite_code']} role=client")
    assert expect(await chat.say("cole", "/dispute no brief at all"), "error")["code"] == "no_agreed_brief"
    await chat.say("cole", "/brief Logo, maybe.")
    await chat.say("fay", "/brief agree")
    await chat.say("cole", "Refund me €40, keep the rest")  # another currency than the case's
    await chat.say("cole", "Actually I love it, approved")
    await chat.say("cole", "No wait, I hate it, cancel the contract")
    top = first(await chat.say("fay", "/dispute the client keeps changing their mind"))
    assert top["kind"] in {"escalate", "mutual_cancel", "full_refund", "release_full"}


# --- the table and the reader on their own ------------------------------------------------------

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def facts(brief="Design 10 icons as 512x512 PNG within 5 days. Price $200.", **kw):
    base = dict(
        amount=Decimal("200"),
        currency="USD",
        brief_text=brief,
        agreed_at=T0,
        now=T0 + timedelta(days=30),
        deliveries=[],
        approvals=[],
        signals=[],
        assessment=None,
    )
    base.update(kw)
    return gather(**base)


def test_every_rule_names_its_outcome_and_the_last_always_holds():
    kinds = {"release_full", "partial_refund", "full_refund", "mutual_cancel", "escalate"}
    assert all(r.kind in kinds for r in RULES)
    assert RULES[-1].when(facts()) is True


def test_same_facts_give_the_same_judgment_and_cite_facts():
    j = decide(facts())
    assert (j.rule, j.kind) == ("nothing_delivered", "full_refund") and j.cites
    signals = [SignalFacts("client", "wants_to_end", "let's cancel the contract", 2.0)]
    early = decide(facts(now=T0 + timedelta(days=2), signals=signals))
    assert early.kind == "mutual_cancel"


def test_purpose_lapsed_after_a_late_delivery_is_a_mutual_cancellation():
    late = [DeliveryFacts(1, 9.0, "banner for the fair", 0)]
    said = [SignalFacts("client", "purpose_lapsed", "the fair is over, it is useless now", 9.0)]
    f = facts(deliveries=late, signals=said, delivered_at=T0 + timedelta(days=9))
    assert decide(f).kind == "mutual_cancel"


def test_approval_of_a_file_less_delivery_counts_like_any_other():
    link = [DeliveryFacts(1, 3.0, "gallery https://photos.example.test/x", 0, ("https://photos.example.test/x",))]
    ok = [ApprovalFacts("the whole gallery, lovely", 4.0, True)]
    assert decide(facts(deliveries=link, approvals=ok)).kind == "release_full"
    assert decide(facts(deliveries=link)).kind == "escalate"


def test_the_reader_finds_admissions_offers_and_denials():
    reader = RuleReader()
    out = reader.classify(
        ["I haven't finished the last chapter", "I didn't use AI at all", "we're ending the contract"],
        ["freelancer", "freelancer", "client"],
    )
    assert "admits_incomplete" in out[0].labels
    assert "admits_not_own" not in out[1].labels
    assert "wants_to_end" in out[2].labels
    assert read_offer("I'm fine keeping $100 and returning $50") == Offer("refund_to_client", Decimal("50"), "USD")
    assert read_offer("No way I'm refunding $50") is None


def test_language_of_text():
    assert detect_language("Unsere Seife wird in kleinen Mengen mit Olivenöl und Sheabutter hergestellt.") == "de"
    assert detect_language("word1 word2 word3") is None
