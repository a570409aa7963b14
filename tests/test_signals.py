"""Dispute signals in party messages, and the offers read from them."""

from dataclasses import FrozenInstanceError
from decimal import Decimal

import numpy as np
import pytest

from nlp.signals import (
    NONE,
    SIGNALS,
    WEIGHTS,
    MessageSignals,
    Offer,
    SignalClassifier,
    allowed,
    extract_offer,
    find_money,
    load_signal_classifier,
)

# -- offers, read by rules (no model) ------------------------------------------------------------


def test_both_sides_stated_records_the_refund_side():
    assert extract_offer("You can keep $100 and send back $50, then we close this.") == Offer(
        "refund", Decimal(50), "USD", None
    )


def test_a_fraction_is_the_share_going_back_to_the_client():
    assert extract_offer("Happy to give you half back.").share == Decimal("0.5")
    assert extract_offer("Refund me 35% and we're done").share == Decimal("0.35")
    assert extract_offer("you keep 70%, I get 30% back").share == Decimal("0.3")
    assert extract_offer("I'll pay you a third for the drafts and that's all.").share == Decimal("0.6667")
    assert extract_offer("two thirds back?").share == Decimal("0.6667")


def test_a_fraction_of_a_stated_sum_gives_both_share_and_amount():
    offer = extract_offer("We'd like 80% of the £500 back.")
    assert offer == Offer("split", Decimal(400), "GBP", Decimal("0.8"))


def test_amounts_in_other_currencies_and_spellings():
    assert extract_offer("pls return 2.500 pesos") == Offer("refund", Decimal(2500), "PHP", None)
    assert extract_offer("Send back 40€ and fine") == Offer("refund", Decimal(40), "EUR", None)
    assert extract_offer("I can refund AUD 120 of it") == Offer("refund", Decimal(120), "AUD", None)
    assert extract_offer("Pay me 300 dollars for the finished part") == Offer("keep", Decimal(300), "USD", None)
    assert [(q.value, q.currency) for q in find_money("budget was R$ 1.200, paid ₹8,000")] == [
        (Decimal(1200), "BRL"),
        (Decimal(8000), "INR"),
    ]


def test_refunds_without_a_figure():
    assert extract_offer("I just want my money back.") == Offer("full_refund", None, None, Decimal(1))
    assert extract_offer("A partial refund would be fair.") == Offer("split", None, None, None)
    assert extract_offer("What time works for a call?") is None


def test_role_constraints():
    assert not allowed("admits_not_own", "client") and allowed("admits_not_own", "freelancer")
    assert not allowed("approval", "freelancer") and allowed("approval", "client")
    assert allowed("offer_amount", "client") and allowed("offer_amount", "freelancer")


def test_missing_weights_are_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match="train_signals"):
        SignalClassifier(None, str(tmp_path / "none.npz"))


def test_shipped_head_is_small_and_carries_its_thresholds():
    assert WEIGHTS.stat().st_size < 60_000
    data = np.load(WEIGHTS, allow_pickle=False)
    assert tuple(data["signals"]) == SIGNALS
    assert data["thresholds"].shape == (len(SIGNALS),)
    assert ((data["thresholds"] > 0) & (data["thresholds"] < 1)).all()


# -- the real model ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signals(clf):
    """The signal head over the encoder of the test run's one model (the kit's `clf`)."""
    return load_signal_classifier(clf.encoder)


def one(signals, text: str, speaker: str) -> MessageSignals:
    return signals.classify([text], [speaker])[0]


@pytest.mark.model
def test_freelancer_admitting_unfinished_work(signals):
    res = one(
        signals,
        "Really sorry, I ran out of time and only 3 of the 5 banner sizes are done. I can't finish the rest.",
        "freelancer",
    )
    assert "admits_incomplete" in res.labels
    assert res.offer is None


@pytest.mark.model
def test_client_offer_with_both_sides_is_extracted(signals):
    res = one(signals, "OK here's my offer: keep $100 for the drafts and send back $50, then we close this.", "client")
    assert "offer_amount" in res.labels
    assert res.offer == Offer("refund", Decimal(50), "USD", None)


@pytest.mark.model
def test_a_denial_of_ai_is_not_an_admission(signals):
    res = one(
        signals,
        "I did not use ChatGPT or any AI tool. I wrote every chapter myself, check my doc history.",
        "freelancer",
    )
    assert "admits_not_own" not in res.labels


@pytest.mark.model
def test_an_admission_of_ai_is_one(signals):
    res = one(
        signals, "ok yes, I let an AI tool write most of the product texts and only fixed them a bit.", "freelancer"
    )
    assert "admits_not_own" in res.labels


@pytest.mark.model
def test_client_approval(signals):
    res = one(
        signals, "Just watched the final cut, it's brilliant, exactly what we needed. Approving it now!", "client"
    )
    assert "approval" in res.labels
    assert "quality_complaint" not in res.labels


@pytest.mark.model
def test_logistics_is_none(signals):
    res = one(signals, "Can we move our call to 3pm tomorrow?", "client")
    assert res.labels == frozenset({NONE})
    assert res.offer is None


@pytest.mark.model
def test_speaker_masks_signals_the_other_side_cannot_carry(signals):
    text = "I ran the text through a translation engine and pasted it, sorry."
    as_client = one(signals, text, "client")
    assert not as_client.labels & {"admits_not_own", "admits_incomplete", "materials_missing"}
    assert as_client.scores["admits_not_own"] == 0.0


@pytest.mark.model
def test_batch_shape_and_frozen_results(signals):
    texts = ["thanks!", "We're cancelling the project, the launch was called off.", "I still don't have the logins."]
    res = signals.classify(texts, ["client", "client", "freelancer"])
    assert len(res) == 3
    assert set(res[0].scores) == set(SIGNALS) | {NONE}
    assert all(0.0 <= v <= 1.0 for r in res for v in r.scores.values())
    assert "wants_to_end" in res[1].labels
    assert "materials_missing" in res[2].labels
    with pytest.raises(FrozenInstanceError):
        res[0].labels = frozenset()
    assert signals.classify([], []) == []
    with pytest.raises(ValueError):
        signals.classify(["hi"], ["moderator"])
