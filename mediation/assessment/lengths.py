"""Lengths: words, pages or slides of documents, and the duration of audio and video.

Words and pages are minimums within 10 % (more is not a breach) unless the clause says
"max"/"up to"; durations must be within 10 % of the target. Short work earns its share of the
score, overlong work none.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mediation.i18n import L_, Ln_, Text, join
from nlp.brief import Requirement

from .clauses import _MAX_WORDS, _MIN_WORDS
from .context import Context
from .formats import FORMAT_TYPES
from .results import HUMAN, MET, NOT_MET, PARTLY, Check
from .wording import _names


class LengthChecks(Context):
    """Measured lengths against the length the brief names."""

    def _length(self, r: Requirement) -> Check:
        value, unit = getattr(r, "length_value", None), (getattr(r, "length_unit", None) or "")
        if not value or not unit:
            return self._make(r, HUMAN, L_("no length to measure"))
        unit = unit.lower()
        per_item = getattr(r, "length_per_item", False)
        total_asked = bool(re.search(r"\b(total|combined|in all|altogether|overall)\b", r.text, re.I))
        is_max = bool(getattr(r, "quantity_max", False)) or bool(_MAX_WORDS.search(r.text))
        is_min = bool(_MIN_WORDS.search(r.text))
        seconds = {"seconds": 1, "minutes": 60, "hours": 3600}.get(unit)
        if seconds:
            target = value * seconds
            pool = [f for f in self.good if f.category in self._target(r, {"audio", "video"})]
            per_item = per_item or not total_asked  # "a 60-second video" is one file's length
            measure = lambda f: f.duration_s
            show: Callable[[float], Text] = _duration
            lo = 0.9 * target if not is_max else 0
            hi = 1.1 * target if not is_min else float("inf")
        elif unit in ("words", "pages", "slides"):
            target = value
            pool = [f for f in self.good if f.category in self._target(r, {"document", "presentation", "data"})]
            measure = (lambda f: f.words) if unit == "words" else (lambda f: f.pages)
            show = lambda n: _amount_of(n, unit)
            lo = 0.9 * target if not is_max else 0
            hi = 1.1 * target if is_max else float("inf")
        else:
            return self._make(r, HUMAN, L_("length in {unit} cannot be measured in the files", unit=unit))
        wanted = set().union(*(FORMAT_TYPES.get(f, set()) for f in self._clause_formats(r)))
        pool = [f for f in pool if f.type in wanted] or pool  # the files in the format asked
        if not pool:
            return self._make(
                r,
                NOT_MET,
                L_("no audio or video delivered to measure") if seconds else L_("no documents delivered to measure"),
            )
        known = [(f, measure(f)) for f in pool if measure(f) is not None]
        unknown = [f for f in pool if measure(f) is None]
        if not known:
            return self._make(r, HUMAN, L_("{unit} cannot be counted in {names}", unit=unit, names=_names(unknown)))
        bound: Text
        if is_max:
            bound = L_("up to {length} (10% leeway)", length=show(target))
        elif seconds and not is_min:
            bound = L_("about {length} (within 10%)", length=show(target))
        elif is_min:
            bound = L_("at least {length}", length=show(target))
        else:
            bound = L_("at least {length} (10% leeway)", length=show(target))

        def score_of(v: float) -> float:  # short work earns its share; overlong work none
            return 1.0 if lo <= v <= hi else min(v / target, 0.99) if v < lo else 0.0

        if len(known) == 1:
            f, v = known[0]
            score = score_of(v)
            evidence: Text = L_("{name}: {length}, {bound} agreed", name=f.name, length=show(v), bound=bound)
        elif per_item:
            ok = [(f, v) for f, v in known if lo <= v <= hi]
            off = [(f, v) for f, v in known if not lo <= v <= hi]
            evidence = L_("{ok} of {count} files are {bound}", ok=len(ok), count=len(known), bound=bound)
            if off:
                evidence = join("; ", (evidence, join(", ", [join(": ", (f.name, show(v))) for f, v in off[:5]])))
            score = sum(score_of(v) for _, v in known) / len(known)
        else:
            total = sum(v for _, v in known)
            score = score_of(total)
            evidence = L_(
                "{length} in {count} files, {bound} agreed", length=show(total), count=len(known), bound=bound
            )
            units = (int(min(total, target)), int(target)) if not seconds and not is_max else None
        if unknown:
            evidence = join("; ", (evidence, L_("not countable in {names}", names=_names(unknown))))
        verdict = MET if score == 1 else PARTLY if score > 0 else NOT_MET
        check = self._make(r, verdict, evidence, score=score)
        if len(known) == 1 and not seconds and not is_max:
            check.units = (int(min(known[0][1], target)), int(target))
        elif len(known) > 1 and not per_item:
            check.units = units
        return check


def _duration(seconds: float) -> Text:
    seconds = float(seconds)
    if seconds < 90:
        return L_("{seconds} s", seconds=f"{seconds:.1f}".replace(".0", ""))
    m, s = divmod(round(seconds), 60)
    return L_("{minutes} min", minutes=f"{m}:{s:02d}")


def _amount_of(n: float, unit: str) -> Text:
    """'1,200 words', '12 pages', '10 slides'."""
    count, k = f"{n:,.0f}", round(n)
    if unit == "words":
        return Ln_("{count} word", "{count} words", k, count=count)
    if unit == "pages":
        return Ln_("{count} page", "{count} pages", k, count=count)
    return Ln_("{count} slide", "{count} slides", k, count=count)
