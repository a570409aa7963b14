"""A running Telegram adapter (the real python-telegram-bot) over a real engine, against the fake Bot API."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.adapters.telegram import TelegramAdapter
from bot.hub import Hub
from bot.messages import Incoming, Reply
from tests.conftest import make_engine
from tests.fake_telegram import FakeTelegram


@dataclass
class Rig:
    fake: FakeTelegram
    hub: Hub
    adapter: TelegramAdapter
    settings: object
    dispatched: list[tuple[Incoming, list[Reply]]] = field(default_factory=list)

    async def say(self, *updates: dict, timeout: float = 30.0) -> list[Reply]:
        """Inject updates and wait until the adapter has handled them; the replies the engine gave."""
        before = len(self.dispatched)
        target = self.adapter.stats["handled"] + len(updates)
        self.fake.inject(*updates)
        await self.fake.wait_for(lambda: self.adapter.stats["handled"] >= target, timeout)
        return [r for _, out in self.dispatched[before:] for r in out]

    def data(self, kind: str) -> dict:
        """The data of the latest reply of a kind."""
        for _, out in reversed(self.dispatched):
            for r in out:
                if r.data.get("type") == kind:
                    return r.data
        raise AssertionError(f"no {kind} reply")

    async def restart(self) -> None:
        """A new adapter process over the same engine: nothing kept in memory."""
        await self.adapter.stop()
        self.adapter = TelegramAdapter(self.hub, self.settings, self.fake.token, poll_timeout=1, album_wait=0.3)
        await self.adapter.start()


def make_rig(settings, fake: FakeTelegram, hub: Hub) -> Rig:
    """The Telegram adapter on `hub`, pointed at `fake`, recording what the engine answered."""
    settings.telegram.api_base_url = fake.base_url
    settings.telegram.file_base_url = fake.file_base_url
    rig = Rig(fake, hub, TelegramAdapter(hub, settings, fake.token, poll_timeout=1, album_wait=0.3), settings)
    dispatch = hub.dispatch

    async def recording(incoming: Incoming) -> list[Reply]:
        out = await dispatch(incoming)
        rig.dispatched.append((incoming, list(out)))
        return out

    hub.dispatch = recording
    return rig


@pytest.fixture
async def start_rig(settings, clock):
    """Call after adjusting `settings`; everything started is stopped at the end of the test."""
    rigs: list[Rig] = []
    fakes: list[FakeTelegram] = []

    async def start(start_adapter: bool = True, sees_all_messages: bool = True) -> Rig:
        fake = await FakeTelegram(can_read_all_group_messages=sees_all_messages).start()
        fakes.append(fake)
        rig = make_rig(settings, fake, Hub(make_engine(settings, clock)))
        if start_adapter:
            await rig.adapter.start()
        rigs.append(rig)
        return rig

    yield start
    for rig in rigs:
        await rig.adapter.stop()
        rig.hub.engine.store.close()
    for fake in fakes:
        await fake.close()
