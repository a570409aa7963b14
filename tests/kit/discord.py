"""The real discord.py client against a fake Discord, over a real engine: fixtures, the people in the
server, reading what a person sees, and `DiscordDriver` (`say("maya", "/case new ...")`, `expect()`)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest

from bot.adapters.discord import DiscordAdapter, build
from bot.hub import Hub
from bot.messages import Incoming, Reply
from tests.kit.engine import ChatDriver, make_engine
from tests.kit.fake_discord import CHANNEL_ID, EPHEMERAL, GUILD_ID, MOD_CHANNEL_ID, MOD_ROLE_ID, FakeDiscord, Person
from tests.kit.replies import Recording, Turn

MAYA = Person(1001, "maya")  # the freelancer
CLARA = Person(1002, "clara")  # the client
STRANGER = Person(1003, "eve")
MOD = Person(1004, "morgan", roles=[MOD_ROLE_ID])
MEMBER = Person(1005, "sam")  # a server member without the moderator role
PEOPLE = {"maya": MAYA, "clara": CLARA, "eve": STRANGER, "stranger": STRANGER, "mod": MOD, "sam": MEMBER}


def person(who: Person | str) -> Person:
    return PEOPLE[who] if isinstance(who, str) else who


# options that take one word when a typed line is turned into a slash command
ONE_WORD = {"case", "code", "outcome", "amount", "proposal", "price", "moderator", "id", "currency", "role"}


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


def slash_of(commands: list[dict], typed: str) -> tuple[str, dict[str, str]]:
    """The slash command and options a person would fill in for a typed line, by the published
    commands: `/case new Soap photos amount=88 ...` is `case new` with title, amount, ...
    key=value words fill the option of that name; the free words fill the other text options in
    order, one word each for ids and codes, the rest for the one free-text option."""
    words = typed.lstrip("/").split()
    name, rest = words[0], words[1:]
    command = next(c for c in commands if c["name"] == name)
    options = command.get("options", [])
    subs = {o["name"]: o for o in options if o.get("type") == 1}
    if subs:
        sub = rest[0] if rest and rest[0] in subs else "propose" if name == "brief" and rest else "show"
        assert sub in subs, f"{typed!r}: no /{name} {sub}"
        if rest and rest[0] == sub:
            rest = rest[1:]
        name, options = f"{name} {sub}", subs[sub].get("options", [])
    names = {o["name"] for o in options}
    given: dict[str, str] = {}
    free: list[str] = []
    key = None
    for w in rest:  # as the engine reads a line: free text first, then each value runs to the next key
        k, eq, value = w.partition("=")
        if eq and k in names:
            key, given[k] = k, value
        elif key:
            given[key] += " " + w
        else:
            free.append(w)
    slots = [o for o in options if o["name"] not in given and o.get("type") == 3]
    for i, o in enumerate(slots):
        if not free:
            break
        later_required = sum(1 for x in slots[i + 1 :] if x.get("required") and x["name"] in ONE_WORD)
        if o["name"] in ONE_WORD:
            given[o["name"]] = free.pop(0)
        elif len(free) > later_required:
            take = len(free) - later_required
            given[o["name"]], free = " ".join(free[:take]), free[take:]
    assert not free, f"{typed!r}: no option left for {shlex.join(free)}"
    return name, given


@dataclass
class DiscordDriver(Recording):
    """The adapter started on `hub` against `fake`, recording what the engine answered to each
    interaction; `shown` is what the person saw for the last one."""

    fake: FakeDiscord
    adapter: DiscordAdapter
    hub: Hub
    settings: Any
    dispatched: list[tuple[Incoming, list[Reply]]] = field(default_factory=list)
    marks: list[int] = field(default_factory=list)
    shown: list[Shown] = field(default_factory=list)

    async def ask(self, who: Person | str, command: str, **options) -> list[Shown]:
        """`who` runs the slash command `command` with options; what they saw."""
        self.mark()
        self.shown = await ask(self.fake, person(who), command, **options)
        return self.shown

    async def press(self, who: Person | str, message_id: str, label: str | None = None, **kw) -> list[Shown]:
        self.mark()
        self.shown = await press(self.fake, person(who), message_id, label, **kw)
        return self.shown

    async def say(self, who: Person | str, text: str, channel_id: int | None = CHANNEL_ID) -> Turn:
        """`who` types a command line; it is sent as the slash command a person would fill in."""
        command, options = slash_of(self.fake.commands, text)
        await self.ask(who, command, channel_id=channel_id, **options)
        return self.turns[-1]

    async def restart(self) -> None:
        await self.adapter.stop()
        self.adapter = await start_adapter(self.hub, self.settings, self.fake)


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
async def world(fake, settings, clock) -> DiscordDriver:
    """The Discord adapter started over a real engine against `fake`."""
    discord_settings(settings, fake)
    engine = make_engine(settings, clock)
    hub = Hub(engine)
    driver = DiscordDriver(fake, await start_adapter(hub, settings, fake), hub, settings)
    driver.record(hub, "discord")
    yield driver
    await driver.adapter.stop()  # the one running now: a test may have restarted it
    engine.store.close()


@pytest.fixture
def memory(world) -> ChatDriver:
    """A second platform on the same hub, for parties who are not on Discord."""
    return ChatDriver(world.hub)
