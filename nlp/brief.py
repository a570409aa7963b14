"""Brief parsing: split an agreed brief into clauses and pull out the facts a delivery or a
change request is compared against (counts, formats, sizes, deadline, revisions, price, licence).

Pure text rules, no model: the facts must be exact and explainable ("the brief agrees 8").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nlp.numbers import find_numbers, parse_number, tame_digit_runs, words_to_number

MAX_CHARS = 6000

KINDS = (
    "deliverable",
    "format",
    "dimensions",
    "length",
    "deadline",
    "revisions",
    "price",
    "usage",
    "exclusion",
    "quality",
    "other",
)


@dataclass
class Requirement:
    """One checkable promise from the brief. For `quality` requirements `item` holds the phrase
    ("natural light"); for `deliverable` it is the noun phrase of what is counted."""

    id: int
    kind: str
    text: str
    item: str | None = None
    quantity: int | None = None
    quantity_max: bool = False
    formats: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    width: int | None = None
    height: int | None = None
    long_side: int | None = None
    aspect: str | None = None
    dpi: int | None = None
    max_file_mb: float | None = None
    length_value: float | None = None
    length_unit: str | None = None
    length_per_item: bool = False
    deadline_days: float | None = None
    working_days: bool = False
    deadline_date: str | None = None
    revisions: int | None = None
    amount: str | None = None
    currency: str | None = None
    usage: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    by_client: bool = False  # exclusion because the client does it ("client supplies text")
    resolution: str | None = None  # "1080p", "4k"
    per: str | None = None  # rate or schedule unit: "month", "hour", "word", "week"


@dataclass
class Brief:
    text: str
    clauses: list[str]
    requirements: list[Requirement]

    def of_kind(self, kind: str) -> list[Requirement]:
        return [r for r in self.requirements if r.kind == kind]

    @property
    def formats(self) -> set[str]:
        return {f for r in self.requirements for f in r.formats}

    @property
    def platforms(self) -> set[str]:
        return {p for r in self.requirements for p in r.platforms}

    @property
    def revisions(self) -> int | None:
        counts = [r.revisions for r in self.requirements if r.kind == "revisions" and r.revisions is not None]
        return max(counts) if counts else None

    @property
    def deadline_days(self) -> float | None:
        days = [r.deadline_days for r in self.requirements if r.deadline_days is not None]
        return min(days) if days else None


# --- vocabularies -------------------------------------------------------------------------

FORMATS = {
    "jpg": "jpg",
    "jpgs": "jpg",
    "jpeg": "jpg",
    "png": "png",
    "pngs": "png",
    "pdf": "pdf",
    "pdfs": "pdf",
    "docx": "docx",
    "word document": "docx",
    "word documents": "docx",
    "word doc": "docx",
    "word file": "docx",
    "word": "docx",
    "mp4": "mp4",
    "mov": "mov",
    "wav": "wav",
    "mp3": "mp3",
    "csv": "csv",
    "xlsx": "xlsx",
    "excel": "xlsx",
    "svg": "svg",
    "ai": "ai",
    "eps": "eps",
    "psd": "psd",
    "fbx": "fbx",
    "obj": "obj",
    "blend": "blend",
    ".blend": "blend",
    "srt": "srt",
    "gif": "gif",
    "tiff": "tiff",
    "tif": "tiff",
    "webp": "webp",
    "html": "html",
    "google doc": "gdoc",
    "google docs": "gdoc",
    "google sheet": "gsheet",
    "google sheets": "gsheet",
    "figma": "figma",
    "figma file": "figma",
    "indesign": "indd",
    "canva": "canva",
    "epub": "epub",
    "stl": "stl",
    "gltf": "gltf",
    "glb": "glb",
    "aiff": "aiff",
    "flac": "flac",
    "pptx": "pptx",
    "powerpoint": "pptx",
    "keynote": "key",
    "markdown": "md",
}
PLATFORMS = {
    "instagram": "instagram",
    "insta": "instagram",
    "facebook": "facebook",
    "fb": "facebook",
    "linkedin": "linkedin",
    "tiktok": "tiktok",
    "youtube": "youtube",
    "twitter": "twitter",
    "x/twitter": "twitter",
    "pinterest": "pinterest",
    "etsy": "etsy",
    "amazon": "amazon",
    "ebay": "ebay",
    "shopify": "shopify",
    "woocommerce": "woocommerce",
    "wordpress": "wordpress",
    "wix": "wix",
    "squarespace": "squarespace",
    "ios": "ios",
    "iphone": "ios",
    "ipad": "ipad",
    "android": "android",
    "web": "web",
    "website": "web",
    "desktop": "desktop",
    "unity": "unity",
    "unreal": "unreal",
    "godot": "godot",
    "quickbooks": "quickbooks",
    "xero": "xero",
    "spotify": "spotify",
    "apple music": "apple_music",
    "gmail": "gmail",
    "outlook": "outlook",
    "google calendar": "google_calendar",
    "mailchimp": "mailchimp",
    "react native": "react_native",
    "flutter": "flutter",
    "swift": "swift",
    "kotlin": "kotlin",
    "react": "react",
    "vue": "vue",
    "acx": "acx",
    "audible": "audible",
    "radio": "radio",
    "tv": "tv",
    "podcast": "podcast",
    "hulu": "hulu",
    "twitch": "twitch",
    "discord": "discord",
    "telegram": "telegram",
    "whatsapp": "whatsapp",
    "snapchat": "snapchat",
    "threads": "threads",
    "google play": "android",
    "play store": "android",
    "app store": "ios",
}
CURRENCIES = {
    "$": "USD",
    "us$": "USD",
    "usd": "USD",
    "€": "EUR",
    "eur": "EUR",
    "£": "GBP",
    "gbp": "GBP",
    "¥": "JPY",
    "jpy": "JPY",
    "cad": "CAD",
    "aud": "AUD",
    "chf": "CHF",
    "inr": "INR",
    "₹": "INR",
    "dollars": "USD",
    "euros": "EUR",
    "pounds": "GBP",
}
QUALITY = [
    "natural light",
    "flat lay",
    "plain surface",
    "white background",
    "plain white background",
    "plain background",
    "pastel background",
    "friendly tone",
    "friendly but professional",
    "professional tone",
    "upbeat",
    "seo-friendly",
    "seo friendly",
    "ats-friendly",
    "ats friendly",
    "mobile responsive",
    "responsive",
    "hand-painted",
    "cartoon style",
    "low-poly",
    "royalty-free",
    "streaming-ready",
    "print-ready",
    "deduplicated",
    "editable",
    "transparent",
    "light mode only",
    "dark mode",
    "high resolution",
    "minimalist",
    "modern",
    "vintage",
    "casual tone",
    "formal tone",
    "conversational",
    "playful",
    "in your studio",
    "color correction",
    "colour correction",
    "keeping the original formatting",
    "accent",
    "on-brand",
    "brand kit",
    "consistent",
]
MONTHS = {
    m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)
}
TIME_UNITS = {
    "day": 1,
    "days": 1,
    "week": 7,
    "weeks": 7,
    "month": 30,
    "months": 30,
    "hour": 1 / 24,
    "hours": 1 / 24,
    "business day": 1,
    "business days": 1,
    "working day": 1,
    "working days": 1,
    "year": 365,
    "years": 365,
}
LENGTH_UNITS = {
    "word": "words",
    "words": "words",
    "page": "pages",
    "pages": "pages",
    "second": "seconds",
    "seconds": "seconds",
    "sec": "seconds",
    "s": "seconds",
    "minute": "minutes",
    "minutes": "minutes",
    "min": "minutes",
    "mins": "minutes",
    "hour": "hours",
    "hours": "hours",
    "slide": "slides",
    "slides": "slides",
    "character": "characters",
    "characters": "characters",
    "line": "lines",
    "lines": "lines",
}
USAGE_TERMS = [
    "website",
    "web",
    "etsy",
    "amazon",
    "social media",
    "instagram",
    "facebook",
    "linkedin",
    "youtube",
    "personal",
    "personal use",
    "internal",
    "internally",
    "print",
    "radio",
    "regional radio",
    "tv",
    "television",
    "broadcast",
    "commercial",
    "non-commercial",
    "editorial",
    "audiobook",
    "audiobook distribution",
    "podcast",
    "first edition",
    "online",
    "in perpetuity",
    "packaging",
    "merchandise",
    "advertising",
    "ads",
    "home printing",
    "phone wallpaper",
    "wallpaper",
    "streaming",
    "listings",
]
_STOP_ITEM = {
    "of",
    "for",
    "in",
    "with",
    "at",
    "on",
    "and",
    "or",
    "to",
    "from",
    "per",
    "each",
    "by",
    "plus",
    "that",
    "which",
    "who",
    "the",
    "a",
    "an",
    "max",
    "total",
    "is",
    "are",
    "will",
    "you",
    "we",
    "i",
    "then",
    "as",
    "into",
    "after",
    "before",
    "than",
    "up",
    "within",
    "about",
    "around",
    "(",
    ")",
    "it",
    "our",
    "my",
    "your",
    "but",
}
_NOT_ITEMS = {
    "px",
    "dpi",
    "x",
    "k",
    "%",
    "tris",
    "am",
    "pm",
    "st",
    "nd",
    "rd",
    "th",
    "mb",
    "gb",
    "kb",
    "fps",
    "kbps",
    "khz",
    "bit",
    "p",
}
_SECTION_LABEL = re.compile(
    r"^\s*(usage|license|licence|rights|deliverables?|format|budget|"
    r"price|fee|deadline|timeline|scope)\s*:\s*",
    re.IGNORECASE,
)

# --- clause splitting -------------------------------------------------------------------------

_SENT_SPLIT = re.compile(r"(?<=[.!?;])\s+(?=[A-Z0-9(\"'])|\n+|(?<=[.!?])\s*(?=\(\d+\))|;\s+")
_ENUM_SPLIT = re.compile(r"\s*(?=\(\d+\)\s)")


def split_clauses(text: str) -> list[str]:
    """Sentences, then semicolon parts and numbered items '(1) ... (2) ...'."""
    text = re.sub(r"[ \t]+", " ", text or "").strip()
    if not text:
        return []
    # a labelled exclusion list stays one clause even when its items are separated by semicolons
    text = re.sub(
        r"((?:not included|excluded|excludes|exclusions?|not covered|out of scope)\s*[:\-–—][^.\n]*)",
        lambda m: m.group(1).replace(";", ","),
        text,
        flags=re.IGNORECASE,
    )
    parts: list[str] = []
    for sent in _SENT_SPLIT.split(text):
        sent = (sent or "").strip()
        if not sent:
            continue
        pieces = [p.strip(" ,") for p in _ENUM_SPLIT.split(sent) if p.strip(" ,")]
        if len(pieces) > 1:
            parts.extend(pieces)
        else:
            parts.append(sent)
    return [p for p in parts if re.search(r"\w", p)]


# --- extractors -------------------------------------------------------------------------------

_VOCAB_RX: dict[int, re.Pattern] = {}


def _vocab_rx(vocab) -> re.Pattern:
    """One alternation per vocabulary, longest terms first, so one scan finds them all."""
    rx = _VOCAB_RX.get(id(vocab))
    if rx is None:
        keys = sorted(vocab, key=len, reverse=True)
        rx = re.compile(r"(?<![\w])(?:" + "|".join(re.escape(k) for k in keys) + r")(?![\w])")
        _VOCAB_RX[id(vocab)] = rx
    return rx


def _words_in(text: str, vocab: dict[str, str] | list[str]) -> list[str]:
    """Vocabulary terms in text (longest match wins), each once, in order of appearance."""
    hits: list[str] = []
    for m in _vocab_rx(vocab).finditer(text.lower()):
        if m.group(0) not in hits:
            hits.append(m.group(0))
    return hits


_AI_TECH = re.compile(
    r"\b(?:no|not|without|never|zero|free of)\s+(?:\w+\s+){0,2}AI\b|\bAI[- ](?:generated|written|assisted|tools?|"
    r"text|content|writing|writers?|images?|art|detectors?|models?|voices?|free)\b|\b(?:by|with|using|use of|uses?)\s+AI\b"
)


def _ai_format(text: str) -> bool:
    """'AI' as Adobe Illustrator files ("logo as AI and SVG", "an .ai file"), not artificial
    intelligence ("no AI-generated text", "written without AI")."""
    if re.search(r"\.ai\b|\bAI (?:file|format|vector)|\billustrator\b", text, re.I):
        return True
    if not re.search(r"\bAI\b", text):
        return False
    return not _AI_TECH.search(text)


def _norm_formats(text: str) -> list[str]:
    out: list[str] = []
    low = text.lower()
    for key in _words_in(text, FORMATS):
        val = FORMATS[key]
        if (
            key == "word"
            and not re.search(r"\bword\s+(doc|document|file|format)", low)
            and not re.search(r"\b(as|in)\s+(a\s+)?word\b", low)
            and "word and pdf" not in low
        ):
            continue
        if key == "ai" and not _ai_format(text):
            continue
        if key == "blend" and ".blend" not in low and "blend file" not in low:
            continue
        if key == "figma" and not re.search(r"figma (file|prototype)|in figma", low):
            continue
        if key == "canva" and not re.search(r"canva (template|file)", low):
            continue
        if key in ("google doc", "google docs", "google sheet", "google sheets") and not re.search(
            r"(in|as|into) a google", low
        ):
            continue
        if val not in out:
            out.append(val)
    return out


def _platforms(text: str) -> list[str]:
    out: list[str] = []
    low = text.lower()
    for key in _words_in(text, PLATFORMS):
        if key in ("web", "website") and not re.search(r"\bweb (app|version|browser)|\bfor (the )?web\b", low):
            continue
        if key in ("radio", "tv", "podcast", "swift", "react", "desktop"):
            if key == "swift" and "swift" in low:
                pass
            elif key not in ("swift",):
                continue
        if key == "fb" and not re.search(r"\bFB\b", text):
            continue
        val = PLATFORMS[key]
        if val not in out:
            out.append(val)
    return out


_DIM = re.compile(r"(\d{2,5})\s*[x×]\s*(\d{2,5})\s*(px|pixels?)?", re.IGNORECASE)
_INCH = re.compile(r"(\d+(?:\.\d+)?)\s*[x×]\s*(\d+(?:\.\d+)?)\s*(in|inch|inches|cm|mm)\b", re.IGNORECASE)
_LONG = re.compile(r"(\d[\d,]*)\s*(?:px|pixels)\s+(?:on\s+the\s+)?(?:long|longest)\s+(?:side|edge)", re.IGNORECASE)
_ASPECT = re.compile(r"\b(\d{1,2}:\d{1,2})\b")
_DPI = re.compile(r"(\d{2,4})\s*(?:dpi|ppi)\b", re.IGNORECASE)
_MB = re.compile(r"(?:under|max(?:imum)?|below|up to|<)\s*(\d+(?:\.\d+)?)\s*mb\b", re.IGNORECASE)
_RES = re.compile(r"\b(\d{3,4}p|[48]k)\b", re.IGNORECASE)


def _dimensions(clause: str) -> dict | None:
    facts: dict = {}
    m = _DIM.search(clause)
    if m and not _INCH.search(clause):
        facts["width"], facts["height"] = int(m.group(1)), int(m.group(2))
        if facts["width"] == facts["height"]:
            facts["aspect"] = "1:1"
    m = _LONG.search(clause)
    if m:
        facts["long_side"] = int(m.group(1).replace(",", ""))
    m = _ASPECT.search(clause)
    if (m and not re.search(r"\d:\d\d\s*(am|pm)?", clause, re.IGNORECASE)) or (
        m and m.group(1) in ("1:1", "16:9", "9:16", "4:5", "4:3", "3:2", "21:9")
    ):
        facts["aspect"] = m.group(1)
    if re.search(r"\bsquare\b", clause, re.IGNORECASE):
        facts["aspect"] = "1:1"
    if re.search(r"\bvertical\b", clause, re.IGNORECASE) and "aspect" not in facts:
        facts["aspect"] = "9:16"
    m = _DPI.search(clause)
    if m:
        facts["dpi"] = int(m.group(1))
    m = _MB.search(clause)
    if m:
        facts["max_file_mb"] = float(m.group(1))
    m = _RES.search(clause)
    if m:
        facts["resolution"] = m.group(1).lower()
    return facts or None


_MONEY = re.compile(
    r"(?P<pre>US\$|\$|€|£|¥|₹|\b(?:USD|EUR|GBP|CAD|AUD|CHF|INR)\s?)\s*(?P<num>\d[\d,]*(?:\.\d+)?)"
    r"(?P<k>k\b)?(?:\s*(?:/|per\s+)(?P<per>word|hour|hr|month|week|day|image|photo|post|page|song|"
    r"episode|finished hour|item|minute|min))?"
    r"|(?P<num2>\d[\d,]*(?:\.\d+)?)\s*(?P<post>USD|EUR|GBP|CAD|AUD|dollars|euros|pounds)\b",
    re.IGNORECASE,
)


def _price(clause: str) -> list[dict]:
    out = []
    for m in _MONEY.finditer(clause):
        if m.group("num"):
            num, cur = m.group("num"), m.group("pre").strip().lower()
        else:
            num, cur = m.group("num2"), m.group("post").lower()
        amount = num.replace(",", "")
        if m.groupdict().get("k"):
            amount = str(int(float(amount) * 1000))
        per = m.group("per").lower() if m.groupdict().get("per") else None
        if per is None:
            after = clause[m.end() : m.end() + 30].lower()
            pm = re.match(r"\s*(?:/|per\s+|a\s+)(finished hour|hour|month|week|word|day|episode|post|image)", after)
            if pm:
                per = pm.group(1)
            elif re.match(r"\s*each\b", after):
                per = "item"
        out.append({"amount": amount, "currency": CURRENCIES.get(cur, cur.upper()), "per": per})
    return out


_DEADLINE = re.compile(
    r"(?:within|in|deadline(?:\s+is|:)?|due(?:\s+in|\s+within)?|delivery(?:\s+in|\s+within)?|"
    r"turnaround(?:\s+of|:)?|done\s+within|done\s+in|launch\s+in|ready\s+in|deliver(?:ed)?\s+within|"
    r"^|,)\s*(?P<num>\d+(?:\.\d+)?|[a-z]+(?:[\s-][a-z]+)?)\s*(?P<unit>business days?|working days?|days?|weeks?|months?|hours?)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(?:by|before|due(?:\s+on)?|until|no later than|deadline(?:\s+is|:)?|launch(?:\s+on)?|delivery(?:\s+on|:)?)\s+(?:the\s+)?(?:(?P<iso>\d{4}-\d{2}-\d{2})|(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{4}))?"
    r"|(?P<day2>\d{1,2})(?:st|nd|rd|th)?(?:\s+of)?(?:\s+(?P<mon2>jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*(?:\s+(?P<year2>\d{4}))?)?)\b",
    re.IGNORECASE,
)


def _deadline(clause: str) -> dict | None:
    low = clause.lower()
    for m in _DEADLINE.finditer(clause):
        raw = m.group("num")
        value = parse_number(raw)
        if value is None:
            continue
        unit = m.group("unit").lower()
        tail = low[m.end() : m.end() + 20]
        if re.match(r"\s*(/|per\b|a week|of (coverage|footage|raw|finished|audio|video))", tail) or re.match(
            r"\s*(per|each|every)\b", tail
        ):
            continue
        before = low[max(0, m.start() - 12) : m.start() + 1]
        if re.search(r"(per|every|a)\s*$", before) and not re.search(r"(within|in|due)\s", m.group(0).lower()):
            continue
        if unit.startswith("hour") and not re.search(r"within|due|deliver|turnaround|in\s", m.group(0).lower()):
            continue
        trigger = m.group(0).lower().lstrip(", ")
        if not re.match(r"(within|in|deadline|due|delivery|turnaround|done|launch|ready|deliver)", trigger):
            # bare "3 days" only at the end of a price/term list ("$120, 3 days.")
            rest = low[m.end() :].strip(" .")
            if rest or not re.search(r"[$€£]|\bfee\b|\bprice\b|,", low[: m.start() + 1]):
                continue
        days = value * TIME_UNITS.get(unit, TIME_UNITS.get(unit.rstrip("s"), 1))
        return {"deadline_days": days, "working_days": unit.startswith(("business", "working")), "raw": m.group(0)}
    on_date = _DATE.search(clause)
    if on_date and on_date.group("iso"):
        return {"deadline_date": on_date.group("iso"), "raw": on_date.group(0)}
    if on_date and (on_date.group("mon") or on_date.group("mon2") or re.search(r"\bby the \d", low)):
        mon = on_date.group("mon") or on_date.group("mon2")
        day = on_date.group("day") or on_date.group("day2")
        year = on_date.group("year") or on_date.group("year2")
        if mon:
            date = f"{MONTHS[mon[:3].lower()]:02d}-{int(day):02d}"
            if year:
                date = f"{year}-{date}"
        else:
            date = f"--{int(day):02d}"
        return {"deadline_date": date, "raw": on_date.group(0)}
    return None


_REVISION = re.compile(
    r"(?P<num>\d+|[a-z]+)\s+(?:small\s+|free\s+|minor\s+|full\s+)?(?:rounds?\s+of\s+(?:[a-z-]+\s+)?(?:revisions?|edits?|changes?|feedback|corrections?|re-?takes?|"
    r"pick-?ups?|re-?records?|re-?recordings?|notes|tweaks|amends|amendments)|"
    r"(?:revision|edit|feedback|retouch(?:ing)?|correction)\s+(?:rounds?|passe?s?)|revisions?\b|edits?\b|(?:re-?)?reads?\b|"
    r"re-?takes?\b|re-?records?\b|pick-?ups?\b)",
    re.IGNORECASE,
)


def _revisions(clause: str) -> int | None:
    low = clause.lower()
    if re.search(r"\bno\s+(revisions?|edits?|changes?)\b|revisions?\s+(are\s+)?not\s+included", low):
        return 0
    if re.search(r"\bunlimited\s+(revisions?|edits?|changes?)", low):
        return 99
    for m in _REVISION.finditer(clause):
        raw = m.group("num").lower()
        if raw in ("a", "an", "one"):
            return 1
        value = parse_number(raw)
        if value is not None:
            return int(value)
    return None


_USAGE_LEAD = re.compile(
    r"(?:\busage\s*:|\blicen[sc]e[ds]?\s*(?::|for\b)|\brights\s*:|may be used\b|can be used\b|\bfor use\b)\s*(?:(?:for|on|in)\b)?\s*(?P<what>[^.;]+)"
    r"|(?:for|includes?)\s+(?P<what2>(?:personal|commercial|internal|editorial|non-commercial)\s+use[^.;]*|print rights[^.;]*)",
    re.IGNORECASE,
)


def _usage(clause: str) -> list[str] | None:
    m = _USAGE_LEAD.search(clause)
    if not m:
        return None
    what = (m.group("what") or m.group("what2") or "").lower()
    found = []
    for term in _words_in(what, USAGE_TERMS):
        norm = {
            "internally": "internal",
            "personal use": "personal",
            "television": "tv",
            "web": "website",
            "listings": "website",
        }.get(term, term)
        if norm not in found:
            found.append(norm)
    for m2 in re.finditer(r"\bin\s+([A-Z][a-z]+)\b", clause):
        if m2.group(1) not in ("English", "Word"):
            found.append("territory:" + m2.group(1).lower())
    for m2 in re.finditer(r"for\s+(\d+|one|two|three|five|ten)\s+years?", what):
        found.append(f"term:{m2.group(1)}y")
    return found or [what.strip()[:60]]


_EXCLUDE = re.compile(
    r"(?P<a>[\w /,&'-]+?)\s+(?:is|are)?\s*(?:not\s+(?:included|part of (?:this|the) (?:job|scope|project)|covered)|excluded\b)"
    r"|(?:excluding|excludes|does not include|doesn't include|not including|without)\s+(?P<b>[\w /,&'-]+)",
    re.IGNORECASE,
)


# "No redesign, no user testing." / "Silent, no voice." -- a bare "no X" at the start of a
# clause or list item excludes X; "no revisions", "no later than" and the like say other things.
_NO_ITEM = re.compile(
    r"(?:^|[,;:(]\s*|\band\s+)no\s+(?!(?:revisions?|edits?|changes?|later|more|less|fewer|longer|need|"
    r"charge|cost|extra|problem|rush|minimum|limit|deadline|hurry|pressure|stock|ai\b|"
    r"subscriptions?\b|ads?\b|other|one|than)\b)(?P<c>[a-z][\w' -]*?)\s*(?=[,.;)]|$|\s+(?:or|and)\s+no\b)",
    re.IGNORECASE,
)
# Work the client keeps: "Client supplies all text and photos", "Posting is done by the client".
_CLIENT_DOES = re.compile(
    r"\b(?:the\s+)?(?:client|customer|we|i)\s+(?:will\s+)?(?:supplies|supply|provides?|handles?|writes?|does|do)\s+"
    r"(?:all\s+)?(?:the\s+|our\s+|my\s+)?(?P<d>[a-z][\w ,&/-]*?)\s*(?=[.;)]|$|,\s*(?:and\s+)?[a-z]+\s+(?:is|are)\b)"
    r"|(?P<a>[a-z][\w ,&/-]*?)\s+(?:is|are|will be)\s+(?:done|handled|provided|supplied|written|posted|shot|sent)\s+by\s+"
    r"(?:the\s+)?(?:client|customer|us|me|our team|ourselves|myself)\b",
    re.IGNORECASE,
)


# A labelled list of what the price leaves out: "Not included: brand book, stationery.",
# "Excluded: DTP, text inside images", "Exclusions - hosting; domain".
_EXCL_LABEL = re.compile(
    r"^\s*(?:(?:what'?s\s+|what\s+is\s+)?not\s+included|excluded|excludes|exclusions?|not\s+covered|"
    r"out\s+of\s+scope|(?:this\s+|the\s+\w+\s+)?(?:does\s+not|doesn'?t)\s+include|not\s+part\s+of\s+(?:the|this)\s+"
    r"(?:job|scope|project|package|price)|extras?|billed\s+separately|(?:available\s+)?at\s+extra\s+cost)\s*(?:[:\-–—]|\s)\s*(?P<items>.+)$",
    re.IGNORECASE,
)
# "Stock photos are extra", "rush delivery billed separately": not part of the price either.
_EXTRA = re.compile(
    r"(?P<a>[\w /,&'-]+?)\s+(?:is|are|will be)?\s*(?:extra|an extra|billed separately|charged separately|"
    r"quoted separately|(?:available\s+)?at (?:an )?extra cost|not part of (?:this|the) (?:price|fee|package))\b",
    re.IGNORECASE,
)


def exclusion_list(clause: str) -> list[str] | None:
    """The items of a labelled exclusion list, or None when the clause is not one."""
    m = _EXCL_LABEL.match(clause)
    if not m:
        return None
    items = []
    for part in re.split(r"\s*(?:[,;/&]|\band\b|\bor\b|\bnor\b)\s*", m.group("items").strip().rstrip(".!")):
        part = re.sub(r"^(?:the|a|an|any|all|no|our|my)\s+", "", part.strip(" .").lower())
        if part and re.search(r"[a-z]", part):
            items.append(part)
    return items or None


def _split_items(raw: str) -> list[str]:
    raw = re.sub(r"^(the|and|but|also|all|our|my)\s+", "", raw.strip(), flags=re.IGNORECASE)
    out = []
    for part in re.split(r"\s*(?:,|/|\band\b|&)\s*", raw):
        part = re.sub(r"^(the|a|an|all|our|my|any)\s+", "", part.strip().lower())
        if re.match(r"(you|we|i|they|he|she|it)\b", part):
            break
        if part and part not in ("the", "a", "an"):
            out.append(part)
    return out


def _client_work(clause: str) -> list[str]:
    out: list[str] = []
    for m in _CLIENT_DOES.finditer(clause):
        out += _split_items(m.group("d") or m.group("a") or "")
    return out


def _exclusions(clause: str) -> list[str]:
    listed = exclusion_list(clause)
    if listed:
        return listed
    out = []
    for m in _EXTRA.finditer(clause):
        out += _split_items(m.group("a"))
    for m in _NO_ITEM.finditer(clause):
        out += _split_items(m.group("c"))
    for m in _EXCLUDE.finditer(clause):
        raw = (m.group("a") or m.group("b") or "").strip()
        raw = re.sub(r"^(the|and|but|also)\s+", "", raw, flags=re.IGNORECASE)
        for part in re.split(r"\s*(?:,|/|\band\b|&)\s*", raw):
            part = part.strip().lower()
            if part and part not in ("the", "a", "an"):
                out.append(part)
    return out


def _length(clause: str) -> list[dict]:
    out = []
    low = clause.lower()
    for n in find_numbers(clause):
        after = low[n.end : n.end + 40]
        m = re.match(
            r"\s*[-–]?\s*(?:to\s+|-\s*|–\s*)?(?:\d+\s*)?-?\s*(words?|pages?|seconds?|sec|minutes?|mins?|min|slides?|characters?|lines?)\b",
            after,
        )
        if not m:
            continue
        unit = LENGTH_UNITS[m.group(1)]
        rest = after[m.end() :]
        per_item = bool(re.match(r"\s*(each|per|apiece|a piece)\b", rest)) or bool(
            re.match(r"\s*\(?~?\d", rest) is None and re.search(r"words each|each\)", after[: m.end() + 8])
        )
        # "a 60-second explainer video": a duration written as a modifier is the length of the
        # item, so a longer one is a changed property, not more units
        if unit in ("seconds", "minutes") and re.match(r"-(?:second|sec|minute|min)\s+[a-z]", after):
            per_item = True
        before = low[max(0, n.start - 12) : n.start]
        if re.search(r"(\$|€|£)\s*$", before):
            continue
        out.append(
            {
                "length_value": n.value,
                "length_unit": unit,
                "length_per_item": per_item,
                "quantity_max": bool(re.search(r"(max|up to|under|at most)\s*$", before))
                or bool(re.match(r"\s*max\b", rest)),
            }
        )
    return out


def _deliverables(clause: str, used: list[tuple[int, int]]) -> list[dict]:
    out = []
    low = clause.lower()
    for n in find_numbers(clause):
        if any(a <= n.start < b for a, b in used):
            continue
        before = low[max(0, n.start - 14) : n.start]
        if re.search(r"(\$|€|£|#|no\.|rating|page|song|track|spread|chapter)\s*$", before) or (
            re.search(r"\(\s*$", before) and re.match(r"\)", clause[n.end :])
        ):
            continue
        after = clause[n.end :]
        if re.match(r"[A-Za-z]|-off\b|-bit\b", after) or re.search(r"[A-Za-z]-$", clause[: n.start]):
            continue
        if (
            1900 <= n.value <= 2100
            and "," not in n.text
            and re.search(r"\b(my|the|in|of|for|since|from|our|'s)\s*$", before)
        ):
            continue
        if re.match(r"\s*(?:[-–]|to)\s*\d", after):  # ranges like "10-12 minute"
            continue
        if re.match(
            r"\s*(?:%|:|\.\d|/\d|[xX×]\s*\d)|-?(?:page|minute|second|hour|day|week|month|year|word)"
            r"|\s+(?:pages?|minutes?|seconds?|days?|weeks?|months?|years?|words?)\b",
            after,
        ):
            continue
        tokens = re.findall(r"[A-Za-z][\w'&.-]*|[(),;:/+]", after)
        words = []
        for tok in tokens:
            t = tok.lower().strip(".")
            if t in _STOP_ITEM or tok in "(),;:/+" or words_to_number(t) is not None:
                break
            if re.fullmatch(r"[\d]+", t):
                break
            words.append(tok.strip("."))
            if len(words) >= 4:
                break
        if not words or words[0].lower() in _NOT_ITEMS or (len(words) == 1 and words[0].endswith("ed")):
            continue
        first = words[0].lower()
        if first in TIME_UNITS or first in LENGTH_UNITS or first in ("times", "am", "pm", "st"):
            if first.startswith("hour") and re.match(r"\s*hours?\s*(of|/|per|a\s+week)", after.lower()):
                words = ["hours"] + (["of", "coverage"] if "coverage" in after.lower()[:20] else [])
            else:
                continue
        if first in ("each", "per", "total", "revision", "revisions", "round", "rounds"):
            continue
        tail = low[n.end + len(" ".join(words)) + 1 :][:12]
        if re.match(r"\s*each\b", tail) and n.value == 1:
            continue
        qmax = bool(re.search(r"(up to|max(?:imum)?|at most|no more than|under)\s*$", before))
        item = " ".join(words)
        out.append({"item": item.lower(), "quantity": int(n.value), "quantity_max": qmax})
    return out


_MAKE_VERBS = (
    r"design|create|make|build|develop|write|rewrite|record|edit|compose|produce|model|draw|"
    r"illustrate|paint|translate|narrate|shoot|film|animate|mix|master|code|set up|redesign|"
    r"refresh|proofread|transcribe|voice|need|want|looking for"
)
_SINGLE = re.compile(
    r"^(?:(?:i|we)\s+(?:need|want|would like|'d like|am looking for|are looking for)\s+|"
    r"(?:please\s+)?(?:"
    + _MAKE_VERBS
    + r")\s+)?(?P<art>an?|one|a single|my|our)\s+(?P<np>(?:[^.;:,()]|(?<=\d)[.,](?=\d))+)",
    re.IGNORECASE,
)
_ROLES = {
    "photographer",
    "videographer",
    "designer",
    "developer",
    "dev",
    "writer",
    "copywriter",
    "editor",
    "assistant",
    "translator",
    "illustrator",
    "artist",
    "freelancer",
    "va",
    "bookkeeper",
    "accountant",
    "narrator",
    "actor",
    "tutor",
    "musician",
    "composer",
    "producer",
    "engineer",
    "expert",
    "professional",
    "someone",
    "person",
    "specialist",
    "consultant",
    "manager",
    "ghostwriter",
    "animator",
    "modeler",
    "modeller",
    "marketer",
    "transcriber",
    "voice",
    "talent",
    "team",
    "company",
    "business",
    "client",
    "brand",
    "shop",
    "store",
    "studio",
    "restaurant",
    "cafe",
    "café",
    "startup",
    "agency",
    "son",
    "daughter",
    "wife",
    "husband",
    "mother",
    "father",
    "dog",
    "cat",
    "friend",
    "budget",
    "fee",
    "price",
    "deadline",
    "total",
    "flat",
    "week",
    "month",
    "day",
    "year",
    "hour",
    "round",
    "revision",
}


def _single_item(clause: str) -> dict | None:
    """'A logo as PNG', 'Edit a 60-second explainer video', 'Record a voiceover': one item named
    without a number. Only the lead noun phrase of a clause counts, and never a person or role."""
    text = _SECTION_LABEL.sub("", clause).strip()
    m = _SINGLE.match(text)
    if not m:
        return None
    if m.group("art").lower() in ("my", "our") and not re.match(
        r"(?:please\s+)?(?:" + _MAKE_VERBS + r")\b", text, re.IGNORECASE
    ):
        return None
    words = []
    for tok in re.findall(r"\d[\d,.]*-[A-Za-z]+|[A-Za-z0-9][\w'&.-]*", m.group("np")):
        t = tok.lower().strip(".")
        if re.match(r"\d", t):
            if re.fullmatch(r"[\d.,]+-[a-z]+", t):  # "60-second", "5-page": a modifier
                continue
            break
        if t in _STOP_ITEM or words_to_number(t) is not None:
            break
        words.append(t)
        if len(words) >= 4:
            break
    if not words or words[-1] in _ROLES or (words[-1].endswith(("ing", "ed")) and len(words) == 1):
        return None
    return {"item": " ".join(words), "quantity": 1, "quantity_max": False}


def _quality(clause: str) -> list[str]:
    low = clause.lower()
    found = []
    for phrase in _words_in(clause, QUALITY):
        if phrase == "warm" and not re.search(r"warm\s+\w+\s+accent|warm\s+(tone|voice)", low):
            continue
        found.append(phrase)
    m = re.search(r"\b(flat lay or plain surface|flat lay or [a-z ]+?)(?=[,.;]|$)", low)
    if m and "flat lay" in found:
        found = [f for f in found if f not in ("flat lay", "plain surface")]
        found.insert(0, m.group(1))
    m = re.search(r"\btone\s*:\s*([^.;]+)", low)
    if m:
        found = [f for f in found if f not in ("friendly but professional",)]
        found.append(m.group(1).strip())
    m = re.search(r"\b([a-z]+,?\s+[a-z]+\s+(?:american|british|australian|neutral)\s+accent)\b", low)
    if m:
        found = [f for f in found if f != "accent"]
        found.append(m.group(1))
    elif "accent" in found:
        found.remove("accent")
    return found


# --- assembly ---------------------------------------------------------------------------------


def _mk(reqs: list[Requirement], kind: str, clause: str, **facts) -> Requirement:
    req = Requirement(id=0, kind=kind, text=clause)
    for k, v in facts.items():
        if hasattr(req, k):
            setattr(req, k, v)
    reqs.append(req)
    return req


def _clause_requirements(clause: str) -> list[Requirement]:
    reqs: list[Requirement] = []
    used: list[tuple[int, int]] = []
    labelled = _SECTION_LABEL.match(clause)
    label = labelled.group(1).lower() if labelled else ""
    listed = exclusion_list(clause)
    if listed:  # nothing in a list of what is left out is promised: no counts, formats or platforms
        _mk(reqs, "exclusion", clause, excluded=listed)
        return reqs

    for p in _price(clause):
        _mk(reqs, "price", clause, **p)
    for m in _MONEY.finditer(clause):
        used.append((m.start(), m.end() + 1))

    dl = _deadline(clause)
    if dl:
        raw = dl.pop("raw")
        _mk(reqs, "deadline", clause, **dl)
        i = clause.find(raw)
        if i >= 0:
            used.append((i, i + len(raw)))

    rev = _revisions(clause)
    if rev is not None:
        _mk(reqs, "revisions", clause, revisions=rev)
        for m in _REVISION.finditer(clause):
            used.append((m.start(), m.end()))

    dims = _dimensions(clause)
    if dims:
        _mk(reqs, "dimensions", clause, **dims)
        for rx in (_DIM, _LONG, _DPI, _MB, _RES, _INCH):
            for m in rx.finditer(clause):
                used.append((m.start(), m.end()))

    fmts = _norm_formats(clause)
    plats = _platforms(clause)
    if fmts:
        _mk(reqs, "format", clause, formats=fmts)

    if label in ("usage", "license", "licence", "rights") or _USAGE_LEAD.search(clause):
        uses = _usage(clause)
        if uses:
            _mk(reqs, "usage", clause, usage=uses, platforms=[])
            for n in find_numbers(clause):
                if re.search(
                    r"up to|copies|years?", clause[n.end : n.end + 12] + clause[max(0, n.start - 8) : n.start]
                ):
                    used.append((n.start, n.end))

    excl = _exclusions(clause)
    if excl:
        _mk(reqs, "exclusion", clause, excluded=excl)
    kept = _client_work(clause)
    if kept:
        _mk(reqs, "exclusion", clause, excluded=kept, by_client=True)

    for ln in _length(clause):
        _mk(reqs, "length", clause, **ln)
    for m in re.finditer(r"\d[\d,]*\s*[-–]?\s*(words?|pages?|seconds?|minutes?|mins?|slides?)", clause, re.IGNORECASE):
        used.append((m.start(), m.end()))
    for m in re.finditer(r"\d+\s*(st|nd|rd|th)\b|\d{1,2}(:\d\d)?\s*(am|pm)\b", clause, re.IGNORECASE):
        used.append((m.start(), m.end()))

    for d in _deliverables(clause, used):
        item = d["item"]
        if re.search(r"\bsamples?\b", clause, re.IGNORECASE) and re.search(r"\bsamples?\b", item):
            item = "samples"
        r = _mk(reqs, "deliverable", clause, item=item, quantity=d["quantity"], quantity_max=d["quantity_max"])
        r.platforms = plats
        r.formats = fmts

    if not any(r.kind == "deliverable" for r in reqs):
        one = _single_item(clause)
        if one:
            r = _mk(reqs, "deliverable", clause, **one)
            r.platforms, r.formats = plats, fmts

    if plats and not any(r.kind == "deliverable" for r in reqs):
        if any(r.kind == "format" for r in reqs):
            next(r for r in reqs if r.kind == "format").platforms = plats
        elif not any(r.kind == "usage" for r in reqs):
            _mk(reqs, "other", clause, platforms=plats)
        else:
            next(r for r in reqs if r.kind == "usage").platforms = plats
    for q in _quality(clause):
        _mk(reqs, "quality", clause, item=q)
    if not reqs:
        _mk(reqs, "other", clause)
    return reqs


_PER_EACH = re.compile(
    r"\b(?:one|1|a|an)\s+([\w-]+(?:\s+[\w-]+)?)\s+(?:per|for each|for every|each for)\s+([\w-]+)", re.I
)


def _per_each(reqs: list[Requirement]) -> list[Requirement]:
    """'one mug per photo for the 12 photos': the mugs number as many as the photos (12), not 1."""
    for r in reqs:
        if r.kind != "deliverable" or r.quantity != 1 or not r.item:
            continue
        m = _PER_EACH.search(r.text)
        if not m or r.item.split()[-1].lower() not in m.group(1).lower():
            continue
        per = m.group(2).lower().rstrip("s")
        other = next(
            (x for x in reqs if x is not r and x.kind == "deliverable" and x.item and per in x.item.lower()), None
        )
        r.quantity = other.quantity if other is not None and other.quantity else None
        if other is not None:
            reqs = [x for x in reqs if x is not other]  # the photos only count the mugs
    return reqs


def parse_brief(text: str) -> Brief:
    """Split a brief into clauses and extract every requirement it states, in order.

    Never raises on odd input: empty or non-text briefs give no clauses and no requirements.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = tame_digit_runs((text or "").replace("\x00", " "))
    if len(text) > MAX_CHARS:  # briefs are a few sentences; a book is not parsed whole
        text = text[:MAX_CHARS]
    clauses = split_clauses(text)
    requirements: list[Requirement] = []
    for clause in clauses:
        requirements.extend(_per_each(_clause_requirements(clause)))
    for i, r in enumerate(requirements, 1):
        r.id = i
    return Brief(text=text, clauses=clauses, requirements=requirements)
