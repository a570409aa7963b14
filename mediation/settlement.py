"""From a stored case to its facts, its assessment and its ranked proposals.

The pure rules live in `assessment`, `proposals`, `fees` and `feedback`; this module reads what
they need from storage and keeps their results as evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from . import audit, cases
from .assessment import Assessment, assess
from .clock import as_utc
from .config import Settings
from .errors import MediationError
from .facts import Facts, SignalFacts, approval_facts, delivery_facts, gather
from .feedback import FeedbackPolicy, OutcomeFacts, OutcomeRecord, outcome_record
from .i18n import L_, N_, Msg, _, en, keep, said, stored, wording
from .inspection import FileFacts, Limits
from .judgment import Judgment, decide
from .models import Agreement, Case, CaseMember, Decision, Identity, Party, Proposal, ProposalVote, key
from .proposals import CaseFacts, ScopeFlag, Verdict, propose
from .sandbox import SandboxLimits, inspect_files
from .vocabulary import CLOSED, CaseEvent, CaseState, Outcome, ProposalChangeKind, Role

SILENCE_MIN_DAYS = 1
_REACTIONS = {"refused", "dispute.opened", "proposals.made", "case.escalated"}


def limits(settings: Settings) -> Limits:
    return Limits.from_mapping(settings.inspection.model_dump())


def sandbox_limits(settings: Settings) -> SandboxLimits:
    return SandboxLimits.from_mapping(settings.inspection.model_dump())


class FilesToInspect(Exception):
    """Raised inside a command's transaction when delivered files must be read first.

    Reading a file may take seconds (up to the [inspection] limits), and no database transaction
    may stay open that long: the caller rolls back, calls `inspect_stored` with no transaction
    open, and runs the command again with the facts."""

    def __init__(self, files: list[tuple[str, str, str]]):
        super().__init__(f"{len(files)} file(s) to inspect")
        self.files = files  # (sha256, stored path, name given by the sender)


def inspect_stored(files: list[tuple[str, str, str]], settings: Settings) -> dict[str, FileFacts]:
    """Facts for stored files, by SHA-256, each read in a sandboxed worker (see mediation.sandbox)."""
    facts = inspect_files([(path, name) for _, path, name in files], limits(settings), sandbox_limits(settings))
    return {sha: f for (sha, _, _), f in zip(files, facts)}


def require_agreed_brief(s: Session, case: Case, what: str):
    brief = cases.agreed_brief(s, case)
    if brief is None:
        raise MediationError(
            "no_agreed_brief",
            L_(
                "Case {case_id} has no agreed brief yet, so there is nothing to {what} against: agree one with "
                "/brief and /brief agree.",
                case_id=case.id,
                what=Msg(what),
            ),
            hint="brief_propose",
        )
    return brief


PROGRESS_FILES = 4


def case_assessment(
    s: Session,
    case: Case,
    settings: Settings,
    progress: Callable[[str], None] = lambda text: None,
    inspected: dict[str, FileFacts] | None = None,
) -> Assessment:
    """Every file delivered on the case (each distinct file once) against the agreed brief.

    With `inspected` (facts by SHA-256, filled by the caller outside any transaction), a file not
    in it raises `FilesToInspect` instead of being read here. Without it the files are read now
    (for callers that hold no transaction open), and `progress` hears "checking N files…" first
    when there are more than a few."""
    brief = require_agreed_brief(s, case, N_("assess"))
    delivered = cases.deliveries(s, case)
    if not delivered:
        raise MediationError("no_delivery", L_("Nothing has been delivered on case {case_id} yet.", case_id=case.id))
    from .facts import is_superseded_draft

    finals = [(d, files) for d, files in delivered if files and not is_superseded_draft(d.note)]
    if finals:  # drafts are superseded by the deliveries that are not drafts (words are not summed across them)
        delivered = [(d, files) for d, files in delivered if not (files and is_superseded_draft(d.note))]
    unique = {f.sha256: f for _delivery, files in delivered for f in files}  # a sample sent again counts once
    wanted = [(sha, f.stored_path, f.name) for sha, f in unique.items()]
    if inspected is None:
        if len(unique) > PROGRESS_FILES:
            progress(_("checking {count} files…", count=len(unique)))
        inspected = inspect_stored(wanted, settings)
    missing = [w for w in wanted if w[0] not in inspected]
    if missing:
        raise FilesToInspect(missing)
    facts = [_named(inspected[sha], name) for sha, _path, name in wanted]
    agreed_at = max(as_utc(t) for t in (brief.client_agreed_at, brief.freelancer_agreed_at) if t)
    last = delivered[-1][0]
    result = assess(
        brief.text,
        facts,
        delivered_at=as_utc(last.created_at),
        agreed_at=agreed_at,
        approvals=[a.what for a in cases.approvals(s, case)],
        note=last.note,
    )
    return result if unique else without_files(result)


def without_files(result: Assessment) -> Assessment:
    """A delivery with no files (a link, a build, a video, "done, check your email"): what files
    would show cannot be judged from them, so it is for the client's approval or a person, never
    a breach. Timing still counts."""
    from .assessment import HUMAN, NOT_MET, PARTLY

    for c in result.checks:
        if c.verdict in (NOT_MET, PARTLY) and c.kind != "deadline":
            c.verdict, c.score, c.units = HUMAN, None, None
            c.evidence = L_("delivered without files (a link or a note): the client's approval or a person confirms it")
    counted = [c for c in result.checks if c.counted]
    total = sum(c.weight for c in counted)
    result.coverage = round(sum(c.weight * (c.score or 0.0) for c in counted) / total, 4) if total else None
    result.notes.append(
        said(L_("the delivery has no files: what it holds is for the client or a moderator to confirm"))
    )
    return result


def note_signal(
    s: Session, actor: cases.Actor, case: Case, role: str, label: str, text: str, offer, now: datetime
) -> None:
    """Keep a signal read from a party's chat message as evidence, with its quote (and offer)."""
    detail: dict = {"role": role, "label": label, "quote": text[:500]}
    if offer is not None:
        detail["offer"] = {
            "kind": offer.kind,
            "amount": None if offer.amount is None else str(offer.amount),
            "currency": offer.currency,
            "share": None if offer.share is None else str(offer.share),
        }
    audit.record(s, case.id, actor.tag, "signal.noted", detail, now)


def _offer(data: dict | None):
    from nlp.conversation import Offer

    if not data:
        return None
    try:
        dec = lambda v: None if v in (None, "") else Decimal(str(v))
        return Offer(
            str(data.get("kind") or "refund_to_client"),
            dec(data.get("amount")),
            data.get("currency"),
            dec(data.get("share")),
        )
    except Exception:
        return None


def case_facts_of(s: Session, case: Case, settings: Settings, now: datetime, assessment: Assessment | None) -> Facts:
    """The case's facts, read from storage: the one place the brief, deliveries, approvals,
    deadlines and chat signals meet."""
    brief = cases.agreed_brief(s, case)
    agreed_at = None
    if brief is not None:
        times = [as_utc(t) for t in (brief.client_agreed_at, brief.freelancer_agreed_at) if t]
        agreed_at = max(times) if times else None
    start = agreed_at or as_utc(case.created_at)
    day = lambda t: round((as_utc(t) - start).total_seconds() / 86400, 1)
    delivered = cases.deliveries(s, case)
    deliveries = [delivery_facts(key(d.id), day(d.created_at), d.note, len(files)) for d, files in delivered]
    approvals = [approval_facts(a.what, day(a.created_at)) for a in cases.approvals(s, case)]
    signals, freelancer_texts = [], []
    for e in audit.entries(s, case.id):
        detail = e.detail or {}
        if e.action == "signal.noted":
            signals.append(
                SignalFacts(
                    str(detail.get("role")),
                    str(detail.get("label")),
                    str(detail.get("quote", "")),
                    day(e.at),
                    _offer(detail.get("offer")),
                    e.seq,
                )
            )
        elif e.action == "message" and detail.get("role") == "freelancer":
            freelancer_texts.append(str(detail.get("text", "")))
    scope_requests = sum(1 for r in cases.requests(s, case) if (r.scope or {}).get("out_of_scope"))
    return gather(
        amount=Decimal(case.amount),
        currency=case.currency,
        brief_text=brief.text if brief else None,
        agreed_at=agreed_at,
        now=now,
        deliveries=deliveries,
        approvals=approvals,
        signals=signals,
        assessment=assessment,
        freelancer_texts=freelancer_texts,
        delivered_at=as_utc(delivered[-1][0].created_at) if delivered else None,
        scope_requests=scope_requests,
    )


def judge(
    s: Session, case: Case, settings: Settings, now: datetime, assessment: Assessment | None
) -> tuple[Facts, Judgment]:
    facts = case_facts_of(s, case, settings, now, assessment)
    return facts, decide(facts)


def _named(facts: FileFacts, name: str) -> FileFacts:
    """The facts of a file under the name this delivery gave it (the same bytes may come twice)."""
    if facts.name == name:
        return facts
    return replace(facts, name=name)


def _last_activity(s: Session, case: Case) -> dict[str, datetime]:
    """When each side last did anything on the case, from the audit trail."""
    tags: dict[str, str] = {}
    for role, m in cases.members(s, case).items():
        for ident in s.exec(select(Identity).where(Identity.party_id == m.party_id)):
            tags[f"{ident.platform}:{ident.user_id}"] = role
    last: dict[str, datetime] = {}
    for e in audit.entries(s, case.id):
        who = tags.get(e.actor)
        if who and e.action not in _REACTIONS:
            last[who] = as_utc(e.at)
    return last


def silence(s: Session, case: Case, now: datetime) -> tuple[str | None, int]:
    """The side that went quiet first, and for how many days until now.

    Disputes, escalations and proposals are reactions to silence, not activity, so the answer is
    the same whoever complains."""
    last = _last_activity(s, case)
    if len(last) < 2 or last[Role.CLIENT] == last[Role.FREELANCER]:
        return None, 0
    role = min(last, key=last.__getitem__)
    days = (now - last[role]).days
    return (role, days) if days >= SILENCE_MIN_DAYS else (None, 0)


def outcome_of(s: Session, case: Case) -> tuple[str, Decimal, datetime] | None:
    """How a closed case ended: (outcome kind, client refund, when)."""
    decision = s.exec(select(Decision).where(Decision.case_id == case.id).order_by(col(Decision.id).desc())).first()
    if decision:
        return decision.outcome, Decimal(decision.amount or 0), as_utc(decision.created_at)
    agreement = s.exec(select(Agreement).where(Agreement.case_id == case.id)).first()
    if agreement:
        return (agreement.kind, Decimal(str(agreement.terms.get("client_refund", "0"))), as_utc(agreement.created_at))
    return None


def history(
    s: Session, party_id: int, role: str, exclude: str, settings: Settings, policy: FeedbackPolicy
) -> list[OutcomeRecord]:
    """A party's closed contracts in the given role, as `policy` counts them."""
    out = []
    rows = s.exec(
        select(Case)
        .join(CaseMember, col(CaseMember.case_id) == Case.id)
        .where(CaseMember.party_id == party_id, CaseMember.role == role, Case.id != exclude)
        .where(col(Case.status).in_(tuple(CLOSED)))
    )
    for case in rows:
        ended = outcome_of(s, case)
        if ended is None:
            continue
        kind, refund, at = ended
        facts = OutcomeFacts(
            amount=Decimal(case.amount),
            currency=case.currency,
            client_refund=refund,
            now=at,
            window_days=settings.feedback.score_window_days,
        )
        rec = outcome_record(kind, Role(role), facts, policy)
        if rec is not None:
            out.append(rec)
    return out


def histories(s: Session, case: Case, settings: Settings, policy: FeedbackPolicy) -> dict[str, list[OutcomeRecord]]:
    """Both parties' earlier contracts, as one policy counts them (each policy counts differently)."""
    return {role: history(s, m.party_id, role, case.id, settings, policy) for role, m in cases.members(s, case).items()}


def scope_flags(s: Session, case: Case) -> list[ScopeFlag]:
    flags = []
    for r in cases.requests(s, case):
        sc = r.scope or {}
        if sc.get("out_of_scope"):
            flags.append(
                ScopeFlag(
                    kind=sc.get("kind", "new_deliverable"),
                    request=r.text,
                    reason=sc.get("reason", ""),
                    brief_match=sc.get("brief_match"),
                    extra_units=sc.get("extra_units"),
                    quote=sc.get("quote"),
                )
            )
    return flags


def case_facts(
    s: Session, case: Case, settings: Settings, now: datetime, assessment: Assessment | None, disputing: str | None
) -> CaseFacts:
    from nlp.brief import parse_brief

    brief = cases.agreed_brief(s, case)
    parsed = parse_brief(brief.text) if brief else None
    quantity = (
        next((r.quantity for r in parsed.requirements if r.kind == "deliverable" and r.quantity), None)
        if parsed
        else None
    )
    revisions = next((r.revisions for r in parsed.requirements if r.revisions is not None), None) if parsed else None
    silent, days = silence(s, case, now)
    hist = histories(s, case, settings, settings.feedback.active())
    facts, judgment = judge(s, case, settings, now, assessment)
    return CaseFacts(
        amount=Decimal(case.amount),
        currency=case.currency,
        coverage=assessment.coverage if assessment else None,
        verdicts=[Verdict(*v) for v in assessment.verdicts()] if assessment else [],
        on_time=assessment.on_time if assessment else None,
        approvals=[a.what for a in cases.approvals(s, case)],
        scope_flags=scope_flags(s, case),
        revisions_used=sum(
            1
            for r in cases.requests(s, case)
            if (r.scope or {}).get("kind") in ("revision_within_allowance", "extra_revisions")
        ),
        revisions_allowed=revisions,
        silent_party=silent,
        silent_days=days,
        disputing_party=disputing,
        history_client=hist.get(Role.CLIENT, []),
        history_freelancer=hist.get(Role.FREELANCER, []),
        agreed_quantity=quantity,
        now=now,
        window_days=settings.feedback.score_window_days,
        judgment=judgment,
        evidence=facts.summary(),
    )


def proposal_identity(kind: str, change_order: dict | None) -> str:
    """What makes two proposals the same proposal across rounds: the outcome, and for a change
    order the request it answers. A proposal keeps its id while this stays the same."""
    return f"{kind}:{change_order['request']}" if change_order else str(kind)


_TERMS = ("client_refund", "freelancer_net")


def _terms_changed(old: dict, new: dict) -> list[str]:
    """What changed in a proposal's money between rounds, in words (empty: nothing did)."""
    out = []
    if old.get("client_refund") != new.get("client_refund"):
        out.append("the refund")
    elif old.get("freelancer_net") != new.get("freelancer_net"):
        out.append("the money after fees")
    old_order, new_order = old.get("change_order") or {}, new.get("change_order") or {}
    if old_order.get("price") != new_order.get("price"):
        out.append("the price of the new work")
    return out


@dataclass(frozen=True)
class ProposalChange:
    """A proposal of an earlier round that this round changed: updated terms, or withdrawn."""

    id: str
    kind: str
    what: ProposalChangeKind
    changed: tuple[str, ...] = ()
    cleared: tuple[str, ...] = ()  # the roles whose acceptance of the old terms was cleared

    def to_data(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "what": self.what,
            "changed": list(self.changed),
            "cleared": list(self.cleared),
        }


def make_proposals(
    s: Session,
    actor: cases.Actor,
    case: Case,
    *,
    settings: Settings,
    now: datetime,
    assessment: Assessment | None,
    disputing: str | None,
):
    """Rank the outcomes and keep them as a new round. A proposal keeps its id for the life of the
    case (`proposal_identity`): the same outcome is updated in place, a new one takes the next
    free number, one no longer offered is withdrawn; no id ever names another outcome. An
    acceptance stays on a proposal whose money did not change, and is cleared when it did.
    Returns the proposals (with their case ids), their data items as stored, and the changes."""
    facts = case_facts(s, case, settings, now, assessment, disputing)
    comparison = settings.feedback.comparison()
    other = histories(s, case, settings, comparison) if comparison else {}
    ranked = propose(
        facts,
        settings.fees.schedule(),
        settings.feedback.active(),
        comparison,
        comparison_histories=(other.get(Role.CLIENT, []), other.get(Role.FREELANCER, [])),
    )
    earlier = list(s.exec(select(Proposal).where(Proposal.case_id == case.id).order_by(col(Proposal.id))))
    by_identity: dict[str, Proposal] = {}
    for row in earlier:  # the newest row of an identity wins (older databases kept one per round)
        by_identity[proposal_identity(row.kind, row.data.get("change_order"))] = row
    numbers = [int(p.label[1:]) for p in earlier if p.label[1:].isdigit()]
    next_number = max(numbers, default=0) + 1
    round_ = max((p.round for p in earlier), default=0) + 1
    items: list[dict] = []
    out: list = []
    changes: list[ProposalChange] = []
    kept: set[str] = set()
    for ranked_one in ranked:
        item = ranked_one.to_data()
        item["rank"] = len(items) + 1  # ids stay; the ranking is this round's
        ident = proposal_identity(ranked_one.kind, item.get("change_order"))
        known = by_identity.get(ident)
        if known is None:
            item["id"] = f"P{next_number}"
            next_number += 1
            row = Proposal(case_id=case.id, label=item["id"], round=round_, kind=ranked_one.kind, data=item)
            if earlier:
                changes.append(ProposalChange(item["id"], ranked_one.kind, ProposalChangeKind.NEW))
        else:
            row = known
            item["id"] = row.label
            changed = _terms_changed(row.data, item) if not row.superseded else []
            if changed:
                cleared = []
                for vote in s.exec(select(ProposalVote).where(ProposalVote.proposal_id == row.id)):
                    if vote.accepted:  # an acceptance was of the old terms
                        cleared_by = L_("cleared: the terms changed")
                        vote.accepted, vote.reason, vote.reason_text = False, en(cleared_by), wording(cleared_by)
                        s.add(vote)
                        cleared.append(vote.role)
                changes.append(
                    ProposalChange(row.label, row.kind, ProposalChangeKind.UPDATED, tuple(changed), tuple(cleared))
                )
            row.data, row.round, row.superseded = item, round_, False
        row.created_at = now
        s.add(row)
        kept.add(ident)
        items.append(item)
        out.append(replace(ranked_one, id=item["id"]))
    for ident, row in by_identity.items():
        if ident not in kept and not row.superseded:
            row.superseded = True
            s.add(row)
            changes.append(ProposalChange(row.label, row.kind, ProposalChangeKind.WITHDRAWN))
    audit.record(
        s,
        case.id,
        actor.tag,
        "proposals.made",
        {"round": round_, "ranking": [[i["id"], i["kind"]] for i in items]},
        now,
    )
    return out, items, changes


def current_proposals(s: Session, case: Case) -> list[Proposal]:
    """The proposals on offer, best first (ids are stable, so their order is the round's ranking)."""
    rows = s.exec(
        select(Proposal)
        .where(Proposal.case_id == case.id, Proposal.superseded == False)  # noqa: E712
        .order_by(col(Proposal.id))
    )
    return sorted(rows, key=lambda p: p.data.get("rank", 0))


def open_dispute(s: Session, actor: cases.Actor, party: Party, case: Case, reason: str, now: datetime) -> str:
    role = cases.require_party(s, case, party, action=N_("open a dispute"))
    cases.require_open(case)
    if not reason.strip():
        raise MediationError("missing_argument", L_("Say what the dispute is about: /dispute <reason>"), hint="dispute")
    require_agreed_brief(s, case, N_("mediate"))
    if cases.advance(case, CaseEvent.DISPUTE_OPENED):  # a case with a moderator stays there
        s.add(case)
    audit.record(s, case.id, actor.tag, "dispute.opened", {"reason": reason, "role": role}, now)
    return role


def quote_change_order(
    s: Session,
    actor: cases.Actor,
    party: Party,
    case: Case,
    *,
    label: str,
    amount_text: str,
    settings: Settings,
    now: datetime,
) -> str:
    """The freelancer prices a change order that was left 'to be quoted'; returns the request text."""
    from .currency import parse_amount
    from .negotiation import current_proposal

    cases.require_party(s, case, party, role=Role.FREELANCER, action=N_("quote a change order"))
    cases.require_open(case)
    proposal = current_proposal(s, case, label, verb="quote")
    order = proposal.data.get("change_order") if proposal.kind == Outcome.CHANGE_ORDER else None
    if not order:
        raise MediationError(
            "not_a_change_order", L_("{label} is not a change order; see /proposals.", label=proposal.label)
        )
    if not amount_text:
        raise MediationError(
            "missing_argument", L_("Usage: /quote {label} <price for the new work>", label=proposal.label)
        )
    price = parse_amount(amount_text, case.currency, max_amount=settings.limits.max_amount)
    request = next((r for r in reversed(cases.requests(s, case)) if r.text == order["request"]), None)
    if request is None:
        raise MediationError("unknown_request", L_("The request behind this change order is no longer on the case."))
    request.scope = {**(request.scope or {}), "quote": str(price)}
    s.add(request)
    audit.record(
        s,
        case.id,
        actor.tag,
        "change_order.quoted",
        {"proposal": proposal.label, "request": request.id, "price": str(price)},
        now,
    )
    return request.text


def closing(s: Session, case: Case, settings: Settings, now: datetime) -> dict | None:
    """How a closed case ended, for its status: the outcome and how it was reached, where the money
    went (the same figures the settlement notice and the chart give), who may still leave
    feedback, and whether the decision may still be appealed. None while the case is open."""
    from datetime import timedelta

    from .moderation import is_appeal
    from .negotiation import terms

    if case.status not in CLOSED:
        return None
    decision = s.exec(select(Decision).where(Decision.case_id == case.id).order_by(col(Decision.id).desc())).first()
    if decision is not None and case.status == CaseState.DECIDED:
        agreed = terms(
            case,
            kind=decision.outcome,
            client_refund=Decimal(decision.amount or 0),
            settings=settings,
            clause="reflect",
        )
        final = is_appeal(s, decision)
        until = as_utc(decision.created_at) + timedelta(days=settings.negotiation.appeal_days)
        appealable = not final and settings.negotiation.appeal_days > 0 and now <= until
        how = L_("decided by a moderator on appeal") if final else L_("decided by a moderator")
        return {
            "outcome": decision.outcome,
            **keep({}, "how", how),
            "reason": decision.reason,
            "money": agreed["money"],
            "feedback_allowed": agreed["feedback_allowed"],
            "policy": agreed["policy"],
            "appeal_until": until.isoformat() if appealable else None,
        }
    agreement = s.exec(select(Agreement).where(Agreement.case_id == case.id)).first()
    if agreement is not None:
        t = agreement.terms
        return {
            "outcome": agreement.kind,
            **keep({}, "how", stored(t, "how") or L_("settled")),
            "reason": None,
            "money": t.get("money"),
            "feedback_allowed": t.get("feedback_allowed"),
            "policy": t.get("policy"),
            "appeal_until": None,
        }
    return {
        "outcome": None,
        **keep({}, "how", L_("cancelled: the brief was not agreed in time, so no money moved")),
        "reason": None,
        "money": None,
        "feedback_allowed": None,
        "policy": None,
        "appeal_until": None,
    }
