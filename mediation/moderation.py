"""Moderators: the queue of escalated cases, taking one, the case file, and the decision."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from . import audit, cases
from .cases import Actor
from .clock import as_utc
from .currency import quantize
from .errors import MediationError
from .feedback import OutcomeFacts, effect
from .i18n import L_, N_, Money, en, keep, to_json
from .models import Case, Decision, Escalation, Identity, ModeratorNote, Party, Proposal, get_row, key
from .vocabulary import (
    DECISIONS,
    ESCALATION_PENDING,
    CaseEvent,
    CaseState,
    EscalationStatus,
    Outcome,
    ReplyKind,
    refund_for,
)


def queue(s: Session, now: datetime) -> list[dict]:
    """Open escalations, oldest first, with age and amount."""
    rows = s.exec(
        select(Escalation)
        .where(col(Escalation.status).in_(ESCALATION_PENDING))
        .order_by(col(Escalation.created_at), col(Escalation.id))
    )
    out = []
    for e in rows:
        case = get_row(s, Case, e.case_id)
        age = now - as_utc(e.created_at)
        out.append(
            {
                "case_id": case.id,
                "title": case.title,
                "amount": case.amount,
                "currency": case.currency,
                "age_days": round(age.total_seconds() / 86400, 1),
                "reason": e.reason,
                **({"reason_text": e.reason_text} if e.reason_text is not None else {}),
                "status": e.status,
                "moderator": e.moderator_user_id,
            }
        )
    return out


def _escalation(s: Session, case: Case) -> Escalation:
    esc = cases.active_escalation(s, case)
    if esc is None:
        raise MediationError("not_escalated", L_("Case {case_id} is not in the moderators' queue.", case_id=case.id))
    return esc


def require_not_party(s: Session, case: Case, mod: Actor, now: datetime) -> None:
    party = cases.party_for(s, mod, now)
    if cases.role_of(s, case, party) is not None:
        raise MediationError("conflict_of_interest", L_("A party of the case cannot moderate it."))


def _decided_by(s: Session, escalation_id: int | None) -> tuple[str, str] | None:
    if escalation_id is None:
        return None
    d = s.exec(select(Decision).where(Decision.escalation_id == escalation_id)).first()
    return (d.moderator_platform, d.moderator_user_id) if d else None


def take(s: Session, mod: Actor, case: Case, now: datetime) -> Escalation:
    cases.require_open(case)
    esc = _escalation(s, case)
    require_not_party(s, case, mod, now)
    if esc.status == EscalationStatus.TAKEN:
        if (esc.moderator_platform, esc.moderator_user_id) != (mod.platform, mod.user_id):
            raise MediationError(
                "taken_by_other", L_("Case {case_id} is already taken by another moderator.", case_id=case.id)
            )
        return esc  # taking it again changes nothing (nor its deadline)
    if _decided_by(s, esc.appeal_of) == (mod.platform, mod.user_id):
        raise MediationError("own_decision", L_("An appeal goes to a different moderator than the one who decided."))
    esc.status = EscalationStatus.TAKEN
    esc.moderator_platform, esc.moderator_user_id = mod.platform, mod.user_id
    esc.taken_at = now
    s.add(esc)
    audit.record(s, case.id, mod.tag, "moderation.taken", {"escalation": esc.id}, now)
    return esc


def release(s: Session, mod: Actor, case: Case, now: datetime, to: tuple[str, str] | None = None) -> Escalation:
    """Give a taken case back to the queue, or hand it to another moderator."""
    esc = _escalation(s, case)
    require_not_party(s, case, mod, now)
    if esc.status != EscalationStatus.TAKEN or (esc.moderator_platform, esc.moderator_user_id) != (
        mod.platform,
        mod.user_id,
    ):
        raise MediationError(
            "not_assigned",
            L_("Only the moderator handling case {case_id} can release or transfer it.", case_id=case.id),
        )
    if to is None:
        esc.status, esc.moderator_platform, esc.moderator_user_id, esc.taken_at = (
            EscalationStatus.QUEUED,
            None,
            None,
            None,
        )
        audit.record(s, case.id, mod.tag, "moderation.released", {"escalation": esc.id}, now)
    else:
        if _decided_by(s, esc.appeal_of) == to:
            raise MediationError(
                "own_decision", L_("An appeal goes to a different moderator than the one who decided.")
            )
        target = s.exec(select(Identity).where(Identity.platform == to[0], Identity.user_id == to[1])).first()
        if target is not None and cases.role_of(s, case, get_row(s, Party, target.party_id)) is not None:
            raise MediationError("conflict_of_interest", L_("A party of the case cannot moderate it."))
        esc.moderator_platform, esc.moderator_user_id, esc.taken_at = to[0], to[1], now
        audit.record(
            s, case.id, mod.tag, "moderation.transferred", {"escalation": esc.id, "to": f"{to[0]}:{to[1]}"}, now
        )
    s.add(esc)
    return esc


def add_note(s: Session, mod: Actor, case: Case, text: str, now: datetime) -> ModeratorNote:
    require_not_party(s, case, mod, now)
    if not text.strip():
        raise MediationError("missing_argument", L_("Usage: /mod note <case> <text>"))
    note = ModeratorNote(
        case_id=case.id, moderator_platform=mod.platform, moderator_user_id=mod.user_id, text=text, created_at=now
    )
    s.add(note)
    audit.record(s, case.id, mod.tag, "moderation.note", {}, now)  # the note itself stays private
    return note


def is_appeal(s: Session, decision: Decision) -> bool:
    """Whether a decision answered an appeal (there is no second one)."""
    esc = s.get(Escalation, decision.escalation_id) if decision.escalation_id is not None else None
    return esc is not None and esc.appeal_of is not None


def appeal(
    s: Session, actor: Actor, party: Party, case: Case, *, reason: str, appeal_days: float, now: datetime
) -> Escalation:
    """One appeal per case, by a party, within the window, to a different moderator."""
    cases.require_party(s, case, party, action=N_("appeal its decision"))
    decision = s.exec(select(Decision).where(Decision.case_id == case.id).order_by(col(Decision.id).desc())).first()
    if decision is None or case.status != CaseState.DECIDED:
        raise MediationError(
            "nothing_to_appeal", L_("Case {case_id} has no moderator decision to appeal.", case_id=case.id)
        )
    if s.exec(select(Escalation).where(Escalation.case_id == case.id, Escalation.appeal_of != None)).first():  # noqa: E711
        raise MediationError(
            "already_appealed", L_("The decision on case {case_id} was already appealed once.", case_id=case.id)
        )
    if now - as_utc(decision.created_at) > timedelta(days=appeal_days):
        raise MediationError(
            "appeal_window_closed",
            L_("Appeals are possible for {days} days after a decision; that time has passed.", days=f"{appeal_days:g}"),
        )
    if not reason.strip():
        raise MediationError("missing_argument", L_("Say why you appeal: /appeal <reason>"), hint="appeal")
    return cases.queue_for_moderators(
        s, actor, party, case, reason=L_("appeal: {reason}", reason=reason), now=now, appeal_of=decision.escalation_id
    )


def appeal_moderators(s: Session, case: Case, configured: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Who could hear the case's pending appeal: configured moderators, and those known from the
    cases they took or decided, other than the one whose decision is appealed."""
    from .models import AuditEntry

    esc = cases.active_escalation(s, case)
    decider = _decided_by(s, esc.appeal_of) if esc is not None else None
    found = [(platform, uid) for platform, ids in configured.items() for uid in ids]
    for tag in s.exec(
        select(AuditEntry.actor).where(col(AuditEntry.action).in_(("moderation.taken", "moderation.decided")))
    ):
        platform, _, uid = str(tag).partition(":")
        found.append((platform, uid))
    return [m for m in dict.fromkeys(found) if m != decider]


def has_moderated(s: Session, platform: str, user_id: str) -> bool:
    """Someone who has taken or decided cases before: a moderator known by a platform role rather than
    by config (a Discord moderator role, say) can be handed a case too."""
    from .models import AuditEntry

    return (
        s.exec(
            select(AuditEntry.id)
            .where(
                AuditEntry.actor == f"{platform}:{user_id}",
                col(AuditEntry.action).in_(("moderation.taken", "moderation.decided")),
            )
            .limit(1)
        ).first()
        is not None
    )


def _facts(s: Session, case: Case, settings, now=None) -> dict | None:
    """The same facts the proposals and the deadlines read, and the rule that put an outcome first."""
    from .clock import utcnow
    from .judgment import decide
    from .settlement import case_assessment, case_facts_of

    if settings is None or cases.agreed_brief(s, case) is None:
        return None
    try:
        assessment = case_assessment(s, case, settings) if cases.deliveries(s, case) else None
        facts = case_facts_of(s, case, settings, now or utcnow(), assessment)
        j = decide(facts)
    except Exception as exc:  # the case file is still shown
        return {"error": str(exc)}
    data = facts.to_data()
    data["judgment"] = {
        "rule": j.rule,
        "kind": j.kind,
        **keep({}, "why", j.why),
        "cites": [en(c) for c in j.cites],
        "cites_text": [to_json(c) for c in j.cites],
    }
    return data


def case_file(s: Session, case: Case, settings=None, now=None) -> dict:
    """Everything a moderator needs to decide, as data."""
    from .negotiation import offers_for_moderator, votes_of

    status = cases.status_data(s, case)
    # "after_decision" means after the decision of the escalation in hand: an appeal is undecided again
    decided = (
        cases.active_escalation(s, case) is None
        and s.exec(select(Decision).where(Decision.case_id == case.id)).first() is not None
    )
    return {
        "type": ReplyKind.CASE_FILE,
        "case_id": case.id,
        "status": status,
        "facts": _facts(s, case, settings, now),
        "briefs": [
            {
                "version": b.version,
                "text": b.text,
                "agreed": b.id == case.agreed_brief_id,
                "client_agreed": b.client_agreed_at is not None,
                "freelancer_agreed": b.freelancer_agreed_at is not None,
            }
            for b in cases.briefs(s, case)
        ],
        "deliveries": [
            {
                "id": d.id,
                "note": d.note,
                "at": as_utc(d.created_at).isoformat(),
                "files": [{"name": f.name, "size": f.size, "mime": f.mime, "sha256": f.sha256} for f in fs],
            }
            for d, fs in cases.deliveries(s, case)
        ],
        "approvals": [{"what": a.what, "at": as_utc(a.created_at).isoformat()} for a in cases.approvals(s, case)],
        "requests": [
            {"text": r.text, "source": r.source, "scope": r.scope, "at": as_utc(r.created_at).isoformat()}
            for r in cases.requests(s, case)
        ],
        "timeline": [
            {
                "seq": e.seq,
                "at": as_utc(e.at).isoformat(),
                "actor": e.actor,
                "action": e.action,
                **({"text": e.detail.get("text")} if e.action == "message" else {}),
            }
            for e in audit.entries(s, case.id)
        ],
        "proposals": [
            {
                "id": p.label,
                "round": p.round,
                "kind": p.kind,
                "superseded": p.superseded,
                "title": p.data.get("title"),
                **({"title_text": p.data["title_text"]} if "title_text" in p.data else {}),
            }
            for p in s.exec(select(Proposal).where(Proposal.case_id == case.id).order_by(col(Proposal.id)))
        ],
        "escalations": [
            {
                "reason": e.reason,
                **({"reason_text": e.reason_text} if e.reason_text is not None else {}),
                "appeal": e.appeal_of is not None,
                "status": e.status,
                "at": as_utc(e.created_at).isoformat(),
            }
            for e in s.exec(select(Escalation).where(Escalation.case_id == case.id).order_by(col(Escalation.id)))
        ],
        "votes": votes_of(s, case),
        "notes": [
            {
                "by": f"{n.moderator_platform}:{n.moderator_user_id}",
                "text": n.text,
                "at": as_utc(n.created_at).isoformat(),
            }
            for n in s.exec(
                select(ModeratorNote).where(ModeratorNote.case_id == case.id).order_by(col(ModeratorNote.id))
            )
        ],
        "offers": offers_for_moderator(s, case, settings, decided) if settings else None,
        "decisions": [
            {
                "outcome": d.outcome,
                "client_refund": d.amount,
                "reason": d.reason,
                "by": f"{d.moderator_platform}:{d.moderator_user_id}",
                "at": as_utc(d.created_at).isoformat(),
            }
            for d in s.exec(select(Decision).where(Decision.case_id == case.id).order_by(col(Decision.id)))
        ],
    }


def decide(
    s: Session, mod: Actor, case: Case, *, outcome: str, amount: Decimal | None, reason: str, now: datetime
) -> Decision:
    """The taken case's decision: `amount` is the client's refund, for a partial refund only."""
    cases.require_open(case)
    esc = _escalation(s, case)
    require_not_party(s, case, mod, now)
    if esc.status != EscalationStatus.TAKEN or (esc.moderator_platform, esc.moderator_user_id) != (
        mod.platform,
        mod.user_id,
    ):
        raise MediationError(
            "not_assigned",
            L_(
                "Take case {case_id} first (/mod take {case_id}); only the moderator who took it decides.",
                case_id=case.id,
            ),
        )
    if outcome not in DECISIONS:
        raise MediationError("bad_outcome", L_("Outcome must be one of: {outcomes}.", outcomes=", ".join(DECISIONS)))
    if not reason.strip():
        raise MediationError("missing_reason", L_("A decision needs written reasons: reason=<text>."))
    total = Decimal(case.amount)
    if amount is not None and outcome != Outcome.PARTIAL_REFUND:
        raise MediationError(
            "bad_amount",
            L_("Only a partial refund takes an amount; {outcome} fixes the money itself.", outcome=outcome),
        )
    if outcome == Outcome.PARTIAL_REFUND:
        if amount is None:
            raise MediationError("missing_amount", L_("A partial refund needs the amount refunded to the client."))
        if not (Decimal(0) < amount < total):
            raise MediationError(
                "bad_amount",
                L_("A partial refund must be between 0 and {amount}.", amount=Money(total, case.currency)),
            )
    implied = refund_for(outcome, total, given=amount)
    assert implied is not None  # a partial refund without an amount was refused above
    refund = quantize(implied, case.currency)
    decision = Decision(
        case_id=case.id,
        escalation_id=key(esc.id),
        moderator_platform=mod.platform,
        moderator_user_id=mod.user_id,
        outcome=outcome,
        amount=str(refund),
        reason=reason,
        created_at=now,
    )
    s.add(decision)
    esc.status = EscalationStatus.DECIDED
    s.add(esc)
    cases.advance(case, CaseEvent.DECIDED)
    s.add(case)
    s.flush()
    audit.record(
        s,
        case.id,
        mod.tag,
        "moderation.decided",
        {"outcome": outcome, "client_refund": str(refund), "reason": reason},
        now,
    )
    return decision


def decision_effects(case: Case, decision: Decision, settings) -> list[dict]:
    """What the decision does to feedback under the active policy and, for comparison, the other."""
    facts = OutcomeFacts(Decimal(case.amount), case.currency, Decimal(decision.amount or 0), disputed=True)
    policies = [settings.feedback.active(), settings.feedback.comparison()]
    return [effect(decision.outcome, facts, p).to_data() for p in policies if p is not None]
