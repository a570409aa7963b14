"""Feedback and reputation rules as configuration, and what an outcome does to each side's score.

A settlement is not only money: a refund that hides a 1-star text but still counts against the
freelancer's success score is a different deal from one that does not count at all. The rules
differ between platforms, so they are a `FeedbackPolicy` (two presets: `marketplace`, how large
marketplaces behave today, and `fair`), and every outcome is evaluated under a policy.

Success score (per party, per role): 100 x (successful value - negative value) / counted value,
over the contracts in the score window, weighted by contract value and clamped to 0..100.
A contract counts as successful when it was paid in full (or its paid share, under a policy that
leaves refunds out), negative when it ended in negative feedback or a refund the policy holds
against the freelancer, and neutral otherwise (a neutral outcome still dilutes the score).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mediation.i18n import L_, N_, Msg, Text, join, keep, said
from mediation.presets import named, with_builtins
from mediation.vocabulary import OUTCOMES, PAID_IN_FULL, REFUNDED_IN_FULL, ROLES, Outcome, Role, role_name

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class FeedbackPolicy(BaseModel):
    """One platform's rules for feedback and the success score."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    description: str = ""
    # A full refund still counts in the score (against the freelancer); a partial refund counts
    # at full value as a neutral outcome. When false, refunded money is left out: a partial
    # refund counts only its paid share, a full refund not at all.
    counts_refunds_in_score: bool = True
    # A full refund (or mutual cancellation, which returns the money) hides the feedback text.
    hide_text_on_refund: bool = True
    # A refund within this much of the whole amount is treated as a full refund.
    full_refund_tolerance: Decimal = Field(default=Decimal("1"), ge=0)
    # A contract closed with no payment still counts, as negative, when its feedback is negative.
    unpaid_negative_counts: bool = True
    # The party that loses a dispute (or a moderator's decision) may still leave feedback.
    loser_may_leave_feedback: bool = True
    # Feedback stays hidden until both sides have left it or this many days have passed.
    double_blind_window_days: int = Field(default=14, ge=0)
    # Feedback threatened in exchange for free work is flagged to the moderators.
    flag_threats: bool = False
    # Who bears the freelancer-side service fee: as the fee schedule says, or overridden here
    # (`split` follows the contract's terms).
    fees_paid_by: Literal["schedule", "freelancer", "client", "split"] = "schedule"


def default_feedback_presets() -> dict[str, FeedbackPolicy]:
    return {
        "marketplace": FeedbackPolicy(
            name="marketplace",
            description="refunds hide the text but still count; losers may leave feedback",
            counts_refunds_in_score=True,
            hide_text_on_refund=True,
            full_refund_tolerance=Decimal("1"),
            unpaid_negative_counts=True,
            loser_may_leave_feedback=True,
            double_blind_window_days=14,
            flag_threats=False,
            fees_paid_by="freelancer",
        ),
        "fair": FeedbackPolicy(
            name="fair",
            description="refunds and cancellations count against no one; losers cannot retaliate",
            counts_refunds_in_score=False,
            hide_text_on_refund=True,
            full_refund_tolerance=Decimal("1"),
            unpaid_negative_counts=False,
            loser_may_leave_feedback=False,
            double_blind_window_days=14,
            flag_threats=True,
            fees_paid_by="split",
        ),
    }


class FeedbackConfig(BaseModel):
    """`[feedback]` in config.toml: the active policy, the one shown for comparison, and any
    policies added or overridden there."""

    model_config = ConfigDict(extra="forbid")

    policy: str = "fair"
    compare_with: str | None = "marketplace"
    presets: dict[str, FeedbackPolicy] = Field(default_factory=default_feedback_presets)
    score_window_days: int = Field(default=730, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _merge_presets(cls, data):
        data = with_builtins(data, default_feedback_presets)
        if isinstance(data, dict) and data.get("compare_with") == "":
            data = {**data, "compare_with": None}
        return data

    @model_validator(mode="after")
    def _check(self) -> FeedbackConfig:
        named(self.presets)
        known = ", ".join(sorted(self.presets))
        if self.policy not in self.presets:
            raise ValueError(f"unknown feedback policy {self.policy!r} (known: {known})")
        if self.compare_with is not None and self.compare_with not in self.presets:
            raise ValueError(f"unknown feedback policy {self.compare_with!r} in compare_with (known: {known})")
        return self

    def active(self) -> FeedbackPolicy:
        return self.presets[self.policy]

    def comparison(self) -> FeedbackPolicy | None:
        if self.compare_with is None or self.compare_with == self.policy:
            return None
        return self.presets[self.compare_with]


@dataclass(frozen=True)
class OutcomeRecord:
    """One closed contract in a party's history. `successful=None` derives success from the
    kind: paid in full (release or change order), counted and not negative."""

    party_role: Role
    outcome_kind: str
    value: Decimal
    at: datetime
    counted: bool = True
    negative: bool = False
    successful: bool | None = None

    def is_success(self) -> bool:
        if not self.counted or self.negative:
            return False
        if self.successful is not None:
            return self.successful
        return self.outcome_kind in PAID_IN_FULL


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def success_score(
    history: list[OutcomeRecord], role: Role, *, now: datetime | None = None, window_days: int = 730
) -> float | None:
    """The party's score in `role`, 0..100 to one decimal; None with nothing counted yet.
    Without `now` the whole history counts (no clock, no window)."""
    until = None if now is None else _aware(now)
    since = None if until is None else until - timedelta(days=window_days)
    total = good = bad = Decimal(0)
    for r in history:
        if r.party_role != role or not r.counted:
            continue
        if since is not None and until is not None and not (since <= _aware(r.at) <= until):
            continue
        value = Decimal(r.value)
        total += value
        if r.negative:
            bad += value
        elif r.is_success():
            good += value
    if total <= 0:
        return None
    score = float((good - bad) * 100 / total)
    return round(min(100.0, max(0.0, score)), 1)


def history_from_score(score: float, role: Role, total_value: Decimal, at: datetime = EPOCH) -> list[OutcomeRecord]:
    """A two-record history that reproduces `score` over `total_value` of past contracts, for
    what-if questions asked without a case ("my score is 92, what if I refund?")."""
    if not 0 <= score <= 100:
        raise ValueError(f"score must be 0..100, got {score}")
    total = Decimal(total_value)
    if total <= 0:
        raise ValueError("past contract value must be more than zero")
    s = Decimal(str(score)) / 100
    good = total * (1 + s) / 2
    records = [OutcomeRecord(role, Outcome.RELEASE_FULL, good, at)]
    if total - good > 0:
        records.append(OutcomeRecord(role, Outcome.FULL_REFUND, total - good, at, negative=True))
    return records


@dataclass(frozen=True)
class OutcomeFacts:
    """What an outcome's effect depends on. `client_refund` matters for partial refunds;
    `disputed` says whether a side loses (a release loses the client's claim, a refund the
    freelancer's); `now` anchors the score window."""

    amount: Decimal
    currency: str = "USD"
    client_refund: Decimal | None = None
    disputed: bool = True
    now: datetime | None = None
    window_days: int = 730


@dataclass(frozen=True)
class FeedbackEffect:
    """An outcome under one policy: scores before and after (after = nobody leaves negative
    feedback; worst = every side still allowed to leave feedback leaves it negative), who may
    leave feedback, whether its text is public, and whether the contract counts in the
    freelancer's success score. For `escalate`, `after` is None and the ranges span the
    decisions a moderator may take; a None in a flag means "depends on the decision"."""

    policy: str
    outcome: str
    freelancer_score_before: float | None
    freelancer_score_after: float | None
    freelancer_score_worst: float | None
    client_score_before: float | None
    client_score_after: float | None
    client_score_worst: float | None
    freelancer_score_range: tuple[float | None, float | None]
    client_score_range: tuple[float | None, float | None]
    feedback_allowed: Mapping[Role, bool | None]
    feedback_public: bool | None
    counts_in_score: bool | None
    double_blind_days: int
    explanation: Text  # worded for each reader (`data["explanation"]` is English)
    loser: str | None = None

    def to_data(self) -> dict:
        return {
            "policy": self.policy,
            "outcome": self.outcome,
            "freelancer_score_before": self.freelancer_score_before,
            "freelancer_score_after": self.freelancer_score_after,
            "freelancer_score_worst": self.freelancer_score_worst,
            "client_score_before": self.client_score_before,
            "client_score_after": self.client_score_after,
            "client_score_worst": self.client_score_worst,
            "freelancer_score_range": list(self.freelancer_score_range),
            "client_score_range": list(self.client_score_range),
            "feedback_allowed": dict(self.feedback_allowed),
            "feedback_public": self.feedback_public,
            "counts_in_score": self.counts_in_score,
            "double_blind_days": self.double_blind_days,
            "loser": self.loser,
            **keep({}, "explanation", self.explanation),
        }


def settled_kind(outcome_kind: str, facts: OutcomeFacts, policy: FeedbackPolicy) -> str:
    """A partial refund of nothing is a release; one within the tolerance of the whole amount
    is a full refund (it hides the text and counts like one)."""
    if outcome_kind != Outcome.PARTIAL_REFUND:
        return outcome_kind
    refund = Decimal(facts.client_refund or 0)
    if refund <= 0:
        return Outcome.RELEASE_FULL
    if refund >= Decimal(facts.amount) - policy.full_refund_tolerance:
        return Outcome.FULL_REFUND
    return Outcome.PARTIAL_REFUND


def loser_of(kind: str, disputed: bool) -> Role | None:
    """A release in full defeats the client's claim, a full refund the freelancer's; a partial
    refund, change order or cancellation is a compromise with no loser."""
    if not disputed:
        return None
    if kind in PAID_IN_FULL:
        return Role.CLIENT
    if kind == Outcome.FULL_REFUND:
        return Role.FREELANCER
    return None


def _other(role: Role) -> Role:
    return Role(role).other


def outcome_record(
    kind: str, role: Role, facts: OutcomeFacts, policy: FeedbackPolicy, negative_feedback: bool = False
) -> OutcomeRecord | None:
    """How a closed contract enters one side's history under a policy (None: it does not count)."""
    amount = Decimal(facts.amount)
    refund = Decimal(facts.client_refund or 0)
    at = facts.now or EPOCH

    def rec(value, negative, successful):
        return OutcomeRecord(role, kind, value, at, True, negative, successful)

    if kind in PAID_IN_FULL:
        return rec(amount, negative_feedback, True)
    if kind == Outcome.PARTIAL_REFUND:
        if policy.counts_refunds_in_score:
            return rec(amount, negative_feedback, False)
        return rec(amount - refund, negative_feedback, True)
    if kind == Outcome.FULL_REFUND and policy.counts_refunds_in_score:
        # The failed contract is held against the freelancer; for the client it is neutral.
        return rec(amount, role == Role.FREELANCER or negative_feedback, False)
    # A full refund left out of the score, or a cancellation: no payment was made.
    if policy.unpaid_negative_counts and negative_feedback:
        return rec(amount, True, False)
    return None


def _scores(history: list[OutcomeRecord], role: Role, new: OutcomeRecord | None, facts: OutcomeFacts) -> float | None:
    items = list(history) + ([new] if new is not None else [])
    return success_score(items, role, now=facts.now, window_days=facts.window_days)


def _single(
    kind: str, facts: OutcomeFacts, policy: FeedbackPolicy, histories: dict[Role, list[OutcomeRecord]]
) -> FeedbackEffect:
    loser = loser_of(kind, facts.disputed)
    allowed = {r: policy.loser_may_leave_feedback or r != loser for r in ROLES}
    before, after, worst, counted = {}, {}, {}, {}
    for role in ROLES:
        hist = histories[role]
        before[role] = _scores(hist, role, None, facts)
        expected = outcome_record(kind, role, facts, policy, negative_feedback=False)
        feared = outcome_record(kind, role, facts, policy, negative_feedback=allowed[_other(role)])
        after[role] = _scores(hist, role, expected, facts)
        worst[role] = _scores(hist, role, feared, facts)
        counted[role] = expected is not None
    refunded = kind in REFUNDED_IN_FULL
    public = any(allowed.values()) and not (refunded and policy.hide_text_on_refund)
    explanation = said(
        _explain(
            kind,
            policy,
            loser,
            allowed,
            public,
            counted[Role.FREELANCER],
            before[Role.FREELANCER],
            after[Role.FREELANCER],
            worst[Role.FREELANCER],
        )
    )
    return FeedbackEffect(
        policy=policy.name,
        outcome=kind,
        freelancer_score_before=before[Role.FREELANCER],
        freelancer_score_after=after[Role.FREELANCER],
        freelancer_score_worst=worst[Role.FREELANCER],
        client_score_before=before[Role.CLIENT],
        client_score_after=after[Role.CLIENT],
        client_score_worst=worst[Role.CLIENT],
        freelancer_score_range=_span([after[Role.FREELANCER], worst[Role.FREELANCER]]),
        client_score_range=_span([after[Role.CLIENT], worst[Role.CLIENT]]),
        feedback_allowed=dict(allowed),
        feedback_public=public,
        counts_in_score=counted[Role.FREELANCER],
        double_blind_days=policy.double_blind_window_days,
        explanation=explanation,
        loser=loser,
    )


def _span(values) -> tuple[float | None, float | None]:
    known = [v for v in values if v is not None]
    return (min(known), max(known)) if known else (None, None)


def _between(span: tuple[float | None, float | None]) -> Msg:
    lo, hi = span
    if lo is None:
        return L_("has no score yet")
    if lo == hi:
        return L_("ends at {score}", score=_fmt(lo))
    return L_("ends between {low} and {high}", low=_fmt(lo), high=_fmt(hi))


def _fmt(score: float | None) -> Text:
    return L_("no score") if score is None else f"{score:g}"


_TITLES = {
    Outcome.RELEASE_FULL: N_("Release in full"),
    Outcome.PARTIAL_REFUND: N_("Partial refund"),
    Outcome.FULL_REFUND: N_("Full refund"),
    Outcome.CHANGE_ORDER: N_("Release in full with a change order"),
    Outcome.MUTUAL_CANCEL: N_("Mutual cancellation"),
    Outcome.ESCALATE: N_("Escalation"),
}


def _explain(kind, policy, loser, allowed, public, counts, before, after, worst) -> Text:
    head = L_("{outcome} under '{policy}':", outcome=Msg(_TITLES[kind]), policy=policy.name)
    parts: list[Text] = []
    if not counts:
        parts.append(L_("does not count in the freelancer's success score"))
    elif after is not None and before is not None and after < before:
        parts.append(
            L_("counts against the freelancer's score ({before} -> {after})", before=_fmt(before), after=_fmt(after))
        )
    else:
        parts.append(
            L_("counts in the freelancer's score ({before} -> {after})", before=_fmt(before), after=_fmt(after))
        )
    if kind in REFUNDED_IN_FULL and policy.hide_text_on_refund:
        parts.append(L_("the feedback text is hidden"))
    if loser is not None:
        if allowed[loser]:
            parts.append(L_("the {role}, who loses the dispute, may still leave feedback", role=role_name(loser)))
        else:
            parts.append(L_("the {role}, who loses the dispute, cannot leave feedback", role=role_name(loser)))
    if worst is not None and after is not None and worst < after:
        parts.append(L_("negative feedback would take it to {score}", score=_fmt(worst)))
    return join("", (head, " ", join("; ", parts), "."))


def effect(
    outcome_kind: str,
    facts: OutcomeFacts,
    policy: FeedbackPolicy,
    history_client: list[OutcomeRecord] | None = None,
    history_freelancer: list[OutcomeRecord] | None = None,
) -> FeedbackEffect:
    """What `outcome_kind` does to both sides' feedback and scores under `policy`.

    `escalate` is left to the moderator: the effect spans a release in full, the partial refund
    in `facts` (if any) and a full refund, each with the losing side treated as the loser of a
    dispute; flags that differ between those decisions are None.
    """
    if outcome_kind not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome_kind!r} (known: {', '.join(OUTCOMES)})")
    histories: dict[Role, list[OutcomeRecord]] = {
        Role.CLIENT: list(history_client or []),
        Role.FREELANCER: list(history_freelancer or []),
    }
    if outcome_kind != Outcome.ESCALATE:
        return _single(settled_kind(outcome_kind, facts, policy), facts, policy, histories)

    facts = OutcomeFacts(facts.amount, facts.currency, facts.client_refund, True, facts.now, facts.window_days)
    options: list[str] = [Outcome.RELEASE_FULL, Outcome.FULL_REFUND]
    if settled_kind(Outcome.PARTIAL_REFUND, facts, policy) == Outcome.PARTIAL_REFUND:
        options.insert(1, Outcome.PARTIAL_REFUND)
    each = [_single(k, facts, policy, histories) for k in options]

    def same(values):
        return values[0] if all(v == values[0] for v in values) else None

    f_range = _span([v for e in each for v in e.freelancer_score_range])
    c_range = _span([v for e in each for v in e.client_score_range])
    first = each[0]
    return FeedbackEffect(
        policy=policy.name,
        outcome=Outcome.ESCALATE,
        freelancer_score_before=first.freelancer_score_before,
        freelancer_score_after=None,
        freelancer_score_worst=f_range[0],
        client_score_before=first.client_score_before,
        client_score_after=None,
        client_score_worst=c_range[0],
        freelancer_score_range=f_range,
        client_score_range=c_range,
        feedback_allowed={r: same([e.feedback_allowed[r] for e in each]) for r in ROLES},
        feedback_public=same([e.feedback_public for e in each]),
        counts_in_score=same([e.counts_in_score for e in each]),
        double_blind_days=policy.double_blind_window_days,
        explanation=said(
            L_(
                "Escalation under '{policy}': decided by a moderator; the freelancer's score {freelancer} and the "
                "client's {client}.",
                policy=policy.name,
                freelancer=_between(f_range),
                client=_between(c_range),
            )
        ),
        loser=None,
    )


# Feedback used as leverage: a bad review promised unless something is done (usually for free).
_REVIEW = r"(?:reviews?|feedback|ratings?|stars?|testimonial)"
_THREAT = (
    rf"(?:\b(?:bad|negative|poor|low|terrible|awful|honest|1|one|zero|0)[\s-]*(?:star[\s-]*)?"
    rf"{_REVIEW}|\b(?:1|one|zero|0)[\s-]*stars?\b)"
)
_IF_NOT = r"(?:unless|if (?:you|it) (?:don'?t|do not|doesn'?t|won'?t|will not|refuse|can'?t|isn'?t))"
_FREE = (
    r"(?:for free|free of charge|at no (?:extra )?(?:cost|charge)|without (?:extra )?"
    r"(?:pay|paying|payment|charge)|no extra (?:cost|charge))"
)
_THREAT_PATTERNS: list[tuple[re.Pattern, str]] = [
    (
        re.compile(rf"\b(?:or|otherwise|else)\b[^.!?]{{0,40}}{_THREAT}", re.I),
        N_("a bad review is threatened as the alternative to a demand"),
    ),
    (re.compile(rf"\b{_IF_NOT}\b[^.!?]{{0,80}}{_THREAT}", re.I), N_("a bad review is made conditional on a demand")),
    (re.compile(rf"{_THREAT}[^.!?]{{0,60}}\b{_IF_NOT}\b", re.I), N_("a bad review is made conditional on a demand")),
    (re.compile(rf"\b{_FREE}\b[^.!?]{{0,80}}\b{_REVIEW}\b", re.I), N_("feedback is tied to a request for free work")),
    (re.compile(rf"\b{_REVIEW}\b[^.!?]{{0,60}}\b{_FREE}\b", re.I), N_("feedback is tied to a request for free work")),
]


def flag_feedback_threat(text: str) -> str | None:
    """The reason `text` reads as feedback threatened for leverage (e.g. "do it for free or I'll
    leave a bad review"), or None. A plain complaint or a review already left is not a threat. The
    reason is English (a catalogue id): `_(reason)` words it for a reader."""
    for pattern, reason in _THREAT_PATTERNS:
        if pattern.search(text or ""):
            return reason
    return None
