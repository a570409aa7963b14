"""Pixel size, aspect ratio, DPI and file size of delivered images and videos.

"1080x1080" means exactly that pixel size unless the clause says "at least" (then a minimum);
a long side and a DPI are minimums; a file size is a maximum.
"""

from __future__ import annotations

from mediation.i18n import L_, Ln_, Text, join
from mediation.inspection import FileFacts, label
from nlp.brief import Requirement

from .clauses import _MIN_WORDS
from .context import Context
from .results import HUMAN, MET, NOT_MET, Check
from .wording import _count_phrase, _names, _of, _size_phrase, noun


class DimensionChecks(Context):
    """Sizes measured in the files against the sizes the brief names."""

    def _dimensions(self, r: Requirement) -> Check:
        width, height = getattr(r, "width", None), getattr(r, "height", None)
        long_side, aspect = getattr(r, "long_side", None), getattr(r, "aspect", None)
        dpi, max_mb = getattr(r, "dpi", None), getattr(r, "max_file_mb", None)
        if not any((width, height, long_side, aspect, dpi, max_mb)):
            res = getattr(r, "resolution", None)
            return self._make(
                r,
                HUMAN,
                L_("resolution {resolution} cannot be measured in the delivered files", resolution=res)
                if res
                else L_("this size cannot be measured in the delivered files"),
            )
        mode = "min" if _MIN_WORDS.search(r.text) else "exact"
        if width or height or long_side or aspect or dpi:
            cats = self._target(r, {"image", "video"})
            pool = [f for f in self.good if f.category in cats]
            kind = "images" if cats == {"image"} else "videos" if cats == {"video"} else "files"
        else:
            pool, kind, cats = self.good, "files", None
        if not pool:
            if not self.good:
                return self._make(r, NOT_MET, L_("nothing delivered to measure"))
            kinds = _count_phrase(label(f.type) for f in self.good)
            return self._make(
                r,
                HUMAN,
                L_(
                    "no {kind} to measure; pixel size and DPI cannot be read from the files delivered ({kinds})",
                    kind=noun(kind),
                    kinds=kinds,
                ),
            )
        passed: list[FileFacts] = []
        failed: dict[Text, list[FileFacts]] = {}
        unknown: list[FileFacts] = []
        for f in pool:
            if (width or height or long_side or aspect) and not (f.width and f.height):
                unknown.append(f)
                continue
            why = _size_miss(f, width, height, long_side, aspect, dpi, max_mb, mode)
            if why:
                failed.setdefault(why, []).append(f)
            else:
                passed.append(f)
        measured = len(passed) + sum(len(v) for v in failed.values())
        target = _size_phrase(width, height, long_side, aspect, dpi, max_mb, mode)
        if not measured:
            return self._make(
                r,
                HUMAN,
                L_(
                    "the size of {names} cannot be read, so {target} cannot be checked",
                    names=_names(unknown),
                    target=target,
                ),
            )
        parts: list[Text] = [join(" ", (_of(len(passed), measured, kind), target))]
        for why, fs in sorted(failed.items(), key=lambda kv: -len(kv[1])):
            miss = Ln_("{k} of {n} is {why}", "{k} of {n} are {why}", len(fs), k=len(fs), n=measured, why=why)
            parts.append(join("", (miss, " (", _names(fs), ")")) if len(fs) <= 3 else miss)
        if unknown:
            parts.append(L_("size of {names} cannot be read", names=_names(unknown)))
        verdict, score = self._settle(len(passed), measured, cats if pool is not self.good else None)
        if verdict == MET and len(passed) < measured:
            parts.append(L_("the others are beyond the number agreed"))
        check = self._make(r, verdict, join("; ", parts), score=score)
        need = self._need(cats) if pool is not self.good and cats else None
        base = min(need, measured) if need else measured
        check.units = (min(len(passed), base), base)
        return check


def _size_miss(f: FileFacts, width, height, long_side, aspect, dpi, max_mb, mode) -> Text | None:
    """Why one file misses the size rule, as it should read in the evidence; None if it fits."""
    w, h = f.width, f.height
    if width and height:
        if mode == "min" and (w < width or h < height):
            return L_("{size}, smaller than {wanted}", size=f"{w}x{h}", wanted=f"{width}x{height}")
        if mode == "exact" and (w, h) != (width, height):
            return f"{w}x{h}"
    elif width and ((mode == "min" and w < width) or (mode == "exact" and w != width)):
        return L_("{px} px wide", px=w)
    elif height and ((mode == "min" and h < height) or (mode == "exact" and h != height)):
        return L_("{px} px high", px=h)
    if long_side and w is not None and h is not None and max(w, h) < long_side:
        return L_("{px} px on the long side", px=max(w, h))
    if aspect and not (width and height) and w is not None and h is not None:
        try:
            aw, ah = (float(x) for x in aspect.split(":"))
            if abs(w * ah - h * aw) > 0.01 * max(w * ah, h * aw):
                return L_("{aspect} ({size}), not {wanted}", aspect=f.aspect, size=f"{w}x{h}", wanted=aspect)
        except ValueError:
            pass
    if dpi:
        if f.dpi is None:
            return L_("without a DPI value")
        if f.dpi < dpi:
            return f"{f.dpi} dpi"
    if max_mb and f.size > max_mb * 1024 * 1024:
        return L_("over {mb} MB", mb=f"{max_mb:g}")
    return None
