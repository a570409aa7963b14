"""Running an assessment: every requirement of the brief to its check, and coverage from them.

`assess` is the pure entry point (inspected files in, `Assessment` out); `assess_async` reads
the files in sandboxed workers off the event loop and tells the chat when that takes a while.
A requirement the files fall short of goes to a person when a file that might make up the
difference was too costly to read.
"""

from __future__ import annotations

import asyncio
import inspect as _inspect
import os
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path

from mediation.i18n import L_, Ln_, join, n_
from mediation.inspection import FileFacts, Limits, expand_paths
from mediation.sandbox import SandboxLimits, inspect_files
from nlp.brief import Brief, Requirement, parse_brief

from .clauses import SAMPLE_WORDS, _is_samples, _pleasantry, deliverable_category
from .deadline import _ISO_DEADLINE, DeadlineChecks, _aware
from .deliverables import DeliverableChecks
from .dimensions import DimensionChecks
from .formats import FormatChecks
from .lengths import LengthChecks
from .quality import QualityChecks
from .results import HUMAN, MET, NOT_MET, PARTLY, Assessment, Check
from .terms import TermChecks
from .wording import _names

PROGRESS_FILES = 5  # more files than this: say "checking N files…" at once
PROGRESS_AFTER_S = 1.0  # otherwise say it if the check takes longer than this
_FILE_KINDS = {"deliverable", "format", "dimensions", "length", "quality"}  # judged from the files


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
    ctx = _Assessor(brief, list(files), delivered_at, agreed_at, approvals)
    checks = [ctx.check(r) for r in brief.requirements if not _pleasantry(r)]
    checks.extend(ctx.colour_checks(len(brief.requirements)))
    counted = [c for c in checks if c.counted]
    total = sum(c.weight for c in counted)
    coverage = round(sum(c.weight * (c.score or 0.0) for c in counted) / total, 4) if total else None
    deadlines = [c for c in checks if c.kind == "deadline" and c.verdict in (MET, NOT_MET)]
    on_time = all(c.verdict == MET for c in deadlines) if deadlines else None
    notes = ctx.notes()
    if not total:
        notes.append(L_("nothing in the brief can be checked from the files, so there is no coverage score"))
    if note and note.strip():
        notes.append(L_("delivery note: {note}", note=note.strip()))
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
    message = n_("checking {count} file…", "checking {count} files…", len(files), count=len(files))
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


class _Assessor(
    DeliverableChecks, FormatChecks, DimensionChecks, LengthChecks, DeadlineChecks, TermChecks, QualityChecks
):
    """Every kind of check over one delivery, and the dispatch from a requirement's kind to its check."""

    def __init__(self, brief: Brief, files: list[FileFacts], delivered_at, agreed_at, approvals: list[str]):
        super().__init__(brief, files, delivered_at, agreed_at, approvals)
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
        check.evidence = join(
            "; ",
            (
                check.evidence,
                Ln_(
                    "{n} file could not be checked (too costly to read): {names}, so a person must look",
                    "{n} files could not be checked (too costly to read): {names}, so a person must look",
                    len(unchecked),
                    names=_names(unchecked),
                ),
            ),
        )
        return check

    # -- clauses of no kind of their own

    def _other(self, r: Requirement) -> Check:
        if SAMPLE_WORDS.search(r.text) and re.search(r"approv", r.text, re.I):
            return self._samples(r)
        m = _ISO_DEADLINE.search(r.text)
        if m:
            return self._deadline(Requirement(id=r.id, kind="deadline", text=r.text, deadline_date=m.group(1)))
        plats = getattr(r, "platforms", []) or []
        if plats:
            return self._make(
                r,
                HUMAN,
                L_("for {platforms}: a person must judge whether the work suits it", platforms=", ".join(plats)),
            )
        return self._make(r, HUMAN, L_("no machine check for this clause: read it against the work"))
