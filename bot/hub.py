"""The hub: one engine, several adapters. It routes each reply to the platform and chat it is for,
so a case can have its client on one platform and its freelancer on another. Notices for a
platform that is down wait in the database (the outbox) and go out when its adapter is back."""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import logging
from typing import Any

from sqlmodel import select

from mediation.models import OutboxMessage
from mediation.vocabulary import ReplyKind

from .adapters.base import Adapter, ShowsProgress
from .engine import Engine
from .messages import Address, Incoming, Reply

log = logging.getLogger("mediator.hub")
MODERATORS = "@moderators"  # outbox address of a platform's moderators' channel
# what the moderators' channels hear of, from any platform
FEED_KINDS = frozenset({ReplyKind.ESCALATED, ReplyKind.MOD_TAKEN, ReplyKind.MOD_RELEASED, ReplyKind.DECISION})
POSTED_KINDS = frozenset({ReplyKind.ESCALATED, ReplyKind.DECISION})  # new posts (takes edit the escalation's)
MAX_ATTEMPTS = 5  # a notice that fails this often is given up (logged), so it cannot block the rest


class Hub:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.adapters: dict[str, Adapter] = {}

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
        """Handle one message; deliver replies meant for other platforms; return those for the sender's."""
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
            if reply.to.platform == incoming.platform:
                here.append(reply)
            else:
                await self.deliver(reply)
        await self.feed_moderators(replies)
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
                    await asyncio.to_thread(self._keep, dataclasses.replace(reply, to=Address(platform, MODERATORS)))

    async def move_chat(self, platform: str, old: str, new: str) -> list[str]:
        """A chat that changed its id on its platform (see `Engine.move_chat`)."""
        return await asyncio.to_thread(self.engine.move_chat, platform, old, new)

    async def deliver(self, reply: Reply) -> None:
        adapter = self.adapters.get(reply.to.platform)
        if adapter is not None:
            try:
                await adapter.send(reply, reply.to)
                return
            except Exception:
                log.exception("delivery to %s failed; kept in the outbox", reply.to.platform)
        else:
            log.info("no %s adapter running; a %s notice waits in the outbox", reply.to.platform, reply.type)
        await self.keep(reply)

    async def keep(self, reply: Reply) -> None:
        """Hold a reply in the outbox until its platform can take it (`flush`)."""
        await asyncio.to_thread(self._keep, reply)

    def _keep(self, reply: Reply) -> None:
        with self.engine.store.transaction() as s:
            s.add(
                OutboxMessage(
                    platform=reply.to.platform,
                    chat_id=reply.to.chat_id,
                    user_id=reply.to.user_id,
                    reply=reply.to_dict(),
                    created_at=self.engine.clock.now(),
                )
            )

    def _pending(self, platform: str) -> list[OutboxMessage]:
        with self.engine.store.transaction() as s:
            return list(
                s.exec(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.platform == platform,
                        OutboxMessage.delivered_at == None,  # noqa: E711
                        OutboxMessage.attempts < MAX_ATTEMPTS,
                    )
                    .order_by(OutboxMessage.id)
                )
            )

    def _mark(self, message_id: int) -> None:
        with self.engine.store.transaction() as s:
            row = s.get(OutboxMessage, message_id)
            row.delivered_at = self.engine.clock.now()
            s.add(row)

    async def flush(self, platform: str) -> int:
        """Send what waited for `platform`, oldest first; stops at the first failure."""
        adapter = self.adapters.get(platform)
        if adapter is None:
            return 0
        sent = 0
        for row in await asyncio.to_thread(self._pending, platform):
            to = Address(row.platform, row.chat_id, row.user_id)
            reply = Reply.from_dict(row.reply, to)
            try:
                if row.chat_id == MODERATORS:
                    await adapter.moderator_feed(reply)
                else:
                    await adapter.send(reply, to)
            except Exception as exc:
                given_up = await asyncio.to_thread(self._failed, row.id)
                log.warning(
                    "the %s outbox is still blocked (%s)%s",
                    platform,
                    exc,
                    "; this notice is given up" if given_up else "; will retry",
                )
                if given_up:
                    continue
                break
            await asyncio.to_thread(self._mark, row.id)
            sent += 1
        return sent

    def _failed(self, message_id: int) -> bool:
        with self.engine.store.transaction() as s:
            row = s.get(OutboxMessage, message_id)
            row.attempts += 1
            s.add(row)
            return row.attempts >= MAX_ATTEMPTS

    async def tick(self) -> int:
        """Deadlines and waiting notices: called by the scheduler."""
        fired = await asyncio.to_thread(self.engine.tick)
        for reply in fired:
            await self.deliver(reply)
        await self.feed_moderators(fired)
        for platform in list(self.adapters):
            await self.flush(platform)
        return len(fired)

    async def run_scheduler(self, interval: float) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("scheduler tick failed")
            await asyncio.sleep(interval)
