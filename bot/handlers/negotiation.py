"""/accept, /reject and /offer: the parties settle, or find out that they will not."""

from __future__ import annotations

from decimal import Decimal

from mediation import cases, negotiation
from mediation.currency import format_money
from mediation.models import Agreement, Case

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
        ctx.s, ctx.actor, ctx.party, case, label, cmd.kv.get("feedback", "reflect"), ctx.settings, ctx.now
    )
    if result.agreement is not None:
        make = lambda: settled_reply(ctx, case, result.agreement)
        return [make()] + ctx.notify_others(case, make)
    if result.escalate:
        esc = cases.escalate(
            ctx.s, ctx.actor, None, case, f"both parties chose {result.proposal.label}: a moderator decides", ctx.now
        )
        make = lambda: replies.notice(
            "escalated",
            f"Both parties asked for a moderator: case {case.id} is in the queue. Reason: {esc.reason}",
            case_id=case.id,
            reason=esc.reason,
        )
        return [make()] + ctx.notify_others(case, make)
    other = cases.other_role(result.role)
    text = f"The {result.role} accepted {result.proposal.label}. Waiting for the {other}."

    def make() -> Reply:
        return replies.notice(
            "proposal_vote",
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
            "proposal_vote", text, case_id=case.id, proposal=proposal.label, role=role, accepted=False, reason=reason
        )

    return [make()] + ctx.notify_others(case, make)


@command("offer", "/offer <amount>", "a blind offer (the refund), sent privately", keys=("case",))
def offer(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    amount = cmd.args[0] if cmd.args else ""
    result = negotiation.offer(ctx.s, ctx.actor, ctx.party, case, amount, ctx.settings, ctx.now)
    if result.agreement is not None:
        make = lambda: settled_reply(ctx, case, result.agreement)
        return [make()] + ctx.notify_others(case, make)
    mine = replies.notice(
        "offer_received",
        f"Your offer for round {result.round} on case {case.id} is kept private. The other party never sees it.",
        case_id=case.id,
        round=result.round,
    )
    mine.private = True
    if not ctx.actor.private and ctx.actor.platform != "console":
        mine.text += " Next time, send offers in a private chat with the bot."
    if result.waiting:
        other = cases.other_role(result.role)
        note = (
            f"The {result.role} made a blind offer (round {result.round}). The {other} can answer with /offer <amount>."
        )
        make = lambda: replies.notice("offer_waiting", note, case_id=case.id, round=result.round)
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
        "offers_not_met",
        note,
        options,
        case_id=case.id,
        round=result.round,
        rounds_left=result.rounds_left,
    )
    return [mine, make()] + ctx.notify_others(case, make)
