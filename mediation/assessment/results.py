"""What an assessment produces: one `Check` per requirement, the `Assessment` that gathers them,
the four verdicts and the weights coverage is built from.

Shared by every check module, and by `mediation.facts` and `mediation.settlement`, which read
the verdicts without running a check.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mediation.i18n import L_, N_, Msg, Text, en, render, said, to_json
from mediation.inspection import FileFacts
from mediation.vocabulary import ReplyKind

from .wording import _file_summary

MET, PARTLY, NOT_MET, HUMAN = "met", "partly_met", "not_met", "needs_human"
VERDICTS = (MET, PARTLY, NOT_MET, HUMAN)
MARK = {MET: "✓", PARTLY: "~", NOT_MET: "✗", HUMAN: "?"}
VERDICT_NAMES = {MET: N_("met"), PARTLY: N_("partly met"), NOT_MET: N_("not met"), HUMAN: N_("needs a person")}


def verdict_name(verdict: str) -> Msg | str:
    """A verdict as a person reads it."""
    name = VERDICT_NAMES.get(verdict)
    return Msg(name) if name else verdict.replace("_", " ")


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
    label: Text  # worded for each reader; the payload has it in English
    verdict: str
    evidence: Text
    weight: float
    score: float | None = None
    units: tuple[int, int] | None = None  # (usable, agreed) when the check counts units

    def __setattr__(self, name: str, value: object) -> None:
        # label and evidence read as English text (tests, logs) and word themselves for each reader
        object.__setattr__(self, name, said(value) if name in ("label", "evidence") else value)

    @property
    def counted(self) -> bool:
        return self.weight > 0 and self.verdict != HUMAN

    def to_data(self) -> dict:
        return {
            "id": self.id,
            "text": self.text,
            "kind": self.kind,
            "verdict": self.verdict,
            "evidence": en(self.evidence),
            "label": en(self.label),
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
    notes: list[Text] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.notes = [said(n) for n in self.notes]

    approvals: list[str] = field(default_factory=list)

    def of_verdict(self, verdict: str) -> list[Check]:
        return [c for c in self.checks if c.verdict == verdict]

    def verdicts(self) -> list[tuple[Text, str, str]]:
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
            "notes": [en(n) for n in self.notes],
            "notes_text": [to_json(n) for n in self.notes],
        }

    def to_text(self) -> str:
        """The assessment as a reader reads it, in their language."""
        counted = [c for c in self.checks if c.counted]
        met = sum(1 for c in counted if c.verdict == MET)
        timing = {True: L_("on time"), False: L_("late"), None: L_("delivery time not checked")}[self.on_time]
        share = (
            L_("nothing checkable")
            if self.coverage is None
            else L_("{percent}% covered", percent=round(self.coverage * 100))
        )
        head = L_(
            "Delivery against the brief: {share} ({met} of {checked} checked requirements met), {timing}.",
            share=share,
            met=met,
            checked=len(counted),
            timing=timing,
        )
        lines = [render(head)]
        for c in self.checks:
            line = f"{MARK[c.verdict]} {render(c.label)}: {render(c.evidence)}"
            if not (c.counted or c.verdict == HUMAN):
                line = render(L_("{line} (not counted)", line=line))
            lines.append(line)
        human = self.of_verdict(HUMAN)
        if human:
            labels = "; ".join(render(c.label).rstrip(" .!?") for c in human)
            lines.append(render(L_("For a person to judge: {labels}.", labels=labels)))
        leaves = [leaf for f in self.files for leaf in f.leaves()]
        lines.append(render(L_("Files: {summary}.", summary=_file_summary(leaves))))
        lines.extend(render(L_("Note: {note}", note=n)) for n in self.notes)
        return "\n".join(lines)
