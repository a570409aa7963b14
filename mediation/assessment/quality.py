"""Judgement calls ("natural light", "friendly tone") and the colour mode files can show.

A quality clause is left to a person, with any approval the client gave as evidence, unless it
names something the files store: CMYK, RGB, a transparent background, greyscale. Colour
clauses inside other clauses ("1080x1080 JPG, CMYK") get a check of their own.
"""

from __future__ import annotations

import re

from mediation.i18n import L_, N_, Ln_, Msg, Text, join
from nlp.brief import Requirement

from .context import Context
from .results import HUMAN, MET, Check
from .wording import _approvals_phrase, _count_phrase, _names

_COLOUR = [
    ("CMYK", re.compile(r"\bcmyk\b", re.I), lambda f: f.mode == "CMYK"),
    ("RGB", re.compile(r"\bs?rgb\b", re.I), lambda f: f.mode in ("RGB", "RGBA")),
    (N_("a transparent background"), re.compile(r"\btranspar\w*", re.I), lambda f: bool(f.alpha)),
]


def _colour(name: str) -> Text:
    """A colour property as a reader reads it (CMYK and RGB are the same in every language)."""
    return name if name in ("CMYK", "RGB") else Msg(name)


_GREY = re.compile(r"\b(black[- ]and[- ]white|b&w|gr[ae]y ?scale|monochrome)\b", re.I)


class QualityChecks(Context):
    """Judgement calls left to a person, and colour modes measured in the images."""

    def _quality(self, r: Requirement) -> Check:
        phrase = (getattr(r, "item", None) or r.text).strip()
        for name, pattern, test in _COLOUR:
            if pattern.search(phrase):
                return self._colour_check(r, name, test)
        judged: Text = L_('a person must judge "{phrase}" from the work itself; files cannot show it', phrase=phrase)
        if self.approvals:
            judged = join(
                "; ",
                (
                    judged,
                    L_(
                        "the client approved {what}, evidence of the look that was accepted",
                        what=_approvals_phrase(self.approvals),
                    ),
                ),
            )
        return self._make(r, HUMAN, judged)

    # -- colour mode, from clauses that mention it

    def colour_checks(self, last_id: int) -> list[Check]:
        out: list[Check] = []
        seen: set[str] = set()
        quality_items = " ".join((getattr(r, "item", "") or "") for r in self.brief.requirements if r.kind == "quality")
        for r in self.brief.requirements:
            if r.text in seen or r.kind not in ("dimensions", "format", "other", "deliverable"):
                continue
            for name, pattern, test in _COLOUR:
                if pattern.search(r.text) and not pattern.search(quality_items):
                    seen.add(r.text)
                    last_id += 1
                    fake = Requirement(id=last_id, kind="quality", text=r.text, item=f"colour mode {name}")
                    out.append(self._colour_check(fake, name, test))
            if _GREY.search(r.text) and r.text not in seen:
                seen.add(r.text)
                last_id += 1
                fake = Requirement(id=last_id, kind="quality", text=r.text, item="black and white")
                out.append(self._grey_check(fake))
        return out

    def _colour_check(self, r: Requirement, name: str, test) -> Check:
        images = [f for f in self.good if f.category == "image" and f.mode]
        if not images:
            return self._make(
                r,
                HUMAN,
                L_("no image whose colour mode can be read, so {name} cannot be checked", name=_colour(name)),
                weight_key="colour",
                label_=_colour(name),
            )
        ok = [f for f in images if test(f)]
        wrong = [f for f in images if not test(f)]
        evidence: Text = Ln_(
            "{k} of {n} image has {name}", "{k} of {n} images have {name}", len(images), k=len(ok), name=_colour(name)
        )
        if wrong:
            modes = _count_phrase(L_("mode {mode}", mode=f.mode) for f in wrong)  # "RGB" is a fact, not a word
            others = (
                L_("it is {modes} ({names})", modes=modes, names=_names(wrong))
                if len(images) == 1
                else L_("the others are {modes} ({names})", modes=modes, names=_names(wrong))
            )
            evidence = join("; ", (evidence, others))
        verdict, score = self._settle(len(ok), len(images), {"image"})
        return self._make(r, verdict, evidence, score=score, weight_key="colour", label_=_colour(name))

    def _grey_check(self, r: Requirement) -> Check:
        images = [f for f in self.good if f.category == "image" and f.mode]
        grey = [f for f in images if f.mode in ("L", "LA", "1", "I;16", "I")]
        if images and len(grey) == len(images):
            return self._make(
                r,
                MET,
                L_("{k} of {n} images are stored in greyscale", k=len(grey), n=len(images)),
                weight_key="colour",
                label_=L_("black and white"),
            )
        return self._make(
            r,
            HUMAN,
            L_(
                "{k} of {n} images are stored in greyscale; colour files may still look black and white, "
                "a person must look",
                k=len(grey),
                n=len(images),
            ),
            weight_key="colour",
            label_=L_("black and white"),
        )
