"""/clock: console-only control of the engine's clock, so a story can be played over months."""

from __future__ import annotations

from datetime import datetime

from mediation.clock import parse_duration
from mediation.errors import MediationError
from mediation.vocabulary import ReplyKind

from .. import replies
from ..commands import Command, command
from ..engine import Ctx
from ..messages import Reply


@command("clock advance", "/clock advance <n>d|<n>h", "move the clock forward (console only)", console_only=True)
def clock_advance(ctx: Ctx, cmd: Command) -> list[Reply]:
    try:
        now = ctx.clock.advance(parse_duration(cmd.text))
    except ValueError as exc:
        raise MediationError("bad_duration", str(exc)) from None
    return [
        replies.notice(
            ReplyKind.CLOCK, f"The clock now reads {now.isoformat(timespec='minutes')}.", now=now.isoformat()
        )
    ]


@command("clock set", "/clock set <ISO date>", "set the clock (console only)", console_only=True)
def clock_set(ctx: Ctx, cmd: Command) -> list[Reply]:
    try:
        now = ctx.clock.set(datetime.fromisoformat(cmd.text.strip()))
    except ValueError:
        raise MediationError("bad_date", f"Not an ISO date: {cmd.text!r} (e.g. 2026-03-01 or 2026-03-01T09:00)")
    return [
        replies.notice(
            ReplyKind.CLOCK, f"The clock now reads {now.isoformat(timespec='minutes')}.", now=now.isoformat()
        )
    ]
