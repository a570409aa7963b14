"""/help and /case new|join|status."""

from __future__ import annotations

from decimal import Decimal

from mediation import cases, drafts, settlement
from mediation.currency import currency_code, named_currency, parse_amount
from mediation.errors import MediationError
from mediation.i18n import L_, N_, _
from mediation.vocabulary import DraftStep, ReplyKind, role_name

from .. import replies
from ..commands import Command, command
from ..engine import Ctx
from ..messages import Reply


@command("help", N_("/help"), N_("what Mediator can do here"))
def help_(ctx: Ctx, cmd: Command) -> list[Reply]:
    return [replies.help_reply(ctx.registry, ctx.actor.platform, ctx.is_moderator())]


@command(
    "case new",
    N_("/case new <title> amount=<n> currency=<code> role=<client|freelancer>"),
    N_("open a case; you get its id and an invite code for the other party"),
    keys=("amount", "currency", "role"),
)
def case_new(ctx: Ctx, cmd: Command) -> list[Reply]:
    given = {"title": cmd.text.strip(), **{k: cmd.kv.get(k, "") for k in ("amount", "currency", "role")}}
    draft = drafts.current(ctx.s, ctx.actor.platform, ctx.actor.chat_id, ctx.actor.user_id, ctx.now)
    if draft is None and not any(given.values()):  # nothing typed: ask step by step
        cases.require_may_bind(ctx.s, ctx.actor, ctx.party, ctx.is_moderator())
        cases.require_free_chat(ctx.s, ctx.actor)  # no use asking for a case this chat cannot hold
        drafts.start(ctx.s, ctx.actor.platform, ctx.actor.chat_id, ctx.actor.user_id, ctx.now)
        return [replies.draft_question(DraftStep.TITLE, {})]
    if draft is not None:  # a button or a typed answer fills in the draft
        return advance_draft(ctx, draft, given)
    missing = [k for k, v in given.items() if not v]
    if missing:
        raise MediationError(
            "missing_argument",
            L_(
                "Missing {names}. Usage: /case new <title> amount=<n> currency=<code> role=<client|freelancer> "
                "(or just /case new, to be asked step by step)",
                names=", ".join(missing),
            ),
        )
    return _open(ctx, **given)


def _checked(ctx: Ctx, answers: dict) -> dict:
    """Each answer given so far, checked and normalised (a bad one is refused; the draft keeps the rest)."""
    out = dict(answers)
    limit = ctx.settings.limits.max_title_chars
    if out.get("title") and len(out["title"]) > limit:
        raise MediationError(
            "too_long",
            L_("The title is {count} characters; keep it under {limit}.", count=len(out["title"]), limit=limit),
        )
    if out.get("role"):
        out["role"] = cases.check_role(out["role"])
    if out.get("currency"):
        out["currency"] = currency_code(out["currency"])
    if out.get("amount"):
        if not out.get("currency") and (named := named_currency(out["amount"])):
            out["currency"] = named  # "1.000,00 €" answers the currency too
        _amount(ctx, out)  # refused now if it cannot be read; kept as typed (the draft rereads it)
    return out


def _amount(ctx: Ctx, answers: dict) -> Decimal:
    """The amount as typed, read in the reader's locale, in the currency given (USD until one is).
    A draft keeps the text as typed, not a decimal string: "1.500" reads as a thousand and a half to a
    Spanish reader, so a stored decimal read again could change value."""
    return parse_amount(answers["amount"], answers.get("currency") or "USD", max_amount=ctx.settings.limits.max_amount)


def advance_draft(ctx: Ctx, draft, given: dict) -> list[Reply]:
    """Record the answers; ask the next question, or open the case once all four are in."""
    checked = _checked(ctx, {**draft.answers, **{k: v for k, v in given.items() if v}})
    step = drafts.answer(ctx.s, draft, ctx.now, **{k: str(v) for k, v in checked.items() if v})
    if step is not None:
        return [replies.draft_question(step, draft.answers)]
    return _open(ctx, **drafts.finish(ctx.s, draft))


def _open(ctx: Ctx, *, title: str, amount: str, currency: str, role: str) -> list[Reply]:
    checked = _checked(ctx, {"title": title, "amount": amount, "currency": currency, "role": role})
    case = cases.create_case(
        ctx.s,
        ctx.actor,
        ctx.party,
        title=checked["title"],
        amount=str(_amount(ctx, checked)),
        currency=checked["currency"],
        role=checked["role"],
        now=ctx.now,
        moderator=ctx.is_moderator(),
    )
    status = cases.status_data(ctx.s, case)
    return [replies.case_created(status, case.invite_code, case.invite_role)]


def draft_chat(ctx: Ctx) -> list[Reply]:
    """A plain message from someone opening a case step by step answers the question asked."""
    draft = drafts.current(ctx.s, ctx.actor.platform, ctx.actor.chat_id, ctx.actor.user_id, ctx.now)
    if draft is None:
        return []
    text = ctx.incoming.text.strip()
    if text.lower() in replies.CANCEL_WORDS:
        drafts.finish(ctx.s, draft)
        return [replies.notice(ReplyKind.CASE_DRAFT, _("Stopped: no case was opened."), step=None)]
    step = drafts.next_step(draft)
    given = {str(step): text}  # an amount answers the currency too when it names one: "EUR 300", "1.000,00 €"
    try:
        return advance_draft(ctx, draft, given)
    except MediationError as exc:  # the question stays open: say what was wrong, ask again
        return [replies.error(exc.code, L_("{problem} Try again, or send “cancel”.", problem=exc.msg), **exc.data)]


@command(
    "case join",
    N_("/case join <invite-code> role=<client|freelancer>"),
    N_("join a case with its invite code"),
    keys=("role",),
)
def case_join(ctx: Ctx, cmd: Command) -> list[Reply]:
    if not cmd.args:
        raise MediationError("missing_argument", L_("Usage: /case join <invite-code> role=<client|freelancer>"))
    if not cmd.kv.get("role"):  # a tapped invite link: say what it is, and join by a button
        case = cases.invitation(ctx.s, ctx.actor, cmd.args[0], ctx.now)
        return [replies.invitation(cases.status_data(ctx.s, case), case.invite_code, case.invite_role)]
    role = cases.check_role(cmd.kv["role"])
    case = cases.join_case(ctx.s, ctx.actor, ctx.party, cmd.args[0], role, ctx.now, moderator=ctx.is_moderator())
    status = cases.status_data(ctx.s, case)
    headline = L_(
        "{name} joined case {case_id} as the {role}. "
        "Next: agree the brief (/brief <text> to propose, /brief agree to accept).",
        name=ctx.actor.name,
        case_id=case.id,
        role=role_name(role),
    )
    return ctx.to_parties(case, lambda: replies.case_status(status, headline))


@command(
    "case close", N_("/case close [case]"), N_("close a case before its brief is agreed (either party)"), keys=("case",)
)
def case_close(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = cases.resolve_case(ctx.s, ctx.actor, ctx.party, cmd.args[0] if cmd.args else cmd.kv.get("case"))
    cases.withdraw(ctx.s, ctx.actor, ctx.party, case, ctx.now)
    status = cases.status_data(ctx.s, case)
    headline = L_(
        "{name} closed case {case_id} before its brief was agreed; nothing is owed either way. "
        "This chat is free for a new case (/case new).",
        name=ctx.actor.name,
        case_id=case.id,
    )
    return ctx.to_parties(case, lambda: replies.case_status(status, headline))


def _not_yours(case_id: str | None) -> MediationError:
    shown = " ".join((case_id or "").split())[:20]
    return MediationError(
        "unknown_case", L_("No case {case_id} that you can see (not found, or not yours).", case_id=repr(shown))
    )


@command("case status", N_("/case status [case]"), N_("where a case stands"), keys=("case",))
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
    status = cases.status_data(ctx.s, case)
    status["closing"] = settlement.closing(ctx.s, case, ctx.settings, ctx.now)
    reply = replies.case_status(status)
    reply.private = not party  # a moderator looking from some other chat: not for that chat's eyes
    return [reply]
