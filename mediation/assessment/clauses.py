"""What a clause of the brief asks, read before any file is looked at.

Which kind of file a requirement counts (an image deliverable counts images, a document
deliverable documents), whether it asks for samples, whether it bounds a number from below or
above, whether it is no requirement at all (greetings and thanks: "Hi!", "Thanks!"), and the
short label a checklist line shows. `mediation.facts` uses `deliverable_category` too.
"""

from __future__ import annotations

import re

from mediation.i18n import L_, Ln_, Text, join
from nlp.brief import Requirement

from .wording import _days_phrase, _size_phrase

FORMAT_CATEGORY = {
    **{
        f: "image"
        for f in ("jpg", "jpeg", "png", "gif", "webp", "tiff", "bmp", "svg", "psd", "eps", "ai", "heic", "avif")
    },
    **{f: "document" for f in ("pdf", "docx", "doc", "odt", "rtf", "txt", "md", "srt", "html", "epub", "gdoc")},
    **{f: "data" for f in ("csv", "xlsx", "json", "gsheet")},
    "pptx": "presentation",
    "key": "presentation",
    **{f: "video" for f in ("mp4", "mov", "webm", "mkv", "avi")},
    **{f: "audio" for f in ("mp3", "wav", "flac", "aiff", "ogg", "m4a")},
}
# Words naming what a deliverable is, to know which files count towards it.
ITEM_CATEGORY = [
    (
        "video",
        r"videos?|reels?|clips?|films?|animations?|trailers?|footage|tiktoks?|vlogs?|"
        r"shorts|commercials?|ads? spots?|motion graphics",
    ),
    (
        "audio",
        r"songs?|tracks?|voice[- ]?overs?|vo|jingles?|podcasts?|episodes?|recordings?|"
        r"audio|beats?|sound effects?|sfx|mixes|masters?|narrations?|audiobooks?",
    ),
    ("presentation", r"slides?|decks?|presentations?|slideshows?"),
    ("data", r"spreadsheets?|sheets?|datasets?|csvs?|tables?|databases?|lists? of leads|leads"),
    (
        "image",
        r"pictures?|photos?|photographs?|images?|shots?|headshots?|portraits?|logos?|"
        r"icons?|illustrations?|banners?|thumbnails?|graphics?|designs?|mock-?ups?|"
        r"drawings?|sketch(?:es)?|posters?|flyers?|infographics?|renders?|renderings?|"
        r"wallpapers?|stickers?|avatars?|artworks?|covers?|visuals?|carousels?|"
        r"memes?|emojis?|emotes?|characters?|paintings?|prints?",
    ),
    (
        "document",
        r"articles?|blog posts?|posts?|essays?|reports?|e-?books?|books?|copy|"
        r"descriptions?|chapters?|letters?|resumes?|cvs?|proposals?|scripts?|"
        r"transcripts?|translations?|documents?|docs?|manuals?|guides?|newsletters?|"
        r"white ?papers?|case stud(?:y|ies)|stories|story|pages?|emails?|captions?|"
        r"press releases?|bios?|summaries|summary|poems?|lyrics|listings?",
    ),
]
SAMPLE_WORDS = re.compile(
    r"\b(samples?|drafts?|proofs?|previews?|tests? shots?|mock-?ups? "
    r"for approval)\b",
    re.I,
)
_MIN_WORDS = re.compile(r"\b(at least|minimum|min\.?|or (?:larger|more|bigger|higher|longer))\b", re.I)
_MAX_WORDS = re.compile(
    r"\b(at most|max(?:imum)?|up to|no more than|under|not (?:more|longer) "
    r"than|or (?:less|shorter|smaller))\b",
    re.I,
)
_PLEASANTRY = re.compile(
    r"(hi|hello|hey|dear \w+|thanks?|thank you|many thanks|cheers|"
    r"regards|kind regards|best regards|looking forward|let me know|"
    r"good luck)\b[\w ,'’]*[!.?]*",
    re.I,
)


def deliverable_category(r: Requirement) -> str:
    """Which files count towards a deliverable: from its formats first, then from its noun."""
    cats = {FORMAT_CATEGORY[f] for f in (getattr(r, "formats", []) or []) if f in FORMAT_CATEGORY}
    if len(cats) == 1:
        return cats.pop()
    item = (getattr(r, "item", None) or "").lower()
    words = item.split()
    for cat, pattern in ITEM_CATEGORY:  # the head noun (last word) decides first
        if words and re.fullmatch(pattern, words[-1]):
            return cat
    for cat, pattern in ITEM_CATEGORY:
        if re.search(rf"\b(?:{pattern})\b", item):
            return cat
    return "any"


def requirement_label(r: Requirement) -> Text:
    """A short name for a requirement in a checklist line, worded for each reader."""
    k = r.kind
    g = lambda name: getattr(r, name, None)
    if k == "deliverable":
        if g("item"):
            return f"{g('quantity') or ''} {g('item')}".strip()
        return L_("{count} deliverable", count=g("quantity")) if g("quantity") else L_("deliverable")
    if k == "format":
        if g("formats"):
            return L_("format {formats}", formats=join(L_(" or "), [f.upper() for f in g("formats") or []]))
        return L_("format")
    if k == "dimensions":
        return _size_phrase(
            g("width"), g("height"), g("long_side"), g("aspect"), g("dpi"), g("max_file_mb"), "exact"
        ) or (g("resolution") or L_("size"))
    if k == "length" and g("length_value"):
        length = f"{g('length_value'):g} {g('length_unit') or ''}".strip()
        return L_("{length} each", length=length) if g("length_per_item") else length
    if k == "deadline":
        if (days := g("deadline_days")) is not None:
            return L_("delivery within {days}", days=_days_phrase(days, bool(g("working_days"))))
        return L_("delivery by {date}", date=g("deadline_date"))
    if k == "price":
        return L_("price {amount}", amount=f"{g('currency') or ''} {g('amount') or ''}".strip())
    if k == "revisions":
        return Ln_("{n} revision round", "{n} revision rounds", g("revisions") or 0)
    if k == "usage":
        return L_("usage: {what}", what=", ".join(g("usage") or [])) if g("usage") else L_("usage")
    if k == "exclusion":
        return L_("excluded: {what}", what=", ".join(g("excluded") or [])) if g("excluded") else L_("exclusion")
    if k == "quality" and (item := g("item")):
        return str(item)
    text = r.text.strip()
    return text if len(text) <= 60 else text[:57] + "..."


def _pleasantry(r: Requirement) -> bool:
    """'Hi there!' or 'Thanks!': a clause of the brief, but not a requirement."""
    return (
        r.kind == "other"
        and not (getattr(r, "platforms", None) or [])
        and len(r.text.split()) <= 6
        and bool(_PLEASANTRY.fullmatch(r.text.strip()))
    )


def _is_samples(r: Requirement) -> bool:
    return bool(SAMPLE_WORDS.search(getattr(r, "item", None) or ""))
