"""A case's facts in one place: what the brief promised, what was delivered (by unit and part, per
delivery, files and links), what the client approved, the deadlines, and what each party said in
chat that matters (an admission, an offer, wanting out…).

Proposals, `/assess`, the review deadline and the moderator's case file all read a `Facts`; none
of them recomputes its own version. `gather` is pure (no storage): `settlement.case_facts_of`
reads the stored case and calls it.

Every fact that an outcome can rest on is a `Fact` with a sentence a person can check ("day 15:
the freelancer wrote 'pages 1-8 are done'"), so a proposal cites its facts by quoting them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from nlp.brief import Brief, parse_brief
from nlp.conversation import REPORTS_NOTHING, Offer

from .assessment import (
    HUMAN,
    MET,
    NOT_MET,
    PARTLY,
    Assessment,
    add_working_days,
    deliverable_category,
    parse_deadline_date,
)
from .currency import quantize
from .i18n import L_, N_, Day, Ln_, Money, Msg, Text, en, join, render, said, to_json
from .vocabulary import role_name

URL = re.compile(r"\bhttps?://[^\s<>\"']+|\bwww\.[^\s<>\"']+", re.I)
_DRAFT = re.compile(r"\b(drafts?|samples?|previews?|wip|work in progress|rough cut|first cut|mock-?ups?)\b", re.I)
_PART_APPROVAL = re.compile(
    r"\b(samples?|drafts?|mock-?ups?|previews?|milestones?|week[- ]?\d+|weeks?|phases?|stages?|parts?|batch(?:es)?|"
    r"first|concepts?|sketch(?:es)?|outline|chapters? \d+)\b",
    re.I,
)
_FINAL_APPROVAL = re.compile(
    r"\b(final|everything|all (?:the )?(?:files|work|photos|pages|images)|whole|complete)\b", re.I
)
_MILESTONE_NOUN = re.compile(
    r"\b(milestones?|weeks?|weekly|phases?|stages?|instal?lments?|episodes?|sprints?|batch(?:es)?)\b", re.I
)
_NUM = r"(\d{1,3}(?:,\d{3})+|\d{1,6})"
_N_OF_M = re.compile(rf"\b{_NUM}\s*(?:of|out of|/)\s*(?:the\s+)?{_NUM}\b", re.I)
_RANGE = re.compile(r"\b([a-z]+)\s+(\d{1,4})\s*(?:-|–|to)\s*(\d{1,4})\b", re.I)
_MONEY_BACK = re.compile(
    r"(?:money[- ]back|refund|return (?:your|the) (?:money|payment)|give (?:you )?(?:your|the) money back)[^.]{0,80}"
    r"\b(?:if|unless|when)\b[^.]{0,60}\b(?:not|don'?t|do not|doesn'?t|isn'?t|unhappy|dissatisfied)\b"
    r"|\b(?:if|when)\b[^.]{0,60}\b(?:don'?t|do not|doesn'?t|not)\s+(?:like|love|happy|satisfied)[^.]{0,80}"
    r"(?:money[- ]back|refund|return (?:your|the) (?:money|payment)|(?:your|the) money back)",
    re.I,
)
_NON_REFUNDABLE = re.compile(
    r"(\d{1,3})\s?%[^.]{0,40}\bnon-?refundable\b|\bnon-?refundable\b[^.]{0,40}?(\d{1,3})\s?%", re.I
)
_TRANSLATE = re.compile(r"\btranslat\w*\b[^.]{0,120}?\b(?:into|to)\s+([A-Z][a-z]+)", re.I)
_MEASURE = re.compile(
    r"(?:mm|cm|px|pt|dpi|ppi|gsm|kb|mb|gb|in|inch(?:es)?|hours?|minutes?|seconds?)\b", re.I
)  # "3 mm bleed"
_PER_UNIT = re.compile(r"(?:per|each|a|/)\s*([a-z][a-z-]+)", re.I)


@dataclass(frozen=True)
class Fact:
    """One checkable statement an outcome rests on; `source` is brief, files, delivery, approval,
    chat or deadline."""

    key: str
    text: Text  # worded for each reader
    source: str
    day: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", said(self.text))

    def __str__(self) -> str:
        return render(self.text)


@dataclass(frozen=True)
class DeliveryFacts:
    id: int
    day: float | None
    note: str
    files: int
    links: tuple[str, ...] = ()
    draft: bool = False

    @property
    def file_less(self) -> bool:
        return self.files == 0


@dataclass(frozen=True)
class ApprovalFacts:
    text: str
    day: float | None
    whole: bool  # of the work as a whole, not of a sample, draft or milestone


@dataclass(frozen=True)
class SignalFacts:
    """A signal read from a party's chat message, kept as evidence with its quote and day."""

    role: str
    label: str
    quote: str
    day: float | None
    offer: Offer | None = None
    seq: int = 0


@dataclass(frozen=True)
class Units:
    """A countable part of the brief: how many were agreed, how many usable arrived, at what price."""

    what: Text
    agreed: int
    delivered: int
    unit_price: Decimal | None
    evidence: Text

    def __post_init__(self) -> None:
        object.__setattr__(self, "what", said(self.what))
        object.__setattr__(self, "evidence", said(self.evidence))

    @property
    def share_delivered(self) -> float:
        return min(1.0, self.delivered / self.agreed) if self.agreed else 0.0


@dataclass
class Facts:
    amount: Decimal
    currency: str
    brief: Brief | None
    deliveries: list[DeliveryFacts] = field(default_factory=list)
    approvals: list[ApprovalFacts] = field(default_factory=list)
    signals: list[SignalFacts] = field(default_factory=list)
    assessment: Assessment | None = None
    units: Units | None = None
    money_back_promise: str | None = None
    non_refundable_share: Decimal | None = None
    deadline_at: datetime | None = None
    deadline_passed: bool = False
    delivered_late: bool | None = None
    target_language: str | None = None
    delivered_languages: list[str] = field(default_factory=list)
    scope_requests: int = 0
    hourly: bool = False
    now: datetime | None = None
    notes: list[Text] = field(default_factory=list)

    # -- the questions the decision table asks

    def said(self, label: str, role: str | None = None) -> list[SignalFacts]:
        return [x for x in self.signals if x.label == label and (role is None or x.role == role)]

    @property
    def has_files(self) -> bool:
        return any(d.files for d in self.deliveries)

    @property
    def file_less_only(self) -> bool:
        return bool(self.deliveries) and not self.has_files

    @property
    def client_reports_nothing(self) -> bool:
        return bool(self.said(REPORTS_NOTHING, "client"))

    @property
    def approved_whole(self) -> list[ApprovalFacts]:
        return [a for a in self.approvals if a.whole]

    @property
    def confirmed(self) -> bool:
        """The client acknowledged the work arrived: an approval, or approving words in chat."""
        return bool(self.approvals) or bool(self.said("approval", "client"))

    @property
    def nothing_delivered(self) -> bool:
        if not self.deliveries:
            return True
        return self.file_less_only and self.client_reports_nothing and not self.confirmed

    @property
    def checks(self):
        return [c for c in (self.assessment.checks if self.assessment else []) if c.counted]

    @property
    def all_checkable_met(self) -> bool:
        checks = self.checks
        return bool(checks) and all(c.verdict == MET for c in checks)

    @property
    def all_checkable_failed(self) -> bool:
        checks = self.checks
        return len(checks) >= 2 and all(c.verdict == NOT_MET for c in checks)

    @property
    def unmet_checks(self):
        return [c for c in self.checks if c.verdict in (NOT_MET, PARTLY)]

    @property
    def only_lateness_unmet(self) -> bool:
        unmet = self.unmet_checks
        return bool(unmet) and all(c.kind == "deadline" for c in unmet)

    @property
    def human_checks(self):
        return [c for c in (self.assessment.checks if self.assessment else []) if c.verdict == HUMAN]

    @property
    def wrong_language(self) -> bool:
        return bool(
            self.target_language
            and self.delivered_languages
            and all(lang != self.target_language for lang in self.delivered_languages)
        )

    @property
    def complete(self) -> bool:
        """What the review deadline asks: do the facts show the delivery complete?"""
        if not self.deliveries or self.nothing_delivered:
            return False
        if self.units is not None and self.units.delivered < self.units.agreed:
            return False
        if self.said("admits_incomplete", "freelancer") or self.wrong_language:
            return False
        if self.approved_whole:
            return True
        return self.has_files and self.all_checkable_met and not self.file_less_only

    def latest_offer(self, role: str) -> SignalFacts | None:
        offers = [x for x in self.said("offer_amount", role) if x.offer is not None]
        return offers[-1] if offers else None

    def offer_refund(self, sig: SignalFacts | None) -> Decimal | None:
        """The client refund an offer stands for, in the case currency; None when it cannot be read
        (another currency, no figure, or outside 0..amount)."""
        if sig is None or sig.offer is None:
            return None
        o = sig.offer
        value: Decimal | None = None
        if o.amount is not None:
            if o.currency and o.currency.upper() != self.currency:
                return None
            value = Decimal(o.amount) if o.kind != "keep_for_freelancer" else self.amount - Decimal(o.amount)
        elif o.share is not None:
            value = self.amount * Decimal(o.share)
        if value is None or value < 0 or value > self.amount:
            return None
        return quantize(value, self.currency)

    # -- evidence sentences

    def fact(self, key: str) -> list[Fact]:
        return FACTS.get(key, lambda f: [])(self)

    def summary(self) -> list[Text]:
        out: list[Text] = []
        for key in ("deliveries", "units", "approvals", "deadline", "language", "promise", "signals"):
            out += [f.text for f in self.fact(key)]
        return out

    def to_data(self) -> dict:
        u = self.units
        return {
            "deliveries": [
                {"id": d.id, "day": d.day, "note": d.note, "files": d.files, "links": list(d.links), "draft": d.draft}
                for d in self.deliveries
            ],
            "units": None
            if u is None
            else {
                "what": en(u.what),
                "agreed": u.agreed,
                "delivered": u.delivered,
                "unit_price": None if u.unit_price is None else str(u.unit_price),
                "evidence": en(u.evidence),
            },
            "approvals": [{"text": a.text, "day": a.day, "whole": a.whole} for a in self.approvals],
            "signals": [{"role": x.role, "label": x.label, "quote": x.quote, "day": x.day} for x in self.signals],
            "deadline": None if self.deadline_at is None else self.deadline_at.isoformat(),
            "deadline_passed": self.deadline_passed,
            "delivered_late": self.delivered_late,
            "money_back_promise": self.money_back_promise,
            "non_refundable_share": None if self.non_refundable_share is None else str(self.non_refundable_share),
            "target_language": self.target_language,
            "delivered_languages": list(self.delivered_languages),
            "complete": self.complete,
            "summary": [en(x) for x in self.summary()],
            "summary_text": [to_json(x) for x in self.summary()],
        }


def _on(day: float | None, fact: Text) -> Text:
    """A fact with the day of the contract it happened on ("day 15: ...")."""
    return fact if day is None else L_("day {day}: {fact}", day=f"{day:g}", fact=fact)


def _q(text: str, limit: int = 90) -> str:
    text = " ".join(str(text).split())
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


def _deliveries_facts(f: Facts) -> list[Fact]:
    if not f.deliveries:
        return [Fact("nothing_delivered", L_("nothing has been delivered on the case"), "delivery")]
    out = []
    for d in f.deliveries:
        files = Ln_("{n} file", "{n} files", d.files) if d.files else L_("no files")
        what: Text = (
            L_("{files} and {links}", files=files, links=Ln_("{n} link", "{n} links", len(d.links)))
            if d.links
            else files
        )
        note: Text = _q(d.note, 70) if d.note else L_("(no note)")
        said = (
            L_("a draft with {what}: {note}", what=what, note=note)
            if d.draft
            else L_("a delivery with {what}: {note}", what=what, note=note)
        )
        out.append(Fact("delivery", _on(d.day, said), "delivery", d.day))
    if f.file_less_only:
        out.append(
            Fact(
                "file_less",
                L_(
                    "the work was delivered without files (a link, a build, a video or a note), which files cannot show"
                ),
                "delivery",
            )
        )
    return out


def _units_facts(f: Facts) -> list[Fact]:
    u = f.units
    if u is None:
        return []
    if u.unit_price is not None:
        said = L_(
            "{delivered} of {agreed} {what} delivered at {price} each ({evidence})",
            delivered=u.delivered,
            agreed=u.agreed,
            what=u.what,
            price=Money(u.unit_price, f.currency),
            evidence=u.evidence,
        )
    else:
        said = L_(
            "{delivered} of {agreed} {what} delivered ({evidence})",
            delivered=u.delivered,
            agreed=u.agreed,
            what=u.what,
            evidence=u.evidence,
        )
    return [Fact("units", said, "files")]


def _approval_facts(f: Facts) -> list[Fact]:
    return [
        Fact("approval", _on(a.day, L_("the client approved {what}", what=_q(a.text, 60))), "approval", a.day)
        for a in f.approvals
    ]


def _deadline_facts(f: Facts) -> list[Fact]:
    out = []
    if f.deadline_at is not None:
        date = Day(f.deadline_at.date())
        said = (
            L_("the deadline ({date}) has passed", date=date)
            if f.deadline_passed
            else L_("the deadline ({date}) has not passed yet", date=date)
        )
        out.append(Fact("deadline", said, "deadline"))
    if f.delivered_late:
        out.append(Fact("late", L_("the last delivery came after the deadline"), "deadline"))
    return out


def _language_facts(f: Facts) -> list[Fact]:
    if not f.target_language:
        return []
    if f.wrong_language:
        got = ", ".join(sorted(set(f.delivered_languages)))
        return [
            Fact(
                "wrong_language",
                L_(
                    "the brief asks for text in '{wanted}' but the delivered text reads as '{got}'",
                    wanted=f.target_language,
                    got=got,
                ),
                "files",
            )
        ]
    return []


def _promise_facts(f: Facts) -> list[Fact]:
    out = []
    if f.money_back_promise:
        out.append(
            Fact(
                "money_back",
                L_("the brief promises the money back: {promise}", promise=_q(f.money_back_promise)),
                "brief",
            )
        )
    if f.non_refundable_share is not None:
        out.append(
            Fact(
                "non_refundable",
                L_("the brief makes {share}% non-refundable", share=f"{f.non_refundable_share * 100:.0f}"),
                "brief",
            )
        )
    return out


# what a chat message says, by signal: "the {role} {says}: “...”"
_SAYS = {
    "admits_incomplete": N_("the {role} admits the work is not finished: {quote}"),
    "admits_not_own": N_("the {role} admits the work is not their own: {quote}"),
    "offer_amount": N_("the {role} offers a split: {quote}"),
    "wants_to_end": N_("the {role} wants to end the contract: {quote}"),
    "purpose_lapsed": N_("the {role} says the purpose of the work has passed: {quote}"),
    "plans_changed": N_("the {role} says the client's own plans changed: {quote}"),
    "quality_complaint": N_("the {role} complains about quality or taste: {quote}"),
    "authenticity_claim": N_("the {role} claims the work is not the freelancer's own: {quote}"),
    "off_brief_agreement": N_("the {role} claims an agreement outside the brief: {quote}"),
    "hours_claim": N_("the {role} disputes the hours or days worked: {quote}"),
    "approval": N_("the {role} approves the work: {quote}"),
    "request_beyond": N_("the {role} asks for more than the brief: {quote}"),
    "materials_missing": N_("the {role} says the client's materials never came: {quote}"),
    REPORTS_NOTHING: N_("the {role} says nothing arrived: {quote}"),
}


def signal_fact(x: SignalFacts) -> Fact:
    said = _SAYS.get(x.label)
    text = (
        Msg(said, (("role", role_name(x.role)), ("quote", _q(x.quote))))
        if said
        else L_("the {role} {label}: {quote}", role=role_name(x.role), label=x.label, quote=_q(x.quote))
    )
    return Fact(x.label, _on(x.day, text), "chat", x.day)


def _signal_facts(f: Facts) -> list[Fact]:
    return [signal_fact(x) for x in f.signals]


FACTS = {
    "deliveries": _deliveries_facts,
    "units": _units_facts,
    "approvals": _approval_facts,
    "deadline": _deadline_facts,
    "language": _language_facts,
    "promise": _promise_facts,
    "signals": _signal_facts,
}


# --- reading the brief ------------------------------------------------------------------------


def money_back_promise(text: str) -> str | None:
    m = _MONEY_BACK.search(text or "")
    if not m:
        return None
    start = text.rfind(".", 0, m.start()) + 1
    end = text.find(".", m.end())
    return text[start : end if end > 0 else len(text)].strip().strip("'\"")


def non_refundable_share(text: str) -> Decimal | None:
    m = _NON_REFUNDABLE.search(text or "")
    if not m:
        return None
    pct = Decimal(m.group(1) or m.group(2))
    return pct / 100 if 0 < pct < 100 else None


def target_language(text: str) -> str | None:
    from nlp.language import language_code

    m = _TRANSLATE.search(text or "")
    return language_code(m.group(1)) if m else None


def deadline_of(brief: Brief, agreed_at: datetime | None) -> datetime | None:
    """The final deadline the brief sets (the latest one it names), from the agreement time."""
    if agreed_at is None:
        return None
    dues = []
    for r in brief.of_kind("deadline"):
        if r.deadline_days:
            start = agreed_at
            due = (
                add_working_days(start, r.deadline_days) if r.working_days else start + timedelta(days=r.deadline_days)
            )
            dues.append(due.replace(hour=23, minute=59, second=59))
        elif r.deadline_date:
            d = parse_deadline_date(r.deadline_date, agreed_at)
            if d:
                dues.append(datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=agreed_at.tzinfo))
    for m in re.finditer(
        r"\b(?:final )?deadline(?: is| of)?\s+day\s+(\d{1,4})\b|\bby day\s+(\d{1,4})\b", brief.text, re.I
    ):
        n = int(m.group(1) or m.group(2))
        dues.append((agreed_at + timedelta(days=n)).replace(hour=23, minute=59, second=59))
    return max(dues) if dues else None


def _unit_price(brief: Brief, quantity: int, amount: Decimal) -> Decimal | None:
    """A price in the brief that, times the agreed quantity, makes the contract amount."""
    for r in brief.of_kind("price"):
        try:
            p = Decimal(str(r.amount))
        except Exception:
            continue
        if p > 0 and quantity and abs(p * quantity - amount) <= amount * Decimal("0.02"):
            return p
    return None


def _per_part_units(brief: Brief, amount: Decimal, checks: dict, deliveries: list[DeliveryFacts]) -> list[Units]:
    """Parts counted in one sentence ("three versions: 10 mobile, 10 desktop and 10 tablet screens")
    add up to one countable whole; a count that only says how many parts there are is left out."""
    if not any(d.files for d in deliveries):
        return []
    by_clause: dict[str, list] = {}
    for r in brief.of_kind("deliverable"):
        if r.quantity and r.quantity >= 2 and not r.quantity_max and not _MILESTONE_NOUN.search(r.item or ""):
            by_clause.setdefault(r.text, []).append(r)
    out = []
    for parts in by_clause.values():
        if len(parts) < 2:
            continue
        counters = [r for r in parts if r.quantity == len(parts) - 1]
        if not counters or len(parts) < 3:
            continue  # parts add up only when the brief says how many parts there are
        parts = [r for r in parts if r is not counters[0]]
        if len({deliverable_category(r) for r in parts}) != 1 or deliverable_category(parts[0]) == "any":
            continue
        found = [c for c in (checks.get(r.id) for r in parts) if c is not None and c.units]
        if len(found) != len(parts):
            continue
        agreed = sum(r.quantity for r in parts)
        got = sum(c.units[0] for c in found)
        names = ", ".join(f"{r.quantity} {r.item}" for r in parts)
        out.append(
            Units(
                L_("units ({names})", names=names),
                agreed,
                got,
                _unit_price(brief, agreed, amount),
                L_("counted per part"),
            )
        )
    return out


def _funded_milestones(brief: Brief, quantity: int, amount: Decimal) -> tuple[Decimal | None, int | None]:
    """A milestone price that divides the amount held into fewer milestones than agreed."""
    for r in brief.of_kind("price"):
        try:
            p = Decimal(str(r.amount))
        except Exception:
            continue
        if 0 < p < amount:
            k = amount / p
            if k == k.to_integral_value() and 1 <= int(k) < quantity:
                return p, int(k)
    return None, None


# --- counting units -----------------------------------------------------------------------------


def _noun(item: str | None) -> str:
    words = re.findall(r"[a-z]+", (item or "").lower())
    return words[-1] if words else "items"


def _stem(word: str) -> str:
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def _said_count(texts: list[str], agreed: int, noun: str) -> int | None:
    """The largest 'N of M' (M the agreed count) or 'pages 1-8' the freelancer's notes and messages
    state for this part."""
    best = None
    for t in texts:
        for m in _N_OF_M.finditer(t):
            n, total = int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))
            if total == agreed and n <= agreed:
                best = max(best or 0, n)
        for m in _RANGE.finditer(t):
            if _stem(m.group(1).lower()) == _stem(noun):
                a, b = int(m.group(2)), int(m.group(3))
                if 1 <= a <= b <= agreed:
                    best = max(best or 0, b - a + 1)
    return best


def count_units(
    brief: Brief,
    amount: Decimal,
    assessment: Assessment | None,
    deliveries: list[DeliveryFacts],
    approvals: list[ApprovalFacts],
    freelancer_texts: list[str],
) -> Units | None:
    """The countable part of the brief that best measures what arrived, or None.

    Parts are the brief's deliverables with a count (per-part counts add up when they share a
    kind), milestones and a word or page length. Delivered units come from the files (only those
    that pass the size checks count as usable), from milestone deliveries and approvals, or from
    what the freelancer states ("8 of 10", "pages 1-8"), whichever the case has."""
    candidates: list[Units] = []
    checks = {c.id: c for c in (assessment.checks if assessment else [])}
    texts = [d.note for d in deliveries] + freelancer_texts
    usable_cap = None
    for c in checks.values():
        if c.kind in ("dimensions", "format") and c.units and c.verdict in (PARTLY, NOT_MET):
            usable_cap = c.units if usable_cap is None or c.units[0] < usable_cap[0] else usable_cap
    for r in brief.of_kind("deliverable"):
        if not r.quantity or r.quantity < 2 or r.quantity_max or _MEASURE.match(r.item or ""):
            continue
        noun = _noun(r.item)
        price = _unit_price(brief, r.quantity, amount)
        if _MILESTONE_NOUN.search(r.item or ""):
            agreed = r.quantity
            funded_note: Text = ""
            if price is None:  # only some milestones funded: the amount held is k of them at the brief's price
                price, funded = _funded_milestones(brief, r.quantity, amount)
                if price is not None and funded:
                    agreed, funded_note = funded, L_("{funded} of {agreed} funded", funded=funded, agreed=r.quantity)
            approved = sum(1 for a in approvals if _MILESTONE_NOUN.search(a.text) or re.search(r"\bM\d+\b", a.text))
            done = approved or len([d for d in deliveries if not d.draft])
            candidates.append(
                Units(
                    r.item or noun,
                    agreed,
                    min(done, agreed),
                    price,
                    join(
                        "; ",
                        [
                            *([funded_note] if funded_note else []),
                            L_(
                                "{approved} approved, {delivered} delivered",
                                approved=approved,
                                delivered=len(deliveries),
                            ),
                        ],
                    ),
                )
            )
            continue
        said = _said_count(texts, r.quantity, noun)
        counted = checks.get(r.id)
        if said is not None:
            candidates.append(Units(r.item or noun, r.quantity, said, price, L_("as the freelancer states it")))
        elif (
            counted is not None
            and counted.units
            and any(d.files for d in deliveries)
            and deliverable_category(r) != "any"
        ):
            got = counted.units[0]
            counted_note: Text = L_("{count} counted in the files", count=got)
            if usable_cap and usable_cap[1] >= got and usable_cap[0] < got:
                counted_note = L_(
                    "{count} counted in the files, of which {usable} pass the size and format checks",
                    count=got,
                    usable=usable_cap[0],
                )
                got = usable_cap[0]
            candidates.append(Units(r.item or noun, r.quantity, got, price, counted_note))
    candidates += _per_part_units(brief, amount, checks, deliveries)
    for c in checks.values():
        if c.kind == "length" and c.units and c.units[1] >= 100 and any(d.files for d in deliveries):
            got, agreed = c.units
            price = _unit_price(brief, agreed, amount)
            unit = L_("words") if "word" in c.text.lower() else L_("pages")
            candidates.append(Units(unit, agreed, got, price, c.evidence))
    if not candidates:
        return None
    # a part with a unit price measures the money best; then one that arrived in part
    partial = [u for u in candidates if 0 < u.delivered < u.agreed]
    priced = [u for u in candidates if u.unit_price is not None]
    for pool in ([u for u in priced if u in partial], partial, priced, candidates):
        if pool:
            return max(pool, key=lambda u: u.agreed)
    return None


# --- gathering ------------------------------------------------------------------------------------


def gather(
    *,
    amount: Decimal,
    currency: str,
    brief_text: str | None,
    agreed_at: datetime | None,
    now: datetime,
    deliveries: list[DeliveryFacts],
    approvals: list[ApprovalFacts],
    signals: list[SignalFacts],
    assessment: Assessment | None,
    freelancer_texts: Sequence[str] = (),
    delivered_at: datetime | None = None,
    scope_requests: int = 0,
) -> Facts:
    brief = parse_brief(brief_text) if brief_text else None
    f = Facts(amount=Decimal(amount), currency=currency, brief=brief, now=now, scope_requests=scope_requests)
    f.deliveries = list(deliveries)
    with_files = [d for d in deliveries if d.files] or list(deliveries)
    finals = [d.day for d in with_files if not d.draft and d.day is not None]
    last = max(finals) if finals else None
    # an approval covers the work as a whole only when it came after the last (non-draft) delivery
    f.approvals = [
        a if not a.whole or last is None or a.day is None or a.day >= last else ApprovalFacts(a.text, a.day, False)
        for a in approvals
    ]
    f.signals = list(signals)
    f.assessment = assessment if any(d.files for d in deliveries) else None
    if brief is None:
        f.notes.append(L_("no agreed brief: nothing can be checked against it"))
        return f
    f.money_back_promise = money_back_promise(brief.text)
    f.non_refundable_share = non_refundable_share(brief.text)
    f.target_language = target_language(brief.text)
    f.hourly = any(r.per in ("hour", "day") for r in brief.of_kind("price"))
    f.deadline_at = deadline_of(brief, agreed_at)
    if f.deadline_at is not None:
        f.deadline_passed = now > f.deadline_at
        if delivered_at is not None and deliveries:
            f.delivered_late = delivered_at > f.deadline_at
    if f.assessment is not None:
        f.delivered_languages = [
            leaf.language
            for file in f.assessment.files
            for leaf in file.leaves()
            if leaf.language and leaf.category in ("document", "data")
        ]
    f.units = count_units(brief, f.amount, f.assessment, f.deliveries, f.approvals, list(freelancer_texts))
    return f


def approval_facts(text: str, day: float | None) -> ApprovalFacts:
    whole = bool(_FINAL_APPROVAL.search(text)) or not _PART_APPROVAL.search(text)
    return ApprovalFacts(text, day, whole)


_SUPERSEDED = re.compile(r"\b(drafts?|rough cut|first cut|wip|work in progress|mock-?ups?|previews?)\b", re.I)


def is_draft(note: str) -> bool:
    return bool(_DRAFT.search(note or ""))


def is_superseded_draft(note: str) -> bool:
    """A draft a later final replaces (its words are not added to the final's); samples are not:
    they are part of the agreed count."""
    return bool(_SUPERSEDED.search(note or ""))


def delivery_facts(id_: int, day: float | None, note: str, files: int) -> DeliveryFacts:
    links = tuple(URL.findall(note or ""))
    return DeliveryFacts(id_, day, note or "", files, links, is_draft(note))
