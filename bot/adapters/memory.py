"""An in-memory adapter: every command is a conversation a test can read, with no network."""

from __future__ import annotations

from ..hub import Hub
from ..messages import Address, Attachment, Incoming, Reply
from ..render import Capabilities, render


class MemoryAdapter:
    caps = Capabilities(max_length=100_000, buttons=True)

    def __init__(self, hub: Hub, platform: str = "memory"):
        self.hub = hub
        self.platform = platform
        self.sent: list[tuple[Address, Reply]] = []
        hub.attach(self)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def send(self, reply: Reply, to: Address) -> None:
        self.sent.append((to, reply))

    async def say(
        self,
        user: str,
        text: str,
        chat: str = "chat",
        private: bool = False,
        files: list[str] | None = None,
        event_id: str | None = None,
        moderator: bool = False,
        locale: str | None = None,
    ) -> list[Reply]:
        """`user` speaks in `chat`; returns the replies for this platform (also kept in `sent`)."""
        attachments = [Attachment(name=p.rsplit("/", 1)[-1], path=p) for p in files or []]
        incoming = Incoming(
            platform=self.platform,
            chat_id=user if private else chat,
            user_id=user,
            user_name=user.capitalize(),
            text=text,
            attachments=attachments,
            private=private,
            message_id=event_id,
            moderator=moderator,
            locale=locale,
        )
        replies = await self.hub.dispatch(incoming)
        for r in replies:
            self.sent.append((r.to, r))
        return replies

    def inbox(self, chat: str) -> list[Reply]:
        return [r for to, r in self.sent if to.chat_id == chat]

    @staticmethod
    def text(replies: list[Reply]) -> str:
        return "\n".join(render(r, MemoryAdapter.caps) for r in replies)
