"""File formats: whether the delivered files are of the types the brief names.

A format the files cannot show (a Google Docs or Figma link, a format whose content cannot be
read) is left to a person. "PNG and PDF" owes each format; "PNG or PDF" either.
"""

from __future__ import annotations

import re

from mediation.i18n import L_, Ln_, Text, join
from nlp.brief import Requirement

from .clauses import FORMAT_CATEGORY
from .context import Context
from .results import HUMAN, MET, NOT_MET, PARTLY, Check
from .wording import _names, _of, _types_phrase, noun

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
            why: list[Text] = []
            if links:
                why.append(L_("{tools} work is shared as a link, which files cannot show", tools=" / ".join(links)))
            if unknown:
                named = [f for f in self.leaves if f.name.lower().endswith(tuple("." + u for u in unknown))]
                why.append(
                    Ln_(
                        "the content of {formats} files cannot be checked; {n} file is named so",
                        "the content of {formats} files cannot be checked; {n} files are named so",
                        len(named),
                        formats="/".join(u.upper() for u in unknown),
                    )
                )
            return self._make(r, HUMAN, join("; ", why) if why else L_("no file format to check"))
        wanted = set().union(*(FORMAT_TYPES[f] for f in checkable))
        cats = {FORMAT_CATEGORY.get(f, "other") for f in checkable}
        pool = [f for f in self.good if f.category in cats]
        want_label = join(L_(" or "), [f.upper() for f in checkable])
        if not pool:
            kinds = join(L_(" or "), [noun(c) for c in sorted(cats)])
            return self._make(
                r, NOT_MET, L_("no {kinds} delivered to check against {formats}", kinds=kinds, formats=want_label)
            )
        ok = [f for f in pool if f.type in wanted]
        wrong = [f for f in pool if f.type not in wanted]
        kind = next(iter(cats)) if len(cats) == 1 else "files"
        verdict, score = self._settle(len(ok), len(pool), cats)
        parts: list[Text]
        if not wrong:
            parts = [join(" ", (_of(len(ok), len(pool), kind), _types_phrase(ok)))]
        else:
            others = Ln_(
                "{n} is {types} ({names})",
                "{n} are {types} ({names})",
                len(wrong),
                types=_types_phrase(wrong),
                names=_names(wrong),
            )
            if verdict == MET:
                others = L_("{these}, beyond the number agreed", these=others)
            parts = [join(" ", (_of(len(ok), len(pool), kind), want_label)), others]
        either = re.search(r"\bor\b|/|\beither\b", r.text, re.I)
        if len(checkable) > 1 and not either:  # "PNG and PDF": each format is owed
            missing = [f.upper() for f in checkable if not any(x.type in FORMAT_TYPES[f] for x in ok)]
            if missing and verdict == MET:
                verdict, score = PARTLY, 0.5
                parts.append(L_("no {formats} file although each format was asked", formats=join(L_(" or "), missing)))
        named_wrong = [f for f in self.leaves if any(p.startswith("named .") for p in f.problems)]
        if named_wrong:
            parts.append(
                Ln_(
                    "{n} file name does not match the content",
                    "{n} file names do not match the content",
                    len(named_wrong),
                )
            )
        return self._make(r, verdict, join("; ", parts), score=score)
