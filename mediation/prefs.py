"""Who reads in which language and time zone.

A person's language is, in order: the one they chose with `/lang`, the one their platform says
they use (Telegram's language_code, Discord's locale, the console's --lang; kept as `hint`
whenever it changes), English. Their time zone is the one they chose with `/tz`, else UTC.

A case's message goes to each party in their own language where they read it in a chat of their
own; a chat both parties share (a group, a channel, a Discord thread) reads the case's language,
which is the language of the party who opened the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlmodel import Session, select

from .errors import MediationError
from .i18n import DEFAULT_LOCALE, L_, SUPPORTED, choose, normalize
from .models import Case, CaseMember, Identity, UserPref


@dataclass(frozen=True)
class Reader:
    locale: str = DEFAULT_LOCALE
    zone: str | None = None  # None: UTC


def get(s: Session, platform: str, user_id: str) -> UserPref | None:
    return s.get(UserPref, (platform, str(user_id)))


def _row(s: Session, platform: str, user_id: str, now: datetime) -> UserPref:
    row = get(s, platform, user_id)
    if row is None:
        row = UserPref(platform=platform, user_id=str(user_id), updated_at=now)
    return row


def reader(s: Session, platform: str, user_id: str | None, hint: str | None = None) -> Reader:
    """The language and zone one person reads in; `hint` is what their platform says now."""
    row = get(s, platform, user_id) if user_id else None
    if row is None:
        return Reader(choose(hint))
    return Reader(choose(row.locale, hint, row.hint), row.zone)


def note_hint(s: Session, platform: str, user_id: str, hint: str | None, now: datetime) -> None:
    """Keep the language a person's platform reports, so notices reach them in it later; written
    only when it changes (and never for a language the bot does not speak)."""
    lang = normalize(hint)
    if lang is None:
        return
    row = get(s, platform, user_id)
    if row is not None and row.hint == lang:
        return
    row = row or UserPref(platform=platform, user_id=str(user_id), updated_at=now)
    row.hint, row.updated_at = lang, now
    s.add(row)


def set_locale(s: Session, platform: str, user_id: str, code: str | None, now: datetime) -> str | None:
    """A person's choice of language (None: back to what their platform says)."""
    lang = None
    if code is not None:
        lang = normalize(code)
        if lang is None:
            raise MediationError(
                "unknown_language",
                L_(
                    "{code} is not a language I speak. Choose one of: {choices}.",
                    code=repr(code[:20]),
                    choices=", ".join(SUPPORTED),
                ),
            )
    row = _row(s, platform, user_id, now)
    row.locale, row.updated_at = lang, now
    s.add(row)
    return lang


def check_zone(name: str) -> str:
    """An IANA time zone name as the database spells it ("europe/madrid" → "Europe/Madrid")."""
    text = name.strip()
    if text.upper() == "UTC":
        return "UTC"
    try:
        ZoneInfo(text)
        if "/" in text or text in ("UTC", "GMT"):
            return text
    except (ZoneInfoNotFoundError, ValueError):
        pass
    folded = {z.lower(): z for z in available_timezones()}
    found = folded.get(text.lower())
    if found is None:
        raise MediationError(
            "unknown_zone",
            L_(
                "{zone} is not a time zone I know. Give it as Area/City, e.g. Europe/Madrid or America/Bogota.",
                zone=repr(text[:40]),
            ),
        )
    return found


def set_zone(s: Session, platform: str, user_id: str, name: str | None, now: datetime) -> str | None:
    zone = None if name is None else check_zone(name)
    row = _row(s, platform, user_id, now)
    row.zone, row.updated_at = zone, now
    s.add(row)
    return zone


def _user_of(s: Session, party_id: int, platform: str) -> str | None:
    ident = s.exec(select(Identity).where(Identity.party_id == party_id, Identity.platform == platform)).first()
    return None if ident is None else ident.user_id


def member_reader(s: Session, member: CaseMember) -> Reader:
    return reader(s, member.platform, _user_of(s, member.party_id, member.platform))


def case_reader(s: Session, case: Case) -> Reader:
    """The case's language: that of the party who opened it (English when nobody can be found)."""
    opener = s.exec(
        select(CaseMember).where(CaseMember.case_id == case.id, CaseMember.party_id == case.created_by)
    ).first()
    if opener is not None:
        return member_reader(s, opener)
    ident = s.exec(select(Identity).where(Identity.party_id == case.created_by)).first()
    return Reader() if ident is None else reader(s, ident.platform, ident.user_id)


def chat_reader(s: Session, case: Case | None, platform: str, chat_id: str, user_id: str | None = None) -> Reader:
    """Who reads a notice sent to a chat: one person (a private address, or a chat where only one
    party of the case is), or both parties (a shared chat: the case's language)."""
    if user_id:
        return reader(s, platform, user_id)
    if case is None:
        return Reader()
    here = s.exec(
        select(CaseMember).where(
            CaseMember.case_id == case.id, CaseMember.platform == platform, CaseMember.chat_id == chat_id
        )
    ).all()
    if len(here) == 1:
        return member_reader(s, here[0])
    if not here and platform and chat_id:  # e.g. a private chat of a party: the chat id is their user id
        return reader(s, platform, chat_id)
    return case_reader(s, case)


def shared(s: Session, case: Case, platform: str, chat_id: str) -> bool:
    """Whether both parties of the case read this chat."""
    return (
        len(
            s.exec(
                select(CaseMember).where(
                    CaseMember.case_id == case.id, CaseMember.platform == platform, CaseMember.chat_id == chat_id
                )
            ).all()
        )
        > 1
    )
