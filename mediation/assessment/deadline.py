"""The deadline: when the delivery was due and whether it came in time.

"Within N days" runs from the agreement time; whole days end at 23:59:59 of the last day in
the agreement's time zone (people count days, not hours); working days skip Saturdays and
Sundays (public holidays are not known). Naive times are taken as UTC. A deadline for samples
or drafts is left to a person, since only the final delivery time is given. `mediation.facts`
uses `add_working_days` and `parse_deadline_date` for deadlines that follow the case.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta

from mediation.timefmt import format_day, format_when
from nlp.brief import Requirement

from .clauses import SAMPLE_WORDS
from .context import Context
from .results import HUMAN, MET, NOT_MET, Check
from .wording import _days_phrase

_ISO_DEADLINE = re.compile(
    r"\b(?:by|before|due|deadline|until|no later than)\b\D{0,20}"
    r"(\d{4}-\d{2}-\d{2})\b",
    re.I,
)


class DeadlineChecks(Context):
    """The delivery time against the deadline of the brief."""

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
                r, HUMAN, f"due {_when(due)}, {how}; no readable file was delivered, so there is no delivery to time"
            )
        if self.delivered_at is None:
            return self._make(r, HUMAN, f"due {_when(due)}, {how}; the delivery time is not given")
        late = self.delivered_at - due
        if late <= timedelta(0):
            return self._make(
                r, MET, f"delivered {_when(self.delivered_at)}, {_span(-late)} early; due {_when(due)}, {how}"
            )
        return self._make(
            r, NOT_MET, f"delivered {_when(self.delivered_at)}, {_span(late)} late; due {_when(due)}, {how}"
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
        return due, f"by the end of {format_day(due_day)}"


def _when(dt: datetime) -> str:
    """In the reader's time zone and locale (the deadline itself is computed in the agreement's zone)."""
    return format_when(dt)


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
