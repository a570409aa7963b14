"""Deliverables: how many files of the agreed kind arrived, and samples the client approved.

Files are matched to a deliverable by kind, shared out between deliverables of one kind in
brief order, and unreadable files never count. A deliverable whose parts are listed ("three
versions: 10 mobile, 10 desktop and 10 tablet screens") is counted per part, not again.
Weight 5: a missing deliverable must outweigh a cosmetic miss.
"""

from __future__ import annotations

from mediation.i18n import L_, Ln_, Text, join
from mediation.inspection import FileFacts
from nlp.brief import Brief, Requirement
from nlp.numbers import find_numbers

from .clauses import SAMPLE_WORDS, _is_samples, deliverable_category
from .context import Context
from .results import HUMAN, MET, NOT_MET, PARTLY, Check
from .wording import _approvals_phrase, _breakdown, noun


class DeliverableChecks(Context):
    """Counts of deliverables and of approved samples."""

    _shares: dict[int, tuple[int, int, str]]  # requirement id -> (files given to it, files of its kind, kind)

    def _allocate_deliverables(self) -> dict[int, tuple[int, int, str]]:
        """Files of one kind shared out between deliverables of that kind, in brief order.

        Returns requirement id -> (files given to it, files of that kind in all, category).
        """
        shares: dict[int, tuple[int, int, str]] = {}
        left: dict[str, int] = {}
        for r in self.brief.requirements:
            if r.kind != "deliverable" or _is_samples(r) or counts_parts(self.brief, r):
                continue
            cat = deliverable_category(r)
            pool = self._matching(cat)
            if cat not in left:
                left[cat] = len(pool)
            want = r.quantity if r.quantity else left[cat]
            take = min(want, left[cat])
            left[cat] -= take
            shares[r.id] = (take, len(pool), cat)
        for rid, (take, total, cat) in list(shares.items()):
            shares[rid] = (take + (left.get(cat, 0) if _last_of(self.brief, rid, cat) else 0), total, cat)
        return shares

    def _matching(self, category: str) -> list[FileFacts]:
        if category == "any":
            return [f for f in self.good if f.category != "archive"]
        return [f for f in self.good if f.category == category]

    def _deliverable(self, r: Requirement) -> Check:
        parts = counts_parts(self.brief, r)
        if parts:
            names = ", ".join(f"{p.quantity} {p.item}" for p in parts)
            return self._make(r, MET, L_("counted per part: {names}; not counted", names=names), weight_key="price")
        got, _total, cat = self._shares.get(r.id, (0, 0, "any"))
        kind = noun(cat)
        q = r.quantity
        score = None
        if q is None or r.quantity_max:
            verdict = MET if got else NOT_MET
            said: Text = (
                L_("{count} {kind} delivered, up to {most} agreed", count=got, kind=kind, most=q)
                if q
                else L_("{count} {kind} delivered", count=got, kind=kind)
            )
        else:
            verdict = MET if got >= q else PARTLY if got else NOT_MET
            score = min(got / q, 1.0)
            said = L_("{count} of {agreed} {kind} delivered", count=min(got, q), agreed=q, kind=kind)
        breakdown = _breakdown(self._matching(cat))
        if breakdown and got:
            said = join(" ", (said, join("", ("(", breakdown, ")"))))
        notes: list[Text] = [said]
        if q and not r.quantity_max and got > q:
            notes.append(L_("{count} more than agreed", count=got - q))
        notes += self._unreadable_note(cat) + self._approval_note()
        check = self._make(r, verdict, join("; ", notes), score=score)
        if q and not r.quantity_max:
            check.units = (min(got, q), q)
        return check

    def _unreadable_note(self, category: str) -> list[Text]:
        bad = [
            f
            for f in self.bad
            if category == "any" or f.category == category or f.type in ("unknown", "too_large", "empty")
        ]
        if not bad:
            return []
        names = ", ".join(f.name for f in bad[:3]) + (" ..." if len(bad) > 3 else "")
        costly = sum(1 for f in bad if f.unchecked)
        if costly == len(bad):
            return [
                Ln_(
                    "{n} file could not be checked (too costly to read) and is not counted ({names})",
                    "{n} files could not be checked (too costly to read) and are not counted ({names})",
                    len(bad),
                    names=names,
                )
            ]
        return [
            Ln_(
                "{n} file could not be read and is not counted ({names})",
                "{n} files could not be read and are not counted ({names})",
                len(bad),
                names=names,
            )
        ]

    def _samples(self, r: Requirement) -> Check:
        q = r.quantity or 1
        relevant = [a for a in self.approvals if SAMPLE_WORDS.search(a)] or self.approvals
        approved = sum(_approval_count(a) for a in relevant)
        shown = "; ".join(f'"{a}"' for a in relevant)
        if approved >= q:
            return self._make(
                r,
                MET,
                L_("the client approved {approved} of {agreed} samples ({shown})", approved=q, agreed=q, shown=shown),
                weight_key="samples",
            )
        if approved:
            return self._make(
                r,
                PARTLY,
                L_(
                    "the client approved {approved} of {agreed} samples ({shown})",
                    approved=approved,
                    agreed=q,
                    shown=shown,
                ),
                score=approved / q,
                weight_key="samples",
            )
        return self._make(
            r,
            HUMAN,
            L_("no sample approval is recorded: ask the client whether the samples were sent and approved"),
            weight_key="samples",
        )

    def _approval_note(self) -> list[Text]:
        if not self.approvals:
            return []
        return [L_("the client approved {what}", what=_approvals_phrase(self.approvals))]


def counts_parts(brief: Brief, r: Requirement) -> list[Requirement]:
    """The parts a deliverable only counts ("three versions: 10 mobile, 10 desktop and 10 tablet
    screens": the 3 versions are the 3 parts, not 3 more files), else []."""
    if r.kind != "deliverable" or not r.quantity:
        return []
    parts = [
        x
        for x in brief.requirements
        if x.kind == "deliverable" and x.id != r.id and x.text == r.text and x.quantity and x.quantity >= 2
    ]
    return parts if len(parts) >= 2 and r.quantity == len(parts) and r.id < parts[0].id else []


def _last_of(brief: Brief, rid: int, cat: str) -> bool:
    """Whether this is the last deliverable of its kind (it takes any files left over)."""
    ids = [
        r.id
        for r in brief.requirements
        if r.kind == "deliverable" and not _is_samples(r) and deliverable_category(r) == cat
    ]
    return bool(ids) and ids[-1] == rid


def _approval_count(text: str) -> int:
    nums = [n.value for n in find_numbers(text) if float(n.value).is_integer() and n.value < 1000]
    return int(nums[0]) if nums else 1
