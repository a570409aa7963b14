"""Command words whose features are not in this version yet: they answer so, plainly."""
from __future__ import annotations

from .. import replies
from ..commands import Command, command
from ..engine import Ctx
from ..messages import Reply

def _make(word: str, usage: str, summary: str):
    @command(word, usage, summary, available=False)
    def handler(ctx: Ctx, cmd: Command) -> list[Reply]:
        return [replies.not_available(word)]
    return handler


accept = _make("accept", "/accept <id>", "accept a proposal")
reject = _make("reject", "/reject <id>", "reject a proposal")
offer = _make("offer", "/offer <amount>", "a blind offer, sent privately")
