"""The reader's language and time zone while a reply is being worded.

Set per reader (the person or chat a reply goes to) by the bot layer; read by whatever words a
message, formats money or shows a time. Defaults are English and UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from babel import Locale, UnknownLocaleError

DEFAULT_LOCALE = "en"
DEFAULT_ZONE = "UTC"

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)
current_zone: ContextVar[str] = ContextVar("current_zone", default=DEFAULT_ZONE)


@contextmanager
def reading_as(locale: str | None = None, zone: str | None = None) -> Iterator[None]:
    """Word everything inside for a reader of this locale and time zone (None keeps the current)."""
    tokens = []
    if locale:
        tokens.append((current_locale, current_locale.set(locale)))
    if zone:
        tokens.append((current_zone, current_zone.set(zone)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def babel_locale(locale: str | None = None) -> Locale:
    """The Babel locale for `locale` (default: the reader's); English when Babel does not know it.
    Takes "es", "pt_BR" and "pt-BR" alike."""
    return _babel_locale((locale or current_locale.get() or DEFAULT_LOCALE).strip().replace("-", "_"))


@lru_cache(maxsize=64)
def _babel_locale(name: str) -> Locale:
    try:
        return Locale.parse(name)
    except (ValueError, TypeError, UnknownLocaleError):
        return Locale.parse(DEFAULT_LOCALE)
