"""The state one assessment needs and the helpers every kind of check shares.

Each kind of requirement has its own module with a mixin of `Context`; `run` puts them
together. Here: the files split into readable and unreadable, the dates and approvals, how a
`Check` is made, and how many passing files are enough (format, size and colour checks pass
when enough files pass to cover the agreed count: extra files beyond it are reported, not held
against the delivery).
"""

from __future__ import annotations

from mediation.i18n import L_, Text
from mediation.inspection import FileFacts, problem_text
from nlp.brief import Brief, Requirement

from .clauses import FORMAT_CATEGORY, _is_samples, deliverable_category, requirement_label
from .results import MET, NOT_MET, PARTLY, WEIGHTS, Check


class Context:
    """The state one assessment needs: files by kind, approvals, dates."""

    def __init__(self, brief: Brief, files: list[FileFacts], delivered_at, agreed_at, approvals: list[str]):
        self.brief = brief
        self.files = files
        self.leaves = [leaf for f in files for leaf in f.leaves()]
        self.good = [f for f in self.leaves if f.readable]
        self.bad = [f for f in self.leaves if not f.readable]
        self.delivered_at = delivered_at
        self.agreed_at = agreed_at
        self.approvals = approvals

    def _make(
        self,
        r: Requirement,
        verdict: str,
        evidence: Text,
        score: float | None = None,
        weight_key: str | None = None,
        label_: Text | None = None,
    ) -> Check:
        if score is None:
            score = {MET: 1.0, NOT_MET: 0.0, PARTLY: 0.5}.get(verdict)
        return Check(
            id=r.id,
            kind=r.kind,
            text=r.text,
            label=label_ or requirement_label(r),
            verdict=verdict,
            evidence=evidence,
            weight=WEIGHTS.get(weight_key or r.kind, 1.0),
            score=score,
        )

    def _settle(self, ok: int, total: int, cats: set[str] | None) -> tuple[str, float]:
        """Verdict and score when `ok` of `total` files pass: enough passing files to cover the
        agreed count is a pass even if extra files do not."""
        need = self._need(cats) if cats else None
        base = min(need, total) if need else total
        score = min(ok / base, 1.0) if base else 0.0
        return (MET if score == 1 else PARTLY if ok else NOT_MET), score

    def _need(self, cats: set[str]) -> int | None:
        """How many files of these kinds the brief asks for (None when it gives no count)."""
        counts = [
            r.quantity
            for r in self.brief.requirements
            if r.kind == "deliverable"
            and not _is_samples(r)
            and r.quantity
            and not r.quantity_max
            and deliverable_category(r) in cats
        ]
        return sum(counts) if counts else None

    def _target(self, r: Requirement, allowed: set[str]) -> set[str]:
        """Which of the `allowed` kinds of file a clause is about: from the formats named in the
        same clause, else from the brief's deliverables, else all of them."""
        cats = {c for f in self._clause_formats(r) if (c := FORMAT_CATEGORY.get(f)) is not None} & allowed
        if not cats:
            cats = {
                deliverable_category(x)
                for x in self.brief.requirements
                if x.kind == "deliverable" and not _is_samples(x)
            } & allowed
        return cats or set(allowed)

    def _clause_formats(self, r: Requirement) -> list[str]:
        return [f for x in self.brief.requirements if x.text == r.text for f in (getattr(x, "formats", []) or [])]

    def notes(self) -> list[Text]:
        out: list[Text] = []
        if not self.files:
            out.append(L_("empty delivery: no files were given"))
        for f in self.files:
            for p in f.problems:
                out.append(L_("{name}: {problem}", name=f.name, problem=problem_text(p)))
            for m in f.members:
                for leaf in m.leaves():
                    for p in leaf.problems:
                        out.append(L_("{name}: {problem}", name=f"{f.name} > {leaf.name}", problem=problem_text(p)))
        return out
