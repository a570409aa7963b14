"""/clock: console-only control of the engine's clock, so a story can be played over months."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mediation.clock import parse_duration, utcnow
from mediation.errors import MediationError
from mediation.i18n import L_, N_, _
from mediation.vocabulary import ReplyKind

from .. import replies
from ..commands import Command, command
from ..engine import Ctx
from ..messages import Reply

# the console may play a story over years, not centuries: beyond this the dates stop meaning anything
MAX_AHEAD = timedelta(days=3660)


def _move(ctx: Ctx, target: datetime) -> datetime:
    """Forward only, and no further than ten years past today's real date."""
    now = ctx.clock.now()
    if target < now:
        raise MediationError(
            "bad_date",
            L_("The clock only moves forward; it reads {now}.", now=now.isoformat(timespec="minutes")),
        )
    if target > utcnow() + MAX_AHEAD:
        raise MediationError("bad_date", L_("That is more than ten years ahead; the clock stays within that window."))
    return ctx.clock.set(target)


@command(
    "clock advance", N_("/clock advance <n>d|<n>h"), N_("move the clock forward (console only)"), console_only=True
)
def clock_advance(ctx: Ctx, cmd: Command) -> list[Reply]:
    try:
        target = ctx.clock.now() + parse_duration(cmd.text)
    except ValueError:
        raise MediationError(
            "bad_duration",
            L_("not a duration: {text} (use e.g. 3d, 12h or 30m)", text=repr(cmd.text[:40])),
        ) from None
    except OverflowError:
        raise MediationError("bad_duration", L_("That is too far.")) from None
    try:
        now = _move(ctx, target)
    except MediationError as exc:
        raise MediationError("bad_duration", exc.msg) from None
    return [
        replies.notice(
            ReplyKind.CLOCK, _("The clock now reads {now}.", now=now.isoformat(timespec="minutes")), now=now.isoformat()
        )
    ]


@command("clock set", N_("/clock set <ISO date>"), N_("set the clock (console only)"), console_only=True)
def clock_set(ctx: Ctx, cmd: Command) -> list[Reply]:
    try:
        target = datetime.fromisoformat(cmd.text.strip())
    except ValueError:
        raise MediationError(
            "bad_date",
            L_("Not an ISO date: {text} (e.g. 2026-03-01 or 2026-03-01T09:00)", text=repr(cmd.text[:40])),
        ) from None
    if target.tzinfo is None:
        target = target.replace(tzinfo=UTC)
    now = _move(ctx, target)
    return [
        replies.notice(
            ReplyKind.CLOCK, _("The clock now reads {now}.", now=now.isoformat(timespec="minutes")), now=now.isoformat()
        )
    ]
