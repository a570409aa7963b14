"""What an assessment produces: one `Check` per requirement, the `Assessment` that gathers them,
the four verdicts and the weights coverage is built from.

Shared by every check module, and by `mediation.facts` and `mediation.settlement`, which read
the verdicts without running a check.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mediation.inspection import FileFacts
from mediation.vocabulary import ReplyKind

from .wording import _file_summary

MET, PARTLY, NOT_MET, HUMAN = "met", "partly_met", "not_met", "needs_human"
VERDICTS = (MET, PARTLY, NOT_MET, HUMAN)
MARK = {MET: "✓", PARTLY: "~", NOT_MET: "✗", HUMAN: "?"}

WEIGHTS = {
    "deliverable": 5.0,
    "samples": 1.0,
    "length": 3.0,
    "format": 2.0,
    "dimensions": 2.0,
    "deadline": 2.0,
    "colour": 1.0,
    "quality": 1.0,
    "exclusion": 0.0,
    "price": 0.0,
    "usage": 0.0,
    "revisions": 0.0,
    "other": 1.0,
}


@dataclass
class Check:
    """The verdict on one requirement and the evidence behind it."""

    id: int
    kind: str
    text: str
    label: str
    verdict: str
    evidence: str
    weight: float
    score: float | None = None
    units: tuple[int, int] | None = None  # (usable, agreed) when the check counts units

    @property
    def counted(self) -> bool:
        return self.weight > 0 and self.verdict != HUMAN

    def to_data(self) -> dict:
        return {
            "id": self.id,
            "text": self.text,
            "kind": self.kind,
            "verdict": self.verdict,
            "evidence": self.evidence,
            "label": self.label,
            "weight": self.weight,
            "counted": self.counted,
            "units": list(self.units) if self.units else None,
        }


@dataclass
class Assessment:
    """Every requirement with its verdict, the coverage score, timing and file facts."""

    checks: list[Check]
    coverage: float | None
    on_time: bool | None
    files: list[FileFacts]
    notes: list[str] = field(default_factory=list)
    approvals: list[str] = field(default_factory=list)

    def of_verdict(self, verdict: str) -> list[Check]:
        return [c for c in self.checks if c.verdict == verdict]

    def verdicts(self) -> list[tuple[str, str, str]]:
        """(label, kind, verdict) of the counted and the human-judged requirements; terms left
        out of coverage are left out here too, so they cannot inflate a score built from this."""
        return [(c.label, c.kind, c.verdict) for c in self.checks if c.counted or c.verdict == HUMAN]

    def to_data(self) -> dict:
        return {
            "type": ReplyKind.ASSESSMENT,
            "requirements": [c.to_data() for c in self.checks],
            "coverage": self.coverage,
            "on_time": self.on_time,
            "files": [f.short() for f in self.files],
            "approvals": list(self.approvals),
            "notes": list(self.notes),
        }

    def to_text(self) -> str:
        counted = [c for c in self.checks if c.counted]
        met = sum(1 for c in counted if c.verdict == MET)
        timing = {True: "on time", False: "late", None: "delivery time not checked"}[self.on_time]
        share = "nothing checkable" if self.coverage is None else f"{round(self.coverage * 100)}% covered"
        head = f"Delivery against the brief: {share} ({met} of {len(counted)} checked requirements met), {timing}."
        lines = [head]
        for c in self.checks:
            tail = "" if c.counted or c.verdict == HUMAN else " (not counted)"
            lines.append(f"{MARK[c.verdict]} {c.label}: {c.evidence}{tail}")
        human = self.of_verdict(HUMAN)
        if human:
            lines.append("For a person to judge: " + "; ".join(c.label.rstrip(" .!?") for c in human) + ".")
        leaves = [leaf for f in self.files for leaf in f.leaves()]
        lines.append(f"Files: {_file_summary(leaves)}.")
        lines.extend(f"Note: {n}" for n in self.notes)
        return "\n".join(lines)
