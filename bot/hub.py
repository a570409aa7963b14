"""The hub: one engine, several adapters. It routes each reply to the platform and chat it is for,
so a case can have its client on one platform and its freelancer on another. Notices for a
platform that is down wait in the database (the outbox) and go out when its adapter is back."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import logging
import time
from typing import Any

from mediation.i18n import N_, _, choose, reading_as
from mediation.vocabulary import ReplyKind

from .adapters.base import Adapter, ShowsProgress
from .engine import Engine
from .messages import Address, Incoming, Reply
from .outbox import MODERATORS

log = logging.getLogger("mediator.hub")
# what the moderators' channels hear of, from any platform
FEED_KINDS = frozenset({ReplyKind.ESCALATED, ReplyKind.MOD_TAKEN, ReplyKind.MOD_RELEASED, ReplyKind.DECISION})
POSTED_KINDS = frozenset({ReplyKind.ESCALATED, ReplyKind.DECISION})  # new posts (takes edit the escalation's)
STOPPING = N_("Mediator is restarting; nothing was changed. Please send that again in a minute.")


class Hub:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.adapters: dict[str, Adapter] = {}
        self.accepting = True  # False once the process is stopping: nothing new is started
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def attach(self, adapter: Adapter) -> None:
        self.adapters[adapter.platform] = adapter

    def detach(self, platform: str) -> None:
        """A stopped adapter: its notices wait in the outbox until it is attached again."""
        self.adapters.pop(platform, None)

    def feed_platforms(self) -> set[str]:
        """Platforms with a moderators' channel: attached adapters that feed one, or configured ones."""
        configured = {name for name, section in self.engine.settings if getattr(section, "mod_channel_id", None)}
        return configured | {p for p, a in self.adapters.items() if hasattr(a, "moderator_feed")}

    @staticmethod
    def address(reply: Reply, incoming: Incoming) -> Address:
        if reply.to is not None:
            return reply.to
        if reply.private:
            return Address(incoming.platform, incoming.user_id, incoming.user_id)
        return Address(incoming.platform, incoming.chat_id)

    async def dispatch(self, incoming: Incoming) -> list[Reply]:
        """Handle one message; deliver replies meant for other platforms; return those for the sender's.
        While the process is stopping, new messages are turned away (nothing is applied, so a
        platform that redelivers them reaches a process that is running)."""
        if not self.accepting:
            with reading_as(choose(incoming.locale)):
                return [Reply(text=_(STOPPING), data={"type": "error", "code": "stopping", "message": STOPPING})]
        self._inflight += 1
        self._idle.clear()
        started = time.perf_counter()
        out: list[Reply] = []
        try:
            out = await self._dispatch(incoming)
            return out
        finally:
            self._inflight -= 1
            if self._inflight == 0:
                self._idle.set()
            self._observe(incoming, out, time.perf_counter() - started)

    def _observe(self, incoming: Incoming, out: list[Reply], seconds: float) -> None:
        """One log line and the metrics for a handled message; never its text."""
        text = (incoming.text or "").strip()
        if text.startswith("/"):
            spec, _rest = self.engine.registry.lookup(text)
            command = spec.word if spec is not None else "unknown"
        else:
            command = "chat" if text else "empty"
        errors = [r for r in out if r.type == "error"]
        if not errors:
            outcome = "ok"
        elif any(r.data.get("code") == "internal" for r in errors):
            outcome = "error"
        else:
            outcome = "refused"
        case_id = next((r.data["case_id"] for r in out if r.data.get("case_id")), None)
        if self.engine.metrics is not None:
            self.engine.metrics.command(incoming.platform, command, outcome, seconds)
        log.info(
            "%s %s: %s in %.0f ms",
            incoming.platform,
            command,
            outcome,
            seconds * 1000,
            extra={
                "case_id": case_id,
                "platform": incoming.platform,
                "command": command,
                "outcome": outcome,
                "duration_ms": round(seconds * 1000, 1),
            },
        )

    async def drain(self, timeout: float) -> bool:
        """Stop taking messages and wait for those in flight; False if some were still running."""
        self.accepting = False
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except TimeoutError:
            log.warning("%d command(s) still running at shutdown", self._inflight)
            return False

    async def _dispatch(self, incoming: Incoming) -> list[Reply]:
        here = []
        loop = asyncio.get_running_loop()
        notes: list[concurrent.futures.Future] = []

        def progress(text: str) -> None:  # called from the engine's worker thread
            note = Reply(text=text, data={"type": ReplyKind.PROGRESS}, to=Address(incoming.platform, incoming.chat_id))
            notes.append(asyncio.run_coroutine_threadsafe(self._show_progress(note), loop))

        try:
            replies = await self.engine.handle(incoming, progress)
        finally:
            await self._clear_progress(incoming.platform, notes)
        for reply in replies:
            reply.to = self.address(reply, incoming)
            if reply.to.platform != incoming.platform:
                await self.deliver(reply)
            elif reply.outbox_id is None or await self._claim_here(reply):
                here.append(reply)
        await self.feed_moderators(replies)
        if incoming.private:
            await self.started(incoming)
        return here

    async def _show_progress(self, note: Reply) -> Any:
        """A "working on it" note; it is not kept for later (by then the answer is there)."""
        assert note.to is not None
        adapter = self.adapters.get(note.to.platform)
        try:
            if isinstance(adapter, ShowsProgress):
                return await adapter.show_progress(note, note.to)
            if adapter is not None:
                await adapter.send(note, note.to)
        except Exception as exc:
            log.info("a progress note could not be shown: %s", exc)
        return None

    async def _clear_progress(self, platform: str, notes: list[concurrent.futures.Future]) -> None:
        """The answer is there: the progress notes go (where the adapter can take them back)."""
        adapter = self.adapters.get(platform)
        for future in notes:
            try:
                handle = await asyncio.wrap_future(future)
                if handle is not None and isinstance(adapter, ShowsProgress):
                    await adapter.clear_progress(handle)
            except Exception as exc:
                log.info("a progress note could not be taken back: %s", exc)

    async def _claim_here(self, reply: Reply) -> bool:
        """A deadline's notice going back to the sender's own chat: the sender's adapter shows it,
        so its outbox row is marked sent (unless another process is already sending it)."""
        result = await asyncio.to_thread(
            self.engine.outbox.deliver_one, reply.to.platform, lambda r: None, reply.outbox_id
        )
        return result == "sent"

    async def feed_moderators(self, replies: list[Reply]) -> None:
        """Moderators' channels follow the queue, whichever platform it moved on: escalations and
        appeals, takes and releases, decisions. One that is down hears of them when it is back; one
        that the reply was addressed to already (a decision made in that channel) is not told twice."""
        fed: dict[tuple, list[Reply]] = {}
        for reply in replies:
            if reply.type in FEED_KINDS and reply.data.get("case_id"):
                key = (reply.type, reply.data.get("case_id"), reply.data.get("reason") or reply.text)
                fed.setdefault(key, []).append(reply)
        for copies in fed.values():
            reply = copies[0]
            for platform in self.feed_platforms():
                section = getattr(self.engine.settings, platform, None)
                channel = Address(platform, str(getattr(section, "mod_channel_id", "") or ""))
                if reply.type in POSTED_KINDS and any(c.to == channel for c in copies):
                    continue
                feed = getattr(self.adapters.get(platform), "moderator_feed", None)
                try:
                    if feed is None:
                        raise ConnectionError(f"no {platform} adapter running")
                    await feed(reply)
                except Exception as exc:
                    log.warning(
                        "the %s moderators' channel missed a %s (%s); kept for later", platform, reply.type, exc
                    )
                    await self.keep(dataclasses.replace(reply, to=Address(platform, MODERATORS), outbox_id=None), exc)

    async def move_chat(self, platform: str, old: str, new: str) -> list[str]:
        """A chat that changed its id on its platform (see `Engine.move_chat`)."""
        return await asyncio.to_thread(self.engine.move_chat, platform, old, new)

    async def deliver(self, reply: Reply) -> None:
        """Send a reply now; one that cannot go waits in the outbox (`flush`). A reply that already
        has an outbox row (a deadline's notice) is claimed first, so only one process sends it."""
        if reply.outbox_id is not None:
            if reply.to.platform in self.adapters:
                await self._deliver_rows(reply.to.platform, reply.outbox_id)
            return
        adapter = self.adapters.get(reply.to.platform)
        if adapter is not None:
            try:
                await self._send(adapter, reply)
                return
            except Exception as exc:
                log.warning("delivery to %s failed (%s); kept in the outbox", reply.to.platform, _why(exc))
                await self.keep(reply, exc)
                return
        log.info("no %s adapter running; a %s notice waits in the outbox", reply.to.platform, reply.type)
        await self.keep(reply)

    async def keep(self, reply: Reply, error: BaseException | None = None) -> None:
        """Hold a reply in the outbox until its platform can take it (`flush`)."""
        await asyncio.to_thread(self.engine.outbox.keep, reply, error)

    async def _send(self, adapter: Adapter, reply: Reply) -> None:
        timeout = self.engine.settings.outbox.send_timeout_s
        if reply.to.chat_id == MODERATORS:
            await asyncio.wait_for(adapter.moderator_feed(reply), timeout)
        else:
            await asyncio.wait_for(adapter.send(reply, reply.to), timeout)

    async def _deliver_rows(self, platform: str, row_id: int | None = None, limit: int = 1) -> int:
        """Claim and send up to `limit` due rows (or row `row_id`) in worker threads; each row is
        sent inside the transaction that claimed it and marks it delivered."""
        adapter = self.adapters.get(platform)
        if adapter is None:
            return 0
        loop = asyncio.get_running_loop()

        def send(reply: Reply) -> None:  # runs in the worker thread, the sending on the event loop
            asyncio.run_coroutine_threadsafe(self._send(adapter, reply), loop).result()

        sent = 0
        for _attempt in range(limit):
            result = await asyncio.to_thread(self.engine.outbox.deliver_one, platform, send, row_id)
            if result is None:
                break
            sent += result == "sent"
            if self.engine.metrics is not None:
                self.engine.metrics.notice(platform, result)
        return sent

    async def flush(self, platform: str) -> int:
        """Send what is due for `platform`, oldest first; a notice that fails waits for its own next
        attempt while the rest go on. Returns how many were sent."""
        if platform not in self.adapters:
            return 0
        return await self._deliver_rows(platform, limit=self.engine.settings.outbox.batch)

    async def started(self, incoming: Incoming) -> None:
        """Someone wrote to the bot privately (on Telegram, `/start`): what waited for them goes now."""
        outbox = self.engine.outbox
        if await asyncio.to_thread(outbox.has_waiting, incoming.platform, str(incoming.user_id)):
            released = await asyncio.to_thread(outbox.release_waiting, incoming.platform, str(incoming.user_id))
            log.info("%d waiting %s notice(s) released: their person started the bot", released, incoming.platform)
            await self.flush(incoming.platform)

    async def tick(self) -> int:
        """Deadlines and waiting notices: called by the scheduler."""
        fired = await asyncio.to_thread(self.engine.tick)
        for reply in fired:
            await self.deliver(reply)
        await self.feed_moderators(fired)
        for platform in list(self.adapters):
            await self.flush(platform)
        return len(fired)

    async def run_scheduler(self, interval: float, stop: asyncio.Event | None = None) -> None:
        """Tick every `interval` seconds until `stop` is set; a pass in progress is finished."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("scheduler tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)


def _why(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {str(exc)[:200]}"
