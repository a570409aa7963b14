"""Running adapters side by side over one engine until the console ends or the process is stopped.

SIGTERM and SIGINT stop the process gracefully, within `STOP_BUDGET` seconds: no new updates are
taken, commands in flight finish, due notices are flushed, adapters and the database are closed,
and the process exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import signal
import threading

from mediation.config import ENV_DISCORD_TOKEN, ENV_TELEGRAM_TOKEN, Settings
from mediation.vocabulary import Platform

from .engine import Engine
from .hub import Hub

log = logging.getLogger("mediator.runner")
_TOKENS = {Platform.TELEGRAM: ENV_TELEGRAM_TOKEN, Platform.DISCORD: ENV_DISCORD_TOKEN}
STOP_BUDGET = 9.0  # seconds from the signal to the exit; the process is ended at 9.5 s whatever happens
# how the budget is spent: taking no more, commands in flight, the scheduler's pass, flushing, closing
DRAIN_S, SCHEDULER_S, FLUSH_S, CLOSE_S = 4.0, 2.0, 1.5, 1.5


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


def on_stop_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT set `stop`; a watchdog ends the process if the shutdown overruns."""
    loop = asyncio.get_running_loop()

    def stopping(signame: str) -> None:
        if stop.is_set():
            log.warning("%s again: already stopping", signame)
            return
        log.info("%s: stopping", signame)
        stop.set()
        watchdog = threading.Timer(STOP_BUDGET + 0.5, _overrun)
        watchdog.daemon = True
        watchdog.start()

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stopping, sig.name)


def _overrun() -> None:
    log.error("the shutdown took longer than %.0f s; exiting now", STOP_BUDGET)
    logging.shutdown()
    os._exit(0)


async def run_platforms(
    engine: Engine, settings: Settings, names: list[str], stop: asyncio.Event | None = None
) -> None:
    hub = Hub(engine)
    adapters = [build_adapter(n, hub, settings) for n in names]
    stop = stop or asyncio.Event()
    on_stop_signals(stop)
    ops = None
    if settings.ops.listen:
        from .ops import OpsServer

        ops = OpsServer(hub, settings.ops.listen)
        await ops.start()
    engine.services.scope.preload()  # the first message should not wait for the model
    started = []
    scheduler_stop = asyncio.Event()
    scheduler = None
    try:
        for a in adapters:
            await a.start()
            started.append(a)
            await hub.flush(a.platform)
        scheduler = asyncio.create_task(hub.run_scheduler(settings.deadlines.scheduler_interval_s, scheduler_stop))
        console = next((a for a in adapters if a.platform == Platform.CONSOLE), None)
        waits = {asyncio.create_task(stop.wait(), name="stop")}
        if console is not None:
            waits.add(asyncio.create_task(console.run(), name="console"))
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task.get_name() == "console" and task.exception() is not None:
                raise task.exception()
        for task in pending:
            task.cancel()
    finally:
        await shutdown(hub, started, scheduler, scheduler_stop, ops)


async def shutdown(hub: Hub, adapters: list, scheduler, scheduler_stop: asyncio.Event, ops=None) -> None:
    """Stop taking updates, let commands in flight finish, flush what can be sent, close adapters
    and the database: each step within its share of the budget."""
    hub.accepting = False
    for a in adapters:  # no new updates (Telegram stops polling or its webhook server)
        pause = getattr(a, "stop_receiving", None)
        if pause is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pause(), DRAIN_S / 2)
    await hub.drain(DRAIN_S)
    scheduler_stop.set()
    if scheduler is not None:
        try:
            await asyncio.wait_for(scheduler, SCHEDULER_S)
        except (TimeoutError, asyncio.CancelledError):
            log.warning("the scheduler's pass did not finish in time; what it left is picked up next start")
        except Exception:
            log.exception("the scheduler failed while stopping")
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(_flush_all(hub, adapters), FLUSH_S)
    for a in reversed(adapters):
        hub.detach(a.platform)
        try:
            await asyncio.wait_for(a.stop(), CLOSE_S)
        except Exception as exc:
            log.warning("the %s adapter did not close cleanly: %s", a.platform, exc)
    if ops is not None:
        with contextlib.suppress(Exception):
            await ops.stop()
    hub.engine.store.close()
    log.info("stopped")


async def _flush_all(hub: Hub, adapters: list) -> None:
    for a in adapters:
        try:
            await hub.flush(a.platform)
        except Exception:
            log.exception("flushing %s at shutdown failed", a.platform)


async def run_console(hub: Hub, console) -> None:
    """`mediator console`: until end of input, or SIGTERM/SIGINT (the line in hand is finished)."""
    stop = asyncio.Event()
    on_stop_signals(stop)
    reader = asyncio.create_task(console.run(), name="console")
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({reader, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if reader.done():
            reader.result()
    finally:
        await hub.drain(DRAIN_S)
        reader.cancel()
        stopper.cancel()
        hub.engine.store.close()
