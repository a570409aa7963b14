"""Times as a reader reads them: in their time zone and their locale's words, UTC beside where it matters.

Only text goes through here; data payloads keep ISO timestamps in UTC. `format_when` shows an instant
in the reader's zone (`mediation.i18n.current_zone`, UTC unless the reader set one) with the locale's
medium date and short time and the zone's name: "Dec 8, 2026, 12:59 AM (Europe/Madrid)",
"8 dic 2026, 0:59 (Europe/Madrid)". `format_when_utc` is the one fixed form, "2026-12-07 23:59 UTC",
that the case file puts beside the reader's time so both parties and a moderator read the same instant.

The words around a time (the zone's name in brackets, "UTC:") come from the message catalogue. A
message worded later for each reader (`mediation.i18n.L_`) takes a time as `mediation.i18n.When` and a
calendar day as `Day`, which come here when the message is shown, so each reader gets their own zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time, get_datetime_format

from mediation.i18n import _, babel_locale, current_zone


def reader_zone() -> tzinfo:
    """The reader's time zone; UTC when none is set or the name is not a known zone."""
    name = (current_zone.get() or "UTC").strip()
    if name.upper() in ("UTC", "Z", "ETC/UTC"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def zone_name(zone: tzinfo) -> str:
    return "UTC" if zone is UTC else str(getattr(zone, "key", None) or zone)


def as_instant(when: datetime | str) -> datetime | None:
    """An aware datetime from a datetime or an ISO string (naive ones were stored as UTC); None if unreadable."""
    if isinstance(when, str):
        try:
            when = datetime.fromisoformat(when.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def format_when(when: datetime | str, *, utc_beside: bool = False) -> str:
    """The instant in the reader's zone and locale, with the zone's name: "Dec 7, 2026, 11:59 PM (UTC)",
    "8 dic 2026, 0:59 (Europe/Madrid)". `utc_beside` adds the UTC time when the zone is another one
    ("… (Europe/Madrid; UTC: 2026-12-07 23:59)"). A string that is not an ISO time is shown as it is."""
    instant = as_instant(when)
    if instant is None:
        return str(when)
    zone = reader_zone()
    local = instant.astimezone(zone)
    loc = babel_locale()
    text = (
        str(get_datetime_format("medium", locale=loc))
        .replace("{1}", format_date(local, "medium", locale=loc))
        .replace("{0}", format_time(local, "short", tzinfo=zone, locale=loc))
    )
    name = zone_name(zone)
    if utc_beside and name != "UTC":
        return _("{time} ({zone}; UTC: {utc})", time=text, zone=name, utc=_utc(instant))
    return _("{time} ({zone})", time=text, zone=name)


def format_when_utc(when: datetime | str) -> str:
    """The instant in UTC, the same for every reader: "2026-12-07 23:59 UTC"."""
    instant = as_instant(when)
    return str(when) if instant is None else f"{_utc(instant)} UTC"


def format_day(day: date | str) -> str:
    """A calendar day (no time, no zone: a deadline date as the brief gives it) in the reader's locale:
    "Dec 7, 2026", "7 dic 2026". A string that is not an ISO date is shown as it is."""
    if isinstance(day, str):
        try:
            return format_date(date.fromisoformat(day.strip()), "medium", locale=babel_locale())
        except ValueError:
            return day
    return format_date(day, "medium", locale=babel_locale())


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
