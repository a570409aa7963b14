"""How counts, file kinds, sizes and spans of days read in evidence and labels.

Kept apart so that every check words the same thing the same way ("6 of 8 images are"), and
so that labels (`clauses.requirement_label`) and evidence share one phrasing.
"""

from __future__ import annotations

from collections.abc import Iterable

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


def _approvals_phrase(approvals: list[str]) -> str:
    return "; ".join(f'"{a}"' for a in approvals)


def _size_phrase(width, height, long_side, aspect, dpi, max_mb, mode) -> str:
    parts = []
    pre = "at least " if mode == "min" else ""
    if width and height:
        parts.append(f"{pre}{width}x{height}")
    elif width:
        parts.append(f"{pre}{width} px wide")
    elif height:
        parts.append(f"{pre}{height} px high")
    if long_side:
        parts.append(f"at least {long_side} px on the long side")
    if aspect and not (width and height):
        parts.append(f"{aspect}")
    if dpi:
        parts.append(f"{dpi} dpi or more")
    if max_mb:
        parts.append(f"under {max_mb:g} MB")
    return ", ".join(parts)


def _of(k: int, n: int, noun: str) -> str:
    """'6 of 8 images are' / '1 of 1 image is'."""
    if n == 1:
        return f"{k} of 1 {_SINGULAR.get(noun, noun)} is"
    return f"{k} of {n} {noun} are"


_SINGULAR = {
    "images": "image",
    "videos": "video",
    "files": "file",
    "documents": "document",
    "audio files": "audio file",
    "data files": "data file",
    "presentations": "presentation",
}


def _types_phrase(files: list[FileFacts]) -> str:
    return _count_phrase(label(f.type) for f in files) if len({f.type for f in files}) > 1 else label(files[0].type)


def _count_phrase(items: Iterable[str]) -> str:
    counts: dict[str, int] = {}
    for i in items:
        counts[i] = counts.get(i, 0) + 1
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def _breakdown(files: list[FileFacts]) -> str:
    """'8 JPEG 1080x1080' or '6 JPEG 1080x1080, 2 PNG 800x800'."""

    def key(f: FileFacts) -> str:
        size = f" {f.width}x{f.height}" if f.width and f.height else ""
        return f"{label(f.type)}{size}"

    return _count_phrase(key(f) for f in files)


def _file_summary(leaves: list[FileFacts]) -> str:
    if not leaves:
        return "none"
    bad = sum(1 for f in leaves if not f.readable)
    return f"{len(leaves)} ({_count_phrase(label(f.type) for f in leaves)})" + (f", {bad} unreadable" if bad else "")


def _names(files: list[FileFacts], limit: int = 3) -> str:
    names = [f.name for f in files[:limit]]
    return ", ".join(names) + (f" and {len(files) - limit} more" if len(files) > limit else "")


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _days_phrase(days: float, working: bool) -> str:
    if not working and days % 7 == 0 and days >= 7:
        weeks = int(days // 7)
        return f"{weeks} week{'s' if weeks != 1 else ''}"
    unit = "working day" if working else "day"
    return f"{days:g} {unit}{'s' if days != 1 else ''}"
