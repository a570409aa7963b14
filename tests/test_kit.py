"""The test toolkit itself: waiting, expectations scoped to the last input, story stages, typed lines
as Discord slash commands."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.kit import STAGES, case_at, filemakers, quiet, until
from tests.kit.console import ConsoleDriver
from tests.kit.discord import slash_of


async def test_quiet_returns_once_nothing_changes_for_the_period():
    t0 = time.monotonic()
    assert await quiet(lambda: 1, period=0.05) is True
    assert 0.05 <= time.monotonic() - t0 < 1


async def test_quiet_stops_early_when_the_awaited_thing_happens():
    seen = []
    asyncio.get_running_loop().call_later(0.02, seen.append, "answer")
    t0 = time.monotonic()
    assert await quiet(lambda: len(seen), until=lambda: seen, period=5) is False
    assert time.monotonic() - t0 < 1


async def test_quiet_waits_out_activity_and_gives_up_on_endless_activity():
    ticks = iter(range(10_000))
    with pytest.raises(AssertionError, match="still busy"):
        await quiet(lambda: next(ticks), period=0.05, timeout=0.2)
    burst = [0]

    async def busy():
        for _ in range(5):
            await asyncio.sleep(0.02)
            burst[0] += 1

    task = asyncio.create_task(busy())
    assert await quiet(lambda: burst[0], period=0.08) is True
    assert burst[0] == 5  # not before the burst was over
    await task


async def test_until_returns_the_value_or_fails_with_what_it_waited_for():
    box = []
    asyncio.get_running_loop().call_later(0.02, box.append, 7)
    assert await until(lambda: box, timeout=1) == [7]
    with pytest.raises(AssertionError, match="the moon"):
        await until(lambda: False, timeout=0.05, what="the moon")


async def test_expect_reads_the_replies_to_the_last_input_unless_told_to_look_back(chat):
    created = (await chat.say("maya", "/case new Logo amount=300 currency=EUR role=freelancer")).expect("case_created")
    await chat.say("maya", "/help")
    with pytest.raises(AssertionError, match="no case_created reply to the last input"):
        chat.expect("case_created")
    assert chat.expect("case_created", turns=2) == created
    assert chat.expect("case_created", turns=None) == created
    await chat.say("maya", "/case new Other amount=30 currency=EUR role=freelancer", chat="other")  # one case a chat
    assert chat.expect("case_created", turns=None)["case_id"] != created["case_id"]  # the newest wins
    assert chat.count("case_created") == 2


STATUS = {
    "opened": "open",
    "joined": "briefing",
    "proposed": "briefing",
    "agreed": "active",
    "delivered": "delivered",
    "disputed": "disputed",
    "escalated": "escalated",
    "decided": "decided",
    "settled": "settled",
}


@pytest.mark.parametrize("stage", list(STATUS))
async def test_a_case_at_each_stage(chat, stage):
    case = await case_at(chat, stage)
    status = (await chat.say("maya", f"/case status {case.case_id}")).expect("case_status")
    assert status["status"] == STATUS[stage]
    assert status["brief_agreed"] is (STAGES.index(stage) >= STAGES.index("agreed"))
    assert bool(case.proposals) is (STAGES.index(stage) >= STAGES.index("disputed"))


async def test_a_delivery_sends_its_files_as_attachments_on_a_chat_platform(chat, tmp_path):
    photos = filemakers.photos(tmp_path / "pics", 2)
    case = await case_at(chat, "delivered", files=photos)  # file= tokens would be refused here
    delivered = chat.expect("delivery", turns=None)
    assert [f["name"] for f in delivered["files"]] == [p.name for p in photos]
    assert (await chat.say("maya", f"/case status {case.case_id}")).expect("case_status")["deliveries"] == 1


@pytest.mark.model  # the process loads the model at start-up
async def test_a_delivery_sends_its_files_as_file_tokens_on_the_console(tmp_path):
    pic = tmp_path / "one.jpg"
    pic.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    console = ConsoleDriver(tmp_path, f"sqlite:///{tmp_path}/m.db")
    case = await case_at(console, "delivered", files=[pic])
    assert console.expect("delivery", turns=None)["files"][0]["size"] == pic.stat().st_size
    assert (await console.say("maya", f"/case status {case.case_id}")).expect("case_status")["deliveries"] == 1
    assert console.close() == ""


async def test_an_unknown_stage_is_refused(chat):
    with pytest.raises(ValueError, match="unknown stage 'signed'"):
        await case_at(chat, "signed")


async def test_typed_lines_become_the_slash_commands_a_person_fills_in(world):
    commands = world.fake.commands
    assert slash_of(commands, "/case new Soap photos amount=88 currency=USD role=freelancer") == (
        "case new",
        {"title": "Soap photos", "amount": "88", "currency": "USD", "role": "freelancer"},
    )
    assert slash_of(commands, "/case join ABCDE-FGHJK role=client") == (
        "case join",
        {"code": "ABCDE-FGHJK", "role": "client"},
    )
    assert slash_of(commands, "/brief 8 pictures, JPG") == ("brief propose", {"text": "8 pictures, JPG"})
    assert slash_of(commands, "/brief agree") == ("brief agree", {})
    assert slash_of(commands, "/deliver all 8 pictures") == ("deliver", {"note": "all 8 pictures"})
    assert slash_of(commands, "/mod decide C1 partial_refund 20 reason=two were off brief") == (
        "mod decide",
        {"case": "C1", "outcome": "partial_refund", "amount": "20", "reason": "two were off brief"},
    )
    case = await case_at(world, "escalated")  # the same story, told with slash commands
    assert "moderators' queue" in world.shown[0].text
    assert world.expect("escalated")["case_id"] == case.case_id
