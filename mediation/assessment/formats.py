"""File formats: whether the delivered files are of the types the brief names.

A format the files cannot show (a Google Docs or Figma link, a format whose content cannot be
read) is left to a person. "PNG and PDF" owes each format; "PNG or PDF" either.
"""

from __future__ import annotations

import re

from nlp.brief import Requirement

from .clauses import FORMAT_CATEGORY
from .context import Context
from .results import HUMAN, MET, NOT_MET, PARTLY, Check
from .wording import _CATEGORY_NOUN, _names, _of, _types_phrase

# Brief formats -> inspected types that satisfy them.
FORMAT_TYPES = {
    "jpg": {"jpeg"},
    "jpeg": {"jpeg"},
    "png": {"png"},
    "gif": {"gif"},
    "webp": {"webp"},
    "tiff": {"tiff"},
    "bmp": {"bmp"},
    "svg": {"svg"},
    "psd": {"psd"},
    "eps": {"eps"},
    "ai": {"pdf", "eps"},
    "heic": {"heic"},
    "avif": {"avif"},
    "pdf": {"pdf"},
    "docx": {"docx"},
    "doc": {"doc"},
    "odt": {"odt"},
    "rtf": {"rtf"},
    "txt": {"txt"},
    "md": {"txt"},
    "srt": {"txt"},
    "html": {"html"},
    "epub": {"epub"},
    "csv": {"csv"},
    "xlsx": {"xlsx"},
    "json": {"json"},
    "pptx": {"pptx"},
    "mp4": {"mp4"},
    "mov": {"mov", "mp4"},
    "webm": {"webm"},
    "mkv": {"mkv"},
    "avi": {"avi"},
    "mp3": {"mp3"},
    "wav": {"wav"},
    "flac": {"flac"},
    "aiff": {"aiff"},
    "ogg": {"ogg", "opus"},
    "m4a": {"m4a"},
    "zip": {"zip"},
}
LINK_FORMATS = {"gdoc": "Google Docs", "gsheet": "Google Sheets", "figma": "Figma", "canva": "Canva"}


class FormatChecks(Context):
    """The format clause of a brief against the types of the delivered files."""

    def _format(self, r: Requirement) -> Check:
        formats = [f.lower().lstrip(".") for f in getattr(r, "formats", []) or []]
        links = [LINK_FORMATS[f] for f in formats if f in LINK_FORMATS]
        checkable = [f for f in formats if f in FORMAT_TYPES]
        if not checkable:
            unknown = [f for f in formats if f not in LINK_FORMATS]
            why = []
            if links:
                why.append(f"{' / '.join(links)} work is shared as a link, which files cannot show")
            if unknown:
                named = [f for f in self.leaves if f.name.lower().endswith(tuple("." + u for u in unknown))]
                why.append(
                    f"the content of {'/'.join(u.upper() for u in unknown)} files cannot "
                    f"be checked; {len(named)} file(s) are named so"
                )
            return self._make(r, HUMAN, "; ".join(why) or "no file format to check")
        wanted = set().union(*(FORMAT_TYPES[f] for f in checkable))
        cats = {FORMAT_CATEGORY.get(f, "other") for f in checkable}
        pool = [f for f in self.good if f.category in cats]
        want_label = " or ".join(f.upper() for f in checkable)
        if not pool:
            noun = " or ".join(_CATEGORY_NOUN.get(c, "files") for c in sorted(cats))
            return self._make(r, NOT_MET, f"no {noun} delivered to check against {want_label}")
        ok = [f for f in pool if f.type in wanted]
        wrong = [f for f in pool if f.type not in wanted]
        noun = _CATEGORY_NOUN.get(next(iter(cats)), "files") if len(cats) == 1 else "files"
        verdict, score = self._settle(len(ok), len(pool), cats)
        if not wrong:
            evidence = f"{_of(len(ok), len(pool), noun)} {_types_phrase(ok)}"
        else:
            evidence = (
                f"{_of(len(ok), len(pool), noun)} {want_label}; "
                f"{len(wrong)} {'is' if len(wrong) == 1 else 'are'} "
                f"{_types_phrase(wrong)} ({_names(wrong)})"
            )
            if verdict == MET:
                evidence += ", beyond the number agreed"
        either = re.search(r"\bor\b|/|\beither\b", r.text, re.I)
        if len(checkable) > 1 and not either:  # "PNG and PDF": each format is owed
            missing = [f.upper() for f in checkable if not any(x.type in FORMAT_TYPES[f] for x in ok)]
            if missing and verdict == MET:
                verdict, score = PARTLY, 0.5
                evidence += f"; no {' or '.join(missing)} file although each format was asked"
        named_wrong = [f for f in self.leaves if any(p.startswith("named .") for p in f.problems)]
        if named_wrong:
            evidence += f"; {len(named_wrong)} file name(s) do not match the content"
        return self._make(r, verdict, evidence, score=score)
