"""Deadlines that keep a case from rotting.

Which deadline a case has follows from its state (no brief yet, delivered, disputed, offers
pending, escalated), so after every change the pending timers are brought in line with the state
(`sync`). Timers live in the database and survive restarts; the running bot's scheduler fires
the due ones (`due`, `fire`), each announced to both parties.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from . import audit, cases
from .clock import as_utc
from .config import Settings
from .i18n import L_, N_, Ln_, Msg, Text, When, join, said
from .models import AuditEntry, Case, Delivery, Offer, Timer, get_row
from .vocabulary import (
    CLOSED,
    CaseEvent,
    CaseState,
    DeadlineAction,
    Outcome,
    Platform,
    Role,
    TimerKind,
    TimerState,
)

K = TimerKind
WHAT: dict[str, str] = {
    K.BRIEF_AGREEMENT: N_("agree the brief"),
    K.REVIEW: N_("review the delivery (approve, ask for changes or dispute)"),
    K.DISPUTE_ANSWER: N_("answer the dispute (accept or reject a proposal, or make an offer)"),
    K.OFFER_ROUND: N_("answer the blind offer"),
    K.MODERATOR_DECISION: N_("a moderator's decision"),
}


def _latest_action(s: Session, case: Case, action: str) -> datetime | None:
    e = s.exec(
        select(AuditEntry)
        .where(AuditEntry.chain == case.id, AuditEntry.action == action)
        .order_by(col(AuditEntry.seq).desc())
    ).first()
    return as_utc(e.at) if e else None


_DISPUTE_MOVES = (
    "dispute.opened",
    "proposals.made",
    "proposal.accepted",
    "proposal.rejected",
    "offer.made",
    "offers.not_met",
    "change_order.quoted",
)


def desired(s: Session, case: Case, settings: Settings) -> dict[TimerKind, datetime]:
    """The deadline each pending stage of the case should have: kind -> due time."""
    d = settings.deadlines
    if case.status in CLOSED:
        return {}
    days = lambda n: timedelta(days=n)
    if case.status == CaseState.ESCALATED:
        esc = cases.active_escalation(s, case)
        start = as_utc(esc.taken_at or esc.created_at) if esc else None
        return {K.MODERATOR_DECISION: start + days(d.moderator_decision_days)} if start else {}
    if case.agreed_brief_id is None:
        return {K.BRIEF_AGREEMENT: as_utc(case.created_at) + days(d.brief_agreement_days)}
    if case.status == CaseState.DISPUTED:
        out: dict[TimerKind, datetime] = {}
        moves = [t for t in (_latest_action(s, case, a) for a in _DISPUTE_MOVES) if t is not None]
        if moves:  # each step of the negotiation gives the parties time again
            out[K.DISPUTE_ANSWER] = max(moves) + days(d.dispute_answer_days)
        offers = list(
            s.exec(select(Offer).where(Offer.case_id == case.id).order_by(col(Offer.round).desc(), col(Offer.id)))
        )
        if offers:
            last_round = [o for o in offers if o.round == offers[0].round]
            if len(last_round) == 1:  # one side waits for the other
                out[K.OFFER_ROUND] = as_utc(last_round[0].created_at) + days(d.offer_round_days)
                out.pop(K.DISPUTE_ANSWER, None)
        return out
    last = s.exec(select(Delivery).where(Delivery.case_id == case.id).order_by(col(Delivery.id).desc())).first()
    if last is not None:
        return {K.REVIEW: as_utc(last.created_at) + days(d.review_days)}
    return {}


def sync(s: Session, case: Case, settings: Settings, now: datetime) -> None:
    """Cancel timers the case no longer needs; add or move the ones it does."""
    want = desired(s, case, settings)
    pending = {
        t.kind: t for t in s.exec(select(Timer).where(Timer.case_id == case.id, Timer.state == TimerState.PENDING))
    }
    before = timedelta(days=settings.deadlines.remind_before_days)
    for kind, stale in pending.items():
        if kind not in want:
            stale.state = TimerState.CANCELLED
            s.add(stale)
    fired = {
        (t.kind, as_utc(t.due_at))
        for t in s.exec(select(Timer).where(Timer.case_id == case.id, Timer.state == TimerState.FIRED))
    }
    for kind, due in want.items():
        timer = pending.get(kind)
        if timer is not None and as_utc(timer.due_at) == due:
            continue
        if (kind, due) in fired:  # that deadline has passed and was acted on: never twice
            continue
        if timer is None:
            timer = Timer(case_id=case.id, kind=kind, due_at=due, created_at=now)
        timer.due_at, timer.reminded = due, False
        timer.remind_at = due - before if before and due - before > now else None
        s.add(timer)


def due(s: Session, now: datetime) -> list[Timer]:
    """Pending timers whose reminder or deadline has come, oldest first."""
    rows = s.exec(select(Timer).where(Timer.state == TimerState.PENDING).order_by(col(Timer.due_at), col(Timer.id)))
    return [
        t
        for t in rows
        if as_utc(t.due_at) <= now or (t.remind_at is not None and not t.reminded and as_utc(t.remind_at) <= now)
    ]


@dataclass
class Fired:
    """What happened, for the bot to announce to both parties."""

    case_id: str
    kind: str
    action: DeadlineAction
    text: Text  # worded for each chat it is announced in (English as a string)

    def __post_init__(self) -> None:
        self.text = said(self.text)


def fire(s: Session, timer: Timer, settings: Settings, now: datetime) -> Fired:
    case = get_row(s, Case, timer.case_id, with_for_update=True)
    actor = cases.Actor(Platform.SYSTEM, "clock", "Mediator", "-")
    if as_utc(timer.due_at) > now:  # only the reminder is due
        timer.reminded = True
        s.add(timer)
        left = as_utc(timer.due_at) - now
        hours = max(1, round(left.total_seconds() / 3600))
        when: Text = (
            Ln_("{n} hour", "{n} hours", hours) if hours < 48 else Ln_("{n} day", "{n} days", round(hours / 24))
        )
        audit.record(s, case.id, actor.tag, "deadline.reminder", {"kind": timer.kind}, now)
        return Fired(
            case.id,
            timer.kind,
            DeadlineAction.REMINDER,
            L_(
                "Reminder on case {case_id}: {what} within {when} (by {due}).",
                case_id=case.id,
                what=Msg(WHAT[timer.kind]),
                when=when,
                due=When(as_utc(timer.due_at)),
            ),
        )
    timer.state = TimerState.FIRED
    s.add(timer)
    days = _days(timer, settings)
    if timer.kind == K.BRIEF_AGREEMENT:
        cases.advance(case, CaseEvent.BRIEF_EXPIRED)
        s.add(case)
        audit.record(s, case.id, actor.tag, "deadline.cancelled", {"kind": timer.kind}, now)
        return Fired(
            case.id,
            timer.kind,
            DeadlineAction.CANCELLED,
            L_(
                "Case {case_id} is closed: the brief was not agreed within {days} days. Nothing was agreed, so no "
                "money moves.",
                case_id=case.id,
                days=f"{days:g}",
            ),
        )
    incomplete = _incomplete_delivery(s, case, settings, now) if timer.kind == K.REVIEW else None
    if timer.kind == K.REVIEW and incomplete:
        reason = L_(
            "the client did not review the delivery within {days} days, but the delivery is not shown complete "
            "({why}), so the payment is not released without a person looking",
            days=f"{days:g}",
            why=incomplete,
        )
        cases.escalate(s, actor, None, case, reason, now)
        return Fired(
            case.id,
            timer.kind,
            DeadlineAction.ESCALATED,
            L_(
                "Case {case_id} goes to a moderator: {reason}. Both parties can still settle until the moderator "
                "decides.",
                case_id=case.id,
                reason=reason,
            ),
        )
    if timer.kind == K.REVIEW and not _client_objected(s, case):
        from .negotiation import settle

        settle(
            s,
            actor,
            case,
            kind=Outcome.RELEASE_FULL,
            client_refund=Decimal(0),
            how=L_("the client did not review the delivery within {days} days", days=f"{days:g}"),
            settings=settings,
            now=now,
            disputed=False,
        )
        return Fired(
            case.id,
            timer.kind,
            DeadlineAction.RELEASED,
            L_(
                "The client did not review the delivery on case {case_id} within {days} days, so the payment is "
                "released to the freelancer, as agreed escrow terms do.",
                case_id=case.id,
                days=f"{days:g}",
            ),
        )
    if timer.kind == K.MODERATOR_DECISION:
        audit.record(s, case.id, actor.tag, "deadline.moderators_reminded", {"kind": timer.kind}, now)
        return Fired(
            case.id,
            timer.kind,
            DeadlineAction.MODERATORS_REMINDED,
            L_(
                "No moderator decision on case {case_id} after {days} days: the moderators have been reminded.",
                case_id=case.id,
                days=f"{days:g}",
            ),
        )
    shown = f"{days:g}"
    reasons: dict[str, Text] = {
        K.REVIEW: L_("the client objected to the delivery and then said nothing for {days} days", days=shown),
        K.DISPUTE_ANSWER: L_(
            "nobody moved the dispute forward (an answer, an offer or a settlement) for {days} days", days=shown
        ),
        K.OFFER_ROUND: L_("a blind offer was not answered within {days} days", days=shown),
    }
    why = reasons[timer.kind]
    cases.escalate(s, actor, None, case, why, now)
    return Fired(
        case.id,
        timer.kind,
        DeadlineAction.ESCALATED,
        L_("Case {case_id} goes to a moderator: {reason}.", case_id=case.id, reason=why),
    )


def _days(timer: Timer, settings: Settings) -> float:
    d = settings.deadlines
    per_kind: dict[str, float] = {
        K.BRIEF_AGREEMENT: d.brief_agreement_days,
        K.REVIEW: d.review_days,
        K.DISPUTE_ANSWER: d.dispute_answer_days,
        K.OFFER_ROUND: d.offer_round_days,
        K.MODERATOR_DECISION: d.moderator_decision_days,
    }
    return per_kind[timer.kind]


def _incomplete_delivery(s: Session, case: Case, settings: Settings, now: datetime) -> Text | None:
    """Why the facts do not show the delivery complete (None when they do): a review deadline
    releases the payment only for a delivery that is complete on the facts."""
    from .facts import DeliveryFacts
    from .settlement import case_assessment, case_facts_of

    try:
        assessment = case_assessment(s, case, settings) if cases.deliveries(s, case) else None
        facts = case_facts_of(s, case, settings, now, assessment)
    except Exception as exc:  # facts that cannot be read are for a person, not a release
        return L_("the delivery could not be checked: {error}", error=str(exc))
    if facts.complete:
        return None
    u = facts.units
    if u is not None and u.delivered < u.agreed:
        return L_("{delivered} of {agreed} {what} delivered", delivered=u.delivered, agreed=u.agreed, what=u.what)
    if facts.said("admits_incomplete", "freelancer"):
        return L_("the freelancer said the work is not finished")
    if facts.wrong_language:
        return L_("the delivered text is not in the language the brief asks for")
    if facts.file_less_only or not any(isinstance(d, DeliveryFacts) and d.files for d in facts.deliveries):
        return L_("it was delivered without files (a link or a note), which cannot be checked against the brief")
    unmet = [c.label for c in facts.unmet_checks]
    if unmet:
        return L_("not met: {labels}", labels=join("; ", unmet[:3]))
    return L_("the brief's terms could not all be checked from the files")


def _client_objected(s: Session, case: Case) -> bool:
    """Whether the client spoke up after the last delivery (a change request, or anything said in the
    case chat) without approving: then the client was not silent, and a person should look."""
    last = s.exec(select(Delivery).where(Delivery.case_id == case.id).order_by(col(Delivery.id).desc())).first()
    if last is None:
        return False
    spoke = approved = False
    for e in s.exec(
        select(AuditEntry)
        .where(AuditEntry.chain == case.id, AuditEntry.at >= last.created_at)
        .order_by(col(AuditEntry.seq))
    ):
        if e.action == "request.added" or (e.action == "message" and e.detail.get("role") == Role.CLIENT):
            spoke, approved = True, False
        elif e.action == "approval.added":
            approved = True
    return spoke and not approved
