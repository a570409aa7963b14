"""The hub: one engine, several adapters. It routes each reply to the platform and chat it is for,
so a case can have its client on one platform and its freelancer on another."""
from __future__ import annotations

import logging

from .engine import Engine
from .messages import Address, Incoming, Reply

log = logging.getLogger("mediator.hub")


class Hub:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.adapters: dict[str, object] = {}

    def attach(self, adapter) -> None:
        self.adapters[adapter.platform] = adapter

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
        for reply in await self.engine.handle(incoming):
            to = self.address(reply, incoming)
            reply.to = to
            if to.platform == incoming.platform:
                here.append(reply)
                continue
            adapter = self.adapters.get(to.platform)
            if adapter is None:
                log.warning("no %s adapter running; a %s notice was not delivered", to.platform, reply.type)
                continue
            try:
                await adapter.send(reply, to)
            except Exception:
                log.exception("delivery to %s failed", to.platform)
        return here
