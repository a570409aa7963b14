"""Running adapters side by side over one engine until the console ends or the process is stopped."""

from __future__ import annotations

import asyncio
import importlib
import os

from mediation.config import ENV_DISCORD_TOKEN, ENV_TELEGRAM_TOKEN, Settings
from mediation.vocabulary import Platform

from .engine import Engine
from .hub import Hub

_TOKENS = {Platform.TELEGRAM: ENV_TELEGRAM_TOKEN, Platform.DISCORD: ENV_DISCORD_TOKEN}


def build_adapter(name: str, hub: Hub, settings: Settings):
    if name == Platform.CONSOLE:
        from .adapters.console import ConsoleAdapter

        return ConsoleAdapter(hub, user=settings.console.default_user, chat_id=settings.console.chat_id)
    token = os.environ.get(_TOKENS[name], "")
    if not token:
        raise RuntimeError(f"{_TOKENS[name]} is not set: the {name} adapter needs the bot token in the environment.")
    try:
        module = importlib.import_module(f"bot.adapters.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"bot.adapters.{name}":
            raise
        raise RuntimeError(f"the {name} adapter is not available in this version") from None
    return module.build(hub, settings, token)


async def run_platforms(engine: Engine, settings: Settings, names: list[str]) -> None:
    hub = Hub(engine)
    adapters = [build_adapter(n, hub, settings) for n in names]
    engine.services.scope.preload()  # the first message should not wait for the model
    for a in adapters:
        await a.start()
        await hub.flush(a.platform)
    scheduler = asyncio.create_task(hub.run_scheduler(settings.deadlines.scheduler_interval_s))
    try:
        console = next((a for a in adapters if a.platform == Platform.CONSOLE), None)
        if console is not None:
            await console.run()
        else:
            await asyncio.Event().wait()
    finally:
        scheduler.cancel()
        for a in reversed(adapters):
            hub.detach(a.platform)
            await a.stop()
