"""/help and /case new|join|status."""

from __future__ import annotations

from mediation import cases
from mediation.currency import currency_code, parse_amount
from mediation.errors import MediationError

from .. import replies
from ..commands import Command, command
from ..engine import Ctx
from ..messages import Reply


@command("help", "/help", "what Mediator can do here")
def help_(ctx: Ctx, cmd: Command) -> list[Reply]:
    return [replies.help_reply(ctx.registry, ctx.actor.platform, ctx.is_moderator())]


@command(
    "case new",
    "/case new <title> amount=<n> currency=<code> role=<client|freelancer>",
    "open a case; you get its id and an invite code for the other party",
    keys=("amount", "currency", "role"),
)
def case_new(ctx: Ctx, cmd: Command) -> list[Reply]:
    title = cmd.text.strip()
    missing = [k for k in ("amount", "currency", "role") if not cmd.kv.get(k)]
    if not title:
        missing.insert(0, "title")
    if missing:
        raise MediationError(
            "missing_argument",
            "Missing " + ", ".join(missing) + ". Usage: /case new <title> "
            "amount=<n> currency=<code> role=<client|freelancer>",
        )
    limit = ctx.settings.limits.max_title_chars
    if len(title) > limit:
        raise MediationError("too_long", f"The title is {len(title)} characters; keep it under {limit}.")
    role = cases.check_role(cmd.kv["role"])
    currency = currency_code(cmd.kv["currency"])
    amount = parse_amount(cmd.kv["amount"], currency, max_amount=ctx.settings.limits.max_amount)
    case = cases.create_case(
        ctx.s,
        ctx.actor,
        ctx.party,
        title=title,
        amount=str(amount),
        currency=currency,
        role=role,
        now=ctx.now,
        moderator=ctx.is_moderator(),
    )
    status = cases.status_data(ctx.s, case)
    return [replies.case_created(status, case.invite_code, case.invite_role)]


@command(
    "case join", "/case join <invite-code> role=<client|freelancer>", "join a case with its invite code", keys=("role",)
)
def case_join(ctx: Ctx, cmd: Command) -> list[Reply]:
    if not cmd.args:
        raise MediationError("missing_argument", "Usage: /case join <invite-code> role=<client|freelancer>")
    if not cmd.kv.get("role"):  # a tapped invite link: say what it is, and join by a button
        case = cases.invitation(ctx.s, ctx.actor, cmd.args[0], ctx.now)
        return [replies.invitation(cases.status_data(ctx.s, case), case.invite_code, case.invite_role)]
    role = cases.check_role(cmd.kv["role"])
    case = cases.join_case(ctx.s, ctx.actor, ctx.party, cmd.args[0], role, ctx.now, moderator=ctx.is_moderator())
    status = cases.status_data(ctx.s, case)
    headline = (
        f"{ctx.actor.name} joined case {case.id} as the {role}. "
        f"Next: agree the brief (/brief <text> to propose, /brief agree to accept)."
    )
    out = [replies.case_status(status, headline)]
    out += ctx.notify_others(case, lambda: replies.case_status(status, headline))
    return out


@command("case close", "/case close [case]", "close a case before its brief is agreed (either party)", keys=("case",))
def case_close(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = cases.resolve_case(ctx.s, ctx.actor, ctx.party, cmd.args[0] if cmd.args else cmd.kv.get("case"))
    cases.withdraw(ctx.s, ctx.actor, ctx.party, case, ctx.now)
    status = cases.status_data(ctx.s, case)
    headline = (
        f"{ctx.actor.name} closed case {case.id} before its brief was agreed; nothing is owed either way. "
        "This chat is free for a new case (/case new)."
    )
    return [replies.case_status(status, headline)] + ctx.notify_others(
        case, lambda: replies.case_status(status, headline)
    )


def _not_yours(case_id: str | None) -> MediationError:
    shown = " ".join((case_id or "").split())[:20]
    return MediationError("unknown_case", f"No case {shown!r} that you can see (not found, or not yours).")


@command("case status", "/case status [case]", "where a case stands", keys=("case",))
def case_status(ctx: Ctx, cmd: Command) -> list[Reply]:
    case_id = cmd.args[0] if cmd.args else cmd.kv.get("case")
    moderator = ctx.is_moderator()
    try:
        case = cases.resolve_case(ctx.s, ctx.actor, ctx.party, case_id)
    except MediationError as exc:
        if exc.code == "unknown_case" and not moderator:
            raise _not_yours(case_id) from None
        raise
    party = cases.role_of(ctx.s, case, ctx.party) is not None
    if not party and not moderator:
        # the same answer as for an id that does not exist: nobody learns which ids are real
        raise _not_yours(case_id or case.id)
    reply = replies.case_status(cases.status_data(ctx.s, case))
    reply.private = not party  # a moderator looking from some other chat: not for that chat's eyes
    return [reply]
