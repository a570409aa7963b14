"""Rule signals: what a request asks for, compared with the facts of the parsed brief.

The checkable reasons a request can go beyond a brief (more units, a new platform, an excluded
item, a later revision round, an earlier deadline, a wider licence) and the cues of in-scope
messages (fixes, questions, fewer items), each with the evidence a reason can cite. These are the
structured signals that hold across trades: counts, deadlines, revision rounds, licences and
exclusions; what a request means is left to the encoder (nlp.matching).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from nlp.brief import PLATFORMS, Brief, Requirement, _deadline, _norm_formats, _platforms
from nlp.numbers import find_numbers, not_a_count, parse_number

STOP = set(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "i",
        "we",
        "you",
        "he",
        "she",
        "they",
        "me",
        "us",
        "my",
        "our",
        "your",
        "their",
        "them",
        "his",
        "her",
        "can",
        "could",
        "would",
        "will",
        "shall",
        "should",
        "may",
        "might",
        "must",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "not",
        "no",
        "so",
        "just",
        "also",
        "too",
        "very",
        "really",
        "please",
        "thanks",
        "thank",
        "hi",
        "hello",
        "hey",
        "there",
        "here",
        "what",
        "when",
        "which",
        "who",
        "how",
        "all",
        "any",
        "some",
        "each",
        "every",
        "more",
        "most",
        "other",
        "into",
        "about",
        "up",
        "out",
        "over",
        "then",
        "than",
        "only",
        "same",
        "one",
        "own",
        "get",
        "got",
        "like",
        "want",
        "wanted",
        "need",
        "needs",
        "make",
        "made",
        "let",
        "lets",
        "would'd",
        "i'm",
        "we're",
        "it's",
        "that's",
        "don't",
        "can't",
    ]
)

SYNONYMS = {
    "photo": "photo",
    "picture": "photo",
    "pic": "photo",
    "shot": "photo",
    "image": "photo",
    "photograph": "photo",
    "headshot": "photo",
    "render": "render",
    "song": "song",
    "track": "song",
    "tune": "song",
    "page": "page",
    "screen": "screen",
    "post": "post",
    "article": "post",
    "blog": "post",
    "video": "video",
    "episode": "video",
    "clip": "video",
    "concept": "concept",
    "option": "concept",
    "record": "record",
    "row": "record",
    "entry": "record",
    "listing": "listing",
    "product": "product",
    "item": "product",
    "session": "session",
    "lesson": "session",
    "class": "session",
    "slide": "slide",
    "word": "word",
    "hour": "hour",
    "minute": "minute",
    "second": "second",
    "prompt": "prompt",
    "emoji": "emoji",
    "emojis": "emoji",
    "bug": "bug",
    "issue": "bug",
    "fix": "bug",
    "problem": "bug",
    "keyword": "keyword",
    "term": "keyword",
    "link": "backlink",
    "backlink": "backlink",
    "pin": "pin",
    "card": "card",
    "candle": "candle",
    "transaction": "transaction",
    "account": "account",
    "competitor": "competitor",
    "rival": "competitor",
    "hotel": "hotel",
    "module": "module",
    "variant": "variant",
    "version": "variant",
    "spread": "spread",
    "animation": "animation",
    "citation": "citation",
    "newsletter": "newsletter",
    "email": "email",
    "interview": "interview",
    "ring": "ring",
    "lawyer": "person",
    "person": "person",
    "people": "person",
    "guest": "person",
    "podcast": "podcast",
    "level": "level",
    "caterer": "caterer",
    "venue": "venue",
    "renders": "render",
    "tunes": "song",
    "direction": "concept",
    "sketch": "concept",
    "mockup": "concept",
    "mock-up": "concept",
    "spot": "illustration",
}

_MONEY_BEFORE = re.compile(r"(\$|€|£|usd|eur|gbp)\s*$", re.IGNORECASE)


def stem(word: str) -> str:
    w = word.lower().strip("'’.-")
    for suf, rep in (("ies", "y"), ("sses", "ss"), ("ches", "ch"), ("shes", "sh"), ("xes", "x"), ("s", "")):
        if w.endswith(suf) and len(w) > len(suf) + 2 and not w.endswith("ss"):
            w = w[: -len(suf)] + rep
            break
    return SYNONYMS.get(w, w)


def content_words(text: str) -> list[str]:
    return [stem(w) for w in re.findall(r"[A-Za-z][A-Za-z'’-]+", text) if w.lower() not in STOP and len(w) > 2]


# --- counted items -----------------------------------------------------------------------------


@dataclass
class Count:
    """A counted thing in the brief: '8 candles', '1,000 words each', 'up to 150 transactions'."""

    value: float
    heads: set[str]
    per_item: bool
    req: Requirement
    phrase: str


def brief_counts(brief: Brief) -> list[Count]:
    out = []
    for r in brief.requirements:
        if r.kind == "deliverable" and r.quantity is not None and r.item:
            words = [stem(w) for w in re.findall(r"[A-Za-z][\w'-]*", r.item)]
            heads = {words[-1]} | set(words) if words else set()
            out.append(Count(r.quantity, heads, False, r, f"{r.quantity} {r.item}"))
        elif r.kind == "length" and r.length_value is not None and r.length_unit:
            unit = stem(r.length_unit)
            phrase = f"{r.length_value:g} {r.length_unit}" + (" each" if r.length_per_item else "")
            value = r.length_value * _SECONDS.get(unit, 1)
            heads = {"second"} if unit in _SECONDS else {unit}
            out.append(Count(value, heads, r.length_per_item, r, phrase))
    return out


_SECONDS = {"second": 1, "sec": 1, "minute": 60, "min": 60, "hour": 3600}


@dataclass
class Mention:
    value: float
    head: str
    words: list[str]
    old: bool  # the number being replaced ("not eight", "instead of 3")
    text: str  # the number and what it counts, as written ("twelve candles")
    state: bool = False  # describes delivered work ("the chest is 5,200 tris") rather than asking


_NEW_PIECE = re.compile(
    r"-(?:second|sec|minute|min)s?\s+(?:[a-z]+\s+)?(?:teaser|trailer|cut-?down|cutdown|promo|"
    r"snippet|clip|short|reel|sting|bumper|intro|outro|gif|loop|preview|highlight|"
    r"extended|radio edit|tiktok|story|stories)\b"
)


def request_counts(text: str) -> list[Mention]:
    """Numbers followed by what they count, skipping money, times, dates and sizes."""
    out = []
    low = text.lower()
    for n in find_numbers(text):
        before = low[max(0, n.start - 16) : n.start]
        after = low[n.end : n.end + 40]
        if not_a_count(text, n) or _MONEY_BEFORE.search(before) or re.match(r"\s*x\d", after):
            continue
        # "a 15-second teaser": the length of a new piece cut from the work, not a change to it
        if _NEW_PIECE.match(after):
            continue
        words = re.findall(r"[a-z][a-z'-]*", after)[:5]
        label = re.search(
            r"\b(round|pass|chapter|track|song|spread|page|step|feature|module|level|interview|prompt|post|pin|video|ep|episode|season|version|number|no\.?|#)\s*$",
            before,
        )
        if label and not re.match(r"\s+[a-z]+s\b", after):
            continue
        head, head_at = "", -1
        for i, w in enumerate(words):
            if w in STOP or w in ("more", "extra", "additional", "new", "other", "full", "different"):
                if head:
                    break
                continue
            head, head_at = stem(w), i
            if w.endswith("s") or SYNONYMS.get(w.rstrip("s")) or SYNONYMS.get(w):
                break
        old = bool(
            re.search(r"(not|instead of|rather than|from|than|of the|out of|agreed|only)\s*(the\s*)?$", before)
        ) or bool(re.match(r"\s+of\s+(the|them|those|these|our|your|my|its|their)\b", after))
        state = bool(
            re.search(
                r"\b(is|are|was|were|comes? in at|came in at|came out at|spills? onto|only)\s*(only\s*|just\s*)?(about|around|roughly|nearly|almost|over|under|like)?\s*$",
                before,
            )
        )
        value = n.value
        phrase = n.text
        if head_at >= 0:
            tail = re.match(rf"\s*(?:[\w'-]+\s+){{0,{head_at}}}?{re.escape(words[head_at])}\b", after)
            if tail:
                phrase = (n.text + tail.group(0).rstrip()).strip()
        if head in _SECONDS:
            value, head = value * _SECONDS[head], "second"
        out.append(Mention(value, head, words, old, phrase, state))
    return out


# --- signal vocabularies -------------------------------------------------------------------------

RX = {
    k: re.compile(v, re.IGNORECASE)
    for k, v in {
        "also": r"\b(also|as well|too\b|while you'?re|in addition|on top of|besides|plus\b)",
        "more": r"\b(more|another|additional|extra|expand|increase|bigger|longer|second|new)\b|\badd(ing|ed)?\b",
        "instead": r"\b(instead|rather than|switch(ed)? to|move(d)? to|change(d)? to|prefer[s]? .* instead|replace)\b",
        "correction": (
            r"\b(doesn'?t|don'?t|(?:isn'?t|aren'?t)(?!\s+(?:needed|necessary|required))|won'?t|wasn'?t|weren'?t|didn'?t|can'?t|not (working|loading|arriving|showing|reaching|coming|opening|matching)|"
            r"still|broken|missing|wrong|error|crash(es|ing)?|freez(es|ing)|bug|off by|corrupt(ed)?|typo|misspel|misread|"
            r"lost|empty|duplicate|repeated|swapped|fail(s|ed)?|cut(s)? off|blurry|low[- ]res|tilted|lean|drift|lag|"
            r"bounce|outdated|spills?|over (the|our)|under what|well under|below|than (we )?agreed|what we agreed|"
            r"we agreed|the agreed|as agreed|instead of the|came (out|through)|nothing came|goes nowhere|does nothing|"
            r"not the|rejected|sent it back|only went up|only had|wasn'?t done|hasn'?t|has no|have no|no bleed)\b"
        ),
        "delivered": r"\b(you sent|you delivered|the files?|i got|got the|arrived|delivered|came (out|through)|in the (demo|file|sheet|report|version|draft)|last (week|month)'?s|the (pdf|png|jpg|mp3|wav|mp4|sheet|report|video|draft|gallery|file|build|site|page)|we went live|since launch|after launch)\b",
        "subset": (
            r"\b(only (need|want|have|do|use|launch|the)|just (the|need|do|four|three|two|five|six|seven|one|a)|skip|drop(ping|ped)?|leave out|"
            r"no need|don'?t need|won'?t need|not needed|no longer|fewer|less (than|worried)|shorter|snappier|cancel(l?ed)?|"
            r"remov(e|ed|ing)|(is|are|would be|will be|'s) (plenty|enough)|(will|'ll) (do|write|handle|keep) .{0,30}ourselves|ourselves|"
            r"not (needed|necessary)|(isn'?t|aren'?t|is not|are not) (needed|necessary|required)|closed|scrap|deleted|discontinued|cut from|got cut|only \w+ now)\b"
        ),
        "deadline": (
            r"\b(tomorrow|tonight|today|this (morning|afternoon|evening|week|weekend|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
            r"by (monday|tuesday|wednesday|thursday|friday|saturday|sunday|noon|tonight|the end of (the )?(day|week))|next morning|first thing|"
            r"in (a few|two|three|\d+) (hours?|days)|within (a few|\d+) hours|asap|urgent(ly)?|rush|moved up|brought forward|"
            r"only (started|sent|signed|kicked|agreed|began|approved|uploaded|shipped)|kicked off|earlier|sooner|faster|"
            r"in the next hour|an hour|by \d{1,2}(am|pm)?\b|by next week|by the end of (the |this |next )?week|by the \d+|"
            r"by \d{4}-\d\d-\d\d|by (the )?\d{1,2}(st|nd|rd|th)?( of)? (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|"
            r"by (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}\b)"
        ),
        "usage": (
            r"\b(billboard|print (ad|campaign)|magazine|newspaper|press|tv\b|television|commercial(ly)?|broadcast|radio|national|"
            r"ads?\b|advert|paid (ad|spot|advertising)|campaign|pre-?roll|merch(andise)?|t-?shirts?|mugs?|tote( bags?)?|posters?|tea towels?|hoodies?|phone cases?|sell|selling|resell|stock (site|photo)|"
            r"catalog(ue)?|brochure|packaging|on the box|podcast|hulu|netflix|distributor|wholesal\w*|retail(er)?|partner|supermarket|"
            r"third[- ]part|pass (them|it|the \w+) (on|to)|give (them|it) (to|the files)|share (them|it) with|reprint|anthology|udemy|"
            r"other (companies|brands|clients)|their (website|brochure|catalog|ads?)|license|licence|rights|republish)\b"
        ),
        "permission": r"(that'?s (fine|ok|okay|covered|included)|is (that|it) (ok|okay|fine|covered|included|alright)|\bright\?|hope that'?s (fine|ok)|\bok\?|\bokay\?|covered by|included\?|can (we|i|they) (use|print|share|pass|give|send|put|sell|run|post|reuse)|just letting you know)",
        "rev_more": (
            r"\b(another (round|pass|set|version|try|go|revision|change)|one more (round|pass|set|version|time|try|change|revision|mix|edit|tweak)|"
            r"(more|further|new|fresh|additional|extra) (changes|edits|tweaks|notes|feedback|revisions?|rounds?|set of changes)|again|"
            r"already (did|done|used|had|made|went|have)|(we'?ve|we have|we) (already )?used|after (the|your) (update|changes|edits|revision|re-?read)|"
            r"(thanks|thank you) for (the|making|updating|our|your) \w*\s*(update|changes|edits|revision|re-?read|round|cut|version)|"
            r"(did|done|used|had|made) .{0,25}(revisions?|rounds?|changes|retakes?|edits?) already|revision round is done|rounds? (are|is) (done|used)|used (both|all|the|our) \w*\s*(rounds?|revisions?|retakes?|edits?|changes))"
        ),
        "rev_first": (
            r"\b(our (one|only|single|first) (revision|retake|round|edit|pass|set|change|re-?read)|first (round|pass|set|batch|revision|notes|feedback)|"
            r"round (1|one)\b|for the (pick-?up|retake|revision) (session|round)|(that'?s|this is) (our|my) (one|feedback|revision|edit|only) ?\w*|for (our|the|my) (one )?(revision|retouch\w*|edit|feedback)|"
            r"(our|my) (one|feedback|revision|edit) (round|pass)|using (our|my) (one|the) \w+|here'?s our (round|revision)|this is our round|"
            r"(use|using) (the|our|my) (one |included |free )?(re-?take|revision|edit|round|pick-?up))"
        ),
        "change": (
            r"\b(change|tweak|adjust|swap|move|make (the|it|them) \w+er|bigger|smaller|brighter|darker|warmer|softer|lighter|thinner|thicker|"
            r"trim|shorten|tighten|less|slower|faster|rework|redo|notes|feedback|comments)\b"
        ),
        "clarify": (
            r"^(quick q(uestion)?:?\s*)?(should|do|does|did|will|what|when|which|how|who|where|would it help|would you (rather|prefer|like)|"
            r"is it better|any preference)\b|\b(work|be) better( for (you|us|me))?\s*\?|\b(just curious|just so i (know|can)|just want to know|either is (fine|okay))"
        ),
        "ensure": r"\b(make sure|ensure|remember to|don'?t forget|be sure)\b",
    }.items()
}

ORDINAL_ROUND = re.compile(
    r"\b(?:(first|second|third|fourth|fifth|sixth|1st|2nd|3rd|4th|5th)[\s-]+(?:(?:retake|revision|feedback|edit|pick-?up|change)s?\s+)?"
    r"(?:round|pass|set|batch|cut|version|revision|go|time|edit|retakes?|re-?record|pick-?ups?|list|notes)"
    r"|(?:round|pass|revision|version|cut)\s+(one|two|three|four|five|six|\d))\b",
    re.IGNORECASE,
)
_ORD = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
    "5th": 5,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
}

_RES = {"480p": 480, "720p": 720, "1080p": 1080, "2k": 1440, "1440p": 1440, "4k": 2160, "2160p": 2160, "8k": 4320}


@dataclass
class Signals:
    """Rule findings for one request against one brief, with evidence for the reason."""

    values: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # name -> (detail, clause)
    extra_units: int | None = None  # how many more of a counted deliverable ("12" against "8": 4)

    def more_units(self, asked: float, agreed: float) -> None:
        extra = round(asked - agreed)
        if extra > 0 and extra > (self.extra_units or 0):
            self.extra_units = extra

    def set(self, name: str, value: float = 1.0, detail: str = "", clause: str | None = None):
        self.values[name] = max(self.values.get(name, 0.0), value)
        if detail and name not in self.evidence:
            self.evidence[name] = (detail, clause)


FEATURES = [
    "qty_more",
    "qty_less",
    "len_more",
    "len_less",
    "qty_same",
    "num_unmatched",
    "also",
    "more",
    "instead",
    "correction",
    "correction_n",
    "delivered",
    "subset",
    "deadline",
    "deadline_shorter",
    "brief_deadline",
    "usage",
    "usage_new",
    "permission",
    "brief_usage",
    "plat_new",
    "fmt_new",
    "res_up",
    "res_down",
    "excluded",
    "rev_more",
    "rev_first",
    "rev_over",
    "rev_within",
    "brief_revisions",
    "change",
    "clarify",
    "asks_only",
    "wants_work",
    "question",
    "ensure",
    "overlap",
    "sim_max",
    "sim_mean",
    "sim_in",
    "sim_in_mean",
    "sim_out",
    "sim_gap",
    "excluded_sem",
    "n_words",
    "num_state",
]

STRONG = ("qty_more", "len_more", "rev_over", "deadline_shorter", "usage_new", "excluded", "excluded_sem")


def _clause_of(req: Requirement | None) -> str | None:
    return req.text if req is not None else None


def compute(brief: Brief, request: str, asks=None) -> Signals:
    """All rule signals for one request (the text with pleasantries removed)."""
    from nlp.asks import find_asks

    sig = Signals()
    low = request.lower()
    asks = find_asks(request) if asks is None else asks
    brief_low = brief.text.lower()

    for name in (
        "also",
        "more",
        "instead",
        "delivered",
        "subset",
        "usage",
        "permission",
        "rev_more",
        "rev_first",
        "change",
        "ensure",
    ):
        m = RX[name].search(request)
        if m:
            sig.set(name, 1.0, m.group(0))
    for a in asks or []:
        # a date in "I'll send the invite tonight" is the client's own plan, not a delivery ask
        if a.asks_only or re.search(r"\b(i|we)('ll| will| am going to| are going to)\b", a.text, re.IGNORECASE):
            continue
        if not (
            a.wants_work or a.question or re.search(r"\b(need|needs|want|wants|have to|must)\b", a.text, re.IGNORECASE)
        ):
            continue
        if re.search(
            r"\b(shipped|sent|uploaded|signed|started|dropped|posted|arrived|approved)\b[^.?!]{0,20}\b(today|this morning|yesterday)\b",
            a.text,
            re.IGNORECASE,
        ):
            continue
        m = RX["deadline"].search(a.text)
        if m:
            sig.set("deadline", 1.0, m.group(0))
            break
    else:
        # "...closes tomorrow noon. Can you have it done by then?": the date sits in a sentence
        # that asks nothing itself
        if any((a.wants_work or a.question) and _BY_THEN.search(a.text) for a in asks or []):
            rest = _OWN_EVENT.sub(" ", request)
            m = RX["deadline"].search(rest)
            if m:
                sig.set("deadline", 1.0, m.group(0))
    corr = RX["correction"].findall(request)
    if corr:
        sig.set("correction", 1.0, str(corr[0] if isinstance(corr[0], str) else corr[0][0]))
        sig.set("correction_n", min(len(corr), 3) / 3)
    if any(RX["clarify"].search(a.text) for a in asks):
        sig.set("clarify")
    if request.strip() and not asks:  # thanks and pleasantries: nothing is asked
        sig.set("no_ask")
    if asks and any(a.asks_only for a in asks) and not any(a.wants_work for a in asks):
        sig.set("asks_only")
    if any(a.wants_work for a in asks):
        sig.set("wants_work")
    if request.rstrip().endswith("?"):
        sig.set("question")
    sig.set("n_words", min(len(request.split()), 60) / 60)

    # counts
    counts = brief_counts(brief)
    mentions = request_counts(request)
    for m in mentions:
        matched = [c for c in counts if m.head and (m.head in c.heads)]
        if not matched and m.head:
            matched = [c for c in counts if any(stem(w) in c.heads for w in m.words[:3])]
        if not matched:
            if m.head and m.head not in STOP and not any(c.value == m.value for c in counts):
                sig.set("num_unmatched", 1.0, m.text)  # (the brief's own count, "all 8", is no new number)
            continue
        c = matched[0]
        if m.old:
            continue
        if m.state:
            sig.set("num_state", 1.0, f"{m.text}|{c.phrase}", c.req.text)
            continue
        if m.value > c.value:
            name = "len_more" if c.per_item else "qty_more"
            sig.set(name, 1.0, f"{m.text}|{c.phrase}", c.req.text)
            if not c.per_item and c.req.kind == "deliverable":
                sig.more_units(m.value, c.value)
        elif m.value < c.value:
            name = "len_less" if c.per_item else "qty_less"
            sig.set(name, 1.0, f"{m.text}|{c.phrase}", c.req.text)
        else:
            sig.set("qty_same", 1.0, c.phrase, c.req.text)

    # "a fourth bug" when three were agreed
    for m in re.finditer(
        r"\b(?:a|the)\s+(third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th))\s+(\w+)", low
    ):
        n = _ORD.get(m.group(1)) or parse_number(m.group(1)) or (int(re.sub(r"\D", "", m.group(1)) or 0))
        head = stem(m.group(2))
        matched = [c for c in counts if head in c.heads and not c.per_item]
        if not matched and head in ("thing", "one", "item") and len([c for c in counts if not c.per_item]) == 1:
            matched = [c for c in counts if not c.per_item]
        onto = re.search(r"\b(onto|into|on to|over|is|are|has)\s*$", low[: m.start()])
        if matched and n and n > matched[0].value and not onto and not re.search(r"round|pass|revision", m.group(2)):
            c = matched[0]
            sig.set("qty_more", 1.0, f"a {m.group(1)} {m.group(2)}|{c.phrase}", c.req.text)
            sig.more_units(n, c.value)

    # revisions
    allowance = brief.revisions
    rev_req = next((r for r in brief.requirements if r.kind == "revisions"), None)
    if allowance is not None:
        sig.set("brief_revisions", min(allowance, 5) / 5)
    for m in ORDINAL_ROUND.finditer(request):
        n = _ORD.get((m.group(1) or m.group(2) or "").lower())
        if n is None:
            try:
                n = int(m.group(2))
            except (TypeError, ValueError):
                continue
        if allowance is None:
            continue
        if n > allowance:
            sig.set("rev_over", 1.0, f"{m.group(0)}|{allowance}", _clause_of(rev_req))
        else:
            sig.set("rev_within", 1.0, f"{m.group(0)}|{allowance}", _clause_of(rev_req))
    if allowance is not None and sig.values.get("rev_more") and allowance <= 1:
        sig.set(
            "rev_over", 0.5, f"{sig.evidence.get('rev_more', ('another round',))[0]}|{allowance}", _clause_of(rev_req)
        )

    # deadline
    dl_req = next((r for r in brief.requirements if r.kind == "deadline"), None)
    if dl_req is not None:
        sig.set("brief_deadline")
    if sig.values.get("deadline") and dl_req is not None:
        days = _request_days(low)
        if days is not None and dl_req.deadline_days is not None and days < dl_req.deadline_days:
            sig.set("deadline_shorter", 1.0, sig.evidence["deadline"][0], dl_req.text)
        m = re.search(r"by the (\d{1,2})(?:st|nd|rd|th)", low)
        if (
            m
            and dl_req.deadline_date
            and dl_req.deadline_date.startswith("--")
            and int(m.group(1)) < int(dl_req.deadline_date[2:])
        ):
            sig.set("deadline_shorter", 1.0, m.group(0), dl_req.text)
    brief_dates = [r for r in brief.requirements if r.kind == "deadline" and r.deadline_date]
    if sig.values.get("deadline") and brief_dates:
        for a in asks or []:
            if a.asks_only:
                continue
            asked = _deadline(a.text)
            if not asked or not asked.get("deadline_date"):
                continue
            if _date_before(asked["deadline_date"], brief_dates[0].deadline_date):
                sig.set("deadline_shorter", 1.0, asked["raw"], brief_dates[0].text)
                break

    # usage
    use_reqs = [r for r in brief.requirements if r.kind == "usage"]
    if use_reqs:
        sig.set("brief_usage")
    if sig.values.get("usage"):
        words = {w.lower() for w in RX["usage"].findall(request) for w in ([w] if isinstance(w, str) else [w[0]])}
        granted = " ".join(u for r in use_reqs for u in r.usage) + " " + " ".join(r.text.lower() for r in use_reqs)
        new = [w for w in words if w and w not in granted and w not in brief_low]
        if new:
            sig.set("usage_new", 1.0, new[0], use_reqs[0].text if use_reqs else None)

    # platforms, formats, resolution
    brief_plats = brief.platforms | _brief_platforms(brief.text)
    if re.search(r"\bsocial (media|channels|networks|accounts)\b", brief_low):
        brief_plats |= {"instagram", "facebook", "linkedin", "twitter", "tiktok", "pinterest", "threads"}
    negated = _negated(low)
    req_plats = [p for p in _platforms(request) if p not in brief_plats and p not in brief_low and p not in negated]
    for key, val in PLATFORMS.items():
        if val in req_plats:
            continue
        if (
            re.search(r"(?<!\w)" + re.escape(key) + r"(?!\w)", low)
            and val not in brief_plats
            and key not in brief_low
            and key in ("web", "desktop", "ipad", "tablet", "radio", "tv", "podcast")
        ):
            req_plats.append(val)
    req_plats = [p for p in req_plats if p not in negated]
    req_plats += [
        w
        for w in re.findall(r"\b(iphone|android|ios|tablet|desktop|mac|windows|linux|web)\b", low)
        if w not in brief_low
        and w not in req_plats
        and w not in negated
        and not (w == "ios" and "iphone" in brief_low)
        and not (w == "iphone" and "ios" in brief_low)
    ]
    if req_plats:
        sig.set("plat_new", 1.0, req_plats[0], None)
    brief_fmts = brief.formats | _brief_formats(brief.text)
    req_fmts = [f for f in _norm_formats(request) if f not in brief_fmts and f not in negated]
    extra = re.findall(
        r"\b(vinyl|cassette|ddp|dolby atmos|scorm|dxf|latex|indesign|keynote|google slides|gif|webp|tiff|eps|obj|gltf|glb|stl|mov|html|epub|json|xml|sql|postgresql|database|template)\b",
        low,
    )
    req_fmts += [f for f in extra if f not in brief_low and f not in req_fmts and f not in negated]
    if req_fmts:
        sig.set("fmt_new", 1.0, req_fmts[0], next((r.text for r in brief.requirements if r.kind == "format"), None))
    else:  # every format the request names is one the brief's requirements promise
        listed = [f for f in _norm_formats(request) if f in brief.formats and f not in negated]
        if listed:
            sig.set(
                "fmt_listed", 1.0, listed[0], next((r.text for r in brief.requirements if r.kind == "format"), None)
            )
    brief_res = [_RES[r.resolution] for r in brief.requirements if r.resolution in _RES]
    for m in re.finditer(r"\b(480p|720p|1080p|1440p|2160p|[248]k)\b", low):
        v = _RES.get(m.group(1))
        if v and brief_res:
            if v > max(brief_res):
                sig.set("res_up", 1.0, m.group(1))
            elif v < max(brief_res):
                sig.set("res_down", 1.0, m.group(1))
        elif v and not brief_res:
            sig.set("res_up", 0.5, m.group(1))

    # exclusions
    req_words = {_root(w) for w in content_words(request)}
    for r in brief.requirements:
        if r.kind != "exclusion":
            continue
        for phrase in r.excluded:
            words = [_root(w) for w in content_words(phrase)]
            if not words or not (words[-1] in req_words or sum(w in req_words for w in words) * 2 >= len(words) + 1):
                continue
            if r.by_client and not _asks_to_produce(low, words[-1], phrase):
                continue
            sig.set("excluded", 1.0, phrase, r.text)

    # overlap
    bw = set(content_words(brief.text))
    rw = content_words(request)
    if rw:
        sig.set("overlap", sum(w in bw for w in rw) / len(rw))
    return sig


def _root(word: str) -> str:
    """'posting' and 'post', 'installs' and 'install' name the same work."""
    w = word.lower()
    if w.endswith("ing") and len(w) > 5:
        w = w[:-3]
        if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "ls":
            w = w[:-1]
    return stem(w)


_PRODUCE = (
    r"write|rewrite|draft|create|make|shoot|take|design|schedule|publish|find|source|"
    r"supply|provide|research|choose|pick|suggest|come up with|do|handle|prepare|record|film|"
    r"photograph|translate|produce|buy|order|collect|gather"
)


def _asks_to_produce(low: str, root: str, phrase: str) -> bool:
    """Work the brief leaves to the client is asked for only when the request has the
    freelancer make it ("could you write the text"), not when it merely mentions it."""
    if phrase.endswith("ing"):  # a task ("posting"): asked for when the freelancer is to do it
        return bool(
            re.search(
                r"\b(you|u)\b[^.?!]{0,30}\b"
                + re.escape(root)
                + r"(?:s|ing)?\s+(?:them|it|this|these|those|for|on|to|the|every|each)\b",
                low,
            )
            or re.search(r"\b(?:do|handle|take over|take care of)\s+(?:the\s+)?" + re.escape(root), low)
        )
    return bool(
        re.search(r"\b(?:" + _PRODUCE + r")\b(?:\s+[\w'-]+){0,4}?\s+" + re.escape(root), low)
    ) and not re.search(r"\b(i|we)('ll| will| can| am going to| are going to)\s+(?:" + _PRODUCE + r")\b", low)


@lru_cache(maxsize=1024)
def _brief_platforms(text: str) -> frozenset:
    return frozenset(_platforms(text))


@lru_cache(maxsize=1024)
def _brief_formats(text: str) -> frozenset:
    return frozenset(_norm_formats(text))


_BY_THEN = re.compile(r"\b(by then|in time|before then|by that (time|day|date))\b", re.IGNORECASE)
_OWN_EVENT = re.compile(
    r"\b(shipped|sent|uploaded|signed|started|dropped|posted|arrived|approved)\b[^.?!]{0,25}?"
    r"\b(today|this morning|yesterday|last night)\b",
    re.IGNORECASE,
)


def _date_key(date: str) -> tuple[int | None, int | None, int]:
    """'2025-09-30', '09-30' and '--30' (the brief parser's forms) as (year, month, day)."""
    parts = date.split("-")
    if date.startswith("--"):
        return None, None, int(parts[-1])
    if len(parts) == 3:
        return int(parts[0]), int(parts[1]), int(parts[2])
    return None, int(parts[0]), int(parts[1])


def _date_before(asked: str, agreed: str) -> bool:
    """Whether the asked date is earlier, compared on what both dates state."""
    try:
        (y1, m1, d1), (y2, m2, d2) = _date_key(asked), _date_key(agreed)
    except ValueError:
        return False
    if y1 and y2 and y1 != y2:
        return y1 < y2
    if m1 and m2 and m1 != m2:
        return m1 < m2
    if (m1 is None) != (m2 is None) and not (m1 is None and m2 is not None):
        return False
    return d1 < d2


def _negated(low: str) -> set[str]:
    """Words the request rules out: 'not web jpgs', 'instead of a laptop', 'rather than PDF'."""
    out: set[str] = set()
    for m in re.finditer(
        r"\b(?:not|no|instead of|rather than|never)\s+(?:an?\s+|the\s+|as\s+)?((?:[\w.-]+\s+){0,2}[\w.-]+)", low
    ):
        for w in m.group(1).split():
            w = w.strip(".")
            out.add(w)
            out.add(PLATFORMS.get(w, w))
            out.update(_norm_formats(w))
    return out


def _request_days(low: str) -> float | None:
    if re.search(
        r"\b(tonight|today|this (morning|afternoon|evening)|in the next hour|in a few hours|an hour|within \d+ hours)\b",
        low,
    ):
        return 0.25
    if re.search(r"\b(tomorrow|next morning|first thing)\b", low):
        return 1
    m = re.search(r"\bin (a few|two|three|four|five|\d+) days\b", low)
    if m:
        return parse_number(m.group(1)) or 3
    if re.search(
        r"\bthis (week|weekend|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|\bby (monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
        low,
    ):
        return 4
    if re.search(r"\bnext week\b", low):
        return 7
    m = re.search(r"\b(\d+|two|three|four|five|six) (days?|weeks?) (from now|instead|rather)", low)
    if m:
        v = parse_number(m.group(1)) or 1
        return v * (7 if m.group(2).startswith("week") else 1)
    return None


def vector(sig: Signals) -> list[float]:
    return [float(sig.values.get(name, 0.0)) for name in FEATURES]


def rule_kind(sig: Signals) -> str | None:
    """The kind the rules alone point to, in the order the labelling rules rank reasons."""
    v = sig.values
    if v.get("usage_new") and (v.get("permission") or v.get("brief_usage")):
        return "usage_rights"
    if v.get("deadline_shorter"):
        return "deadline"
    if v.get("rev_over", 0) >= 1:
        return "extra_revisions"
    if v.get("excluded") or v.get("excluded_sem"):
        return "new_deliverable"
    if v.get("qty_more"):
        return "quantity"
    if v.get("len_more"):
        return "attribute"
    return None
