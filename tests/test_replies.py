"""Replies people can read and act on: stable proposal ids, words instead of Python, each user's
own current case, hints in the syntax of the platform in use, a way forward from every state."""

from __future__ import annotations

import io
import json

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.hub import Hub
from tests.kit.engine import make_engine
from tests.kit.words import PYTHON_IN_TEXT


class InProcessConsole:
    """The console adapter over the test engine: lines in, JSON replies out, no subprocess."""

    def __init__(self, settings, clock):
        self.out = io.StringIO()
        self.engine = make_engine(settings, clock)
        self.adapter = ConsoleAdapter(Hub(self.engine), json_mode=True, stdout=self.out)
        self.n = 0

    async def say(self, line: str) -> list[dict]:
        self.n += 1
        start = self.out.tell()
        await self.adapter.handle_line(line, self.n)
        self.out.seek(start)
        lines = [json.loads(x) for x in self.out.read().splitlines() if x.strip()]
        return [x for x in lines if "done" not in x]


def first(replies: list[dict], kind: str) -> dict:
    return next(r["data"] for r in replies if r["data"]["type"] == kind)


@pytest.fixture
def console(settings, clock):
    c = InProcessConsole(settings, clock)
    yield c
    c.engine.store.close()


def test_the_scanner_catches_python_in_replies():
    for bad in ("counts in score: True", "score —→100", "refund None", "{'a': 1}", "Outcome.FULL_REFUND"):
        assert PYTHON_IN_TEXT.search(bad), bad
    for fine in ("Nobody may leave feedback", "the score goes from 90 to 95", "no score yet"):
        assert not PYTHON_IN_TEXT.search(fine), fine


async def test_each_console_user_keeps_their_own_current_case(console):
    mine = first(await console.say("@maya /case new Logo amount=300 currency=EUR role=freelancer"), "case_created")
    await console.say(f"@clara /case join {mine['invite_code']} role=client")
    # another user opens a case in the same console: maya's and clara's commands stay on theirs
    other = first(await console.say("@zed /case new Other amount=50 currency=EUR role=client"), "case_created")
    assert first(await console.say("@maya /case status"), "case_status")["case_id"] == mine["case_id"]
    assert first(await console.say("@clara /case status"), "case_status")["case_id"] == mine["case_id"]
    assert first(await console.say("@zed /case status"), "case_status")["case_id"] == other["case_id"]
    # /as switches the speaker for the lines after it, with their own current case
    await console.say("/as zed")
    assert first(await console.say("/case status"), "case_status")["case_id"] == other["case_id"]
    # case= still picks another
    named = first(await console.say(f"@maya /case status case={mine['case_id']}"), "case_status")
    assert named["case_id"] == mine["case_id"]


async def test_a_speaker_name_may_be_any_characters_without_spaces(console):
    replies = await console.say("@Zoë🎨 /help")
    assert first(replies, "help")["commands"]
    created = first(await console.say("@d.o'brien+1 /case new Mug amount=20 currency=USD role=client"), "case_created")
    assert first(await console.say("@d.o'brien+1 /case status"), "case_status")["case_id"] == created["case_id"]


# -- state-aware texts and a way forward ---------------------------------------------------------

from tests.kit import expect as data  # noqa: E402
from tests.test_negotiation import disputed_case  # noqa: E402


async def test_a_hint_names_the_command_that_was_typed(chat, tmp_path):
    _created, items = await disputed_case(chat, tmp_path)
    refused = data(await chat.say("maya", "/reject"), "error")
    assert refused["code"] == "missing_argument" and refused["hint"] == "reject"
    assert f"/reject {items[0]['id']}" in refused["message"] and "/accept" not in refused["message"]
    assert data(await chat.say("maya", "/accept"), "error")["hint"] == "accept"


async def test_an_appeal_with_no_other_moderator_waits_in_the_queue_and_everyone_is_told(chat, tmp_path):
    chat.hub.engine.settings.moderators = {"memory": ["mod"]}  # one moderator, anywhere
    created, _ = await disputed_case(chat, tmp_path)
    cid = created["case_id"]
    await chat.say("clara", "/escalate we cannot agree")
    await chat.say("mod", f"/mod take {cid}")
    decided = await chat.say("mod", f"/mod decide {cid} release_full reason=delivered as briefed")
    assert "may appeal once" in next(r.text for r in decided if r.data.get("type") == "decision")
    appealed = await chat.say("clara", "/appeal the pictures were not what I asked")
    notice = data(appealed, "escalated")
    assert notice["reviewers"] == 0
    party_text = next(r.text for r in appealed if r.data.get("type") == "escalated")
    assert "No other moderator is available yet" in party_text and "waits in the queue" in party_text
    told = [r for r in chat.sent if r[1].data.get("needs_moderator")]
    assert [(to.platform, to.user_id) for to, _ in told] == [("memory", "mod")]
    assert "different moderator" in told[0][1].text
    queue = data(await chat.say("mod", "/mod queue"), "mod_queue")
    assert cid in str(queue)
    # once a second moderator is there, the appeal is heard, and its decision says it is final
    chat.hub.engine.settings.moderators = {"memory": ["mod", "mod2"]}
    await chat.say("mod2", f"/mod take {cid}")
    final = await chat.say("mod2", f"/mod decide {cid} partial_refund 20 reason=two pictures were off-brief")
    text = next(r.text for r in final if r.data.get("type") == "decision")
    assert "made on appeal; it is final" in text and "may appeal" not in text


async def test_an_early_escalation_reaches_a_moderator_and_leaves_the_case_open(chat):
    created = data(await chat.say("maya", "/case new Logo amount=300 currency=EUR role=freelancer"), "case_created")
    await chat.say("clara", f"/case join {created['invite_code']} role=client")
    cid = created["case_id"]
    escalated = await chat.say("clara", "/escalate we cannot agree what the brief says")
    notice = data(escalated, "escalated")
    assert notice["early"] is True
    assert "stays open" in next(r.text for r in escalated if r.data.get("type") == "escalated")
    assert cid in str(data(await chat.say("mod", "/mod queue"), "mod_queue"))
    # the case is not locked: the brief can still be proposed and agreed
    await chat.say("clara", "/brief 3 logo concepts as SVG, within 10 days. 300 EUR.")
    agreed = await chat.say("maya", "/brief agree")
    assert data(agreed, "brief")["agreed"] is True
    assert data(await chat.say("maya", "/case status"), "case_status")["status"] == "active"


# -- a closed case says how it ended ----------------------------------------------------------


async def test_case_status_of_a_settled_case_shows_the_outcome_money_and_feedback(chat, tmp_path):
    _created, items = await disputed_case(chat, tmp_path)
    release = next(i for i in items if i["kind"] == "release_full")
    await chat.say("clara", f"/accept {release['id']}")
    settled = await chat.say("maya", f"/accept {release['id']}")
    status = await chat.say("clara", "/case status")
    fields = dict(next(r for r in status if r.data.get("type") == "case_status").fields)
    assert fields["Outcome"].startswith("release in full (both accepted")
    money = release["money"]
    assert f"the freelancer receives ${money['freelancer_net']}" in fields["Money"]
    assert f"the client paid ${money['client_paid_total']} in all" in fields["Money"]
    assert "may leave feedback" in fields["Feedback"]
    # the settlement notice gives the same figures
    notice = next(r.text for r in settled if r.data.get("type") == "case_status")
    assert f"the freelancer receives ${money['freelancer_net']}" in notice.lower()


async def test_case_status_of_a_decided_case_says_until_when_it_may_be_appealed(chat, tmp_path):
    created, _ = await disputed_case(chat, tmp_path)
    cid = created["case_id"]
    await chat.say("clara", "/escalate we cannot agree")
    await chat.say("mod", f"/mod take {cid}")
    await chat.say("mod", f"/mod note {cid} the client never answered the quote")
    await chat.say("mod", f"/mod decide {cid} full_refund reason=nothing usable")
    reply = next(r for r in await chat.say("maya", "/case status") if r.data.get("type") == "case_status")
    fields = dict(reply.fields)
    assert fields["Outcome"] == "full refund (decided by a moderator)"
    assert fields["Reasons"] == "nothing usable"
    assert "the client gets back $92.40" in fields["Money"]  # the $88.00 refund and $4.40 of fees handed back
    assert "/appeal <reason>" in fields["Appeal"]
    assert reply.data["closing"]["money"]["client_refund"] == "88.00"


def test_the_moderators_markdown_export_has_notes_and_offers_and_the_partys_has_neither():
    from mediation.export import to_markdown

    doc = {
        "case_id": "CABCDE",
        "status": {"title": "t", "status": "decided", "amount": "88", "currency": "USD", "parties": {}},
        "briefs": [],
        "deliveries": [],
        "approvals": [],
        "requests": [],
        "proposals": [],
        "votes": [],
        "decisions": [],
        "timeline": [],
        "audit_intact": True,
        "notes": [{"at": "2026-03-02", "by": "memory:mod", "text": "asked for the raw files"}],
        "offers": [{"round": 1, "role": "client", "amount": "60.00"}],
    }
    moderator = to_markdown({**doc, "audience": "moderator"})
    assert "asked for the raw files" in moderator and "offered a refund of $60.00" in moderator
    party = to_markdown({**doc, "audience": "party"})
    assert "raw files" not in party and "60.00" not in party
    assert moderator != party


# -- proposals for a chat screen ----------------------------------------------------------------


async def test_the_seed_storys_proposals_fit_a_phone_screen(chat, clock, tmp_path):
    from bot.adapters.discord import message_payloads
    from bot.adapters.telegram import MESSAGE_LIMIT
    from bot.render import Capabilities, render, split
    from tests.test_story import play_story

    _created, _, replies = await play_story(chat, clock, tmp_path, "freelancer")
    reply = next(r for r in replies if r.data.get("type") == "proposals")
    items = reply.data["items"]
    # one line per proposal: id, outcome, what each side ends with, the score in words
    assert [name.split()[0] for name, _ in reply.fields] == [i["id"] for i in items]
    for (name, value), item in zip(reply.fields, items):
        assert "freelancer nets" in value and ("score" in value)
    assert "Facts:" not in render(reply, Capabilities())  # the reasoning is one command away
    # every proposal can be accepted, and its reasoning asked for, by a button
    commands = {o.command for o in reply.options}
    assert {f"/accept {i['id']}" for i in items} | {f"/proposals {i['id']}" for i in items} <= commands
    # Telegram: one message; Discord: one embed with a field per proposal
    telegram = render(reply, Capabilities(max_length=MESSAGE_LIMIT, buttons=True, markup="html"))
    assert len(split(telegram, MESSAGE_LIMIT)) == 1
    [payload] = message_payloads(reply)
    assert [f.name.split()[0] for f in payload["embeds"][0].fields] == [i["id"] for i in items]
    # the data keeps everything an external scorer reads
    assert all({"kind", "client_refund", "rationale", "feedback", "money"} <= set(i) for i in items)


async def test_why_shows_one_proposal_in_full(chat, clock, tmp_path):
    from tests.test_story import play_story

    _created, _, replies = await play_story(chat, clock, tmp_path, "freelancer")
    items = data(replies, "proposals")["items"]
    order = next(i for i in items if i["kind"] == "change_order")
    detail = await chat.say("clara", f"/proposals {order['id']}")
    reply = next(r for r in detail if r.data.get("type") == "proposal")
    assert reply.data["item"]["id"] == order["id"]
    assert "Under the 'fair' policy" in reply.text and "Under the 'marketplace' policy" in reply.text
    assert order["rationale"] in reply.text and f"/quote {order['id']} <price>" in reply.text
    assert data(await chat.say("clara", "/proposals P99"), "error")["code"] == "unknown_proposal"


# -- the brief as read ---------------------------------------------------------------------------


async def test_the_brief_shows_each_requirement_with_the_value_read(chat):
    created = data(await chat.say("maya", "/case new Soap amount=88 currency=USD role=freelancer"), "case_created")
    await chat.say("clara", f"/case join {created['invite_code']} role=client")
    brief = (
        "8 product pictures of my handmade soaps for Instagram. Flat lay, natural light, square 1080x1080 JPG. "
        "Budget $88, delivery within 1 week. No brand book."
    )
    reply = next(r for r in await chat.say("clara", f"/brief {brief}") if r.data.get("type") == "brief")
    for line in (
        "[deliverable] 8 product pictures",
        "[format] JPG",
        "[dimensions] 1080x1080",
        "[price] $88.00",
        "[deadline] within 7 days",
        "[excluded] brand book",
        "[quality] natural light (a person judges it)",
    ):
        assert line in reply.text, line
