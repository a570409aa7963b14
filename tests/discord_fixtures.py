"""Fixtures for the Discord adapter tests: a fake Discord, the real discord.py client against it,
and a guard that fails any test that tries to leave the machine."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import discord
import pytest

from bot.adapters.discord import DiscordAdapter, build
from bot.adapters.memory import MemoryAdapter
from bot.hub import Hub
from tests.conftest import make_engine
from tests.fake_discord import EPHEMERAL, GUILD_ID, MOD_CHANNEL_ID, MOD_ROLE_ID, FakeDiscord, Person

MAYA = Person(1001, "maya")  # the freelancer
CLARA = Person(1002, "clara")  # the client
STRANGER = Person(1003, "eve")
MOD = Person(1004, "morgan", roles=[MOD_ROLE_ID])
MEMBER = Person(1005, "sam")  # a server member without the moderator role


@pytest.fixture
def endpoints():
    """discord.py's endpoints are class attributes: whatever a test sets, put them back."""
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


@pytest.fixture
async def fake(endpoints):
    server = await FakeDiscord().start()
    yield server
    await server.close()


@dataclass
class World:
    fake: FakeDiscord
    adapter: DiscordAdapter
    hub: Hub
    settings: Any


def discord_settings(settings, fake: FakeDiscord):
    settings.discord.api_base_url = fake.api_base
    settings.discord.gateway_url = fake.gateway_url
    settings.discord.moderator_role_ids = [MOD_ROLE_ID]
    settings.discord.mod_channel_id = MOD_CHANNEL_ID
    settings.discord.guild_ids = [GUILD_ID]
    settings.discord.case_threads = False  # these conversations keep their case in the channel itself
    return settings


async def start_adapter(hub: Hub, settings, fake: FakeDiscord) -> DiscordAdapter:
    adapter = build(hub, settings, "test-token", guild_ready_timeout=0.05)
    await adapter.start()
    return adapter


@pytest.fixture
async def world(fake, settings, clock):
    discord_settings(settings, fake)
    engine = make_engine(settings, clock)
    hub = Hub(engine)
    w = World(fake, await start_adapter(hub, settings, fake), hub, settings)
    yield w
    await w.adapter.stop()  # the one running now: a test may have restarted it
    engine.store.close()


@pytest.fixture
def memory(world) -> MemoryAdapter:
    """A second platform on the same hub, for parties who are not on Discord."""
    return MemoryAdapter(world.hub)


# -- reading answers

_ESCAPED = re.compile(r"\\([\\*_~`|>#\[\]()])")


def unescape(text: str) -> str:
    return _ESCAPED.sub(r"\1", text or "")


@dataclass
class Shown:
    """One message a person sees: its JSON body and whether only they see it."""

    body: dict
    ephemeral: bool

    @property
    def text(self) -> str:
        parts = []
        for e in self.body.get("embeds") or []:
            parts += [e.get("title") or "", e.get("description") or ""]
            parts += [f"{f['name']}: {f['value']}" for f in e.get("fields", [])]
        return unescape("\n".join(p for p in parts if p))

    @property
    def buttons(self) -> dict[str, str]:
        return {c["label"]: c["custom_id"] for row in self.body.get("components") or [] for c in row["components"]}


def shown(calls) -> list[Shown]:
    """What the answers to one interaction put on screen, in order."""
    out, deferred_ephemeral = [], False
    for c in calls:
        body = c.json or {}
        if c.path.endswith("/callback"):
            data = body.get("data") or {}
            if body.get("type") == 5:
                deferred_ephemeral = bool(data.get("flags", 0) & EPHEMERAL)
            if body.get("type") == 4:
                out.append(Shown(data, bool(data.get("flags", 0) & EPHEMERAL)))
        elif c.method == "POST":
            out.append(Shown(body, bool(body.get("flags", 0) & EPHEMERAL)))
        elif c.method == "PATCH":
            out.append(Shown(body, deferred_ephemeral))
    return out


async def ask(fake: FakeDiscord, who: Person, command: str, **options) -> list[Shown]:
    iid = await fake.slash(who, command, **options)
    return shown(await fake.settled(iid))


async def press(fake: FakeDiscord, who: Person, message_id: str, label: str | None = None, **kw) -> list[Shown]:
    iid = await fake.press(who, message_id, label, **kw)
    return shown(await fake.settled(iid))


def channel_posts(fake: FakeDiscord, channel_id: int, since: int = 0):
    return [c for c in fake.calls[since:] if c.method == "POST" and c.path == f"/channels/{channel_id}/messages"]


def message_with_button(fake: FakeDiscord, label: str, channel_id: int | None = None) -> str:
    """The newest message the bot sent that has a button with this label."""
    for mid, msg in reversed(list(fake.messages.items())):
        if channel_id is not None and msg["channel_id"] != str(channel_id):
            continue
        if any(b["label"] == label for row in msg["components"] for b in row["components"]):
            return mid
    raise AssertionError(f"no message with a {label!r} button")
