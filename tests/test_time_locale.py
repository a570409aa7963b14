"""Times in the reader's zone and locale: deadlines across the DST changes of Europe/Madrid, UTC beside
them in the case file, and UTC with English by default."""

import json
from datetime import UTC, date, datetime

import pytest

from mediation.i18n import en, from_json, reading_as, render, to_json
from mediation.timefmt import format_day, format_when, format_when_utc

NNBSP = "\u202f"  # CLDR puts a narrow no-break space before AM/PM and the Russian "г."
DEADLINE = datetime(2026, 12, 7, 23, 59, tzinfo=UTC)  # the "2026-12-07 23:59 UTC"


@pytest.mark.parametrize(
    "locale,zone,shown",
    [
        ("en", None, f"Dec 7, 2026, 11:59{NNBSP}PM (UTC)"),
        ("en", "Europe/Madrid", f"Dec 8, 2026, 12:59{NNBSP}AM (Europe/Madrid)"),
        ("en_GB", "Europe/Madrid", "8 Dec 2026, 00:59 (Europe/Madrid)"),
        ("es", "Europe/Madrid", "8 dic 2026, 0:59 (Europe/Madrid)"),
        ("ru", "Europe/Moscow", f"8 дек. 2026{NNBSP}г., 02:59 (Europe/Moscow)"),
        ("es", "America/Bogota", "7 dic 2026, 18:59 (America/Bogota)"),
        ("en", "Not/AZone", f"Dec 7, 2026, 11:59{NNBSP}PM (UTC)"),  # an unknown zone reads as UTC
    ],
)
def test_a_deadline_in_the_readers_zone_and_locale(locale, zone, shown):
    with reading_as(locale, zone):
        assert format_when(DEADLINE) == shown


@pytest.mark.parametrize(
    "utc,local",
    [
        # spring forward, Sunday 29 March 2026: 02:00 CET becomes 03:00 CEST (01:00 UTC)
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "29 Mar 2026, 01:59"),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "29 Mar 2026, 03:00"),
        # fall back, Sunday 25 October 2026: 03:00 CEST becomes 02:00 CET (01:00 UTC)
        (datetime(2026, 10, 25, 0, 59, tzinfo=UTC), "25 Oct 2026, 02:59"),
        (datetime(2026, 10, 25, 1, 0, tzinfo=UTC), "25 Oct 2026, 02:00"),
        # the day changes with the zone: 23:30 UTC in summer is 01:30 the next day
        (datetime(2026, 7, 31, 23, 30, tzinfo=UTC), "1 Aug 2026, 01:30"),
    ],
)
def test_madrid_across_daylight_saving(utc, local):
    with reading_as("en_GB", "Europe/Madrid"):
        assert format_when(utc) == f"{local} (Europe/Madrid)"
        assert format_when(utc, utc_beside=True) == f"{local} (Europe/Madrid; UTC: {utc:%Y-%m-%d %H:%M})"
    with reading_as("en_GB"):
        assert format_when(utc) == f"{utc:%-d %b %Y, %H:%M} (UTC)"


def test_utc_beside_only_when_the_zone_is_another_one():
    with reading_as("es", "Europe/Madrid"):
        assert format_when(DEADLINE, utc_beside=True) == "8 dic 2026, 0:59 (Europe/Madrid; UTC: 2026-12-07 23:59)"
        assert format_when_utc(DEADLINE) == "2026-12-07 23:59 UTC"  # the same for every reader
    assert format_when(DEADLINE, utc_beside=True) == format_when(DEADLINE)
    assert format_when_utc(DEADLINE) == "2026-12-07 23:59 UTC"


def test_what_format_when_takes():
    naive = datetime(2026, 12, 7, 23, 59)  # stored naive means UTC
    iso = "2026-12-07T23:59:00+00:00"  # as data payloads carry it
    with reading_as("en_GB", "Europe/Madrid"):
        assert format_when(naive) == format_when(iso) == format_when(DEADLINE) == "8 Dec 2026, 00:59 (Europe/Madrid)"
        assert format_when("2026-12-07T23:59:00Z") == "8 Dec 2026, 00:59 (Europe/Madrid)"
        assert format_when("not a time") == "not a time"


def test_a_calendar_day_has_no_zone():
    with reading_as("es", "Pacific/Kiritimati"):
        assert format_day(date(2026, 12, 7)) == format_day("2026-12-07") == "7 dic 2026"
    assert format_day("2026-12-07") == "Dec 7, 2026"
    assert format_day("03-15") == "03-15"  # a partial date from a brief is shown as written


# -- where times are shown -------------------------------------------------------------------------


def test_the_assessment_says_when_a_delivery_was_due_in_the_readers_zone():
    from mediation.assessment import assess

    agreed = datetime(2026, 12, 1, 10, tzinfo=UTC)
    brief = "Three logo concepts as SVG, delivered by 2026-12-07."

    evidence = next(c for c in assess(brief, [], DEADLINE, agreed).checks if c.kind == "deadline").evidence

    # the evidence is worded as it is shown, for each reader; as text for programs it stays English and UTC
    assert f"due Dec 7, 2026, 11:59{NNBSP}PM (UTC)" in evidence
    with reading_as("en_GB", "Europe/Madrid"):
        assert "due 8 Dec 2026, 00:59 (Europe/Madrid), by the end of 7 Dec 2026" in render(evidence)
    with reading_as("es", "Europe/Madrid"):
        assert "vence el 8 dic 2026, 0:59 (Europe/Madrid), hasta el final del 7 dic 2026" in render(evidence)
    with reading_as("ru", "Europe/Moscow"):
        assert f"срок 8 дек. 2026{NNBSP}г., 02:59 (Europe/Moscow)" in render(evidence)
    with reading_as("es", "Europe/Madrid"):
        stored = from_json(json.loads(json.dumps(to_json(evidence))))  # kept in the database, shown later
    with reading_as("en_GB", "America/Bogota"):
        assert "due 7 Dec 2026, 18:59 (America/Bogota)" in render(stored)
    assert en(stored) == str(evidence)


def test_the_appeal_deadline_in_the_readers_zone():
    from bot.replies import closing_fields

    closing = {"outcome": "full_refund", "how": "decided", "appeal_until": DEADLINE.isoformat()}
    with reading_as("es", "Europe/Madrid"):
        appeal = dict(closing_fields(closing, "EUR"))["Apelación"]
    assert "hasta el 8 dic 2026, 0:59 (Europe/Madrid): /appeal" in appeal
    with reading_as("en", "Europe/Madrid"):
        appeal = dict(closing_fields(closing, "EUR"))["Appeal"]
    assert f"until Dec 8, 2026, 12:59{NNBSP}AM (Europe/Madrid): /appeal" in appeal


def test_the_case_file_shows_the_readers_zone_with_utc_beside():
    from mediation.export import to_markdown

    doc = {
        "case_id": "CABCDE",
        "status": {"title": "Logo", "status": "decided", "amount": "300.50", "currency": "EUR", "parties": {}},
        "facts": {"deadline": DEADLINE.isoformat()},
        "briefs": [],
        "deliveries": [{"at": "2026-12-05T16:00:00+00:00", "note": "three concepts", "files": []}],
        "approvals": [],
        "requests": [],
        "proposals": [],
        "votes": [],
        "decisions": [],
        "timeline": [{"seq": 1, "at": "2026-12-01T10:00:00+00:00", "action": "case.created", "actor": "maya"}],
        "audit_intact": True,
        "audience": "party",
    }
    with reading_as("es", "Europe/Madrid"):
        md = to_markdown(doc)
    assert "- Importe: 300,50\u00a0€" in md
    assert "- Plazo: 8 dic 2026, 0:59 (Europe/Madrid; UTC: 2026-12-07 23:59)" in md
    assert "- 5 dic 2026, 17:00 (Europe/Madrid; UTC: 2026-12-05 16:00): three concepts" in md
    assert "1. 1 dic 2026, 11:00 (Europe/Madrid; UTC: 2026-12-01 10:00) case.created por maya" in md
    with reading_as("en_GB", "Europe/Madrid"):
        md = to_markdown(doc)
    assert "- Amount: €300.50" in md and "- Deadline: 8 Dec 2026, 00:59 (Europe/Madrid; UTC: 2026-12-07 23:59)" in md
    plain = to_markdown(doc)  # English and UTC: one time, no UTC twice
    assert f"- Deadline: Dec 7, 2026, 11:59{NNBSP}PM (UTC)\n" in plain and "- Amount: €300.50" in plain
