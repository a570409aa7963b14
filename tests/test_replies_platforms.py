"""Replies in the syntax of the platform in use: a hint on Discord names Discord's slash command."""

from __future__ import annotations

from bot.adapters.discord import message_payloads
from bot.messages import Reply
from bot.syntax import HINTS, discord_text, hint_text
from tests.kit import case_at
from tests.kit.discord import CLARA, MAYA


def test_discord_reads_commands_as_its_slash_commands():
    assert discord_text("agree one with /brief <text> and /brief agree.") == (
        "agree one with /brief propose text:<text> and /brief agree."
    )
    assert discord_text("to be quoted by the freelancer: /quote P2 <price>") == (
        "to be quoted by the freelancer: /quote proposal:P2 price:<price>"
    )
    assert discord_text("They join with: /case join ABCDE-FGHJK role=client") == (
        "They join with: /case join code:ABCDE-FGHJK role:client"
    )
    assert discord_text("Say which proposal to reject, e.g. /reject P3") == (
        "Say which proposal to reject, e.g. /reject proposal:P3"
    )
    # ordinary words after a command are not taken for its argument
    assert discord_text("/dispute <reason> makes them; see /proposals.") == (
        "/dispute reason:<reason> makes them; see /proposals."
    )
    assert hint_text("brief_propose", "discord") == "/brief propose text:<text>"
    assert hint_text("brief_propose", "telegram") == "/brief <text>"
    assert all(hint_text(key, "discord") for key in HINTS)


def test_the_discord_embed_carries_the_discord_syntax():
    [payload] = message_payloads(Reply(text="Next: propose the brief with /brief <text>."))
    assert "/brief propose text:" in payload["embeds"][0].description


async def test_a_hint_on_discord_names_the_slash_command(world):
    await case_at(world, "joined")
    [refused] = await world.ask(CLARA, "dispute", reason="nothing happens")
    assert "/brief propose" in refused.text and "/brief <text>" not in refused.text
    await world.ask(CLARA, "brief propose", text="8 product pictures, JPG, 1080x1080. $88.")
    await world.ask(MAYA, "brief agree")
    [again] = await world.ask(MAYA, "brief agree")
    assert "so did the other party: version 1 is the agreed brief" in again.text and "waiting" not in again.text.lower()


def test_every_hint_key_names_a_command_the_platforms_know():
    from bot.syntax import DISCORD

    for key, neutral in HINTS.items():
        if neutral.startswith("/"):
            word = neutral[1:].split(" <")[0].split(" [")[0]
            assert word in DISCORD, key
