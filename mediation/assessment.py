"""Deliveries against the agreed brief, requirement by requirement, with evidence a person can check.

Each requirement gets one verdict:

- `met`, `partly_met`, `not_met`: measured from the files (see `mediation.inspection`) or from
  the dates; the evidence says what was counted, e.g. "8 JPEG 1080x1080: 8 of 8" or
  "2 of 8 are 800x800".
- `needs_human`: what a machine cannot judge from the files ("natural light", "friendly tone",
  "no people in the shot"), or a fact nobody gave (no delivery date). The evidence says so
  plainly; nothing is guessed.

Terms a delivery cannot break get `met` with weight 0 and stay out of coverage: the price (a
payment term), usage rights (what the client may do with the work), the number of revision
rounds (a promise about later changes) and scope exclusions ("printing is not included": the
freelancer owes nothing there). The evidence says "not checkable from files, not counted".
Exclusions phrased as content ("photos without people") are judgement calls: `needs_human`.

Coverage, in 0..1, is a weighted mean over the counted requirements (weight > 0 and a verdict
other than `needs_human`):

    coverage = sum(weight_i * score_i) / sum(weight_i)
    score = 1 for met, 0 for not_met, and for partly_met the measured share (6 of 8 -> 0.75,
    0.5 when no share applies)

Weights: a missing deliverable must outweigh a cosmetic miss.

    deliverable count 5 | length 3 | format 2 | pixel size / aspect / dpi 2 | deadline 2
    sample approval 1 | colour mode, transparency 1 | price, usage, revisions, exclusions 0

When nothing is countable (every requirement is a judgement call or a term), coverage is None
rather than a number that would read as a verdict, and a note says so.

Deadlines: "within N days" runs from the agreement time; whole days end at 23:59:59 of the last
day in the agreement's time zone (people count days, not hours); working days skip Saturdays
and Sundays (public holidays are not known). Naive times are taken as UTC. A deadline for
samples or drafts is left to a person, since only the final delivery time is given.

Counts: files are matched to a deliverable by kind (an image deliverable counts images, a
document deliverable documents), shared out between deliverables of one kind in brief order, and
unreadable files never count. Format, size and colour checks pass when enough files pass to
cover the agreed count: extra files beyond it are reported, not held against the delivery.
Greetings and thanks in the brief ("Hi!", "Thanks!") are not requirements and are left out.

Sizes: "1080x1080" means exactly that pixel size unless the clause says "at least" (then a
minimum); a long side and a DPI are minimums. Words and pages are minimums within 10 % (more is
not a breach) unless the clause says "max"/"up to"; durations must be within 10 % of the target.
"""

from __future__ import annotations

import asyncio
import inspect as _inspect
import math
import os
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from mediation.inspection import FileFacts, Limits, expand_paths, label
from mediation.sandbox import SandboxLimits, inspect_files
from mediation.vocabulary import ReplyKind
from nlp.brief import Brief, Requirement, parse_brief
from nlp.numbers import find_numbers

MET, PARTLY, NOT_MET, HUMAN = "met", "partly_met", "not_met", "needs_human"
VERDICTS = (MET, PARTLY, NOT_MET, HUMAN)
MARK = {MET: "✓", PARTLY: "~", NOT_MET: "✗", HUMAN: "?"}

WEIGHTS = {
    "deliverable": 5.0,
    "samples": 1.0,
    "length": 3.0,
    "format": 2.0,
    "dimensions": 2.0,
    "deadline": 2.0,
    "colour": 1.0,
    "quality": 1.0,
    "exclusion": 0.0,
    "price": 0.0,
    "usage": 0.0,
    "revisions": 0.0,
    "other": 1.0,
}

PROGRESS_FILES = 5  # more files than this: say "checking N files…" at once
PROGRESS_AFTER_S = 1.0  # otherwise say it if the check takes longer than this

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
_SCOPE_EXCLUSION = re.compile(
    r"not (?:included|covered|part of)|excluding|excludes|"
    r"does(?: not|n't) include|not including",
    re.I,
)
_COLOUR = [
    ("CMYK", re.compile(r"\bcmyk\b", re.I), lambda f: f.mode == "CMYK"),
    ("RGB", re.compile(r"\bs?rgb\b", re.I), lambda f: f.mode in ("RGB", "RGBA")),
    ("a transparent background", re.compile(r"\btranspar\w*", re.I), lambda f: bool(f.alpha)),
]
_ISO_DEADLINE = re.compile(
    r"\b(?:by|before|due|deadline|until|no later than)\b\D{0,20}"
    r"(\d{4}-\d{2}-\d{2})\b",
    re.I,
)
_PLEASANTRY = re.compile(
    r"(hi|hello|hey|dear \w+|thanks?|thank you|many thanks|cheers|"
    r"regards|kind regards|best regards|looking forward|let me know|"
    r"good luck)\b[\w ,'’]*[!.?]*",
    re.I,
)
_FILE_KINDS = {"deliverable", "format", "dimensions", "length", "quality"}  # judged from the files
_GREY = re.compile(r"\b(black[- ]and[- ]white|b&w|gr[ae]y ?scale|monochrome)\b", re.I)


@dataclass
class Check:
    """The verdict on one requirement and the evidence behind it."""

    id: int
    kind: str
    text: str
    label: str
    verdict: str
    evidence: str
    weight: float
    score: float | None = None
    units: tuple[int, int] | None = None  # (usable, agreed) when the check counts units

    @property
    def counted(self) -> bool:
        return self.weight > 0 and self.verdict != HUMAN

    def to_data(self) -> dict:
        return {
            "id": self.id,
            "text": self.text,
            "kind": self.kind,
            "verdict": self.verdict,
            "evidence": self.evidence,
            "label": self.label,
            "weight": self.weight,
            "counted": self.counted,
            "units": list(self.units) if self.units else None,
        }


@dataclass
class Assessment:
    """Every requirement with its verdict, the coverage score, timing and file facts."""

    checks: list[Check]
    coverage: float | None
    on_time: bool | None
    files: list[FileFacts]
    notes: list[str] = field(default_factory=list)
    approvals: list[str] = field(default_factory=list)

    def of_verdict(self, verdict: str) -> list[Check]:
        return [c for c in self.checks if c.verdict == verdict]

    def verdicts(self) -> list[tuple[str, str, str]]:
        """(label, kind, verdict) of the counted and the human-judged requirements; terms left
        out of coverage are left out here too, so they cannot inflate a score built from this."""
        return [(c.label, c.kind, c.verdict) for c in self.checks if c.counted or c.verdict == HUMAN]

    def to_data(self) -> dict:
        return {
            "type": ReplyKind.ASSESSMENT,
            "requirements": [c.to_data() for c in self.checks],
            "coverage": self.coverage,
            "on_time": self.on_time,
            "files": [f.short() for f in self.files],
            "approvals": list(self.approvals),
            "notes": list(self.notes),
        }

    def to_text(self) -> str:
        counted = [c for c in self.checks if c.counted]
        met = sum(1 for c in counted if c.verdict == MET)
        timing = {True: "on time", False: "late", None: "delivery time not checked"}[self.on_time]
        share = "nothing checkable" if self.coverage is None else f"{round(self.coverage * 100)}% covered"
        head = f"Delivery against the brief: {share} ({met} of {len(counted)} checked requirements met), {timing}."
        lines = [head]
        for c in self.checks:
            tail = "" if c.counted or c.verdict == HUMAN else " (not counted)"
            lines.append(f"{MARK[c.verdict]} {c.label}: {c.evidence}{tail}")
        human = self.of_verdict(HUMAN)
        if human:
            lines.append("For a person to judge: " + "; ".join(c.label.rstrip(" .!?") for c in human) + ".")
        leaves = [leaf for f in self.files for leaf in f.leaves()]
        lines.append(f"Files: {_file_summary(leaves)}.")
        lines.extend(f"Note: {n}" for n in self.notes)
        return "\n".join(lines)


# ------------------------------------------------------------------------------------ entry points


def assess(
    brief: Brief | str,
    files: Sequence[FileFacts],
    delivered_at: datetime | None = None,
    agreed_at: datetime | None = None,
    approvals: Iterable[str] = (),
    note: str = "",
) -> Assessment:
    """Check inspected files (and the delivery date) against every requirement of the brief."""
    if isinstance(brief, str):
        brief = parse_brief(brief)
    delivered_at, agreed_at = _aware(delivered_at), _aware(agreed_at)
    approvals = [a.strip() for a in approvals if a and a.strip()]
    ctx = _Context(brief, list(files), delivered_at, agreed_at, approvals)
    checks = [ctx.check(r) for r in brief.requirements if not _pleasantry(r)]
    checks.extend(ctx.colour_checks(len(brief.requirements)))
    counted = [c for c in checks if c.counted]
    total = sum(c.weight for c in counted)
    coverage = round(sum(c.weight * (c.score or 0.0) for c in counted) / total, 4) if total else None
    deadlines = [c for c in checks if c.kind == "deadline" and c.verdict in (MET, NOT_MET)]
    on_time = all(c.verdict == MET for c in deadlines) if deadlines else None
    notes = ctx.notes()
    if not total:
        notes.append("nothing in the brief can be checked from the files, so there is no coverage score")
    if note and note.strip():
        notes.append(f"delivery note: {note.strip()}")
    return Assessment(
        checks=checks, coverage=coverage, on_time=on_time, files=list(files), notes=notes, approvals=approvals
    )


async def assess_async(
    brief: Brief | str,
    paths: Sequence[str | os.PathLike | tuple[str | os.PathLike, str]],
    *,
    delivered_at: datetime | None = None,
    agreed_at: datetime | None = None,
    approvals: Iterable[str] = (),
    note: str = "",
    limits: Limits | None = None,
    progress: Callable[[str], object | Awaitable[object]] | None = None,
    sandbox: SandboxLimits | None = None,
) -> Assessment:
    """Inspect and assess in a worker thread so a chat adapter's event loop keeps running.

    A path may be a `(path, name)` pair for files kept under their hash, so the evidence shows
    the name the sender gave. `progress` is called once with "checking N files…" when there are
    more than a few files or the work takes longer than about a second.
    """
    approvals = list(approvals)

    def expand() -> list[tuple[Path, str | None]]:
        out: list[tuple[Path, str | None]] = []
        for item in paths:
            if isinstance(item, tuple):
                out.append((Path(item[0]), item[1]))
            else:
                out.extend((p, None) for p in expand_paths([item]))
        return out

    def work(files: list[tuple[Path, str | None]]) -> Assessment:
        facts = inspect_files(files, limits, sandbox)  # each in a worker with CPU, time and memory caps
        return assess(brief, facts, delivered_at, agreed_at, approvals, note)

    files = await asyncio.to_thread(expand)
    task = asyncio.ensure_future(asyncio.to_thread(work, files))
    message = f"checking {len(files)} files…" if len(files) != 1 else "checking 1 file…"
    if progress is not None:
        if len(files) > PROGRESS_FILES:
            await _call(progress, message)
        else:
            done, _ = await asyncio.wait({task}, timeout=PROGRESS_AFTER_S)
            if not done:
                await _call(progress, message)
    return await task


async def _call(progress: Callable, message: str) -> None:
    result = progress(message)
    if _inspect.isawaitable(result):
        await result


# ------------------------------------------------------------------------------------ the checks


class _Context:
    """The state one assessment needs: files by kind, approvals, dates, deliverable shares."""

    def __init__(self, brief: Brief, files: list[FileFacts], delivered_at, agreed_at, approvals: list[str]):
        self.brief = brief
        self.files = files
        self.leaves = [leaf for f in files for leaf in f.leaves()]
        self.good = [f for f in self.leaves if f.readable]
        self.bad = [f for f in self.leaves if not f.readable]
        self.delivered_at = delivered_at
        self.agreed_at = agreed_at
        self.approvals = approvals
        self._shares = self._allocate_deliverables()

    # -- dispatch

    def check(self, r: Requirement) -> Check:
        kind = r.kind
        if kind == "deliverable" and _is_samples(r):
            return self._samples(r)
        method = getattr(self, f"_{kind}", None) or self._other
        return self._unless_unchecked(r, method(r))

    def _unless_unchecked(self, r: Requirement, check: Check) -> Check:
        """A requirement the files fall short of is left to a person when a file that might make
        up the difference could not be checked (too costly to read): it proves nothing either way."""
        if check.verdict not in (NOT_MET, PARTLY) or r.kind not in _FILE_KINDS:
            return check
        cat = deliverable_category(r)
        unchecked = [f for f in self.bad if f.unchecked and (cat == "any" or f.category in (cat, "other"))]
        if not unchecked:
            return check
        check.verdict, check.score = HUMAN, None
        check.evidence += (
            f"; {len(unchecked)} file(s) could not be checked (too costly to read): {_names(unchecked)}, "
            "so a person must look"
        )
        return check

    def _make(
        self,
        r: Requirement,
        verdict: str,
        evidence: str,
        score: float | None = None,
        weight_key: str | None = None,
        label_: str | None = None,
    ) -> Check:
        if score is None:
            score = {MET: 1.0, NOT_MET: 0.0, PARTLY: 0.5}.get(verdict)
        return Check(
            id=r.id,
            kind=r.kind,
            text=r.text,
            label=label_ or requirement_label(r),
            verdict=verdict,
            evidence=evidence,
            weight=WEIGHTS.get(weight_key or r.kind, 1.0),
            score=score,
        )

    # -- deliverables

    def _allocate_deliverables(self) -> dict[int, tuple[int, int, str]]:
        """Files of one kind shared out between deliverables of that kind, in brief order.

        Returns requirement id -> (files given to it, files of that kind in all, category).
        """
        shares: dict[int, tuple[int, int, str]] = {}
        left: dict[str, int] = {}
        for r in self.brief.requirements:
            if r.kind != "deliverable" or _is_samples(r) or counts_parts(self.brief, r):
                continue
            cat = deliverable_category(r)
            pool = self._matching(cat)
            if cat not in left:
                left[cat] = len(pool)
            want = r.quantity if r.quantity else left[cat]
            take = min(want, left[cat])
            left[cat] -= take
            shares[r.id] = (take, len(pool), cat)
        for rid, (take, total, cat) in list(shares.items()):
            shares[rid] = (take + (left.get(cat, 0) if _last_of(self.brief, rid, cat) else 0), total, cat)
        return shares

    def _matching(self, category: str) -> list[FileFacts]:
        if category == "any":
            return [f for f in self.good if f.category != "archive"]
        return [f for f in self.good if f.category == category]

    def _deliverable(self, r: Requirement) -> Check:
        parts = counts_parts(self.brief, r)
        if parts:
            names = ", ".join(f"{p.quantity} {p.item}" for p in parts)
            return self._make(r, MET, f"counted per part: {names}; not counted", weight_key="price")
        got, _total, cat = self._shares.get(r.id, (0, 0, "any"))
        noun = _CATEGORY_NOUN.get(cat, "files")
        q = r.quantity
        score = None
        if q is None or r.quantity_max:
            verdict = MET if got else NOT_MET
            evidence = f"{got} {noun} delivered" + (f", up to {q} agreed" if q else "")
        else:
            verdict = MET if got >= q else PARTLY if got else NOT_MET
            score = min(got / q, 1.0)
            evidence = f"{min(got, q)} of {q} {noun} delivered"
        breakdown = _breakdown(self._matching(cat))
        if breakdown and got:
            evidence += f" ({breakdown})"
        if q and not r.quantity_max and got > q:
            evidence += f"; {got - q} more than agreed"
        evidence += self._unreadable_note(cat) + self._approval_note()
        check = self._make(r, verdict, evidence, score=score)
        if q and not r.quantity_max:
            check.units = (min(got, q), q)
        return check

    def _unreadable_note(self, category: str) -> str:
        bad = [
            f
            for f in self.bad
            if category == "any" or f.category == category or f.type in ("unknown", "too_large", "empty")
        ]
        if not bad:
            return ""
        names = ", ".join(f.name for f in bad[:3]) + (" ..." if len(bad) > 3 else "")
        costly = sum(1 for f in bad if f.unchecked)
        if costly == len(bad):
            return f"; {len(bad)} file(s) could not be checked (too costly to read) and are not counted ({names})"
        return f"; {len(bad)} file(s) could not be read and are not counted ({names})"

    def _samples(self, r: Requirement) -> Check:
        q = r.quantity or 1
        relevant = [a for a in self.approvals if SAMPLE_WORDS.search(a)] or self.approvals
        approved = sum(_approval_count(a) for a in relevant)
        shown = "; ".join(f'"{a}"' for a in relevant)
        if approved >= q:
            return self._make(r, MET, f"the client approved {q} of {q} samples ({shown})", weight_key="samples")
        if approved:
            return self._make(
                r,
                PARTLY,
                f"the client approved {approved} of {q} samples ({shown})",
                score=approved / q,
                weight_key="samples",
            )
        return self._make(
            r,
            HUMAN,
            "no sample approval is recorded: ask the client whether the samples were sent and approved",
            weight_key="samples",
        )

    def _approval_note(self) -> str:
        if not self.approvals:
            return ""
        return f"; the client approved {_approvals_phrase(self.approvals)}"

    # -- format

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

    # -- pixel size, aspect, dpi, file size

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

    def _settle(self, ok: int, total: int, cats: set[str] | None) -> tuple[str, float]:
        """Verdict and score when `ok` of `total` files pass: enough passing files to cover the
        agreed count is a pass even if extra files do not."""
        need = self._need(cats) if cats else None
        base = min(need, total) if need else total
        score = min(ok / base, 1.0) if base else 0.0
        return (MET if score == 1 else PARTLY if ok else NOT_MET), score

    def _need(self, cats: set[str]) -> int | None:
        """How many files of these kinds the brief asks for (None when it gives no count)."""
        counts = [
            r.quantity
            for r in self.brief.requirements
            if r.kind == "deliverable"
            and not _is_samples(r)
            and r.quantity
            and not r.quantity_max
            and deliverable_category(r) in cats
        ]
        return sum(counts) if counts else None

    def _target(self, r: Requirement, allowed: set[str]) -> set[str]:
        """Which of the `allowed` kinds of file a clause is about: from the formats named in the
        same clause, else from the brief's deliverables, else all of them."""
        cats = {c for f in self._clause_formats(r) if (c := FORMAT_CATEGORY.get(f)) is not None} & allowed
        if not cats:
            cats = {
                deliverable_category(x)
                for x in self.brief.requirements
                if x.kind == "deliverable" and not _is_samples(x)
            } & allowed
        return cats or set(allowed)

    def _clause_formats(self, r: Requirement) -> list[str]:
        return [f for x in self.brief.requirements if x.text == r.text for f in (getattr(x, "formats", []) or [])]

    # -- length: words, pages, duration

    def _length(self, r: Requirement) -> Check:
        value, unit = getattr(r, "length_value", None), (getattr(r, "length_unit", None) or "")
        if not value or not unit:
            return self._make(r, HUMAN, "no length to measure")
        unit = unit.lower()
        per_item = getattr(r, "length_per_item", False)
        total_asked = bool(re.search(r"\b(total|combined|in all|altogether|overall)\b", r.text, re.I))
        is_max = bool(getattr(r, "quantity_max", False)) or bool(_MAX_WORDS.search(r.text))
        is_min = bool(_MIN_WORDS.search(r.text))
        seconds = {"seconds": 1, "minutes": 60, "hours": 3600}.get(unit)
        if seconds:
            target = value * seconds
            pool = [f for f in self.good if f.category in self._target(r, {"audio", "video"})]
            per_item = per_item or not total_asked  # "a 60-second video" is one file's length
            measure = lambda f: f.duration_s
            show: Callable[[float], str] = _duration
            lo = 0.9 * target if not is_max else 0
            hi = 1.1 * target if not is_min else float("inf")
        elif unit in ("words", "pages", "slides"):
            target = value
            pool = [f for f in self.good if f.category in self._target(r, {"document", "presentation", "data"})]
            measure = (lambda f: f.words) if unit == "words" else (lambda f: f.pages)
            show = lambda n: f"{n:,.0f} {unit}"
            lo = 0.9 * target if not is_max else 0
            hi = 1.1 * target if is_max else float("inf")
        else:
            return self._make(r, HUMAN, f"length in {unit} cannot be measured in the files")
        wanted = set().union(*(FORMAT_TYPES.get(f, set()) for f in self._clause_formats(r)))
        pool = [f for f in pool if f.type in wanted] or pool  # the files in the format asked
        if not pool:
            kind = "audio or video" if seconds else "documents"
            return self._make(r, NOT_MET, f"no {kind} delivered to measure")
        known = [(f, measure(f)) for f in pool if measure(f) is not None]
        unknown = [f for f in pool if measure(f) is None]
        if not known:
            return self._make(r, HUMAN, f"{unit} cannot be counted in {_names(unknown)}")
        if is_max:
            bound, tolerance = f"up to {show(target)}", " (10% leeway)"
        elif seconds and not is_min:
            bound, tolerance = f"about {show(target)}", " (within 10%)"
        else:
            bound, tolerance = f"at least {show(target)}", "" if is_min else " (10% leeway)"

        def score_of(v: float) -> float:  # short work earns its share; overlong work none
            return 1.0 if lo <= v <= hi else min(v / target, 0.99) if v < lo else 0.0

        if len(known) == 1:
            f, v = known[0]
            score = score_of(v)
            evidence = f"{f.name}: {show(v)}, {bound}{tolerance} agreed"
        elif per_item:
            ok = [(f, v) for f, v in known if lo <= v <= hi]
            off = [(f, v) for f, v in known if not lo <= v <= hi]
            evidence = f"{len(ok)} of {len(known)} files are {bound}{tolerance}"
            if off:
                evidence += "; " + ", ".join(f"{f.name}: {show(v)}" for f, v in off[:5])
            score = sum(score_of(v) for _, v in known) / len(known)
        else:
            total = sum(v for _, v in known)
            score = score_of(total)
            evidence = f"{show(total)} in {len(known)} files, {bound}{tolerance} agreed"
            units = (int(min(total, target)), int(target)) if not seconds and not is_max else None
        if unknown:
            evidence += f"; not countable in {_names(unknown)}"
        verdict = MET if score == 1 else PARTLY if score > 0 else NOT_MET
        check = self._make(r, verdict, evidence, score=score)
        if len(known) == 1 and not seconds and not is_max:
            check.units = (int(min(known[0][1], target)), int(target))
        elif len(known) > 1 and not per_item:
            check.units = units
        return check

    # -- dates

    def _deadline(self, r: Requirement) -> Check:
        days = getattr(r, "deadline_days", None)
        on_date = getattr(r, "deadline_date", None)
        if SAMPLE_WORDS.search(r.text) and not re.search(r"\b(final|all|rest|remaining)\b", r.text, re.I):
            return self._make(r, HUMAN, "this deadline is for samples or drafts; only the final delivery time is known")
        if days is None and not on_date:
            return self._make(r, HUMAN, "no deadline that can be computed")
        due, how = self._due(days, bool(getattr(r, "working_days", False)), on_date)
        if due is None:
            return self._make(r, HUMAN, how)
        if not self.good:
            return self._make(
                r, HUMAN, f"due {_when(due)} ({how}); no readable file was delivered, so there is no delivery to time"
            )
        if self.delivered_at is None:
            return self._make(r, HUMAN, f"due {_when(due)} ({how}); the delivery time is not given")
        late = self.delivered_at - due
        if late <= timedelta(0):
            return self._make(
                r, MET, f"delivered {_when(self.delivered_at)}, due {_when(due)} ({how}): {_span(-late)} early"
            )
        return self._make(
            r, NOT_MET, f"delivered {_when(self.delivered_at)}, due {_when(due)} ({how}): {_span(late)} late"
        )

    def _due(self, days: float | None, working: bool, on_date: str | None) -> tuple[datetime | None, str]:
        if days is not None:
            if not math.isfinite(days) or days > MAX_DEADLINE_DAYS:
                return None, f"a deadline of {days:g} days is not a date that can be checked"
            if self.agreed_at is None:
                return None, (
                    f"due {_days_phrase(days, working)} after the brief was agreed, but the agreement date is not given"
                )
            due = add_working_days(self.agreed_at, days) if working else self.agreed_at + timedelta(days=days)
            if float(days).is_integer():  # "within 7 days" means by the end of the 7th day
                due = due.replace(hour=23, minute=59, second=59, microsecond=0)
            return due, f"{_days_phrase(days, working)} from {_when(self.agreed_at)}"
        anchor = self.agreed_at or self.delivered_at
        due_day = parse_deadline_date(on_date or "", anchor)
        if due_day is None:
            return None, f"the deadline date '{on_date}' cannot be placed in a year"
        tz = (anchor.tzinfo if anchor else None) or UTC
        due = datetime(due_day.year, due_day.month, due_day.day, 23, 59, 59, tzinfo=tz)
        return due, f"by {due_day.isoformat()}, end of day"

    # -- terms a delivery cannot break

    def _price(self, r: Requirement) -> Check:
        amount = " ".join(x for x in (getattr(r, "currency", None), getattr(r, "amount", None)) if x)
        per = getattr(r, "per", None)
        what = f"{amount} per {per}" if amount and per else "the agreed price"
        return self._make(
            r,
            MET,
            f"a payment term{' (' + what + ')' if per else ''}: nothing "
            f"delivered can break it; not checkable from files",
        )

    def _usage(self, r: Requirement) -> Check:
        return self._make(r, MET, "usage rights govern what the client may do with the work: not checkable from files")

    def _revisions(self, r: Requirement) -> Check:
        return self._make(r, MET, "a promise about later changes: not checkable from files")

    def _exclusion(self, r: Requirement) -> Check:
        items = ", ".join(getattr(r, "excluded", []) or []) or r.text
        if _SCOPE_EXCLUSION.search(r.text):
            return self._make(r, MET, "outside the agreed work, so nothing is owed there: not checkable from files")
        return self._make(
            r, HUMAN, f"a person must look at the files to confirm there is no {items}", weight_key="quality"
        )

    # -- judgement calls

    def _quality(self, r: Requirement) -> Check:
        phrase = (getattr(r, "item", None) or r.text).strip()
        for name, pattern, test in _COLOUR:
            if pattern.search(phrase):
                return self._colour_check(r, name, test)
        accepted = ""
        if self.approvals:
            accepted = (
                f"; the client approved {_approvals_phrase(self.approvals)}, evidence of the look that was accepted"
            )
        return self._make(
            r, HUMAN, f'a person must judge "{phrase}" from the work itself; files cannot show it{accepted}'
        )

    def _other(self, r: Requirement) -> Check:
        if SAMPLE_WORDS.search(r.text) and re.search(r"approv", r.text, re.I):
            return self._samples(r)
        m = _ISO_DEADLINE.search(r.text)
        if m:
            return self._deadline(Requirement(id=r.id, kind="deadline", text=r.text, deadline_date=m.group(1)))
        plats = getattr(r, "platforms", []) or []
        if plats:
            return self._make(r, HUMAN, f"for {', '.join(plats)}: a person must judge whether the work suits it")
        return self._make(r, HUMAN, "no machine check for this clause: read it against the work")

    # -- colour mode, from clauses that mention it

    def colour_checks(self, last_id: int) -> list[Check]:
        out: list[Check] = []
        seen: set[str] = set()
        quality_items = " ".join((getattr(r, "item", "") or "") for r in self.brief.requirements if r.kind == "quality")
        for r in self.brief.requirements:
            if r.text in seen or r.kind not in ("dimensions", "format", "other", "deliverable"):
                continue
            for name, pattern, test in _COLOUR:
                if pattern.search(r.text) and not pattern.search(quality_items):
                    seen.add(r.text)
                    last_id += 1
                    fake = Requirement(id=last_id, kind="quality", text=r.text, item=f"colour mode {name}")
                    out.append(self._colour_check(fake, name, test))
            if _GREY.search(r.text) and r.text not in seen:
                seen.add(r.text)
                last_id += 1
                fake = Requirement(id=last_id, kind="quality", text=r.text, item="black and white")
                out.append(self._grey_check(fake))
        return out

    def _colour_check(self, r: Requirement, name: str, test) -> Check:
        images = [f for f in self.good if f.category == "image" and f.mode]
        if not images:
            return self._make(
                r,
                HUMAN,
                f"no image whose colour mode can be read, so {name} cannot be checked",
                weight_key="colour",
                label_=f"{name}",
            )
        ok = [f for f in images if test(f)]
        wrong = [f for f in images if not test(f)]
        evidence = f"{len(ok)} of {len(images)} {'image has' if len(images) == 1 else 'images have'} {name}"
        if wrong:
            modes = _count_phrase(f"mode {f.mode}" for f in wrong)
            evidence += f"; {'it is' if len(images) == 1 else 'the others are'} {modes} ({_names(wrong)})"
        verdict, score = self._settle(len(ok), len(images), {"image"})
        return self._make(r, verdict, evidence, score=score, weight_key="colour", label_=name)

    def _grey_check(self, r: Requirement) -> Check:
        images = [f for f in self.good if f.category == "image" and f.mode]
        grey = [f for f in images if f.mode in ("L", "LA", "1", "I;16", "I")]
        if images and len(grey) == len(images):
            return self._make(
                r,
                MET,
                f"{len(grey)} of {len(images)} images are stored in greyscale",
                weight_key="colour",
                label_="black and white",
            )
        return self._make(
            r,
            HUMAN,
            f"{len(grey)} of {len(images)} images are stored in "
            f"greyscale; colour files may still look black and white, "
            f"a person must look",
            weight_key="colour",
            label_="black and white",
        )

    def notes(self) -> list[str]:
        out = []
        if not self.files:
            out.append("empty delivery: no files were given")
        for f in self.files:
            for p in f.problems:
                out.append(f"{f.name}: {p}")
            for m in f.members:
                for leaf in m.leaves():
                    for p in leaf.problems:
                        out.append(f"{f.name} > {leaf.name}: {p}")
        return out


# ------------------------------------------------------------------------------------ wording, dates, sizes

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


def requirement_label(r: Requirement) -> str:
    """A short name for a requirement in a checklist line."""
    k = r.kind
    g = lambda name: getattr(r, name, None)
    if k == "deliverable":
        return f"{g('quantity') or ''} {g('item') or 'deliverable'}".strip()
    if k == "format":
        return "format " + " or ".join(f.upper() for f in (g("formats") or [])) if g("formats") else "format"
    if k == "dimensions":
        return _size_phrase(
            g("width"), g("height"), g("long_side"), g("aspect"), g("dpi"), g("max_file_mb"), "exact"
        ) or (g("resolution") or "size")
    if k == "length" and g("length_value"):
        return f"{g('length_value'):g} {g('length_unit') or ''}".strip() + (" each" if g("length_per_item") else "")
    if k == "deadline":
        if (days := g("deadline_days")) is not None:
            return f"delivery within {_days_phrase(days, bool(g('working_days')))}"
        return f"delivery by {g('deadline_date')}"
    if k == "price":
        return f"price {g('currency') or ''} {g('amount') or ''}".strip()
    if k == "revisions":
        return f"{g('revisions')} revision round(s)"
    if k == "usage":
        return "usage: " + ", ".join(g("usage") or []) if g("usage") else "usage"
    if k == "exclusion":
        return "excluded: " + ", ".join(g("excluded") or []) if g("excluded") else "exclusion"
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


def counts_parts(brief: Brief, r: Requirement) -> list[Requirement]:
    """The parts a deliverable only counts ("three versions: 10 mobile, 10 desktop and 10 tablet
    screens": the 3 versions are the 3 parts, not 3 more files), else []."""
    if r.kind != "deliverable" or not r.quantity:
        return []
    parts = [
        x
        for x in brief.requirements
        if x.kind == "deliverable" and x.id != r.id and x.text == r.text and x.quantity and x.quantity >= 2
    ]
    return parts if len(parts) >= 2 and r.quantity == len(parts) and r.id < parts[0].id else []


def _is_samples(r: Requirement) -> bool:
    return bool(SAMPLE_WORDS.search(getattr(r, "item", None) or ""))


def _last_of(brief: Brief, rid: int, cat: str) -> bool:
    """Whether this is the last deliverable of its kind (it takes any files left over)."""
    ids = [
        r.id
        for r in brief.requirements
        if r.kind == "deliverable" and not _is_samples(r) and deliverable_category(r) == cat
    ]
    return bool(ids) and ids[-1] == rid


def _approval_count(text: str) -> int:
    nums = [n.value for n in find_numbers(text) if float(n.value).is_integer() and n.value < 1000]
    return int(nums[0]) if nums else 1


def _approvals_phrase(approvals: list[str]) -> str:
    return "; ".join(f'"{a}"' for a in approvals)


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


def _duration(seconds: float) -> str:
    seconds = float(seconds)
    if seconds < 90:
        return f"{seconds:.1f} s".replace(".0 s", " s")
    m, s = divmod(round(seconds), 60)
    return f"{m}:{s:02d} min"


def _days_phrase(days: float, working: bool) -> str:
    if not working and days % 7 == 0 and days >= 7:
        weeks = int(days // 7)
        return f"{weeks} week{'s' if weeks != 1 else ''}"
    unit = "working day" if working else "day"
    return f"{days:g} {unit}{'s' if days != 1 else ''}"


def _when(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M %Z").strip()


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.0f} h" if hours >= 1 else f"{delta.total_seconds() / 60:.0f} min"
    return f"{hours / 24:.1f} days".replace(".0 days", " days")


def _aware(dt: datetime | None) -> datetime | None:
    """Naive times are taken as UTC so they compare with timezone-aware ones."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


MAX_DEADLINE_DAYS = 36500  # a century: anything longer is a typo, not a deadline


def add_working_days(start: datetime, days: float) -> datetime:
    """`start` plus `days` working days (Saturdays and Sundays skipped), at the same time of day."""
    whole = int(days)
    current = start + timedelta(weeks=max(whole - 1, 0) // 5)  # whole working weeks at once
    whole -= (max(whole - 1, 0) // 5) * 5
    while whole > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            whole -= 1
    if days - int(days):
        current += timedelta(days=days - int(days))
    while current.weekday() >= 5:
        current += timedelta(days=1)
    return current


def parse_deadline_date(text: str, anchor: datetime | None) -> date | None:
    """'2024-03-15', '03-15' (next such day after the anchor) or '--15' (day of month)."""
    text = (text or "").strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        if anchor is None:
            return None
        base = anchor.date()
        m = re.fullmatch(r"(\d{1,2})-(\d{1,2})", text)
        if m:
            d = date(base.year, int(m.group(1)), int(m.group(2)))
            return d if d >= base else date(base.year + 1, d.month, d.day)
        m = re.fullmatch(r"--(\d{1,2})", text)
        if m:
            day = int(m.group(1))
            d = date(base.year, base.month, day)
            if d < base:
                y, mth = (base.year + 1, 1) if base.month == 12 else (base.year, base.month + 1)
                d = date(y, mth, day)
            return d
    except ValueError:
        return None
    return None


def bench_assess(n: int = 100, size: tuple[int, int] = (1080, 1080), sandboxed: bool = True) -> dict:
    """Time and memory for inspecting and assessing `n` JPEG photos of `size` (for capacity notes).

    Peak Python memory comes from tracemalloc; `rss_peak_mb` is the process high-water mark,
    which includes Pillow's decode buffers and everything loaded before the call. `sandboxed`
    reads the files in workers as the bot does (`inspect_s` then includes starting a worker,
    `inspect_warm_s` is a second run on the started one); without it they are read in-process.
    """
    import resource
    import tempfile
    import tracemalloc

    from PIL import Image, ImageDraw

    from mediation.inspection import inspect_paths as inspect_here
    from mediation.sandbox import inspect_paths as inspect_sandboxed

    brief = parse_brief(f"{n} product photos, square {size[0]}x{size[1]} JPG. Natural light. Delivery within 1 week.")
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n):
            img = Image.new("RGB", size, (200, 180 - i % 50, 160))
            draw = ImageDraw.Draw(img)
            for j in range(12):
                x, y = (i * 37 + j * 131) % size[0], (i * 53 + j * 97) % size[1]
                draw.ellipse([x, y, x + size[0] // 3, y + size[1] // 3], fill=((40 * j + i) % 255, 90, 200 - 10 * j))
            noise = Image.effect_noise(size, 40).convert("RGB")  # photo-like grain and file size
            img = Image.blend(img, noise, 0.25)
            img.save(os.path.join(tmp, f"photo{i:03d}.jpg"), quality=90)
        total_bytes = sum(os.path.getsize(os.path.join(tmp, f)) for f in os.listdir(tmp))
        inspect_paths = inspect_sandboxed if sandboxed else inspect_here
        tracemalloc.start()
        t0 = time.perf_counter()
        facts = inspect_paths([tmp])
        first = time.perf_counter() - t0
        inspect_paths([tmp])
        t1 = time.perf_counter()
        warm = t1 - t0 - first
        result = assess(
            brief,
            facts,
            delivered_at=datetime(2024, 3, 5, tzinfo=UTC),
            agreed_at=datetime(2024, 3, 1, tzinfo=UTC),
        )
        t2 = time.perf_counter()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {
        "files": n,
        "size": f"{size[0]}x{size[1]}",
        "total_mb": round(total_bytes / 2**20, 1),
        "sandboxed": sandboxed,
        "inspect_s": round(first, 3),
        "inspect_warm_s": round(warm, 3),
        "assess_s": round(t2 - t1, 4),
        "per_file_ms": round(warm * 1000 / n, 2),
        "python_peak_mb": round(peak / 2**20, 1),
        "rss_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "coverage": result.coverage,
    }
