"""Pixel size, aspect ratio, DPI and file size of delivered images and videos.

"1080x1080" means exactly that pixel size unless the clause says "at least" (then a minimum);
a long side and a DPI are minimums; a file size is a maximum.
"""

from __future__ import annotations

from mediation.inspection import FileFacts, label
from nlp.brief import Requirement

from .clauses import _MIN_WORDS
from .context import Context
from .results import HUMAN, MET, NOT_MET, Check
from .wording import _count_phrase, _names, _of, _size_phrase


class DimensionChecks(Context):
    """Sizes measured in the files against the sizes the brief names."""

    def _dimensions(self, r: Requirement) -> Check:
        width, height = getattr(r, "width", None), getattr(r, "height", None)
        long_side, aspect = getattr(r, "long_side", None), getattr(r, "aspect", None)
        dpi, max_mb = getattr(r, "dpi", None), getattr(r, "max_file_mb", None)
        if not any((width, height, long_side, aspect, dpi, max_mb)):
            res = getattr(r, "resolution", None)
            what = f"resolution {res}" if res else "this size"
            return self._make(r, HUMAN, f"{what} cannot be measured in the delivered files")
        mode = "min" if _MIN_WORDS.search(r.text) else "exact"
        if width or height or long_side or aspect or dpi:
            cats = self._target(r, {"image", "video"})
            pool = [f for f in self.good if f.category in cats]
            noun = "images" if cats == {"image"} else "videos" if cats == {"video"} else "files"
        else:
            pool, noun, cats = self.good, "files", None
        if not pool:
            if not self.good:
                return self._make(r, NOT_MET, "nothing delivered to measure")
            kinds = _count_phrase(label(f.type) for f in self.good)
            return self._make(
                r, HUMAN, f"no {noun} to measure; pixel size and DPI cannot be read from the files delivered ({kinds})"
            )
        passed: list[FileFacts] = []
        failed: dict[str, list[FileFacts]] = {}
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
            return self._make(r, HUMAN, f"the size of {_names(unknown)} cannot be read, so {target} cannot be checked")
        parts = [f"{_of(len(passed), measured, noun)} {target}"]
        for why, fs in sorted(failed.items(), key=lambda kv: -len(kv[1])):
            parts.append(
                f"{len(fs)} of {measured} {'is' if len(fs) == 1 else 'are'} {why}"
                + (f" ({_names(fs)})" if len(fs) <= 3 else "")
            )
        if unknown:
            parts.append(f"size of {_names(unknown)} cannot be read")
        verdict, score = self._settle(len(passed), measured, cats if pool is not self.good else None)
        if verdict == MET and len(passed) < measured:
            parts.append("the others are beyond the number agreed")
        check = self._make(r, verdict, "; ".join(parts), score=score)
        need = self._need(cats) if pool is not self.good and cats else None
        base = min(need, measured) if need else measured
        check.units = (min(len(passed), base), base)
        return check


def _size_miss(f: FileFacts, width, height, long_side, aspect, dpi, max_mb, mode) -> str | None:
    """Why one file misses the size rule, as it should read in the evidence; None if it fits."""
    w, h = f.width, f.height
    if width and height:
        if mode == "min" and (w < width or h < height):
            return f"{w}x{h}, smaller than {width}x{height}"
        if mode == "exact" and (w, h) != (width, height):
            return f"{w}x{h}"
    elif width and ((mode == "min" and w < width) or (mode == "exact" and w != width)):
        return f"{w} px wide"
    elif height and ((mode == "min" and h < height) or (mode == "exact" and h != height)):
        return f"{h} px high"
    if long_side and w is not None and h is not None and max(w, h) < long_side:
        return f"{max(w, h)} px on the long side"
    if aspect and not (width and height) and w is not None and h is not None:
        try:
            aw, ah = (float(x) for x in aspect.split(":"))
            if abs(w * ah - h * aw) > 0.01 * max(w * ah, h * aw):
                return f"{f.aspect} ({w}x{h}), not {aspect}"
        except ValueError:
            pass
    if dpi:
        if f.dpi is None:
            return "without a DPI value"
        if f.dpi < dpi:
            return f"{f.dpi} dpi"
    if max_mb and f.size > max_mb * 1024 * 1024:
        return f"over {max_mb:g} MB"
    return None
