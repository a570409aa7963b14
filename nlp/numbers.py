"""Numbers as people write them in briefs and chat: digits, words, "a dozen", "2k", "1,000".

Clients disguise quantities as words ("twelve candles, not eight"), so every comparison of
counts in the brief parser and the scope checker goes through this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
SPECIAL = {
    "a dozen": 12,
    "dozen": 12,
    "half a dozen": 6,
    "a couple of": 2,
    "a couple": 2,
    "a pair of": 2,
    "a hundred": 100,
    "a thousand": 1000,
    "single": 1,
    "a single": 1,
}
ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
}
NUMBER_WORDS = set(UNITS) | set(TENS) | set(SCALES)

_DIGITS = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?)(?![\d.]*\s*[xX×]\s*\d)(?![\d.]*\d)(\s*[kK]\b)?"
)
_WORD_SEQ = re.compile(
    r"\b(?:(?:" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")(?:[\s-]+(?:and[\s-]+)?)?)+",
    re.IGNORECASE,
)
_ORDINAL_DIGIT = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Number:
    """One number found in text, with where it was."""

    value: float
    start: int
    end: int
    text: str


def words_to_number(text: str) -> int | None:
    """'two hundred fifty' -> 250, 'twenty-one' -> 21; None if it is not a number phrase."""
    t = text.lower().strip()
    if t in SPECIAL:
        return SPECIAL[t]
    tokens = [w for w in re.split(r"[\s-]+", t) if w and w != "and"]
    if not tokens or any(w not in NUMBER_WORDS for w in tokens):
        return None
    total, current = 0, 0
    for w in tokens:
        if w in UNITS:
            current += UNITS[w]
        elif w in TENS:
            current += TENS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        else:
            total += max(current, 1) * SCALES[w]
            current = 0
    return total + current


def parse_number(text: str) -> float | None:
    """One number from a short string: '1,000' -> 1000, '2k' -> 2000, 'twelve' -> 12, 'a dozen' -> 12."""
    t = text.strip().lower()
    if not t:
        return None
    m = re.fullmatch(r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(k)?", t)
    if m:
        value = float(m.group(1).replace(",", ""))
        return value * 1000 if m.group(2) else value
    w = words_to_number(t)
    if w is not None:
        return float(w)
    if t in ORDINALS:
        return float(ORDINALS[t])
    return None


def find_numbers(text: str) -> list[Number]:
    """Every number in text, digits and words, in order of appearance (ordinals excluded)."""
    found: list[Number] = []
    taken: list[tuple[int, int]] = []
    for m in _DIGITS.finditer(text):
        raw = m.group(1)
        value = float(raw.replace(",", ""))
        if m.group(2):
            value *= 1000
        found.append(Number(value, m.start(), m.end(), m.group(0)))
        taken.append((m.start(), m.end()))
    lower = text.lower()
    for phrase in sorted(SPECIAL, key=len, reverse=True):
        for m in re.finditer(r"\b" + re.escape(phrase) + r"\b", lower):
            if phrase in ("single", "a single", "a couple", "a couple of", "a pair of"):
                continue
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            found.append(Number(float(SPECIAL[phrase]), m.start(), m.end(), text[m.start() : m.end()]))
            taken.append((m.start(), m.end()))
    for m in _WORD_SEQ.finditer(text):
        raw = m.group(0).rstrip(" -")
        raw = re.sub(r"[\s-]+and$", "", raw)
        if any(a < m.start() + len(raw) and m.start() < b for a, b in taken):
            continue
        spelled = words_to_number(raw)
        if spelled is None:
            continue
        found.append(Number(float(spelled), m.start(), m.start() + len(raw), raw))
    found.sort(key=lambda n: n.start)
    return found


def find_ordinal(text: str) -> list[int]:
    """Ordinals as numbers ('third round' -> 3, '2nd pass' -> 2)."""
    out = []
    for m in re.finditer(r"\b(" + "|".join(ORDINALS) + r")\b", text, re.IGNORECASE):
        out.append(ORDINALS[m.group(1).lower()])
    out.extend(int(m.group(1)) for m in _ORDINAL_DIGIT.finditer(text))
    return out


_LONG_DIGITS = re.compile(r"\d{13,}")


def tame_digit_runs(text: str) -> str:
    """Digit runs longer than any real quantity (13+ digits) are cut to 12: no overflow to infinity,
    and no regex rescanning a thousand digits from every position."""
    return _LONG_DIGITS.sub(lambda m: m.group(0)[:12], text)


# --- numbers that are not quantities -------------------------------------------------------------

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_UNIT_AFTER = re.compile(
    r"\s*(?:%|°|(?:k|m|g|t)?b\b|(?:kb|mb|gb|tb|kbps|mbps|px|pixels?|dpi|ppi|fps|hz|khz|mhz|bits?|-bit|ms|mm|cm|"
    r"inch(?:es)?|in\b|ft|feet|kg|lbs?|oz|pt|em|bpm|db|k\b|p\b|x\b|st\b|nd\b|rd\b|th\b))",
    re.IGNORECASE,
)
_MONEY_AFTER = re.compile(
    r"\s*(?:usd|eur|gbp|cad|aud|dollars?|euros?|pounds?|bucks|quid|/\s*(?:h|hr|hour|mo|month|word|page))\b",
    re.IGNORECASE,
)
_LABEL_BEFORE = re.compile(
    r"\b(?:episodes?|eps?|rows?|lines?|columns?|cols?|pages?|slides?|tracks?|scenes?|takes?|frames?|chapters?|"
    r"sections?|steps?|levels?|rounds?|versions?|v|builds?|releases?|ios|android|windows|python|node|php|"
    r"issues?|tickets?|bugs?|invoices?|orders?|items?|questions?|figures?|fig|tables?|images?|photos?|shots?|"
    r"files?|clips?|songs?|verses?|bars?|measures?|cells?|sheets?|tabs?|units?|rooms?|apartments?|floors?|"
    r"seasons?|parts?|stages?|phases?|milestones?|weeks?|days?|no\.?|number|nr\.?|#)\s*$",
    re.IGNORECASE,
)


def not_a_count(text: str, n: Number) -> str | None:
    """What a number is when it is not a count of things: "time" (12:30, 9am), "timestamp"
    (1:02:45), "date" (3/14, 4 July), "version" (v2.1, iOS 17), "price" ($300, 40 euros),
    "size" (5 MB, 300 dpi, 1080p, 48kHz), "label" (episode 3, rows 88 to 95); None for a count."""
    before = text[max(0, n.start - 24) : n.start]
    after = text[n.end : n.end + 24]
    if re.search(r"\d:\s*$|:\s*$", before) and before.rstrip().endswith(":") and re.search(r"\d\s*:\s*$", before):
        return "timestamp" if before.count(":") >= 2 or re.search(r"\d+:\d+:\s*$", before) else "time"
    if re.match(r":\d", after):
        return "timestamp" if re.match(r":\d+:\d", after) else "time"
    if re.match(r"\s*(?:a\.?m\.?|p\.?m\.?)(?!\w)|\s*o'?clock\b|\s*h\d\d\b", after, re.IGNORECASE):
        return "time"
    if re.match(r"[/.-]\d", after) and not re.match(r"\.\d+\s*(?:k\b|[a-z]{2,})", after, re.IGNORECASE):
        return (
            "version" if re.search(r"\b(?:v|version|ios|android|release|build)\s*$", before, re.IGNORECASE) else "date"
        )
    if re.search(r"\d[/.-]$", before):
        return "date"
    if re.search(r"[$€£¥₹]\s*$|\b(?:usd|eur|gbp|rs\.?)\s*$", before, re.IGNORECASE) or _MONEY_AFTER.match(after):
        return "price"
    if re.search(
        r"\b(?:v|version|ios|android|macos|windows|python|node|php|wordpress|release|build)\s*$", before, re.IGNORECASE
    ):
        return "version"
    if re.match(r"\s*" + _MONTH + r"(?!\w)|\s+of\s+" + _MONTH, after, re.IGNORECASE) or re.search(
        r"\b" + _MONTH + r"\s*$", before, re.IGNORECASE
    ):
        return "date"
    if 1900 <= n.value <= 2100 and "," not in n.text:
        return "date"
    if _UNIT_AFTER.match(after):
        return "size"
    if _LABEL_BEFORE.search(before):
        return "label"
    m = re.search(r"(\S+)\s*\d+\s*(?:to|-|–|through|and|,)\s*$", before)
    if m and _LABEL_BEFORE.search(m.group(1) + " "):
        return "label"  # the end of a range of labels: "rows 88 to 95", "pages 3 and 4"
    return None
