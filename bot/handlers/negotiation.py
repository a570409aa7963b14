"""/accept, /reject and /offer: the parties settle, or find out that they will not."""

from __future__ import annotations

from mediation import cases, negotiation, settlement
from mediation.errors import MediationError
from mediation.i18n import L_, N_, Ln_, _, shown
from mediation.models import Agreement, Case
from mediation.vocabulary import ReplyKind, role_name

from .. import replies
from ..commands import Command, command
from ..engine import Ctx
from ..messages import Option, Reply


def settled_reply(ctx: Ctx, case: Case, agreement: Agreement) -> Reply:
    t = agreement.terms
    cur = case.currency
    status = cases.status_data(ctx.s, case)
    status["agreement"] = t
    status["closing"] = settlement.closing(ctx.s, case, ctx.settings, ctx.now)
    text = _(
        "Case {case_id} is settled ({how}): {outcome}.",
        case_id=case.id,
        how=shown(t, "how"),
        outcome=replies.outcome_name(agreement.kind, agreement.kind),
    )
    text += f"\n{replies.cap(replies.money_words(t['money'], cur))}.\n{shown(t, 'feedback_explanation')}"
    return ctx.sealed(case, replies.case_status(status, text))


@command(
    "accept",
    N_("/accept <id> [feedback=waive]"),
    N_("accept a proposal; it binds when both accept"),
    keys=("case", "feedback"),
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
        return ctx.to_parties(case, make)
    if result.escalate:
        why = L_("both parties chose {label}: a moderator decides", label=result.proposal.label)
        esc = cases.escalate(ctx.s, ctx.actor, None, case, why, ctx.now)
        make = lambda: replies.notice(
            ReplyKind.ESCALATED,
            L_(
                "Both parties asked for a moderator: case {case_id} is in the queue. Reason: {reason}",
                case_id=case.id,
                reason=why,
            ),
            case_id=case.id,
            reason=esc.reason,
        )
        return ctx.to_parties(case, make)
    other = cases.other_role(result.role)
    text = L_(
        "The {role} accepted {label}. Waiting for the {other}.",
        role=role_name(result.role),
        label=result.proposal.label,
        other=role_name(other),
    )

    def make() -> Reply:
        return replies.notice(
            ReplyKind.PROPOSAL_VOTE,
            text,
            [Option(_("Accept {label}", label=result.proposal.label), f"/accept {result.proposal.label}")],
            case_id=case.id,
            proposal=result.proposal.label,
            role=result.role,
            accepted=True,
        )

    return ctx.to_parties(case, make)


@command("reject", N_("/reject <id> [reason]"), N_("reject a proposal, saying why"), keys=("case",))
def reject(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    label = cmd.args[0] if cmd.args else ""
    reason = " ".join(cmd.args[1:])
    proposal = negotiation.reject(ctx.s, ctx.actor, ctx.party, case, label, reason, ctx.now)
    role = cases.role_of(ctx.s, case, ctx.party)
    if reason:
        text = L_("The {role} rejected {label}: {reason}.", role=role_name(role), label=proposal.label, reason=reason)
    else:
        text = L_("The {role} rejected {label}.", role=role_name(role), label=proposal.label)

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

    return ctx.to_parties(case, make)


@command("offer", N_("/offer <amount>"), N_("a blind offer (the refund), sent privately"), keys=("case",))
def offer(ctx: Ctx, cmd: Command) -> list[Reply]:
    if not ctx.actor.private and ctx.actor.platform != "console":
        raise MediationError(
            "offer_not_private",
            L_(
                "Blind offers are made only in a private chat with the bot, where the other side cannot read "
                "them: send your /offer privately. Nothing was recorded; delete your message here if it is "
                "still visible."
            ),
            delete_message=True,
        )
    case = ctx.case(cmd)
    amount = cmd.args[0] if cmd.args else ""
    result = negotiation.offer(
        ctx.s, ctx.actor, ctx.party, case, amount_text=amount, settings=ctx.settings, now=ctx.now
    )
    if result.agreement is not None:
        make = lambda: settled_reply(ctx, case, result.agreement)
        return ctx.to_parties(case, make)
    mine = replies.notice(
        ReplyKind.OFFER_RECEIVED,
        _(
            "Your offer for round {round} on case {case_id} is kept private. The other party never sees it.",
            round=result.round,
            case_id=case.id,
        ),
        case_id=case.id,
        round=result.round,
    )
    mine.private = True
    if result.waiting:
        other = cases.other_role(result.role)
        note = L_(
            "The {role} made a blind offer (round {round}). The {other} can answer with /offer <amount>.",
            role=role_name(result.role),
            round=result.round,
            other=role_name(other),
        )
        make = lambda: replies.notice(ReplyKind.OFFER_WAITING, note, case_id=case.id, round=result.round)
        return [mine] + ctx.to_parties(case, make)
    if result.rounds_left > 0:
        note = Ln_(
            "The blind offers of round {round} have not met. {n} round left: send a new /offer, or settle another way.",
            "The blind offers of round {round} have not met. {n} rounds left: send a new /offer, or settle another way.",
            result.rounds_left,
            round=result.round,
        )
        escalate = False
    else:
        note = L_(
            "The blind offers have not met after {round} rounds. The case can go to a moderator.", round=result.round
        )
        escalate = True
    make = lambda: replies.notice(
        ReplyKind.OFFERS_NOT_MET,
        note,
        [Option(_("Escalate"), "/escalate blind offers did not meet")] if escalate else [],
        case_id=case.id,
        round=result.round,
        rounds_left=result.rounds_left,
    )
    return [mine] + ctx.to_parties(case, make)
