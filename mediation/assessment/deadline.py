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

from mediation.i18n import L_, Day, Text, When
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
            return self._make(
                r, HUMAN, L_("this deadline is for samples or drafts; only the final delivery time is known")
            )
        if days is None and not on_date:
            return self._make(r, HUMAN, L_("no deadline that can be computed"))
        due, how = self._due(days, bool(getattr(r, "working_days", False)), on_date)
        if due is None:
            return self._make(r, HUMAN, how)
        if not self.good:
            return self._make(
                r,
                HUMAN,
                L_(
                    "due {due}, {how}; no readable file was delivered, so there is no delivery to time",
                    due=_when(due),
                    how=how,
                ),
            )
        if self.delivered_at is None:
            return self._make(r, HUMAN, L_("due {due}, {how}; the delivery time is not given", due=_when(due), how=how))
        late = self.delivered_at - due
        if late <= timedelta(0):
            return self._make(
                r,
                MET,
                L_(
                    "delivered {at}, {span} early; due {due}, {how}",
                    at=_when(self.delivered_at),
                    due=_when(due),
                    how=how,
                    span=_span(-late),
                ),
            )
        return self._make(
            r,
            NOT_MET,
            L_(
                "delivered {at}, {span} late; due {due}, {how}",
                at=_when(self.delivered_at),
                due=_when(due),
                how=how,
                span=_span(late),
            ),
        )

    def _due(self, days: float | None, working: bool, on_date: str | None) -> tuple[datetime | None, Text]:
        if days is not None:
            if not math.isfinite(days) or days > MAX_DEADLINE_DAYS:
                return None, L_("a deadline of {days} days is not a date that can be checked", days=f"{days:g}")
            if self.agreed_at is None:
                return None, L_(
                    "due {days} after the brief was agreed, but the agreement date is not given",
                    days=_days_phrase(days, working),
                )
            due = add_working_days(self.agreed_at, days) if working else self.agreed_at + timedelta(days=days)
            if float(days).is_integer():  # "within 7 days" means by the end of the 7th day
                due = due.replace(hour=23, minute=59, second=59, microsecond=0)
            return due, L_("{days} from {start}", days=_days_phrase(days, working), start=_when(self.agreed_at))
        anchor = self.agreed_at or self.delivered_at
        due_day = parse_deadline_date(on_date or "", anchor)
        if due_day is None:
            return None, L_("the deadline date '{date}' cannot be placed in a year", date=on_date)
        tz = (anchor.tzinfo if anchor else None) or UTC
        due = datetime(due_day.year, due_day.month, due_day.day, 23, 59, 59, tzinfo=tz)
        return due, L_("by the end of {date}", date=Day(due_day))


def _when(dt: datetime) -> When:
    """In each reader's time zone and locale (the deadline itself is computed in the agreement's zone)."""
    return When(dt)


def _span(delta: timedelta) -> Text:
    hours = delta.total_seconds() / 3600
    if hours < 48:
        if hours >= 1:
            return L_("{hours} h", hours=f"{hours:.0f}")
        return L_("{minutes} min", minutes=f"{delta.total_seconds() / 60:.0f}")
    return L_("{days} days", days=f"{hours / 24:.1f}".replace(".0", ""))


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
