"""Feedback policies: which outcomes count, who may leave feedback, what stays public."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from mediation.feedback import (
    FeedbackConfig,
    FeedbackPolicy,
    OutcomeFacts,
    OutcomeRecord,
    default_feedback_presets,
    effect,
    flag_feedback_threat,
    history_from_score,
    settled_kind,
    success_score,
)

D = Decimal
NOW = datetime(2025, 6, 1, tzinfo=UTC)
MARKET = default_feedback_presets()["marketplace"]
FAIR = default_feedback_presets()["fair"]


def paid(role, value, days_ago, **kw):
    return OutcomeRecord(role, "release_full", D(value), NOW - timedelta(days=days_ago), **kw)


FREELANCER = [paid("freelancer", 100, 30 * i) for i in range(1, 10)]  # 900 paid, no complaints
CLIENT = [paid("client", 100, 40), paid("client", 100, 80)]


def run(kind, policy, refund=None, disputed=True):
    facts = OutcomeFacts(D("88"), "USD", None if refund is None else D(refund), disputed, NOW)
    return effect(kind, facts, policy, CLIENT, FREELANCER)


# --- the score ---------------------------------------------------------------------------


def test_score_is_value_weighted_success_minus_negative():
    hist = [
        paid("freelancer", 300, 1),
        paid("freelancer", 100, 2, negative=True),
        OutcomeRecord("freelancer", "partial_refund", D(100), NOW, successful=False),
    ]
    assert success_score(hist, "freelancer", now=NOW) == 40.0  # (300 - 100) / 500


def test_score_window_role_and_uncounted():
    hist = [
        paid("freelancer", 100, 10),
        paid("freelancer", 100, 800, negative=True),
        paid("client", 100, 10, negative=True),
        paid("freelancer", 500, 5, negative=True, counted=False),
    ]
    assert success_score(hist, "freelancer", now=NOW, window_days=730) == 100.0
    assert success_score(hist, "freelancer", now=NOW, window_days=1000) == 0.0
    assert success_score(hist, "freelancer") == 0.0  # no clock: whole history
    assert success_score(hist, "client", now=NOW) == 0.0
    assert success_score([], "client", now=NOW) is None


@pytest.mark.parametrize("score", [0, 12.5, 50, 87.3, 100])
def test_history_from_score_reproduces_it(score):
    hist = history_from_score(score, "freelancer", D(880), NOW)
    assert success_score(hist, "freelancer", now=NOW) == pytest.approx(score, abs=0.05)


def test_history_from_score_rejects_nonsense():
    with pytest.raises(ValueError):
        history_from_score(120, "freelancer", D(100))
    with pytest.raises(ValueError):
        history_from_score(50, "freelancer", D(0))


# --- policy rules as a table ---------------------------------------------------------------

# kind, refund, policy, counts_in_score, public, allowed(client, freelancer), freelancer drops?
RULES = [
    ("release_full", None, MARKET, True, True, (True, True), False),
    ("release_full", None, FAIR, True, True, (False, True), False),
    ("full_refund", None, MARKET, True, False, (True, True), True),
    ("full_refund", None, FAIR, False, False, (True, False), False),
    ("partial_refund", "87.50", MARKET, True, False, (True, True), True),  # within $1 = full
    ("partial_refund", "87.50", FAIR, False, False, (True, False), False),
    ("partial_refund", "44", MARKET, True, True, (True, True), True),  # neutral dilutes
    ("partial_refund", "44", FAIR, True, True, (True, True), False),  # paid share succeeds
    ("mutual_cancel", None, MARKET, False, False, (True, True), False),
    ("mutual_cancel", None, FAIR, False, False, (True, True), False),
    ("change_order", None, FAIR, True, True, (False, True), False),
]


@pytest.mark.parametrize("kind,refund,policy,counts,public,allowed,drops", RULES)
def test_policy_rules(kind, refund, policy, counts, public, allowed, drops):
    e = run(kind, policy, refund)
    assert e.policy == policy.name
    assert e.counts_in_score is counts
    assert e.feedback_public is public
    assert (e.feedback_allowed["client"], e.feedback_allowed["freelancer"]) == allowed
    assert e.freelancer_score_before == 100.0
    assert (e.freelancer_score_after < e.freelancer_score_before) is drops
    assert e.explanation.startswith(("Release", "Full", "Partial", "Mutual"))


def test_marketplace_refund_hides_text_but_counts_against_freelancer():
    e = run("full_refund", MARKET)
    assert not e.feedback_public
    assert e.freelancer_score_after == pytest.approx(100 * (900 - 88) / 988, abs=0.05)
    assert "counts against" in e.explanation and "hidden" in e.explanation


def test_fair_refund_counts_against_no_one():
    e = run("full_refund", FAIR)
    assert e.freelancer_score_after == e.freelancer_score_before
    assert e.client_score_after == e.client_score_before
    # Even with negative feedback from the client, a refunded contract does not count.
    assert e.freelancer_score_worst == e.freelancer_score_before


def test_losing_side_revenge_feedback_only_where_allowed():
    market, fair = run("release_full", MARKET), run("release_full", FAIR)
    assert market.loser == fair.loser == "client"
    assert market.freelancer_score_worst < market.freelancer_score_after
    assert fair.freelancer_score_worst == fair.freelancer_score_after
    assert "may still leave feedback" in market.explanation
    assert "cannot leave feedback" in fair.explanation


def test_unpaid_contract_with_negative_feedback_lowers_marketplace_score():
    assert run("mutual_cancel", MARKET).freelancer_score_worst < 100
    assert run("mutual_cancel", FAIR).freelancer_score_worst == 100


def test_no_dispute_no_loser():
    e = run("release_full", FAIR, disputed=False)
    assert e.loser is None and all(e.feedback_allowed.values())


def test_settled_kind_tolerance():
    f = lambda r: OutcomeFacts(D("88"), "USD", D(r))
    assert settled_kind("partial_refund", f("0"), MARKET) == "release_full"
    assert settled_kind("partial_refund", f("86.99"), MARKET) == "partial_refund"
    assert settled_kind("partial_refund", f("87.00"), MARKET) == "full_refund"
    strict = MARKET.model_copy(update={"full_refund_tolerance": D(0)})
    assert settled_kind("partial_refund", f("87.50"), strict) == "partial_refund"


def test_escalate_spans_the_decisions():
    m = effect("escalate", OutcomeFacts(D("88"), "USD", D("44"), True, NOW), MARKET, CLIENT, FREELANCER)
    assert m.freelancer_score_after is None
    lo, hi = m.freelancer_score_range
    assert lo == run("full_refund", MARKET).freelancer_score_worst
    assert hi == 100.0
    assert m.feedback_public is None  # hidden on a refund, public on a release
    f = effect("escalate", OutcomeFacts(D("88"), "USD", None, True, NOW), FAIR, CLIENT, FREELANCER)
    assert f.feedback_allowed == {"client": None, "freelancer": None}
    assert "moderator" in f.explanation


def test_unknown_outcome():
    with pytest.raises(ValueError, match="unknown outcome 'refund_half'"):
        run("refund_half", FAIR)


# --- config --------------------------------------------------------------------------------


def test_config_defaults_and_unknown_policy_named():
    cfg = FeedbackConfig()
    assert cfg.active().name == "fair" and cfg.comparison().name == "marketplace"
    assert cfg.score_window_days == 730
    with pytest.raises(ValidationError, match="unknown feedback policy 'kind'"):
        FeedbackConfig(policy="kind")
    with pytest.raises(ValidationError, match="'strict' in compare_with"):
        FeedbackConfig(compare_with="strict")
    assert FeedbackConfig(compare_with="").comparison() is None
    assert FeedbackConfig(policy="marketplace", compare_with="marketplace").comparison() is None


def test_config_custom_policy_from_toml():
    import tomllib

    cfg = FeedbackConfig.model_validate(
        tomllib.loads("""
policy = "strict"
[presets.strict]
counts_refunds_in_score = false
loser_may_leave_feedback = false
double_blind_window_days = 7
""")
    )
    assert cfg.active().name == "strict" and cfg.active().double_blind_window_days == 7
    assert "fair" in cfg.presets and "marketplace" in cfg.presets
    with pytest.raises(ValidationError):
        FeedbackConfig.model_validate({"presets": {"x": {"hides_text": True}}})


def test_policies_are_configuration_not_code():
    custom = FeedbackPolicy(name="custom", counts_refunds_in_score=True, loser_may_leave_feedback=False)
    e = run("full_refund", custom)
    assert e.freelancer_score_after < 100 and e.feedback_allowed["freelancer"] is False


# --- threats -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Do the extra shots for free or I'll leave a bad review",
        "Add the models at no extra cost, otherwise you get 1 star.",
        "Unless you redo it with people, I am leaving negative feedback",
        "You will get a one-star rating if you don't reshoot this today",
        "Shoot five more for free and I will give you a good review",
    ],
)
def test_threats_are_flagged(text):
    assert flag_feedback_threat(text)


@pytest.mark.parametrize(
    "text",
    [
        "I left a bad review yesterday.",
        "Please leave a review when you are done!",
        "Thanks, great work, 5 stars from me",
        "The lighting is poor, can you fix it?",
        "Or could we add ten reviews to the product page?",
        "",
    ],
)
def test_plain_messages_are_not_flagged(text):
    assert flag_feedback_threat(text) is None
