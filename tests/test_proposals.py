"""Proposals: the founding story, ranking from facts only, money and score per outcome."""

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from mediation.currency import MoneyError
from mediation.errors import MediationError
from mediation.feedback import FeedbackConfig, OutcomeRecord, default_feedback_presets
from mediation.fees import FeesConfig, default_fee_presets
from mediation.proposals import (
    CaseFacts,
    ScopeFlag,
    Verdict,
    coverage_of,
    feedback_preview,
    merit,
    proposals_data,
    propose,
    swap_disputing_party,
)

D = Decimal
NOW = datetime(2025, 6, 1, tzinfo=UTC)
MARKET = default_feedback_presets()["marketplace"]
FAIR = default_feedback_presets()["fair"]
FEES = default_fee_presets()["marketplace"]


def history(role, n, value=100, negatives=0):
    return [
        OutcomeRecord(role, "release_full", D(value), NOW - timedelta(days=20 * (i + 1)), negative=i < negatives)
        for i in range(n)
    ]


def story(**changes) -> CaseFacts:
    """The photographer: 8 product pictures for $88, 2 samples approved, all 8 delivered on
    time; the client then wanted people (models, a location), went silent 90 days, disputes."""
    facts = CaseFacts(
        amount=D("88"),
        currency="USD",
        coverage=1.0,
        verdicts=[(f"product picture {i} for the Instagram feed", "deliverable", "met") for i in range(1, 9)],
        on_time=True,
        approvals=["sample 1: lipstick flat lay", "sample 2: palette close-up"],
        scope_flags=[
            ScopeFlag(
                "attribute",
                "I want pictures with people in them, models at an outdoor location",
                "new attributes: people, models, location",
                "8 product pictures for an Instagram feed",
            )
        ],
        revisions_used=1,
        revisions_allowed=2,
        silent_party="client",
        silent_days=90,
        disputing_party="client",
        agreed_quantity=8,
        history_client=history("client", 3),
        history_freelancer=history("freelancer", 12, negatives=1),
        now=NOW,
    )
    return replace(facts, **changes) if changes else facts


def by_kind(proposals, kind):
    return next(p for p in proposals if p.kind == kind)


def test_story_ranks_release_and_change_order_first():
    ps = propose(story(), FEES, FAIR, MARKET)
    assert {ps[0].kind, ps[1].kind} == {"release_full", "change_order"}
    assert [p.id for p in ps] == [f"P{i}" for i in range(1, len(ps) + 1)]
    assert {p.kind for p in ps} == {
        "release_full",
        "change_order",
        "partial_refund",
        "full_refund",
        "mutual_cancel",
        "escalate",
    }
    release = by_kind(ps, "release_full")
    assert release.client_refund == D("0.00")
    assert "8 of 8 brief requirements met" in release.rationale
    assert "approved 'sample 1" in release.rationale and "on time" in release.rationale
    order = by_kind(ps, "change_order").change_order
    assert order.basis == "to_quote" and order.price is None
    assert "to be quoted by the freelancer" in by_kind(ps, "change_order").rationale
    assert "8 product pictures for an Instagram feed" in by_kind(ps, "change_order").rationale
    # The brief was met, so a partial refund has no ground: a compromise, ranked low.
    partial = by_kind(ps, "partial_refund")
    assert "met in full" in partial.rationale
    assert ps.index(partial) > ps.index(by_kind(ps, "change_order"))
    assert by_kind(ps, "full_refund").score < release.score


def test_story_refund_under_both_policies():
    ps = propose(story(), FEES, FAIR, MARKET)
    refund = by_kind(ps, "full_refund")
    assert refund.client_refund == D("88.00") and refund.freelancer_net == D("0.00")
    market, fair = refund.comparison, refund.feedback
    assert market.policy == "marketplace" and fair.policy == "fair"
    # Marketplace: the 1-star text is hidden, but the refund still counts against her.
    assert market.feedback_public is False
    assert market.counts_in_score is True
    assert market.freelancer_score_after < market.freelancer_score_before
    # Fair: the refunded contract does not count against either side.
    assert fair.counts_in_score is False
    assert fair.freelancer_score_after == fair.freelancer_score_before
    assert fair.client_score_after == fair.client_score_before
    # The client, who loses a release, cannot leave revenge feedback under the fair policy.
    release = by_kind(ps, "release_full")
    assert release.feedback.feedback_allowed["client"] is False
    assert release.comparison.feedback_allowed["client"] is True
    assert release.comparison.freelancer_score_worst < release.comparison.freelancer_score_after


def test_swapping_the_disputing_party_changes_nothing():
    a = proposals_data(propose(story(), FEES, FAIR, MARKET))
    b = proposals_data(propose(swap_disputing_party(story()), FEES, FAIR, MARKET))
    assert swap_disputing_party(story()).disputing_party == "freelancer"
    assert a == b
    c = proposals_data(propose(story(disputing_party=None), FEES, FAIR, MARKET))
    assert a == c


def test_deterministic_and_json_ready():
    one = proposals_data(propose(story(), FEES, FAIR, MARKET))
    two = proposals_data(propose(story(), FEES, FAIR, MARKET))
    assert one == two
    assert json.loads(json.dumps(one)) == one
    assert one["type"] == "proposals"
    item = one["items"][0]
    assert set(item) >= {
        "id",
        "kind",
        "client_refund",
        "freelancer_net",
        "fees",
        "feedback",
        "comparison_policy",
        "rationale",
        "title",
        "money",
    }
    assert set(item["feedback"]) >= {
        "policy",
        "freelancer_score_before",
        "freelancer_score_after",
        "client_score_before",
        "client_score_after",
        "feedback_allowed",
        "feedback_public",
        "counts_in_score",
    }
    assert set(item["comparison_policy"]) >= set(item["feedback"])
    assert item["money"]["amount"] == "88.00" and isinstance(item["client_refund"], str)


def test_money_under_each_policy():
    ps = propose(story(), FEES, FAIR, MARKET)
    release = by_kind(ps, "release_full")
    # Fair splits the 10% service fee by the contract's terms (half each by default).
    assert release.money.freelancer_net == D("83.60")
    assert release.comparison_money.freelancer_net == D("79.20")
    half = by_kind(propose(story(fee_client_share=D("0")), FEES, FAIR, MARKET), "release_full")
    assert half.money.freelancer_net == D("79.20")
    for p in ps:
        if p.money is not None:
            m = p.money
            assert m.client_paid_total == (m.client_refund + m.client_fee_refund + m.freelancer_net + m.platform_total)


def test_escalation_shows_a_range():
    esc = by_kind(propose(story(), FEES, FAIR, MARKET), "escalate")
    assert esc.money is None and esc.client_refund is None
    assert esc.money_range["client_refund"] == (D("0.00"), D("88.00"))
    data = esc.to_data()
    assert data["money_range"]["freelancer_net"] == ["0.00", "83.60"]
    assert data["feedback"]["freelancer_score_after"] is None
    assert "moderator" in data["rationale"]


def test_partial_refund_from_unmet_share():
    verdicts = [
        Verdict("6 photos", "quantity", "met"),
        ("white background", "attribute", "met"),
        ("square crop", "format", "unmet"),
        ("retouched", "attribute", "partly"),
    ]
    facts = story(
        coverage=None, verdicts=verdicts, scope_flags=[], approvals=[], silent_party=None, silent_days=0, on_time=None
    )
    assert coverage_of(facts) == pytest.approx(0.625)
    ps = propose(facts, FEES, FAIR, MARKET)
    partial = by_kind(ps, "partial_refund")
    assert partial.client_refund == D("33.00")  # (1 - 0.625) x 88
    assert "'square crop'" in partial.rationale and "38%" in partial.rationale
    assert ps[0].kind == "partial_refund"
    assert not any(p.kind == "change_order" for p in ps)


def test_quantity_creep_is_priced_per_unit():
    flag = ScopeFlag(
        "quantity", "can you send 4 more pictures", "more items than agreed", "8 product pictures", extra_units=4
    )
    ps = propose(story(scope_flags=[flag]), FEES, FAIR, MARKET)
    order = by_kind(ps, "change_order").change_order
    assert (order.basis, order.units, order.unit_price, order.price) == ("per_unit", 4, D("11.00"), D("44.00"))
    assert "4 x $11.00 = $44.00" in by_kind(ps, "change_order").rationale
    quoted = ScopeFlag("attribute", "add models", "new attribute", None, quote=D("500"))
    order = by_kind(propose(story(scope_flags=[quoted]), FEES, FAIR), "change_order")
    assert order.change_order.price == D("500.00") and "No brief clause" in order.rationale
    assert order.comparison is None and order.to_data()["comparison_policy"] is None


def test_ranking_follows_the_facts():
    bad = story(
        coverage=0.0,
        verdicts=[("8 photos", "quantity", "unmet")],
        approvals=[],
        on_time=False,
        silent_party="freelancer",
        silent_days=30,
        scope_flags=[],
    )
    ps = propose(bad, FEES, FAIR, MARKET)
    assert ps[0].kind == "full_refund"
    assert merit(bad) == 0.0 and merit(story()) == 1.0
    unknown = story(
        coverage=None, verdicts=[], approvals=[], on_time=None, silent_party=None, silent_days=0, scope_flags=[]
    )
    assert propose(unknown, FEES, FAIR)[0].kind == "escalate"


def test_other_currencies_and_fee_presets():
    jpy = story(amount=D("8800"), currency="jpy", coverage=0.5, verdicts=[])
    for fees in default_fee_presets().values():
        for p in propose(jpy, fees, MARKET, FAIR):
            if p.money is not None:
                assert p.money.currency == "JPY"
                assert p.money.freelancer_net == p.money.freelancer_net.quantize(D(1))
    assert by_kind(propose(jpy, FEES, MARKET), "partial_refund").client_refund == D("4400")


@pytest.mark.parametrize(
    "changes,error",
    [
        ({"amount": D("0")}, MoneyError),
        ({"amount": D("-5")}, MoneyError),
        ({"currency": "ABC"}, MoneyError),
        ({"coverage": 1.5}, MediationError),
        ({"silent_party": "moderator"}, MediationError),
        ({"silent_days": -1}, MediationError),
    ],
)
def test_bad_facts_are_rejected(changes, error):
    with pytest.raises(error):
        story(**changes)


# --- what-if -------------------------------------------------------------------------------


def test_feedback_preview_ad_hoc_with_a_score():
    cfg = FeedbackConfig()
    out = feedback_preview(
        "full_refund",
        "88",
        "USD",
        freelancer_score=92,
        policy=cfg.active(),
        comparison=cfg.comparison(),
        fees=FeesConfig().schedule(),
        now=NOW,
    )
    assert out["type"] == "feedback_preview" and out["client_refund"] == "88.00"
    assert out["feedback"]["freelancer_score_before"] == 92.0
    assert out["feedback"]["freelancer_score_after"] == 92.0
    market = out["comparison_policy"]
    assert market["freelancer_score_after"] < 92.0 and market["feedback_public"] is False
    assert out["money"]["freelancer_net"] == "0.00"
    assert any("92" in a for a in out["assumptions"])
    assert json.loads(json.dumps(out)) == out


def test_feedback_preview_partial_and_escalate():
    out = feedback_preview("partial_refund", 88, "USD", policy=MARKET, fees=FEES)
    assert out["client_refund"] == "44.00" and out["assumptions"]
    near = feedback_preview("partial_refund", 88, "USD", client_refund="87.50", policy=MARKET)
    assert near["settles_as"] == "full_refund" and near["feedback"]["feedback_public"] is False
    esc = feedback_preview("escalate", 88, "USD", policy=FAIR, comparison=MARKET, fees=FEES)
    assert esc["money"] is None and esc["money_range"]["client_refund"] == ["0.00", "88.00"]


@pytest.mark.parametrize(
    "kwargs,code",
    [
        ({"outcome": "refund_all", "amount": "88"}, "unknown_outcome"),
        ({"outcome": "full_refund", "amount": "-88"}, "bad_amount"),
        ({"outcome": "full_refund", "amount": "1e9"}, "bad_amount"),
        ({"outcome": "full_refund", "amount": "99999999"}, "bad_amount"),
        ({"outcome": "partial_refund", "amount": "88", "client_refund": "100"}, "bad_amount"),
        ({"outcome": "full_refund", "amount": "88", "currency": "XXX"}, "unknown_currency"),
    ],
)
def test_feedback_preview_bad_input(kwargs, code):
    kwargs = {"currency": "USD", **kwargs}
    with pytest.raises(MediationError) as err:
        feedback_preview(kwargs.pop("outcome"), kwargs.pop("amount"), kwargs.pop("currency"), policy=FAIR, **kwargs)
    assert err.value.code == code
