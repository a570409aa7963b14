"""Moderators: the queue of escalated cases, taking one, the case file, and the decision."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, select

from . import audit, cases
from .cases import Actor
from .clock import as_utc
from .currency import quantize
from .errors import MediationError
from .models import Case, Decision, Escalation

OUTCOMES = ("release_full", "partial_refund", "full_refund", "mutual_cancel")


def queue(s: Session, now: datetime) -> list[dict]:
    """Open escalations, oldest first, with age and amount."""
    rows = s.exec(select(Escalation).where(Escalation.status != "decided").order_by(Escalation.created_at,
                                                                                     Escalation.id))
    out = []
    for e in rows:
        case = s.get(Case, e.case_id)
        age = now - as_utc(e.created_at)
        out.append({"case_id": case.id, "title": case.title, "amount": case.amount, "currency": case.currency,
                    "age_days": round(age.total_seconds() / 86400, 1), "reason": e.reason, "status": e.status,
                    "moderator": e.moderator_user_id})
    return out


def _escalation(s: Session, case: Case) -> Escalation:
    esc = cases.active_escalation(s, case)
    if esc is None:
        raise MediationError("not_escalated", f"Case {case.id} is not in the moderators' queue.")
    return esc


def _require_not_party(s: Session, case: Case, mod: Actor, now: datetime) -> None:
    party = cases.party_for(s, mod, now)
    if cases.role_of(s, case, party) is not None:
        raise MediationError("conflict_of_interest", "A party of the case cannot moderate it.")


def take(s: Session, mod: Actor, case: Case, now: datetime) -> Escalation:
    esc = _escalation(s, case)
    _require_not_party(s, case, mod, now)
    if esc.status == "taken" and (esc.moderator_platform, esc.moderator_user_id) != (mod.platform, mod.user_id):
        raise MediationError("taken_by_other", f"Case {case.id} is already taken by another moderator.")
    esc.status = "taken"
    esc.moderator_platform, esc.moderator_user_id = mod.platform, mod.user_id
    esc.taken_at = now
    s.add(esc)
    audit.record(s, case.id, mod.tag, "moderation.taken", {"escalation": esc.id}, now)
    return esc


def case_file(s: Session, case: Case) -> dict:
    """Everything a moderator needs to decide, as data."""
    status = cases.status_data(s, case)
    return {
        "type": "case_file",
        "case_id": case.id,
        "status": status,
        "briefs": [{"version": b.version, "text": b.text, "agreed": b.id == case.agreed_brief_id,
                    "client_agreed": b.client_agreed_at is not None,
                    "freelancer_agreed": b.freelancer_agreed_at is not None} for b in cases.briefs(s, case)],
        "deliveries": [{"id": d.id, "note": d.note, "at": as_utc(d.created_at).isoformat(),
                        "files": [{"name": f.name, "size": f.size, "mime": f.mime, "sha256": f.sha256} for f in fs]}
                       for d, fs in cases.deliveries(s, case)],
        "approvals": [{"what": a.what, "at": as_utc(a.created_at).isoformat()} for a in cases.approvals(s, case)],
        "requests": [{"text": r.text, "source": r.source, "scope": r.scope, "at": as_utc(r.created_at).isoformat()}
                     for r in cases.requests(s, case)],
        "timeline": [{"seq": e.seq, "at": as_utc(e.at).isoformat(), "actor": e.actor, "action": e.action}
                     for e in audit.entries(s, case.id)],
    }


def decide(s: Session, mod: Actor, case: Case, outcome: str, amount: Decimal | None, reason: str,
           now: datetime) -> Decision:
    esc = _escalation(s, case)
    _require_not_party(s, case, mod, now)
    if esc.status != "taken" or (esc.moderator_platform, esc.moderator_user_id) != (mod.platform, mod.user_id):
        raise MediationError("not_assigned", f"Take case {case.id} first (/mod take {case.id}); "
                                             "only the moderator who took it decides.")
    if outcome not in OUTCOMES:
        raise MediationError("bad_outcome", f"Outcome must be one of: {', '.join(OUTCOMES)}.")
    if not reason.strip():
        raise MediationError("missing_reason", "A decision needs written reasons: reason=<text>.")
    total = Decimal(case.amount)
    if outcome == "partial_refund":
        if amount is None:
            raise MediationError("missing_amount", "A partial refund needs the amount refunded to the client.")
        if not (Decimal(0) < amount < total):
            raise MediationError("bad_amount", f"A partial refund must be between 0 and {case.amount} {case.currency}.")
    refund = quantize({"release_full": Decimal(0), "full_refund": total, "mutual_cancel": total}.get(outcome, amount),
                      case.currency)
    decision = Decision(case_id=case.id, escalation_id=esc.id, moderator_platform=mod.platform,
                        moderator_user_id=mod.user_id, outcome=outcome, amount=str(refund), reason=reason,
                        created_at=now)
    s.add(decision)
    esc.status = "decided"
    s.add(esc)
    case.status = "decided"
    s.add(case)
    s.flush()
    audit.record(s, case.id, mod.tag, "moderation.decided",
                 {"outcome": outcome, "client_refund": str(refund), "reason": reason}, now)
    return decision
