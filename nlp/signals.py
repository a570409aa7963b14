"""Dispute signals in one party message: an admission, an offer, a lapsed purpose and so on.

A small one-vs-rest logistic head over the MiniLM sentence vector plus a few general rule features
(who is speaking, a money amount, a fraction, a refund word, a negation, a question mark). Each
signal has its own threshold, stored with the weights. Signals a speaker cannot carry (a client
admitting the work is not theirs) are masked. When `offer_amount` fires, the offer is read from
the text by rules: what kind it is, the amount and currency, or the share of the contract going
back to the client.

The head is built by `python -m nlp.train_signals` into nlp/weights/signals_head.npz.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np

from nlp.numbers import find_numbers, tame_digit_runs

WEIGHTS = Path(__file__).parent / "weights" / "signals_head.npz"
MAX_CHARS = 2000

SIGNALS = (
    "admits_incomplete",
    "admits_not_own",
    "offer_amount",
    "wants_to_end",
    "purpose_lapsed",
    "plans_changed",
    "quality_complaint",
    "authenticity_claim",
    "off_brief_agreement",
    "hours_claim",
    "approval",
    "request_beyond",
    "materials_missing",
)
NONE = "none"
FREELANCER_ONLY = frozenset({"admits_incomplete", "admits_not_own", "materials_missing"})
CLIENT_ONLY = frozenset({"approval", "request_beyond", "authenticity_claim", "plans_changed"})
SPEAKERS = ("client", "freelancer")
RULE_FEATURES = ("client", "money", "fraction", "refund_word", "negation", "first_person_negation", "question")


@dataclass(frozen=True)
class Offer:
    """A proposed division of the contract money. kind: refund (an amount back to the client), keep
    (what the freelancer keeps or is paid), split (a share back), full_refund. share is the fraction
    of the contract going back to the client, when stated as a fraction."""

    kind: str
    amount: Decimal | None
    currency: str | None
    share: Decimal | None


@dataclass(frozen=True)
class MessageSignals:
    labels: frozenset[str]
    scores: dict[str, float]
    offer: Offer | None


def allowed(signal: str, speaker: str) -> bool:
    """Role constraints: some signals only come from one side."""
    if speaker == "client":
        return signal not in FREELANCER_ONLY
    if speaker == "freelancer":
        return signal not in CLIENT_ONLY
    return True


def speaker_mask(speakers: list[str]) -> np.ndarray:
    return np.array([[allowed(s, sp) for s in SIGNALS] for sp in speakers], dtype=bool)


# -- money, fractions and cues -------------------------------------------------------------------

_CODES = ("USD", "EUR", "GBP", "INR", "CAD", "AUD", "PHP", "BRL", "JPY", "CHF", "NZD", "SGD", "ZAR", "MXN", "PLN")
_SYMBOLS = [
    ("R$", "BRL"),
    ("AU$", "AUD"),
    ("A$", "AUD"),
    ("CA$", "CAD"),
    ("C$", "CAD"),
    ("NZ$", "NZD"),
    ("US$", "USD"),
    ("$", "USD"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("₹", "INR"),
    ("₱", "PHP"),
    ("¥", "JPY"),
    ("Rs.", "INR"),
    ("Rs", "INR"),
]
_WORDS = {
    "dollar": "USD",
    "dollars": "USD",
    "buck": "USD",
    "bucks": "USD",
    "euro": "EUR",
    "euros": "EUR",
    "pound": "GBP",
    "pounds": "GBP",
    "quid": "GBP",
    "rupee": "INR",
    "rupees": "INR",
    "peso": "PHP",
    "pesos": "PHP",
    "reais": "BRL",
    "real": "BRL",
}
_PREFIX = re.compile(
    r"(" + "|".join(re.escape(s) for s, _ in _SYMBOLS) + r"|\b(?:" + "|".join(_CODES) + r"))\s?$", re.IGNORECASE
)
_SUFFIX = re.compile(r"^\s?((?:" + "|".join(_CODES) + r"|" + "|".join(_WORDS) + r")\b|€|£|₹)", re.IGNORECASE)
_DOT_THOUSANDS = re.compile(r"(?<=\d)\.(?=\d{3}(?!\d))")
_PERCENT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*(?:%|percent\b|per cent\b)", re.IGNORECASE)
_FRACTION_WORDS = [
    (r"\bthree[\s-]quarters?\b", Decimal("0.75")),
    (r"\btwo[\s-]thirds?\b", Decimal("0.6667")),
    (r"\b(?:a|one)[\s-]third\b|\bthird of\b", Decimal("0.3333")),
    (r"\b(?:a|one)[\s-]quarter\b|\bquarter\b", Decimal("0.25")),
    (r"\b(?:a|one)[\s-]fifth\b", Decimal("0.2")),
    (r"\b(?:a|one)[\s-]tenth\b", Decimal("0.1")),
    (r"\bfifty[\s-]fifty\b|\b50\s?[/-]\s?50\b|\bdown the middle\b|\bsplit the difference\b", Decimal("0.5")),
    (r"\bhalf\b|\bhalves\b", Decimal("0.5")),
]
_OF_COUNT = re.compile(r"\b(\d+|[a-z]+)\s+(?:of|out of)\s+(?:the\s+)?(\d+|[a-z]+)\b", re.IGNORECASE)
_REFUND_CUE = re.compile(
    r"\b(?:refund\w*|back|return\w*|reimburs\w*|give (?:you )?back|send (?:you )?back|discount|cover|off)\b|devolv\w*|de volta",
    re.IGNORECASE,
)
_KEEP_CUE = re.compile(
    r"\b(?:keep\w*|pay(?:ing)? (?:you|me)|i(?:'ll| will| can)? pay|paid for|pay for|get paid|charge|for (?:the |my |your )?"
    r"(?:work|time|effort|part|sketches|what)|settle|total is|prepared to pay|me paga|asking)\b",
    re.IGNORECASE,
)
_FULL = re.compile(
    r"\bfull refund\b|\brefund\w* (?:me |you )?(?:in full|fully|everything|all\b|the whole|the full|100)|"
    r"\b(?:all|whole|entire|every)\b[^.,;!?]{0,30}\b(?:back|refunded)\b|\b(?:my|our|your|the) money back\b|"
    r"\bmoney back\b|\bback what (?:i|we) paid\b|\brefund everything\b|\bthe whole thing\b|\bfully\b",
    re.IGNORECASE,
)
_PARTIAL = re.compile(r"\bpartial(?:ly)? refund|\brefund\w* (?:some|part)\b", re.IGNORECASE)
_BARE_REFUND = re.compile(
    r"\b(?:a|my|the|full|your) refund\b|\brefund (?:me|us|it|pls|please)\b|\brefund\b\W*$|\band refund\b",
    re.IGNORECASE,
)
_REFUND_OBJECT = re.compile(r"\brefund(?:ed)?\s+(?:the|those|that|these|my|our|your)\s+\w+", re.IGNORECASE)
_DEPOSIT = re.compile(r"\b(?:deposit|escrow|advance)\b", re.IGNORECASE)
_NEGATION = re.compile(r"\b(?:not|no|never|nothing|without)\b|n't\b|\bnt\b", re.IGNORECASE)
_FIRST_NEG = re.compile(
    r"\bi(?:'ve|'m| have| am| was)?\s*(?:not|never|didn'?t|did not|haven'?t|have not|don'?t|do not|wasn'?t)\b",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"[.;!?\n]|,\s|\band\b|\bbut\b|\bor\b|/", re.IGNORECASE)


@dataclass(frozen=True)
class _Quantity:
    kind: str  # "money" or "fraction"
    value: Decimal
    currency: str | None
    start: int
    end: int


def _prepare(text: str) -> str:
    return _DOT_THOUSANDS.sub(",", tame_digit_runs(text[:MAX_CHARS]))


def find_money(text: str) -> list[_Quantity]:
    """Amounts with a currency marker next to them: "$1,200", "300 CAD", "₹5,000", "fifty euros", "2k USD"."""
    text = _prepare(text)
    out = []
    for n in find_numbers(text):
        before, after = text[max(0, n.start - 4) : n.start], text[n.end : n.end + 8]
        cur = None
        m = _PREFIX.search(before)
        if m:
            token = m.group(1)
            cur = next((c for s, c in _SYMBOLS if s.lower() == token.lower()), token.upper())
        else:
            m = _SUFFIX.match(after)
            if m:
                token = m.group(1)
                cur = {"€": "EUR", "£": "GBP", "₹": "INR"}.get(token) or _WORDS.get(token.lower()) or token.upper()
        if cur is None:
            continue
        value = Decimal(str(n.value)).normalize()
        if value == value.to_integral():
            value = value.quantize(Decimal(1))
        out.append(_Quantity("money", value, cur, n.start, n.end))
    return out


def find_fractions(text: str) -> list[_Quantity]:
    """Shares in words or numbers: "half", "two thirds", "40%", "50/50", "4 of 12"."""
    text = _prepare(text)
    out: list[_Quantity] = []
    taken: list[tuple[int, int]] = []

    def add(value: Decimal, start: int, end: int) -> None:
        if any(a < end and start < b for a, b in taken):
            return
        out.append(_Quantity("fraction", value, None, start, end))
        taken.append((start, end))

    for m in _PERCENT.finditer(text):
        value = Decimal(m.group(1)) / 100
        if 0 < value <= 1:
            add(value.quantize(Decimal("0.0001")).normalize(), m.start(), m.end())
    for pattern, value in _FRACTION_WORDS:
        for m in re.finditer(pattern, text, re.IGNORECASE):
            add(value, m.start(), m.end())
    for m in _OF_COUNT.finditer(text):
        a = [x.value for x in find_numbers(m.group(1))]
        b = [x.value for x in find_numbers(m.group(2))]
        if a and b and 0 < a[0] < b[0] <= 1000 and not _money_near(text, m.start(), m.end()):
            add((Decimal(str(a[0])) / Decimal(str(b[0]))).quantize(Decimal("0.0001")), m.start(), m.end())
    out.sort(key=lambda q: q.start)
    return out


def _money_near(text: str, start: int, end: int) -> bool:
    return any(q.start < end and start < q.end for q in find_money(text[max(0, start - 5) : end + 8]))


def _clause(text: str, start: int, end: int) -> str:
    left = max((m.end() for m in _CLAUSE.finditer(text, 0, start)), default=0)
    m = _CLAUSE.search(text, end)
    right = m.start() if m else len(text)
    return text[left:right]


def _side(text: str, q: _Quantity) -> str | None:
    """Which side of the division a quantity names: "refund", "keep" or unknown (None)."""
    clause = _clause(text, q.start, q.end)
    refund, keep = bool(_REFUND_CUE.search(clause)), bool(_KEEP_CUE.search(clause))
    if refund and not keep:
        return "refund"
    if keep and not refund:
        return "keep"
    if refund and keep:  # the cue closest to the quantity wins
        local = text[max(0, q.start - 25) : q.end + 25]
        r = [abs(m.start() - 25) for m in _REFUND_CUE.finditer(local)]
        k = [abs(m.start() - 25) for m in _KEEP_CUE.finditer(local)]
        if r and (not k or min(r) <= min(k)):
            return "refund"
        if k:
            return "keep"
    return None


def _share(value: Decimal) -> Decimal:
    return min(max(value, Decimal(0)), Decimal(1)).quantize(Decimal("0.0001")).normalize()


def extract_offer(text: str) -> Offer | None:
    """The offer a message states, or None when it names no division of the money at all."""
    clean = _prepare(text)
    money = find_money(clean)
    fractions = [f for f in find_fractions(clean) if f.value > 0]
    sides = {id(q): _side(clean, q) for q in money + fractions}
    has_refund_word = bool(_REFUND_CUE.search(clean))

    # "90% of the $1,000 back": a fraction of a stated sum is an amount too
    for f in fractions:
        follow = clean[f.end : f.end + 20]
        nxt = next((m for m in money if 0 <= m.start - f.end <= 20 and re.match(r"\s*of\b", follow)), None)
        if nxt is not None:
            side = sides[id(f)] or sides[id(nxt)] or ("refund" if has_refund_word else "keep")
            share = f.value if side == "refund" else 1 - f.value
            amount = (nxt.value * share).quantize(Decimal("0.01")).normalize()
            if amount == amount.to_integral():
                amount = amount.quantize(Decimal(1))
            return Offer("full_refund" if share == 1 else "split", amount, nxt.currency, _share(share))

    refund_money = [m for m in money if sides[id(m)] == "refund"]
    keep_money = [m for m in money if sides[id(m)] == "keep"]
    if refund_money:
        m = refund_money[-1] if len(refund_money) > 1 and not keep_money else refund_money[0]
        return Offer("refund", m.value, m.currency, None)
    if fractions:
        back = next((f for f in fractions if sides[id(f)] == "refund"), None)
        kept = next((f for f in fractions if sides[id(f)] == "keep"), None)
        if back is not None:
            share = back.value
        elif kept is not None:
            share = 1 - kept.value
        else:
            share = fractions[0].value
        share = _share(share)
        return Offer("full_refund" if share == 1 else "split", None, None, share)
    if keep_money:
        m = keep_money[0]
        return Offer("keep", m.value, m.currency, None)
    if money:
        m = money[-1]
        return Offer("refund" if has_refund_word else "keep", m.value, m.currency, None)
    if _PARTIAL.search(clean):
        return Offer("split", None, None, None)
    if _FULL.search(clean):
        return Offer("full_refund", None, None, Decimal(1))
    if _REFUND_OBJECT.search(clean) and not re.search(r"\b(?:money|everything|deposit)\b", clean, re.IGNORECASE):
        return Offer("refund", None, None, None)
    if re.search(r"\bkeep\b", clean, re.IGNORECASE) and _DEPOSIT.search(clean):
        return Offer("keep", None, None, None)
    if _BARE_REFUND.search(clean) or (_DEPOSIT.search(clean) and has_refund_word):
        return Offer("full_refund", None, None, Decimal(1))
    if re.search(r"\brefund", clean, re.IGNORECASE):
        return Offer("refund", None, None, None)
    if _KEEP_CUE.search(clean):
        return Offer("keep", None, None, None)
    return None


def rule_features(text: str, speaker: str) -> np.ndarray:
    """General cues the sentence vector carries poorly: speaker, money, fractions, negation."""
    clean = _prepare(text)
    return np.array(
        [
            speaker == "client",
            bool(find_money(clean)),
            bool(find_fractions(clean)),
            bool(re.search(r"\brefund\w*|\bmoney back\b", clean, re.IGNORECASE)),
            bool(_NEGATION.search(clean)),
            bool(_FIRST_NEG.search(clean)),
            "?" in clean,
        ],
        dtype=np.float32,
    )


_SENTENCE_END = re.compile(r"(?<=[.!?\n])\s+|\n+")


def sentences(text: str) -> list[str]:
    """The sentences of a message (two words or more), or the message itself."""
    parts = [p.strip() for p in _SENTENCE_END.split(text) if len(p.strip().split()) >= 2]
    return parts or [text]


def features(encoder, texts: list[str], speakers: list[str]) -> np.ndarray:
    """One row per message: the message vector, the element-wise maximum of its sentence vectors
    (a signal buried in a long message still shows), then the rule features."""
    texts = [t[:MAX_CHARS] for t in texts]
    split = [sentences(t) for t in texts]
    flat = [s for parts in split for s in parts]
    vecs = encoder.embed(texts + flat)  # one call: a one-sentence message is embedded once
    whole, parts_vecs = vecs[: len(texts)], vecs[len(texts) :]
    peak = np.zeros_like(whole)
    i = 0
    for j, parts in enumerate(split):
        peak[j] = parts_vecs[i : i + len(parts)].max(0)
        i += len(parts)
    rules = np.stack([rule_features(t, s) for t, s in zip(texts, speakers)]) if texts else np.zeros((0, 7))
    return np.hstack([whole, peak, rules]).astype(np.float32)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def head_scores(head: dict, X: np.ndarray, speakers: list[str]) -> np.ndarray:
    """Masked probabilities, one column per signal."""
    Z = (X - head["mu"]) / head["sd"]
    P = sigmoid(Z @ head["W"] + head["b"])
    return np.where(speaker_mask(speakers), P, 0.0)


def labels_from(scores: np.ndarray, thresholds: np.ndarray) -> list[frozenset[str]]:
    out = []
    for row in scores:
        found = frozenset(s for s, p, t in zip(SIGNALS, row, thresholds) if p >= t)
        out.append(found or frozenset({NONE}))
    return out


class SignalClassifier:
    """Signals in party messages; one shared encoder, a head of ~25 KB."""

    def __init__(self, encoder, weights_path: str | None = None):
        path = Path(weights_path) if weights_path else WEIGHTS
        if not path.exists():
            raise FileNotFoundError(f"signal head weights not found: {path} (run python -m nlp.train_signals)")
        data = np.load(path, allow_pickle=False)
        names = tuple(str(s) for s in data["signals"])
        if names != SIGNALS or tuple(str(f) for f in data["rule_features"]) != RULE_FEATURES:
            raise ValueError(f"signal head {path} was trained for other signals or features; retrain it")
        self.encoder = encoder
        self.head = {k: data[k] for k in ("W", "b", "mu", "sd")}
        self.thresholds = data["thresholds"].astype(np.float64)

    def classify(self, texts: list[str], speakers: list[str]) -> list[MessageSignals]:
        if len(texts) != len(speakers):
            raise ValueError("texts and speakers must have the same length")
        bad = [s for s in speakers if s not in SPEAKERS]
        if bad:
            raise ValueError(f"unknown speaker {bad[0]!r}: use 'client' or 'freelancer'")
        if not texts:
            return []
        texts = [t if isinstance(t, str) else str(t) for t in texts]
        P = head_scores(self.head, features(self.encoder, texts, speakers), speakers)
        out = []
        for text, row, labels in zip(texts, P, labels_from(P, self.thresholds)):
            scores = {s: round(float(p), 4) for s, p in zip(SIGNALS, row)}
            # how far the strongest signal is from its threshold, as a probability that none applies
            margin = max(float(p) - float(t) for p, t in zip(row, self.thresholds))
            scores[NONE] = round(float(sigmoid(np.array(-8.0 * margin))), 4)
            offer = None
            if "offer_amount" in labels:
                offer = extract_offer(text) or Offer("refund", None, None, None)
            out.append(MessageSignals(labels=labels, scores=scores, offer=offer))
        return out


def load_signal_classifier(encoder) -> SignalClassifier:
    """The shipped head on a shared encoder (see nlp.model.load_encoder)."""
    return SignalClassifier(encoder)
