"""A running Telegram adapter (the real python-telegram-bot) over a real engine, against the fake Bot API."""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field

import pytest

from bot.adapters.telegram import TelegramAdapter
from bot.bootstrap import bootstrap
from bot.hub import Hub
from bot.messages import Incoming, Reply
from mediation.db import Store
from tests.fake_telegram import FakeTelegram

LOOPBACK_NAMES = {None, "localhost", "127.0.0.1", "::1", b"localhost", b"127.0.0.1"}


def _loopback(host) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.decode() if isinstance(host, bytes) else host).is_loopback
    except ValueError:
        return False


class InternetUsed(RuntimeError):
    pass


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Any connection or name lookup beyond 127.0.0.1 fails the test that made it."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # the library's coming time type, without its deprecation notice
    real_connect, real_connect_ex, real_getaddrinfo = (socket.socket.connect, socket.socket.connect_ex,
                                                       socket.getaddrinfo)

    def check(address):
        if isinstance(address, tuple) and not _loopback(address[0]):
            raise InternetUsed(f"a test tried to reach {address[0]}:{address[1]}")

    def connect(self, address):
        check(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        check(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if not _loopback(host):
            raise InternetUsed(f"a test tried to look up {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@dataclass
class Rig:
    fake: FakeTelegram
    hub: Hub
    adapter: TelegramAdapter
    settings: object
    dispatched: list[tuple[Incoming, list[Reply]]] = field(default_factory=list)

    async def say(self, *updates: dict, timeout: float = 10.0) -> list[Reply]:
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


@pytest.fixture
async def start_rig(settings, clock):
    """Call after adjusting `settings`; everything started is stopped at the end of the test."""
    rigs: list[Rig] = []
    fakes: list[FakeTelegram] = []

    async def start(start_adapter: bool = True) -> Rig:
        fake = await FakeTelegram().start()
        fakes.append(fake)
        settings.telegram.api_base_url = fake.base_url
        settings.telegram.file_base_url = fake.file_base_url
        engine = bootstrap(settings, clock=clock, store=Store.from_url(settings.database.url))
        hub = Hub(engine)
        adapter = TelegramAdapter(hub, settings, fake.token, poll_timeout=1, album_wait=0.3)
        rig = Rig(fake, hub, adapter, settings)
        dispatch = hub.dispatch

        async def recording(incoming: Incoming) -> list[Reply]:
            out = await dispatch(incoming)
            rig.dispatched.append((incoming, list(out)))
            return out
        hub.dispatch = recording
        if start_adapter:
            await adapter.start()
        rigs.append(rig)
        return rig

    yield start
    for rig in rigs:
        await rig.adapter.stop()
        rig.hub.engine.store.close()
    for fake in fakes:
        await fake.close()
