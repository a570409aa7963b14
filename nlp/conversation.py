"""What a party's chat message says that matters to a dispute: an admission, an offer, wanting out,
a lapsed purpose, changed plans, a quality or authenticity complaint, an approval…

The trained reader lives in `nlp.signals` (`load_signal_classifier(encoder)`); until it is present
in this build, `RuleReader` reads the plainest phrasings with transparent patterns, so the rest of
the system is written once against one interface: `read(texts, speakers) -> list[MessageSignals]`.
Both give labels among `LABELS`, and an `Offer` when a message proposes a division of the money.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from nlp.signals import CLIENT_ONLY, FREELANCER_ONLY, SIGNALS

log = logging.getLogger("mediator.signals")

LABELS = SIGNALS  # the trained head's labels
# Who can carry a label: an admission is the freelancer's, an approval or a complaint the client's.
ROLE_ONLY = {
    **{label: "freelancer" for label in FREELANCER_ONLY},
    **{label: "client" for label in CLIENT_ONLY | {"quality_complaint"}},
}
CONFIDENT = 0.97  # the trained head's score above which its label is taken as said
# Admissions decide a case on their own, and the trained head reads them in plain progress notes
# ("sketches attached for approval"); only an explicit phrasing counts for these.
PATTERNS_ONLY = frozenset({"admits_not_own", "admits_incomplete", "materials_missing"})
# Not in the trained label set: the client says nothing arrived (read by the rules only).
REPORTS_NOTHING = "reports_nothing_received"


@dataclass(frozen=True)
class Offer:
    """A division of the contract money proposed (or accepted) in chat. `kind` is
    refund_to_client, keep_for_freelancer or share_refund; `share` is the fraction refunded."""

    kind: str
    amount: Decimal | None = None
    currency: str | None = None
    share: Decimal | None = None


@dataclass(frozen=True)
class MessageSignals:
    labels: frozenset[str] = frozenset()
    scores: dict[str, float] = field(default_factory=dict)
    offer: Offer | None = None


# --- the rule reader ------------------------------------------------------------------------

_I = r"\b(?:i|we|i've|i'm|we've|we're)\b"
_NEG = r"(?:couldn'?t|could not|can'?t|cannot|won'?t be able to|wasn'?t able to|am not able to|didn'?t|did not|haven'?t|have not|never)"
_RULES: dict[str, list[str]] = {
    "admits_incomplete": [
        _I
        + r"\s+"
        + _NEG
        + r"\s+(?:manage to\s+|get to\s+|have time to\s+|been able to\s+)?(?:finish(?:ed)?|complete(?:d)?|deliver(?:ed)?|"
        r"do|done|make|made|start(?:ed)?)\b",
        r"\b(?:not|isn'?t|aren'?t|wasn'?t)\s+(?:yet\s+)?(?:finished|completed|done|started|ready)\b",
        r"\b(?:have|had|need) to (?:leave|quit|drop|stop|step away from|pull out of)\b",
        r"\b(?:i'?m|i am) (?:out|quitting|dropping out|leaving the project)\b",
        r"\b(?:the )?(?:rest|remaining|last \w+) (?:will not|won'?t|never) (?:come|be (?:done|delivered))",
        r"\bonly (?:got|managed|finished|completed|did) \w+ (?:of|out of)\b",
    ],
    "admits_not_own": [
        _I
        + r"[^.?!]{0,40}?\b(?:used|use|ran|run|put|generated|wrote|fed)\b[^.?!]{0,40}\b(?:ai|chat ?gpt|gpt|google translate|deepl|"
        r"machine translation|(?:an?|the|some) (?:\w+ )?(?:template|theme)s?|stock|midjourney)\b",
        r"\b(?:bought|purchased|downloaded|licensed)\s+(?:a|the)\s+(?:\w+\s+)?(?:theme|template)\b",
        r"\b(?:they|these|those|it|(?:all|both) \w+|the \w+)\s+(?:are|is|were|was)\s+(?:\w+\s+)?(?:ai|chat ?gpt|gpt|machine)"
        r"[- ](?:drafts?|generated|written|translated|"
        r"translations?|output|texts?)\b",
        r"\b(?:is|was|were|are)n'?t (?:my|our) own\b|\bnot (?:my|our) own (?:work|photos|writing|design)",
        r"\b(?:my|an) (?:assistant|subcontractor|team member) (?:did|made|wrote|shot)\b",
    ],
    "wants_to_end": [
        r"\b(?:cancel|cancelling|canceling|terminate|terminating|end|ending|close|closing)\b[^.?!]{0,25}"
        r"\b(?:contract|order|project|job|this|it|gig|thing|everything|booking|work)\b",
        r"\bplease cancel\b|\blet'?s (?:stop|end) (?:here|this)\b|\bstop (?:all )?(?:the )?work\b",
        r"\bpart ways\b|\bi want out\b|\bcan'?t continue\b|\bnot continue\b|\bwe'?ll stop here\b",
        r"\b(?:rather|prefer to|want to|decided to) (?:not go ahead|not proceed|not continue|stop)\b|"
        r"\bnot (?:go|going) ahead\b|\b(?:don'?t|do not) want to (?:continue|proceed|go ahead)\b",
    ],
    "purpose_lapsed": [
        r"\b(?:event|show|launch|wedding|festival|conference|fair|expo|season|sale|campaign|holiday|party|opening)\b"
        r"[^.?!]{0,30}\b(?:is|was|has|have|already)\s+(?:been\s+)?(?:over|passed|gone|finished|ended|cancelled|canceled|done)\b",
        r"\b(?:too late|no longer (?:need|needed|useful|of use)|(?:don'?t|do not) need (?:it|them|this) any ?more)\b",
        r"\b(?:missed|after) (?:the|our) (?:event|show|launch|deadline that mattered|print deadline)\b",
        r"\buseless (?:to us )?now\b",
    ],
    "plans_changed": [
        r"\b(?:our|my|the company'?s?) (?:plans|direction|priorities|budget|strategy|needs)\b[^.?!]{0,20}\bchanged\b",
        r"\b(?:change|changed|changing) (?:of )?(?:direction|plans|course)\b|\bdifferent (?:direction|way)\b",
        r"\bnew (?:\w+ )?(?:partner|investor|owner|management|ceo|co-?founder|director|board)\b|\brebrand|\brestructur",
        r"\bshelved\b|\bon hold\b|\bin-?house\b|\b(?:supplier|client|investor|partner) (?:has )?(?:cancelled|canceled|pulled out)\b",
        r"\b(?:project|launch|product) (?:was|has been|is) (?:cancelled|canceled|scrapped|dropped)\b",
    ],
    "quality_complaint": [
        r"\b(?:don'?t|do not|didn'?t) (?:like|love)\b|\bnot (?:happy|satisfied) with\b",
        r"\b(?:blurry|blurred|terrible|awful|horrible|amateur(?:ish)?|unprofessional|poor quality|low quality|sloppy|"
        r"muddy|distorted|out of focus|washed out|ugly|unusable)\b",
        r"\bnot what (?:i|we) (?:expected|wanted|asked for)\b|\blooks? (?:cheap|bad|off|wrong)\b|\bhate (?:it|them|this|the)\b",
        r"\bsounds? (?:bad|off|terrible|awful|robotic)\b|\bquality is\b",
    ],
    "authenticity_claim": [
        r"\b(?:ai|chat ?gpt|gpt)[- ](?:generated|written|made)\b|\bwritten by (?:ai|a bot|chat ?gpt)\b",
        r"\bplagiari[sz]|\bcopyscape\b|\bcopied from\b|\bstolen\b|\b(?:ai|plagiarism) (?:detector|checker|score)\b",
        r"\bmachine[- ]translat|\bgoogle translate\b|\bdeepl\b",
        r"\b(?:is|are|was|were)n'?t (?:your|his|her|their) (?:own )?work\b|\bsomeone else'?s (?:work|portfolio)\b",
        r"\bstock (?:photos?|images?|footage)\b|\btraced\b",
    ],
    "off_brief_agreement": [
        r"\b(?:on|during|in) (?:the|our) (?:call|phone|meeting|zoom|whatsapp|dms?)\b[^.?!]{0,40}\b(?:agreed|promised|said)\b",
        r"\b(?:agreed|promised|said)\b[^.?!]{0,40}\b(?:on|during|in) (?:the|our) (?:call|phone|meeting|zoom|whatsapp|dms?)\b",
        r"\byou promised\b|\bverbal(?:ly)? agree",
    ],
    "hours_claim": [
        r"\b\d+(?:\.\d+)?\s*(?:hours|hrs|h)\b[^.?!]{0,30}\b(?:worked|billed|logged|spent|tracked|of work)\b",
        r"\b(?:worked|billed|logged|spent|tracked)\b[^.?!]{0,20}\b\d+(?:\.\d+)?\s*(?:hours|hrs|days)\b",
        r"\btimesheets?\b|\bhours (?:are|seem|look) (?:too )?(?:high|padded|inflated|wrong)\b|\bdays (?:worked|billed)\b",
    ],
    "approval": [
        r"\bapproved?\b|\blooks? (?:great|good|perfect|amazing|fantastic|fine)\b|\blove (?:it|them|these|this)\b",
        r"\b(?:really |very )?(?:happy|pleased|delighted) with\b|\bgreat (?:job|work)\b|\bperfect,? thank",
        r"\b(?:already )?using (?:it|them|some|the)\b",
    ],
    "materials_missing": [
        r"\b(?:you|client|they)\s+(?:never|didn'?t|did not|haven'?t|have not|still haven'?t)\s+"
        r"(?:send|sent|provide|provided|give|gave|share|shared|supply|supplied)\b",
        r"\bstill waiting (?:for|on) (?:the|your)\b|\bwithout (?:the|your) (?:logins?|access|bios|copy|content|footage|"
        r"files|texts?|materials?|photos)\b",
        r"\bnever (?:received|got) (?:the|your) (?:logins?|access|bios|copy|content|footage|files|texts?|materials?)\b",
    ],
    REPORTS_NOTHING: [
        r"\bnothing (?:is |was )?(?:attached|delivered|received|here|there|uploaded)\b",
        r"\bno (?:files?|work|link|delivery)\b[^.?!]{0,20}\b(?:attached|at all|arrived|received|delivered|here)\b",
        r"\b(?:never|haven'?t|have not|didn'?t) (?:received|got|seen) (?:anything|any (?:files?|work))\b",
    ],
}
_NEGATED = {
    # "I didn't use AI" is a denial, not an admission; "not cancelling" is not wanting out.
    "admits_not_own": re.compile(
        r"\b(?:didn'?t|did not|never|don'?t|do not|no)\s+(?:\w+\s+){0,2}(?:use|used|ran|copy|copied)\b|"
        r"\b(?:not|isn'?t|aren'?t|wasn'?t|weren'?t)\s+(?:\w+\s+){0,2}(?:ai|machine|chat ?gpt)\b|"
        r"\b(?:you think|you say|you claim|you believe|which parts|if you think)\b",
        re.I,
    ),
    "approval": re.compile(r"\b(?:not|never|un)(?:\s+\w+){0,1}\s*(?:approved?|happy|pleased)\b|\bwithout approv", re.I),
    "wants_to_end": re.compile(r"\b(?:not|won'?t|don'?t|do not|refuse to)\s+(?:\w+\s+)?(?:cancel|end|close)\b", re.I),
}
_COMPILED = {k: [re.compile(p, re.I) for p in v] for k, v in _RULES.items()}

# Offers: a refund/keep verb near an amount or a fraction.
_SYMBOLS = {
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "₹": "INR",
    "R$": "BRL",
    "A$": "AUD",
    "CA$": "CAD",
    "C$": "CAD",
    "₱": "PHP",
}
_CODES = ("USD", "EUR", "GBP", "INR", "AUD", "CAD", "ZAR", "BRL", "PHP", "NZD", "CHF", "JPY", "SGD")
_AMOUNT = re.compile(
    r"(?P<sym>CA\$|A\$|C\$|R\$|[$€£₹₱])\s?(?P<n1>\d[\d,]*(?:\.\d+)?)"
    r"|(?P<n2>\d[\d,]*(?:\.\d+)?)\s?(?P<code>" + "|".join(_CODES) + r"|dollars|euros?|pounds|rupees)\b",
    re.I,
)
_FRACTIONS = {
    "half": Decimal("0.5"),
    "a third": Decimal("0.3333"),
    "one third": Decimal("0.3333"),
    "two thirds": Decimal("0.6667"),
    "a quarter": Decimal("0.25"),
    "quarter": Decimal("0.25"),
    "three quarters": Decimal("0.75"),
}
_PCT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s?%")
_REFUND_WORDS = re.compile(r"\b(refund|return|back|give you|send you|reimburse)\w*", re.I)
_KEEP_WORDS = re.compile(r"\b(keep|pay me|pay you|paid|take|i'?ll pay|release|should get|deserve|be paid)\w*", re.I)
_REJECT = re.compile(r"\b(no way|not accept|won'?t accept|refuse|reject|ridiculous|not fair|isn'?t fair)\b", re.I)
_FULL_REFUND = re.compile(
    r"\b(full refund|(?:want|need|demand|request|expect)\w* (?:a|my) refund|(?:all|every (?:penny|cent))[^.?!]{0,20}back|(?:money|everything) back|refund (?:everything|it all|in full))\b",
    re.I,
)


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def read_offer(text: str) -> Offer | None:
    """A proposed division of the money in one message, or None. The refund side is recorded when
    both sides are stated ("I keep $100 and return $50")."""
    if _REJECT.search(text):
        return None
    clauses = re.split(r"(?<=[.!?;])\s+|\s+(?:and|but)\s+", text)
    found: list[Offer] = []
    for clause in clauses:
        refund = bool(_REFUND_WORDS.search(clause))
        keep = bool(_KEEP_WORDS.search(clause))
        if not (refund or keep):
            continue
        m = _AMOUNT.search(clause)
        if m:
            value = _number(m.group("n1") or m.group("n2") or "")
            sym, code = m.group("sym"), (m.group("code") or "").upper()
            cur = _SYMBOLS.get(sym or "") if sym else {"DOLLARS": "USD", "EUROS": "EUR", "EURO": "EUR"}.get(code, code)
            cur = {"POUNDS": "GBP", "RUPEES": "INR"}.get(cur or "", cur)
            if value is not None:
                kind = "refund_to_client" if refund and not (keep and not refund) else "keep_for_freelancer"
                if refund and keep:
                    kind = (
                        "refund_to_client"
                        if _REFUND_WORDS.search(clause[m.start() - 30 if m.start() > 30 else 0 : m.end() + 30])
                        else "keep_for_freelancer"
                    )
                found.append(Offer(kind, value, cur, None))
                continue
        pct = _PCT.search(clause)
        frac = next((v for k, v in _FRACTIONS.items() if re.search(rf"\b{k}\b", clause, re.I)), None)
        share = Decimal(pct.group(1)) / 100 if pct else frac
        if share is not None and 0 < share <= 1:
            found.append(Offer("share_refund", None, None, share if refund and not keep else 1 - share))
    if not found and _FULL_REFUND.search(text):
        found.append(Offer("share_refund", None, None, Decimal(1)))
    if not found:
        return None
    refunds = [o for o in found if o.kind == "refund_to_client"]
    return refunds[0] if refunds else found[0]


class RuleReader:
    """The plainest phrasings of each signal, as patterns; a stand-in for the trained reader."""

    def classify(self, texts: list[str], speakers: list[str]) -> list[MessageSignals]:
        out = []
        for text, who in zip(texts, speakers):
            labels = set()
            for label, patterns in _COMPILED.items():
                if ROLE_ONLY.get(label, who) != who:
                    continue
                if label == REPORTS_NOTHING and who != "client":
                    continue
                if any(p.search(text) for p in patterns):
                    neg = _NEGATED.get(label)
                    if neg is not None and neg.search(text) and label != "approval":
                        continue
                    if label == "approval" and neg is not None and neg.search(text):
                        continue
                    labels.add(label)
            if "authenticity_claim" in labels and "admits_not_own" in labels:
                labels.discard("authenticity_claim")
            offer = read_offer(text)
            if offer is not None:
                labels.add("offer_amount")
            out.append(MessageSignals(frozenset(labels), {k: 1.0 for k in labels}, offer))
        return out


class ConversationReader:
    """The trained classifier when this build has one and an encoder is at hand, else the rules.
    The rules' `reports_nothing_received` is always added (the trained set has no such label)."""

    def __init__(self, encoder_source=None):
        self._encoder_source = encoder_source  # a callable returning the sentence encoder, or None
        self._model = None
        self._tried = False
        self.rules = RuleReader()

    def _trained(self):
        if self._tried:
            return self._model
        self._tried = True
        try:
            from nlp import signals as trained
        except ImportError:
            return None
        try:
            encoder = self._encoder_source() if self._encoder_source else None
            self._model = trained.load_signal_classifier(encoder)
        except Exception as exc:  # the rules still answer
            log.warning("the signal classifier could not be loaded: %s", exc)
            self._model = None
        return self._model

    def classify(self, texts: list[str], speakers: list[str]) -> list[MessageSignals]:
        ruled = self.rules.classify(texts, speakers)
        model = self._trained()
        if model is None:
            return ruled
        try:
            learned = model.classify(texts, speakers)
        except Exception:
            log.exception("signal classification failed; the rules answer")
            return ruled
        out = []
        for mine, theirs in zip(ruled, learned):
            # the trained head reads paraphrases the patterns miss, but its thresholds favour recall: a
            # label that alone can decide a case is taken from it only when it is confident
            scores_in = dict(getattr(theirs, "scores", {}) or {})
            learned_labels = {
                x
                for x in (getattr(theirs, "labels", ()) or ())
                if x not in PATTERNS_ONLY and x != "none" and scores_in.get(x, 1.0) >= CONFIDENT
            }
            labels = learned_labels | set(mine.labels)
            offer = mine.offer or _offer_of(getattr(theirs, "offer", None))
            if offer is None:
                labels.discard("offer_amount")
            scores = dict(getattr(theirs, "scores", {}) or {})
            scores.update({k: 1.0 for k in mine.labels})
            out.append(MessageSignals(frozenset(labels), scores, offer))
        return out


_KINDS = {
    "refund": "refund_to_client",
    "refund_to_client": "refund_to_client",
    "keep": "keep_for_freelancer",
    "keep_for_freelancer": "keep_for_freelancer",
    "split": "share_refund",
    "share_refund": "share_refund",
    "full_refund": "share_refund",
}


def _offer_of(o) -> Offer | None:
    """The trained reader's offer in this module's terms; None when it names no figure or share."""
    if o is None:
        return None
    raw = getattr(o, "kind", None) or getattr(o, "amount_kind", None) or "refund"
    kind = _KINDS.get(str(raw), "refund_to_client")
    amount, currency, share = getattr(o, "amount", None), getattr(o, "currency", None), getattr(o, "share", None)
    if amount is None and share is None:  # a "full refund" with no figure is often a part's ("refund M2 fully")
        return None
    if amount is None and kind != "share_refund":
        kind = "share_refund"
    return Offer(kind, amount, currency, share)
