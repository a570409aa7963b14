"""A running Telegram adapter (the real python-telegram-bot) over a real engine, against the fake Bot
API, driven as a group chat: `say("maya", "/case new ...")`, then `expect("case_created")`."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.adapters.telegram import TelegramAdapter
from bot.hub import Hub
from bot.messages import Incoming, Reply
from tests.kit.engine import make_engine
from tests.kit.fake_telegram import FakeTelegram
from tests.kit.replies import Recording, Turn

MAYA, CLARA, MOD = 111, 222, 999  # the freelancer, the client, a moderator
GROUP = -4001  # their group


@dataclass
class TelegramDriver(Recording):
    """The adapter on `hub`, pointed at `fake`, recording what the engine answered to each update."""

    fake: FakeTelegram
    hub: Hub
    adapter: TelegramAdapter
    settings: object
    dispatched: list[tuple[Incoming, list[Reply]]] = field(default_factory=list)
    marks: list[int] = field(default_factory=list)  # where in `dispatched` each input began
    people: dict[str, dict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        f = self.fake
        self.people.update(
            maya=f.user(MAYA, "Maya", "maya_ph"), clara=f.user(CLARA, "Clara"), mod=f.user(MOD, "Mo", "mod_mo")
        )
        self.group = f.group(GROUP, "Soap photos")

    async def send(self, *updates: dict, timeout: float = 10.0) -> Turn:
        """Inject updates and wait until the adapter has handled them; the replies the engine gave."""
        before = self.mark()
        target = self.adapter.stats["handled"] + len(updates)
        self.fake.inject(*updates)
        await self.fake.wait_for(lambda: self.adapter.stats["handled"] >= target, timeout)
        return Turn(r for _, out in self.dispatched[before:] for r in out)

    async def say(self, who: str, text: str, chat: dict | None = None) -> Turn:
        """`who` (maya, clara, mod) writes `text` in `chat` (default: the group)."""
        return await self.send(self.fake.message(chat or self.group, self.people[who], text))

    def cast(self) -> tuple[dict, dict, dict, dict]:
        """(maya, clara, mod, group) as the fake's users and chat, for hand-made updates."""
        return self.people["maya"], self.people["clara"], self.people["mod"], self.group

    def inputs(self) -> list[Incoming]:
        return [incoming for incoming, _ in self.dispatched]

    async def restart(self) -> None:
        """A new adapter process over the same engine: nothing kept in memory."""
        await self.adapter.stop()
        self.adapter = TelegramAdapter(self.hub, self.settings, self.fake.token, poll_timeout=1, album_wait=0.3)
        await self.adapter.start()


def make_driver(settings, fake: FakeTelegram, hub: Hub) -> TelegramDriver:
    """The Telegram adapter on `hub`, pointed at `fake`, recording what the engine answered."""
    settings.telegram.api_base_url = fake.base_url
    settings.telegram.file_base_url = fake.file_base_url
    adapter = TelegramAdapter(hub, settings, fake.token, poll_timeout=1, album_wait=0.3)
    driver = TelegramDriver(fake, hub, adapter, settings)
    driver.record(hub, "telegram")
    return driver


@pytest.fixture
async def start_rig(settings, clock):
    """Call (after adjusting `settings`) for a started TelegramDriver on a fresh fake and engine;
    everything started is stopped at the end of the test."""
    drivers: list[TelegramDriver] = []
    fakes: list[FakeTelegram] = []

    async def start(start_adapter: bool = True, sees_all_messages: bool = True) -> TelegramDriver:
        fake = await FakeTelegram(can_read_all_group_messages=sees_all_messages).start()
        fakes.append(fake)
        driver = make_driver(settings, fake, Hub(make_engine(settings, clock)))
        if start_adapter:
            await driver.adapter.start()
        drivers.append(driver)
        return driver

    yield start
    for driver in drivers:
        await driver.adapter.stop()
        driver.hub.engine.store.close()
    for fake in fakes:
        await fake.close()
