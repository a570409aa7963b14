"""Settlement proposals for a disputed contract: each with its money after fees, its effect on
both sides' feedback and score, and the facts it rests on.

Ranking. Proposals are ordered by a score computed from the facts only, never from who asked:

* merit `m` (0..1), how far the freelancer earned the money: the brief coverage (or the share
  of requirement verdicts met; 0.5 when nothing was assessed), +0.05 per approved sample or
  milestone (at most +0.10), +0.05 delivered on time / -0.10 late, +0.05 when more revisions
  were done than agreed, +0.10 when the client has been silent 14 days or more (the contract
  was abandoned after delivery), -0.20 when the freelancer has;
* release in full: `m`; a change order (release in full plus the out-of-scope work as a new
  order): `m - 0.01` (priced) or `m - 0.02` (to be quoted), so it follows the release;
* partial refund: `1 - |m - 0.5|` when the refund is derived from an unmet share of the brief;
  half that when the brief gives no ground for one (met in full, or nothing delivered) and the
  proposal falls back to splitting the difference;
* full refund: `1 - m`; mutual cancellation: `1 - m - 0.05`;
* escalation: 0.30, +0.30 when nothing was assessed, +0.10 when a side has been silent 14 days
  or more.

Ties keep the order release, change order, partial refund, full refund, cancellation,
escalation. Ids are P1..Pn in rank order.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from mediation.currency import MoneyError, currency_code, parse_amount, quantize
from mediation.errors import MediationError
from mediation.feedback import (
    EPOCH,
    FeedbackEffect,
    FeedbackPolicy,
    OutcomeFacts,
    OutcomeRecord,
    effect,
    history_from_score,
    settled_kind,
)
from mediation.fees import FeeSchedule, Split, split
from mediation.i18n import L_, S_, Money, Msg, Said, Text, and_join, en, join, keep, said, to_json
from mediation.vocabulary import OUTCOMES, ROLES, Outcome, ReplyKind, Role, fixed_refund, refund_for, role_name

SILENCE_DAYS = 14
COMPROMISE_SHARE = Decimal("0.5")
_MET = {"met", "delivered", "yes", "pass", "passed", "done", "complete"}
_PARTLY = {"partly", "partial", "partially", "partly_met", "partially_met"}
_UNMET = {"unmet", "not_met", "missing", "no", "fail", "failed", "not_delivered"}
_KIND_ORDER: dict[str, int] = {k: i for i, k in enumerate(OUTCOMES)}  # the enum is in tie order


class Verdict(NamedTuple):
    """One brief requirement and how the delivery met it (`met`, `partly`, `unmet`, `unknown`)."""

    requirement: Text
    kind: str
    verdict: str


@dataclass(frozen=True)
class ScopeFlag:
    """A request found to go beyond the brief. Quantity creep carries `extra_units` (priced per
    unit from the brief); anything else is quoted by the freelancer (`quote` once given)."""

    kind: str
    request: str
    reason: str = ""
    brief_match: str | None = None
    extra_units: int | None = None
    unit_price: Decimal | None = None
    quote: Decimal | None = None


@dataclass(frozen=True)
class CaseFacts:
    """Everything a proposal may rest on. `now` anchors the score window (the engine's clock);
    `agreed_quantity` prices quantity creep when a flag has no unit price; `fee_client_share`
    is the client's share of the service fee under the contract's terms."""

    amount: Decimal
    currency: str
    coverage: float | None = None
    verdicts: list[Verdict] = field(default_factory=list)
    on_time: bool | None = None
    approvals: list[str] = field(default_factory=list)
    scope_flags: list[ScopeFlag] = field(default_factory=list)
    revisions_used: int = 0
    revisions_allowed: int | None = None
    silent_party: str | None = None
    silent_days: int = 0
    disputing_party: str | None = None
    history_client: list[OutcomeRecord] = field(default_factory=list)
    history_freelancer: list[OutcomeRecord] = field(default_factory=list)
    agreed_quantity: int | None = None
    fee_client_share: Decimal | None = None
    now: datetime | None = None
    window_days: int = 730
    judgment: Any = None  # mediation.judgment.Judgment: which outcome the facts put first
    evidence: list[Text] = field(default_factory=list)  # the case's facts, as sentences

    def __post_init__(self):
        code = currency_code(self.currency)
        amount = Decimal(self.amount)
        if not amount.is_finite() or amount <= 0:
            raise MoneyError(
                "bad_amount", S_("contract amount must be more than zero, got {amount}", amount=str(amount))
            )
        object.__setattr__(self, "currency", code)
        object.__setattr__(self, "amount", quantize(amount, code))
        if self.coverage is not None and not 0 <= self.coverage <= 1:
            raise MediationError("bad_facts", L_("coverage must be 0..1, got {coverage}", coverage=self.coverage))
        for name in ("silent_party", "disputing_party"):
            value = getattr(self, name)
            if value is not None and value not in ROLES:
                raise MediationError(
                    "bad_facts", L_("{name} must be client or freelancer, got {value}", name=name, value=repr(value))
                )
        if self.silent_days < 0 or self.revisions_used < 0:
            raise MediationError("bad_facts", L_("days and revision counts cannot be negative"))
        object.__setattr__(self, "verdicts", [Verdict(*v) for v in self.verdicts])


@dataclass(frozen=True)
class ChangeOrder:
    request: str
    kind: str
    price: Decimal | None
    basis: str  # per_unit | quote | to_quote
    units: int | None = None
    unit_price: Decimal | None = None
    brief_match: str | None = None

    def to_data(self) -> dict:
        s = lambda v: None if v is None else str(v)
        return {
            "request": self.request,
            "kind": self.kind,
            "price": s(self.price),
            "basis": self.basis,
            "units": self.units,
            "unit_price": s(self.unit_price),
            "brief_match": self.brief_match,
        }


@dataclass(frozen=True)
class Proposal:
    id: str
    kind: str
    title: Text  # worded per reader; `to_data` keeps it in English and how to word it again
    client_refund: Decimal | None
    money: Split | None
    feedback: FeedbackEffect
    comparison: FeedbackEffect | None
    comparison_money: Split | None
    rationale: Text
    score: float
    fee_schedule: str
    fees_paid_by: str
    change_order: ChangeOrder | None = None
    money_range: dict[str, tuple[Decimal, Decimal]] | None = None
    cites: tuple[Text, ...] = ()
    rule: str | None = None

    @property
    def freelancer_net(self) -> Decimal | None:
        return None if self.money is None else self.money.freelancer_net

    def to_data(self) -> dict:
        m = self.money
        fees = (
            None
            if m is None
            else {
                "schedule": self.fee_schedule,
                "paid_by": self.fees_paid_by,
                "service_fee": str(m.service_fee),
                "freelancer_fee": str(m.freelancer_fee),
                "client_fee": str(m.client_fee),
                "platform_total": str(m.platform_total),
            }
        )
        comparison = None
        if self.comparison is not None:
            comparison = self.comparison.to_data()
            cm = self.comparison_money
            comparison["freelancer_net"] = None if cm is None else str(cm.freelancer_net)
            comparison["client_net_cost"] = None if cm is None else str(cm.client_net_cost)
        data = {
            "id": self.id,
            "kind": self.kind,
            **keep({}, "title", self.title),
            "score": self.score,
            "client_refund": None if self.client_refund is None else str(self.client_refund),
            "freelancer_net": None if m is None else str(m.freelancer_net),
            "fees": fees,
            "feedback": self.feedback.to_data(),
            "comparison_policy": comparison,
            **keep({}, "rationale", self.rationale),
            "money": None if m is None else m.to_data(),
            "change_order": None if self.change_order is None else self.change_order.to_data(),
            "cites": [en(c) for c in self.cites],
            "cites_text": [to_json(c) for c in self.cites],
            "rule": self.rule,
        }
        if self.money_range is not None:
            data["money_range"] = {k: [str(lo), str(hi)] for k, (lo, hi) in self.money_range.items()}
        return data


def proposals_data(proposals: list[Proposal]) -> dict:
    return {"type": ReplyKind.PROPOSALS, "items": [p.to_data() for p in proposals]}


def fees_under(schedule: FeeSchedule, policy: FeedbackPolicy) -> FeeSchedule:
    """The schedule with the policy's rule on who bears the service fee applied."""
    if policy.fees_paid_by == "schedule" or policy.fees_paid_by == schedule.fees_paid_by:
        return schedule
    return schedule.model_copy(update={"fees_paid_by": policy.fees_paid_by})


# --- facts -------------------------------------------------------------------------------


def _verdict_score(v: Verdict) -> float | None:
    word = v.verdict.strip().lower().replace(" ", "_").replace("-", "_")
    if word in _MET:
        return 1.0
    if word in _PARTLY:
        return 0.5
    if word in _UNMET:
        return 0.0
    return None


def coverage_of(facts: CaseFacts) -> float | None:
    """The stated coverage, else the share of assessed requirements met (partly = half)."""
    if facts.coverage is not None:
        return float(facts.coverage)
    scored = [s for s in map(_verdict_score, facts.verdicts) if s is not None]
    return sum(scored) / len(scored) if scored else None


def merit(facts: CaseFacts) -> float:
    """How far the facts say the freelancer earned the money, 0..1 (see the module notes)."""
    cov = coverage_of(facts)
    m = 0.5 if cov is None else cov
    m += min(0.10, 0.05 * len(facts.approvals))
    if facts.on_time is True:
        m += 0.05
    elif facts.on_time is False:
        m -= 0.10
    if facts.revisions_allowed is not None and facts.revisions_used > facts.revisions_allowed:
        m += 0.05
    if facts.silent_days >= SILENCE_DAYS:
        if facts.silent_party == Role.CLIENT:
            m += 0.10
        elif facts.silent_party == Role.FREELANCER:
            m -= 0.20
    return min(1.0, max(0.0, m))


def _quote(text: Text, limit: int = 80) -> Text:
    """A piece of the case quoted: shortened when it is someone's words (a requirement's label is
    quoted whole, worded for each reader)."""
    if not isinstance(text, str) or isinstance(text, Said):  # a label: worded for each reader
        return join("", ("'", text, "'"))
    text = " ".join(str(text).split())
    return f"'{text if len(text) <= limit else text[: limit - 1] + '…'}'"


def _facts_summary(facts: CaseFacts) -> list[Text]:
    parts: list[Text] = []
    scored = [(v, _verdict_score(v)) for v in facts.verdicts]
    met = [v for v, s in scored if s == 1.0]
    judged = [v for v, s in scored if s is not None]
    cov = coverage_of(facts)
    if judged:
        if cov is not None:
            parts.append(
                L_(
                    "{met} of {judged} brief requirements met ({coverage}% coverage)",
                    met=len(met),
                    judged=len(judged),
                    coverage=round(cov * 100),
                )
            )
        else:
            parts.append(L_("{met} of {judged} brief requirements met", met=len(met), judged=len(judged)))
    elif cov is not None:
        parts.append(L_("{coverage}% of the brief covered", coverage=round(cov * 100)))
    else:
        parts.append(L_("the delivery has not been assessed against the brief"))
    if facts.approvals:
        shown = ", ".join(str(_quote(a, 40)) for a in facts.approvals[:3])
        if len(facts.approvals) > 3:
            parts.append(L_("the client approved {items} and {more} more", items=shown, more=len(facts.approvals) - 3))
        else:
            parts.append(L_("the client approved {items}", items=shown))
    if facts.on_time is True:
        parts.append(L_("delivered on time"))
    elif facts.on_time is False:
        parts.append(L_("delivered late"))
    if facts.revisions_allowed is not None:
        parts.append(
            L_("{used} of {allowed} revisions used", used=facts.revisions_used, allowed=facts.revisions_allowed)
        )
    if facts.silent_party and facts.silent_days:
        parts.append(_silent(facts))
    return parts


def _silent(facts: CaseFacts) -> Msg:
    return L_("the {role} has been silent for {days} days", role=role_name(facts.silent_party), days=facts.silent_days)


def _unmet_clauses(facts: CaseFacts) -> list[Text]:
    return [_quote(v.requirement, 60) for v in facts.verdicts if (sc := _verdict_score(v)) is not None and sc < 1]


def _met_clauses(facts: CaseFacts) -> list[Text]:
    return [_quote(v.requirement, 60) for v in facts.verdicts if _verdict_score(v) == 1.0]


def _listed(items: list[Text], most: int = 4) -> Text:
    """Up to `most` items, and "and more" when there were more."""
    shown = join(", ", items[:most])
    return L_("{items} and more", items=shown) if len(items) > most else shown


# --- proposals ---------------------------------------------------------------------------


@dataclass
class _Draft:
    kind: str
    title: Text
    client_refund: Decimal | None
    rationale: Text
    score: float
    change_order: ChangeOrder | None = None
    tie: int = 0
    cites: tuple[Text, ...] = ()
    rule: str | None = None


def _change_order(flag: ScopeFlag, facts: CaseFacts) -> ChangeOrder:
    code = facts.currency
    unit_price = flag.unit_price
    if unit_price is None and flag.extra_units and facts.agreed_quantity:
        unit_price = quantize(facts.amount / facts.agreed_quantity, code)
    if flag.extra_units and unit_price is not None:
        unit_price = quantize(Decimal(unit_price), code)
        return ChangeOrder(
            flag.request,
            flag.kind,
            quantize(unit_price * flag.extra_units, code),
            "per_unit",
            flag.extra_units,
            unit_price,
            flag.brief_match,
        )
    if flag.quote is not None:
        return ChangeOrder(
            flag.request, flag.kind, quantize(Decimal(flag.quote), code), "quote", brief_match=flag.brief_match
        )
    return ChangeOrder(flag.request, flag.kind, None, "to_quote", brief_match=flag.brief_match)


def _drafts(facts: CaseFacts, compromise_share: Decimal) -> list[_Draft]:
    code, amount = facts.currency, facts.amount
    money = lambda v: Money(v, code)
    m = merit(facts)
    cov = coverage_of(facts)
    summary = join("; ", _facts_summary(facts))
    met, unmet = _met_clauses(facts), _unmet_clauses(facts)
    drafts: list[_Draft] = []

    basis: Text = L_("Facts: {summary}.", summary=summary)
    if met:
        basis = join(" ", (basis, L_("Met: {items}.", items=_listed(met))))
    drafts.append(
        _Draft(
            Outcome.RELEASE_FULL,
            L_("Release the payment in full"),
            quantize(fixed_refund(Outcome.RELEASE_FULL, amount), code),
            join(
                " ",
                (
                    basis,
                    L_("The freelancer is paid the whole {amount}; fits when the brief was met.", amount=money(amount)),
                ),
            ),
            m,
        )
    )

    for i, flag in enumerate(facts.scope_flags):
        order = _change_order(flag, facts)
        price: Text
        if order.basis == "per_unit":
            price = L_(
                "priced from the brief at {units} x {unit_price} = {price}",
                units=order.units,
                unit_price=money(order.unit_price),
                price=money(order.price),
            )
        elif order.basis == "quote":
            price = L_("quoted by the freelancer at {price}", price=money(order.price))
        else:
            price = L_("to be quoted by the freelancer")
        clause = (
            L_("Closest brief clause: {clause}.", clause=_quote(flag.brief_match, 60))
            if flag.brief_match
            else L_("No brief clause covers it.")
        )
        goes_beyond = (
            L_(
                "The request {request} goes beyond the brief ({kind}: {reason}).",
                request=_quote(flag.request),
                kind=flag.kind,
                reason=flag.reason,
            )
            if flag.reason
            else L_(
                "The request {request} goes beyond the brief ({kind}).", request=_quote(flag.request), kind=flag.kind
            )
        )
        drafts.append(
            _Draft(
                Outcome.CHANGE_ORDER,
                L_("Release in full, and a change order for {request}", request=_quote(flag.request, 40)),
                quantize(fixed_refund(Outcome.CHANGE_ORDER, amount), code),
                join(
                    " ",
                    (
                        goes_beyond,
                        clause,
                        basis,
                        L_(
                            "The original {amount} is released in full; the new work is a separate, optional order, "
                            "{price}.",
                            amount=money(amount),
                            price=price,
                        ),
                    ),
                ),
                m - (0.01 if order.price is not None else 0.02),
                order,
                tie=i,
            )
        )

    derived = None if cov is None else quantize((1 - Decimal(str(cov))) * amount, code)
    if cov is not None and derived is not None and 0 < derived < amount:
        pct = round((1 - cov) * 100)
        parts: list[Text] = [
            L_(
                "About {pct}% of the brief is unmet, so {pct}% of {amount} ({refund}) goes back to the client and "
                "the rest is paid.",
                pct=pct,
                amount=money(amount),
                refund=money(derived),
            )
        ]
        if unmet:
            parts.append(L_("Not met: {items}.", items=join(", ", unmet[:4])))
        parts.append(basis)
        drafts.append(
            _Draft(
                Outcome.PARTIAL_REFUND,
                L_("Partial refund of {refund}", refund=money(derived)),
                derived,
                join(" ", parts),
                1 - abs(m - 0.5),
            )
        )
    else:
        refund = quantize(amount * compromise_share, code)
        if derived is None:
            ground = L_("the delivery has not been assessed, so there is no unmet share to refund")
        elif derived == 0:
            ground = L_("the brief was met in full, so no part of it is unmet")
        else:
            ground = L_("nothing of the brief was met, so a partial refund has no basis")
        drafts.append(
            _Draft(
                Outcome.PARTIAL_REFUND,
                L_("Partial refund of {refund} (split the difference)", refund=money(refund)),
                refund,
                join(
                    " ",
                    (
                        L_(
                            "A compromise only: {ground}; splitting the difference returns {refund}.",
                            ground=ground,
                            refund=money(refund),
                        ),
                        basis,
                    ),
                ),
                0.5 * (1 - abs(m - 0.5)),
            )
        )

    drafts.append(
        _Draft(
            Outcome.FULL_REFUND,
            L_("Full refund of {amount}", amount=money(amount)),
            fixed_refund(Outcome.FULL_REFUND, amount),
            join(
                " ",
                (
                    L_("All {amount} goes back to the client; fits when the brief was not met.", amount=money(amount)),
                    basis,
                ),
            ),
            1 - m,
        )
    )
    drafts.append(
        _Draft(
            Outcome.MUTUAL_CANCEL,
            L_("Cancel by mutual agreement"),
            fixed_refund(Outcome.MUTUAL_CANCEL, amount),
            join(
                " ",
                (
                    L_(
                        "Both sides close the contract by agreement and the {amount} goes back to the client, with no "
                        "loser in the dispute.",
                        amount=money(amount),
                    ),
                    basis,
                ),
            ),
            1 - m - 0.05,
        )
    )

    esc = (
        0.30 + (0.30 if cov is None else 0) + (0.10 if facts.silent_party and facts.silent_days >= SILENCE_DAYS else 0)
    )
    reasons: list[Text] = []
    if cov is None:
        reasons.append(L_("the delivery has not been assessed"))
    if facts.silent_party and facts.silent_days >= SILENCE_DAYS:
        reasons.append(_silent(facts))
    escalation: list[Text] = [
        L_("A moderator reads the case file and decides; fits when the facts are unclear or a side will not engage.")
    ]
    if reasons:
        escalation.append(L_("Here {reasons}.", reasons=and_join(reasons)))
    escalation.append(basis)
    drafts.append(_Draft(Outcome.ESCALATE, L_("Escalate to a moderator"), None, join(" ", escalation), esc))
    return drafts


def propose(
    facts: CaseFacts,
    fees: FeeSchedule,
    policy: FeedbackPolicy,
    comparison_policy: FeedbackPolicy | None = None,
    *,
    compromise_share: Decimal = COMPROMISE_SHARE,
    comparison_histories: tuple[list[OutcomeRecord], list[OutcomeRecord]] | None = None,
) -> list[Proposal]:
    """Ranked proposals for a disputed contract (deterministic; independent of who disputes).
    `comparison_histories` are the parties' (client, freelancer) records as the comparison policy
    counts them; without them the facts' histories serve both policies."""
    compared = (
        facts
        if comparison_histories is None
        else replace(
            facts, history_client=list(comparison_histories[0]), history_freelancer=list(comparison_histories[1])
        )
    )
    drafts = _drafts(facts, Decimal(compromise_share))
    for d in drafts:
        d.score = min(1.0, max(0.0, d.score))
    drafts = order_drafts(drafts, facts)
    out = []
    for rank, d in enumerate(drafts, start=1):
        active_fees = fees_under(fees, policy)
        money, money_range = _money(facts, d, active_fees)
        feedback = _effect(facts, d, policy)
        comparison = comparison_money = None
        if comparison_policy is not None:
            comparison = _effect(compared, d, comparison_policy)
            comparison_money, _ = _money(facts, d, fees_under(fees, comparison_policy))
        out.append(
            Proposal(
                id=f"P{rank}",
                kind=d.kind,
                title=said(d.title),
                client_refund=d.client_refund,
                money=money,
                feedback=feedback,
                comparison=comparison,
                comparison_money=comparison_money,
                rationale=said(join(" ", (d.rationale, feedback.explanation))),
                score=round(d.score, 3),
                fee_schedule=fees.name,
                fees_paid_by=active_fees.fees_paid_by,
                change_order=d.change_order,
                money_range=money_range,
                cites=tuple(said(c) for c in d.cites),
                rule=d.rule,
            )
        )
    return out


def order_drafts(drafts: list[_Draft], facts: CaseFacts) -> list[_Draft]:
    """The order proposals are shown in. The decision table's outcome comes first (with the refund
    it sets and the facts it cites; a release in full keeps its change orders right after it);
    the rest follow by score. Without a judgment, by score alone."""
    drafts = sorted(drafts, key=lambda d: (-round(d.score, 6), _KIND_ORDER[d.kind], d.tie))
    j = facts.judgment
    if j is None:
        return drafts
    cites = tuple(j.cites) or tuple(facts.evidence[:3])
    why = L_("Why this comes first: {why}. Facts: {facts}.", why=j.why, facts=join("; ", cites))
    code, amount = facts.currency, facts.amount
    first = next((d for d in drafts if d.kind == j.kind), None)
    if first is None:
        return drafts
    if (
        j.client_refund is not None
        and j.kind in ("partial_refund", "mutual_cancel")
        and j.client_refund != first.client_refund
    ):
        refund = quantize(Decimal(j.client_refund), code)
        first.client_refund = refund
        if j.kind == "partial_refund":
            first.title = L_("Partial refund of {refund}", refund=Money(refund, code))
            first.rationale = L_(
                "{refund} of {amount} goes back to the client and the rest is paid to the freelancer.",
                refund=Money(refund, code),
                amount=Money(amount, code),
            )
        else:
            first.rationale = L_(
                "Both sides close the contract by agreement; {refund} goes back to the client and {paid} is paid "
                "for what was done, with no loser in the dispute.",
                refund=Money(refund, code),
                paid=Money(amount - refund, code),
            )
    first.rationale = join(" ", (why, first.rationale))
    first.cites, first.rule = cites, j.rule
    rest = [d for d in drafts if d is not first]
    head = [first]
    if j.kind == "release_full":
        head += [d for d in rest if d.kind == "change_order"]
        rest = [d for d in rest if d.kind != "change_order"]
    for d in rest:
        if not d.cites:
            d.cites = tuple(facts.evidence[:4]) or cites
    return head + rest


def _money(facts: CaseFacts, d: _Draft, schedule: FeeSchedule):
    share = facts.fee_client_share
    if d.client_refund is not None:
        return split(facts.amount, facts.currency, d.client_refund, schedule, client_share=share), None
    ends = [split(facts.amount, facts.currency, r, schedule, client_share=share) for r in (Decimal(0), facts.amount)]
    keys = ("client_refund", "freelancer_net", "client_net_cost", "platform_total")
    return None, {k: tuple(sorted(getattr(s, k) for s in ends)) for k in keys}


def _partial_refund_amount(facts: CaseFacts) -> Decimal | None:
    cov = coverage_of(facts)
    if cov is None:
        return None
    refund = quantize((1 - Decimal(str(cov))) * facts.amount, facts.currency)
    return refund if 0 < refund < facts.amount else None


def _effect(facts: CaseFacts, d: _Draft, policy: FeedbackPolicy) -> FeedbackEffect:
    refund = d.client_refund if d.kind != Outcome.ESCALATE else _partial_refund_amount(facts)
    of = OutcomeFacts(facts.amount, facts.currency, refund, True, facts.now, facts.window_days)
    return effect(d.kind, of, policy, facts.history_client, facts.history_freelancer)


# --- what-if -----------------------------------------------------------------------------


def feedback_preview(
    outcome: str,
    amount: Decimal | str | int,
    currency: str,
    *,
    policy: FeedbackPolicy,
    comparison: FeedbackPolicy | None = None,
    fees: FeeSchedule | None = None,
    client_refund: Decimal | str | None = None,
    freelancer_score: float | None = None,
    client_score: float | None = None,
    history_client: list[OutcomeRecord] | None = None,
    history_freelancer: list[OutcomeRecord] | None = None,
    prior_value: Decimal | None = None,
    disputed: bool = True,
    now: datetime | None = None,
    window_days: int = 730,
    max_amount: Decimal | str | None = None,
    comparison_histories: tuple[list[OutcomeRecord], list[OutcomeRecord]] | None = None,
) -> dict:
    """The money and score effects of one outcome, for `/feedback preview <outcome>` in a case or
    ad hoc (`outcome=full_refund amount=88 score=92`). A bare score stands for a history of
    `prior_value` (default ten contracts of this amount) that produces it."""
    if outcome not in OUTCOMES:
        raise MediationError(
            "unknown_outcome",
            L_("unknown outcome {outcome} (known: {known})", outcome=repr(outcome), known=", ".join(OUTCOMES)),
        )
    code = currency_code(currency)
    kwargs: dict[str, Any] = {} if max_amount is None else {"max_amount": max_amount}
    value = parse_amount(Decimal(str(amount)) if isinstance(amount, float) else amount, code, **kwargs)
    notes: list[Text] = []
    refund = refund_for(outcome, value)  # None: the outcome leaves the amount open
    if refund is None and client_refund is not None:
        refund = parse_amount(client_refund, code, allow_zero=True, max_amount=value)
    elif refund is None and outcome == Outcome.PARTIAL_REFUND:
        refund = quantize(value * COMPROMISE_SHARE, code)
        notes.append(L_("no refund amount given: half ({refund}) assumed", refund=Money(refund, code)))
    at = now or EPOCH
    prior = Decimal(prior_value) if prior_value is not None else value * 10
    hist_f = list(history_freelancer or [])
    hist_c = list(history_client or [])
    if freelancer_score is not None and not hist_f:
        hist_f = history_from_score(freelancer_score, Role.FREELANCER, prior, at)
        notes.append(
            L_(
                "freelancer score {score} over {value} of past contracts",
                score=f"{freelancer_score:g}",
                value=Money(prior, code),
            )
        )
    if client_score is not None and not hist_c:
        hist_c = history_from_score(client_score, Role.CLIENT, prior, at)
        notes.append(
            L_(
                "client score {score} over {value} of past contracts",
                score=f"{client_score:g}",
                value=Money(prior, code),
            )
        )
    facts = OutcomeFacts(value, code, refund, disputed, now, window_days)
    data: dict[str, Any] = {
        "type": ReplyKind.FEEDBACK_PREVIEW,
        "outcome": outcome,
        "settles_as": settled_kind(outcome, facts, policy) if outcome != Outcome.ESCALATE else None,
        "amount": str(value),
        "currency": code,
        "client_refund": None if refund is None else str(refund),
    }
    eff = effect(outcome, facts, policy, hist_c, hist_f)
    data["feedback"] = eff.to_data()
    data["money"] = None
    if fees is not None:
        schedule = fees_under(fees, policy)
        if outcome == Outcome.ESCALATE:
            ends = [split(value, code, r, schedule) for r in (Decimal(0), value)]
            data["money_range"] = {
                k: [str(v) for v in sorted(getattr(s, k) for s in ends)]
                for k in ("client_refund", "freelancer_net", "client_net_cost")
            }
        elif refund is not None:  # every other outcome fixes its refund, or one was assumed above
            data["money"] = split(value, code, refund, schedule).to_data()
    data["comparison_policy"] = None
    if comparison is not None:
        comp_c, comp_f = comparison_histories if comparison_histories is not None else (hist_c, hist_f)
        comp = effect(outcome, facts, comparison, list(comp_c), list(comp_f)).to_data()
        if fees is not None and outcome != Outcome.ESCALATE and refund is not None:
            cm = split(value, code, refund, fees_under(fees, comparison))
            comp["freelancer_net"], comp["client_net_cost"] = str(cm.freelancer_net), str(cm.client_net_cost)
        data["comparison_policy"] = comp
    data["assumptions"] = [en(n) for n in notes]
    data["assumptions_text"] = [to_json(n) for n in notes]
    keep(data, "explanation", eff.explanation)
    return data


def swap_disputing_party(facts: CaseFacts) -> CaseFacts:
    """The same facts as seen from the other side (proposals must not change)."""
    other = None if facts.disputing_party is None else Role(facts.disputing_party).other
    return replace(facts, disputing_party=other)
