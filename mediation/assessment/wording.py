"""How counts, file kinds, sizes and spans of days read in evidence and labels.

Kept apart so that every check words the same thing the same way ("6 of 8 images are"), and
so that labels (`clauses.requirement_label`) and evidence share one phrasing. Everything here is
a message worded for each reader (`mediation.i18n`); the payloads keep it in English.
"""

from __future__ import annotations

from collections.abc import Iterable

from mediation.i18n import L_, Ln_, Msg, Text, join
from mediation.inspection import FileFacts, label

_CATEGORY_NOUN = {
    "image": "images",
    "document": "documents",
    "audio": "audio files",
    "video": "videos",
    "data": "data files",
    "presentation": "presentations",
    "archive": "archives",
    "any": "files",
}


def noun(category_or_noun: str) -> Msg:
    """A kind of file in the plural ("images"), worded for the reader."""
    plural = _CATEGORY_NOUN.get(category_or_noun, category_or_noun)
    return {
        "images": L_("images"),
        "documents": L_("documents"),
        "audio files": L_("audio files"),
        "videos": L_("videos"),
        "data files": L_("data files"),
        "presentations": L_("presentations"),
        "archives": L_("archives"),
    }.get(plural, L_("files"))


def _approvals_phrase(approvals: list[str]) -> str:
    return "; ".join(f'"{a}"' for a in approvals)


def _size_phrase(width, height, long_side, aspect, dpi, max_mb, mode) -> Text:
    parts: list[Text] = []
    least = mode == "min"
    if width and height:
        size = f"{width}x{height}"
        parts.append(L_("at least {size}", size=size) if least else size)
    elif width:
        parts.append(L_("at least {px} px wide", px=width) if least else L_("{px} px wide", px=width))
    elif height:
        parts.append(L_("at least {px} px high", px=height) if least else L_("{px} px high", px=height))
    if long_side:
        parts.append(L_("at least {px} px on the long side", px=long_side))
    if aspect and not (width and height):
        parts.append(f"{aspect}")
    if dpi:
        parts.append(L_("{dpi} dpi or more", dpi=dpi))
    if max_mb:
        parts.append(L_("under {mb} MB", mb=f"{max_mb:g}"))
    return join(", ", parts) if parts else ""


def _of(k: int, n: int, kind: str) -> Msg:
    """'6 of 8 images are' / '1 of 1 image is' (`kind` a plural noun or a file category)."""
    plural = _CATEGORY_NOUN.get(kind, kind)
    if plural == "images":
        return Ln_("{k} of {n} image is", "{k} of {n} images are", n, k=k)
    if plural == "documents":
        return Ln_("{k} of {n} document is", "{k} of {n} documents are", n, k=k)
    if plural == "audio files":
        return Ln_("{k} of {n} audio file is", "{k} of {n} audio files are", n, k=k)
    if plural == "videos":
        return Ln_("{k} of {n} video is", "{k} of {n} videos are", n, k=k)
    if plural == "data files":
        return Ln_("{k} of {n} data file is", "{k} of {n} data files are", n, k=k)
    if plural == "presentations":
        return Ln_("{k} of {n} presentation is", "{k} of {n} presentations are", n, k=k)
    return Ln_("{k} of {n} file is", "{k} of {n} files are", n, k=k)


def _types_phrase(files: list[FileFacts]) -> Text:
    return _count_phrase(label(f.type) for f in files) if len({f.type for f in files}) > 1 else label(files[0].type)


def _count_phrase(items: Iterable[Text]) -> Text:
    """'6 JPEG, 2 plain text': each item (a type's name, "mode RGB") worded for the reader."""
    counts: dict[Text, int] = {}
    for i in items:
        counts[i] = counts.get(i, 0) + 1
    return join(", ", (join(" ", (n, k)) for k, n in sorted(counts.items(), key=lambda kv: -kv[1])))


def _breakdown(files: list[FileFacts]) -> Text:
    """'8 JPEG 1080x1080' or '6 JPEG 1080x1080, 2 PNG 800x800'."""

    def key(f: FileFacts) -> Text:
        return f"{label(f.type)} {f.width}x{f.height}" if f.width and f.height else label(f.type)

    return _count_phrase(key(f) for f in files)


def _file_summary(leaves: list[FileFacts]) -> Text:
    if not leaves:
        return L_("none")
    bad = sum(1 for f in leaves if not f.readable)
    listed = join("", (len(leaves), " (", _count_phrase(label(f.type) for f in leaves), ")"))
    return L_("{files}, {bad} unreadable", files=listed, bad=bad) if bad else listed


def _names(files: list[FileFacts], limit: int = 3) -> Text:
    names = ", ".join(f.name for f in files[:limit])
    if len(files) > limit:
        return L_("{names} and {more} more", names=names, more=len(files) - limit)
    return names


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _days_phrase(days: float, working: bool) -> Msg:
    if not working and days % 7 == 0 and days >= 7:
        weeks = int(days // 7)
        return Ln_("{n} week", "{n} weeks", weeks)
    if working:
        return Ln_(
            "{count} working day", "{count} working days", int(days) if days == int(days) else 2, count=f"{days:g}"
        )
    return Ln_("{count} day", "{count} days", int(days) if days == int(days) else 2, count=f"{days:g}")
