"""Settling a case: accepting or rejecting proposals, and double-blind offers.

A proposal binds only when both parties accepted the same one of the current round. Blind offers
are never shown to the other side: when they cross (or come within the configured gap) the case
settles at the midpoint; otherwise both hear only that they have not met.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from . import audit, cases
from .cases import Actor
from .config import Settings
from .currency import parse_amount, quantize
from .errors import MediationError
from .feedback import OutcomeFacts, effect
from .fees import split
from .i18n import L_, N_, Money, Text, en, join, keep, stored, wording
from .models import Agreement, Case, Offer, Party, Proposal, ProposalVote, key
from .proposals import fees_under
from .vocabulary import ROLES, CaseEvent, CaseState, EscalationStatus, Outcome, Role, outcome_for_refund

CLAUSES = ("reflect", "waive")  # feedback reflects the outcome, or both waive feedback on the contract


def current_proposal(s: Session, case: Case, label: str, verb: str = "accept") -> Proposal:
    """The proposal `label` names on the case; `verb` is the command asking (for its hint)."""
    label = (label or "").strip().upper()
    if not label:
        first = s.exec(select(Proposal).where(Proposal.case_id == case.id, col(Proposal.superseded).is_(False))).first()
        example = first.label if first else "P1"
        raise MediationError(
            "missing_argument",
            L_("Say which proposal to accept, e.g. /accept {example}", example=example)
            if verb == "accept"
            else L_("Say which proposal to reject, e.g. /reject {example}", example=example)
            if verb == "reject"
            else L_("Say which proposal you mean, e.g. /{verb} {example}", verb=verb, example=example),
            hint=verb,
        )
    rows = list(
        s.exec(
            select(Proposal)
            .where(Proposal.case_id == case.id, Proposal.label == label)
            .order_by(col(Proposal.round).desc())
        )
    )
    if not rows:
        raise MediationError(
            "unknown_proposal",
            L_("There is no proposal {label} on case {case_id}; see /proposals.", label=label, case_id=case.id),
        )
    if rows[0].superseded:
        raise MediationError(
            "superseded",
            L_("Proposal {label} was withdrawn: the facts no longer support it; see /proposals.", label=label),
            hint="proposals",
        )
    return rows[0]


def _votes(s: Session, proposal: Proposal) -> dict[str, ProposalVote]:
    return {v.role: v for v in s.exec(select(ProposalVote).where(ProposalVote.proposal_id == proposal.id))}


def terms(
    case: Case,
    *,
    kind: str,
    client_refund: Decimal,
    settings: Settings,
    clause: str,
    shown: dict | None = None,
    disputed: bool = True,
) -> dict:
    """Money after fees and what the agreement does to feedback under the active policy: exactly
    the effect the accepted proposal showed (`shown`), or, without one, as computed now."""
    policy = settings.feedback.active()
    amount = Decimal(case.amount)
    money = split(amount, case.currency, client_refund, fees_under(settings.fees.schedule(), policy))
    eff = shown or effect(kind, OutcomeFacts(amount, case.currency, client_refund, disputed=disputed), policy).to_data()
    allowed = dict(eff["feedback_allowed"])
    if clause == "waive":
        allowed = dict.fromkeys(ROLES, False)
    lead = (
        L_("Both parties waive feedback on this contract; ")
        if clause == "waive"
        else L_("Feedback may reflect the agreed outcome; ")
    )
    out = {
        "kind": kind,
        "client_refund": str(client_refund),
        "freelancer_net": str(money.freelancer_net),
        "money": money.to_data(),
        "feedback_clause": clause,
        "feedback_allowed": allowed,
        "counts_in_score": eff["counts_in_score"],
        "policy": eff["policy"],
    }
    return keep(out, "feedback_explanation", join("", (lead, stored(eff, "explanation"))))


def settle(
    s: Session,
    actor: Actor,
    case: Case,
    *,
    kind: str,
    client_refund: Decimal,
    how: Text,
    settings: Settings,
    now: datetime,
    proposal: Proposal | None = None,
    clause: str = "reflect",
    disputed: bool = True,
) -> Agreement:
    """Close the case on agreed terms; a pending escalation is withdrawn (the parties settled first).
    `how` says in words how the parties got there; `proposal` is the one both accepted, if any."""
    shown = proposal.data.get("feedback") if proposal is not None else None
    agreed = terms(
        case,
        kind=kind,
        client_refund=quantize(client_refund, case.currency),
        settings=settings,
        clause=clause,
        shown=shown,
        disputed=disputed,
    )
    keep(agreed, "how", how)
    agreement = Agreement(
        case_id=case.id, proposal_id=proposal.id if proposal else None, kind=kind, terms=agreed, created_at=now
    )
    s.add(agreement)
    cases.advance(case, CaseEvent.SETTLED)
    s.add(case)
    esc = cases.active_escalation(s, case)
    if esc is not None:
        esc.status = EscalationStatus.WITHDRAWN
        s.add(esc)
    s.flush()
    audit.record(s, case.id, actor.tag, "case.settled", {"agreement": agreement.id, **agreed}, now)
    return agreement


@dataclass
class VoteResult:
    proposal: Proposal
    role: str
    agreement: Agreement | None
    escalate: bool = False


def accept(
    s: Session, actor: Actor, party: Party, case: Case, *, label: str, clause: str, settings: Settings, now: datetime
) -> VoteResult:
    role = cases.require_party(s, case, party, action=N_("accept a proposal"))
    cases.require_open(case)
    clause = (clause or "reflect").lower()
    if clause not in CLAUSES:
        raise MediationError("bad_argument", L_("feedback= must be reflect or waive"))
    proposal = current_proposal(s, case, label)
    votes = _votes(s, proposal)
    if role in votes and votes[role].accepted:
        raise MediationError(
            "already_accepted",
            L_("You already accepted {label}; waiting for the other party.", label=proposal.label),
        )
    for other_vote in s.exec(
        select(ProposalVote)
        .join(Proposal, col(Proposal.id) == ProposalVote.proposal_id)
        .where(
            Proposal.case_id == case.id,
            Proposal.round == proposal.round,
            ProposalVote.role == role,
            ProposalVote.accepted == True,  # noqa: E712
            ProposalVote.proposal_id != proposal.id,
        )
    ):
        withdrawn = L_("withdrawn for {label}", label=proposal.label)  # one choice at a time
        other_vote.accepted, other_vote.reason, other_vote.reason_text = False, en(withdrawn), wording(withdrawn)
        s.add(other_vote)
    vote = votes.get(role) or ProposalVote(proposal_id=key(proposal.id), role=role, accepted=True, created_at=now)
    vote.accepted, vote.reason, vote.reason_text, vote.created_at = True, f"feedback={clause}", None, now
    s.add(vote)
    audit.record(s, case.id, actor.tag, "proposal.accepted", {"proposal": proposal.label, "clause": clause}, now)
    other = votes.get(cases.other_role(role))
    if not (other and other.accepted):
        return VoteResult(proposal, role, None)
    if proposal.kind == Outcome.ESCALATE:
        return VoteResult(proposal, role, None, escalate=True)
    both_waive = clause == "waive" and other.reason == "feedback=waive"
    refund = Decimal(proposal.data.get("client_refund") or "0")
    agreement = settle(
        s,
        actor,
        case,
        kind=proposal.kind,
        client_refund=refund,
        how=L_("both accepted {label}", label=proposal.label),
        settings=settings,
        now=now,
        proposal=proposal,
        clause="waive" if both_waive else "reflect",
    )
    return VoteResult(proposal, role, agreement)


def reject(s: Session, actor: Actor, party: Party, case: Case, label: str, reason: str, now: datetime) -> Proposal:
    role = cases.require_party(s, case, party, action=N_("reject a proposal"))
    cases.require_open(case)
    proposal = current_proposal(s, case, label, verb="reject")
    votes = _votes(s, proposal)
    vote = votes.get(role) or ProposalVote(proposal_id=key(proposal.id), role=role, accepted=False, created_at=now)
    vote.accepted, vote.reason, vote.reason_text, vote.created_at = False, reason, None, now
    s.add(vote)
    audit.record(s, case.id, actor.tag, "proposal.rejected", {"proposal": proposal.label, "reason": reason}, now)
    return proposal


def votes_of(s: Session, case: Case) -> list[dict]:
    """Who accepted or rejected what, for the case file."""
    out = []
    for p in s.exec(select(Proposal).where(Proposal.case_id == case.id).order_by(col(Proposal.id))):
        for v in _votes(s, p).values():
            out.append(
                {
                    "proposal": p.label,
                    "round": p.round,
                    "kind": p.kind,
                    "role": v.role,
                    "accepted": v.accepted,
                    "reason": v.reason,
                    **({"reason_text": v.reason_text} if v.reason_text is not None else {}),
                }
            )
    return out


# -- blind offers -------------------------------------------------------------------------------


@dataclass
class OfferResult:
    round: int
    role: str
    waiting: bool  # the other side has not offered this round yet
    agreement: Agreement | None = None  # they crossed: settled at the midpoint
    rounds_left: int = 0


def current_round(s: Session, case: Case) -> int:
    last = s.exec(select(Offer).where(Offer.case_id == case.id).order_by(col(Offer.round).desc())).first()
    if last is None:
        return 1
    both = s.exec(select(Offer).where(Offer.case_id == case.id, Offer.round == last.round)).all()
    return last.round + 1 if len(both) == 2 else last.round


def offer(
    s: Session, actor: Actor, party: Party, case: Case, *, amount_text: str, settings: Settings, now: datetime
) -> OfferResult:
    role = cases.require_party(s, case, party, action=N_("make an offer"))
    cases.require_open(case)
    if case.status == CaseState.ESCALATED:
        raise MediationError("case_escalated", L_("The case is with a moderator; offers are closed."))
    if not amount_text:
        raise MediationError(
            "missing_argument",
            L_(
                "Usage: /offer <refund amount> — the client: the refund you "
                "would accept; the freelancer: the refund you would give."
            ),
        )
    amount = parse_amount(amount_text, case.currency, allow_zero=True, max_amount=None)
    if amount > Decimal(case.amount):
        raise MediationError(
            "bad_amount",
            L_(
                "An offer is a refund between 0 and the contract amount ({amount}).",
                amount=Money(Decimal(case.amount), case.currency),
            ),
        )
    rounds = settings.negotiation.offer_rounds
    rnd = current_round(s, case)
    if rnd > rounds:
        raise MediationError(
            "offers_exhausted",
            L_(
                "The {rounds} rounds of offers are used up; the case can go to a moderator with /escalate.",
                rounds=rounds,
            ),
            hint="escalate",
        )
    mine = s.exec(select(Offer).where(Offer.case_id == case.id, Offer.round == rnd, Offer.role == role)).first()
    if mine:
        mine.amount, mine.created_at = str(amount), now  # changing one's mind before the other offers
    else:
        mine = Offer(case_id=case.id, round=rnd, role=role, amount=str(amount), created_at=now)
    s.add(mine)
    s.flush()
    audit.record(s, case.id, actor.tag, "offer.made", {"round": rnd, "role": role}, now)  # never the amount
    theirs = s.exec(
        select(Offer).where(Offer.case_id == case.id, Offer.round == rnd, Offer.role == cases.other_role(role))
    ).first()
    if theirs is None:
        return OfferResult(rnd, role, waiting=True, rounds_left=rounds - rnd)
    client_min = Decimal(mine.amount if role == Role.CLIENT else theirs.amount)
    freelancer_max = Decimal(theirs.amount if role == Role.CLIENT else mine.amount)
    gap = Decimal(str(settings.negotiation.offer_gap)) * Decimal(case.amount)
    if client_min - freelancer_max <= gap:
        refund = quantize((client_min + freelancer_max) / 2, case.currency)
        kind = outcome_for_refund(refund, Decimal(case.amount))
        agreement = settle(
            s,
            actor,
            case,
            kind=kind,
            client_refund=refund,
            how=L_("blind offers met in round {round}", round=rnd),
            settings=settings,
            now=now,
        )
        return OfferResult(rnd, role, waiting=False, agreement=agreement)
    audit.record(s, case.id, actor.tag, "offers.not_met", {"round": rnd}, now)
    return OfferResult(rnd, role, waiting=False, rounds_left=rounds - rnd)


def offers_for_moderator(s: Session, case: Case, settings: Settings, decided: bool) -> list[dict] | None:
    """The blind offers, only when the configuration lets a moderator see them now."""
    if settings.negotiation.moderator_sees_offers == "after_decision" and not decided:
        return None
    return [
        {"round": o.round, "role": o.role, "amount": o.amount}
        for o in s.exec(select(Offer).where(Offer.case_id == case.id).order_by(col(Offer.round), col(Offer.role)))
    ]
