"""/accept, /reject and /offer: the parties settle, or find out that they will not."""

from __future__ import annotations

from decimal import Decimal

from mediation import cases, negotiation
from mediation.currency import format_money
from mediation.errors import MediationError
from mediation.models import Agreement, Case
from mediation.vocabulary import ReplyKind

from .. import replies
from ..commands import Command, command
from ..engine import Ctx
from ..messages import Option, Reply


def settled_reply(ctx: Ctx, case: Case, agreement: Agreement) -> Reply:
    t = agreement.terms
    cur = case.currency
    status = cases.status_data(ctx.s, case)
    status["agreement"] = t
    text = (
        f"Case {case.id} is settled ({t['how']}): {agreement.kind.replace('_', ' ')}.\n"
        f"Client refund {format_money(Decimal(t['client_refund']), cur)}; freelancer receives "
        f"{format_money(Decimal(t['freelancer_net']), cur)} after fees.\n{t['feedback_explanation']}"
    )
    return ctx.sealed(case, replies.case_status(status, text))


@command(
    "accept", "/accept <id> [feedback=waive]", "accept a proposal; it binds when both accept", keys=("case", "feedback")
)
def accept(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    label = cmd.args[0] if cmd.args else ""
    result = negotiation.accept(
        ctx.s,
        ctx.actor,
        ctx.party,
        case,
        label=label,
        clause=cmd.kv.get("feedback", "reflect"),
        settings=ctx.settings,
        now=ctx.now,
    )
    if result.agreement is not None:
        make = lambda: settled_reply(ctx, case, result.agreement)
        return [make()] + ctx.notify_others(case, make)
    if result.escalate:
        esc = cases.escalate(
            ctx.s, ctx.actor, None, case, f"both parties chose {result.proposal.label}: a moderator decides", ctx.now
        )
        make = lambda: replies.notice(
            ReplyKind.ESCALATED,
            f"Both parties asked for a moderator: case {case.id} is in the queue. Reason: {esc.reason}",
            case_id=case.id,
            reason=esc.reason,
        )
        return [make()] + ctx.notify_others(case, make)
    other = cases.other_role(result.role)
    text = f"The {result.role} accepted {result.proposal.label}. Waiting for the {other}."

    def make() -> Reply:
        return replies.notice(
            ReplyKind.PROPOSAL_VOTE,
            text,
            [Option(f"Accept {result.proposal.label}", f"/accept {result.proposal.label}")],
            case_id=case.id,
            proposal=result.proposal.label,
            role=result.role,
            accepted=True,
        )

    return [make()] + ctx.notify_others(case, make)


@command("reject", "/reject <id> [reason]", "reject a proposal, saying why", keys=("case",))
def reject(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    label = cmd.args[0] if cmd.args else ""
    reason = " ".join(cmd.args[1:])
    proposal = negotiation.reject(ctx.s, ctx.actor, ctx.party, case, label, reason, ctx.now)
    role = cases.role_of(ctx.s, case, ctx.party)
    text = f"The {role} rejected {proposal.label}{': ' + reason if reason else ''}."

    def make() -> Reply:
        return replies.notice(
            ReplyKind.PROPOSAL_VOTE,
            text,
            case_id=case.id,
            proposal=proposal.label,
            role=role,
            accepted=False,
            reason=reason,
        )

    return [make()] + ctx.notify_others(case, make)


@command("offer", "/offer <amount>", "a blind offer (the refund), sent privately", keys=("case",))
def offer(ctx: Ctx, cmd: Command) -> list[Reply]:
    if not ctx.actor.private and ctx.actor.platform != "console":
        raise MediationError(
            "offer_not_private",
            "Blind offers are made only in a private chat with the bot, where the other side cannot read "
            "them: send your /offer privately. Nothing was recorded; delete your message here if it is "
            "still visible.",
            delete_message=True,
        )
    case = ctx.case(cmd)
    amount = cmd.args[0] if cmd.args else ""
    result = negotiation.offer(
        ctx.s, ctx.actor, ctx.party, case, amount_text=amount, settings=ctx.settings, now=ctx.now
    )
    if result.agreement is not None:
        make = lambda: settled_reply(ctx, case, result.agreement)
        return [make()] + ctx.notify_others(case, make)
    mine = replies.notice(
        ReplyKind.OFFER_RECEIVED,
        f"Your offer for round {result.round} on case {case.id} is kept private. The other party never sees it.",
        case_id=case.id,
        round=result.round,
    )
    mine.private = True
    if result.waiting:
        other = cases.other_role(result.role)
        note = (
            f"The {result.role} made a blind offer (round {result.round}). The {other} can answer with /offer <amount>."
        )
        make = lambda: replies.notice(ReplyKind.OFFER_WAITING, note, case_id=case.id, round=result.round)
        return [mine, make()] + ctx.notify_others(case, make)
    if result.rounds_left > 0:
        note = (
            f"The blind offers of round {result.round} have not met. {result.rounds_left} round(s) left: "
            "send a new /offer, or settle another way."
        )
        options = []
    else:
        note = f"The blind offers have not met after {result.round} rounds. The case can go to a moderator."
        options = [Option("Escalate", "/escalate blind offers did not meet")]
    make = lambda: replies.notice(
        ReplyKind.OFFERS_NOT_MET,
        note,
        options,
        case_id=case.id,
        round=result.round,
        rounds_left=result.rounds_left,
    )
    return [mine, make()] + ctx.notify_others(case, make)
