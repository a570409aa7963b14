"""The reader's language and time zone while a reply is being worded, and the message catalogue.

Set per reader (the person or chat a reply goes to) by the bot layer; read by whatever words a
message, formats money or shows a time. Defaults are English and UTC.

Every sentence a person reads goes through the catalogue (gettext, `mediation/locale/`), with the
English text as its message id and named placeholders (`{case_id}`) filled in after translation:

    _("Case {case_id} opened.", case_id=cid)          # worded now, for the current reader
    n_("{n} file", "{n} files", n)                    # plural forms of the reader's language
    N_("release in full")                             # marked for the catalogue; worded where shown
    L_("Case {case_id} opened.", case_id=cid)         # worded later, for each reader (a `Msg`)

A `Msg` keeps the message id and its parameters (which may be `Msg`s, `Join`s, `Money`, or times as
`When` and `Day`) so the same sentence is worded for each reader in turn, with amounts and times in
their locale and zone, and it can be stored as JSON (`to_json`) and worded again when it is shown
later. `en(x)` words anything in English with times in UTC: the `data` payloads that programs read
stay English, whoever reads the text. `babel_locale()` is the reader's locale as Babel has it, for
formatting money and times.

The catalogues are compiled from the `.po` sources in memory the first time a language is needed
(a compiled `.mo` beside a `.po`, when present and newer, is used as it is).
"""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from gettext import NullTranslations
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError

log = logging.getLogger("mediator.i18n")

DEFAULT_LOCALE = "en"
DEFAULT_ZONE = "UTC"
SUPPORTED = ("en", "es", "ru")  # English is the source language: its catalogue is the message ids
LANGUAGE_NAMES = {"en": "English", "es": "Español", "ru": "Русский"}
DOMAIN = "mediator"
LOCALE_DIR = Path(__file__).with_name("locale")

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


# --- locales -------------------------------------------------------------------------------

_CODE = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_].*)?$")


def normalize(code: str | None) -> str | None:
    """A supported language for a platform's code ("es-ES", "es_419", "ru", "EN-gb"), else None
    ("pt-BR", "", None): the caller falls back to the next choice, and finally to English."""
    m = _CODE.match(code or "")
    if not m:
        return None
    lang = m.group(1).lower()
    return lang if lang in SUPPORTED else None


def choose(*choices: str | None) -> str:
    """The first of the choices that names a supported language (a stored choice, then a
    platform's hint...), else English."""
    for code in choices:
        lang = normalize(code)
        if lang:
            return lang
    return DEFAULT_LOCALE


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


# --- catalogues ----------------------------------------------------------------------------

_catalogues: dict[str, NullTranslations] = {}
_lock = threading.Lock()


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def _load(locale: str) -> NullTranslations:
    from babel.support import Translations

    po = po_path(locale)
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fp:
            return Translations(fp, domain=DOMAIN)
    if not po.exists():
        log.warning("no catalogue for %r at %s; English is used", locale, po)
        return NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as fp:
        catalog = read_po(fp, locale=locale, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)  # a fuzzy (unchecked) translation is not shown
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


def translations(locale: str | None = None) -> NullTranslations:
    """The compiled catalogue of a language (English: none, the ids are the text)."""
    lang = normalize(locale or current_locale.get()) or DEFAULT_LOCALE
    if lang == DEFAULT_LOCALE:
        return _ENGLISH
    found = _catalogues.get(lang)
    if found is None:
        with _lock:
            found = _catalogues.get(lang)
            if found is None:
                found = _catalogues[lang] = _load(lang)
    return found


_ENGLISH = NullTranslations()


def _fill(text: str, fallback: str, params: Mapping[str, Any]) -> str:
    """Fill the named placeholders; a translation that names one the code does not give falls
    back to the English text (the catalogue test keeps that from happening)."""
    if not params:
        return text
    values = {k: render(v) if isinstance(v, (Msg, Join, Said, *LATER)) else v for k, v in params.items()}
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        if text is fallback:
            raise
        log.warning("translation of %r does not fit its placeholders; English is used", fallback[:60])
        return fallback.format(**values)


def _(msgid: str, /, **params: Any) -> str:
    """`msgid` in the current reader's language, its `{placeholders}` filled in."""
    return _fill(translations().gettext(msgid), msgid, params)


def n_(singular: str, plural: str, n: int, /, **params: Any) -> str:
    """The plural form for `n` in the reader's language; `{n}` is filled in with the rest."""
    k = n if isinstance(n, int) else int(n) if float(n).is_integer() else 2  # 1.5 days reads as 2 do
    text = translations().ngettext(singular, plural, k)
    return _fill(text, singular if k == 1 else plural, {"n": n, **params})


def N_(msgid: str, /) -> str:
    """Marks a message for the catalogue where it cannot be worded yet (a table built at import);
    the place that shows it words it with `_(name)`."""
    return msgid


# --- messages worded later ---------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    """An amount as a parameter: formatted for each reader (money is written differently per language)."""

    amount: Decimal
    currency: str

    def render(self) -> str:
        from mediation.currency import format_money

        return format_money(Decimal(self.amount), self.currency)


@dataclass(frozen=True)
class When:
    """An instant as a parameter: shown in each reader's time zone and locale
    (`mediation.timefmt.format_when`); `at` is an aware datetime or an ISO string (naive means UTC)."""

    at: Any
    utc_beside: bool = False

    def render(self) -> str:
        from mediation.timefmt import format_when

        return format_when(self.at, utc_beside=self.utc_beside)


@dataclass(frozen=True)
class Day:
    """A calendar day as a parameter (a deadline date as a brief gives it: no time, no zone), shown
    in each reader's locale (`mediation.timefmt.format_day`); `day` is a date or an ISO string."""

    day: Any

    def render(self) -> str:
        from mediation.timefmt import format_day

        return format_day(self.day)


LATER = (Money, When, Day)  # parameters worded for each reader as they are shown


class _Shown:
    """What worded pieces share: shown as their text, and joined to text by `+`."""

    def render(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.render()

    def __add__(self, other: object) -> Join:
        return Join("", (self, other))

    def __radd__(self, other: object) -> Join:
        return Join("", (other, self))


@dataclass(frozen=True)
class Msg(_Shown):
    """A message worded when it is shown: for each reader in turn, or later from storage."""

    msgid: str
    params: tuple[tuple[str, Any], ...] = ()  # (name, value) pairs: a Msg is hashable, like a str
    plural: str | None = None
    n: int | None = None

    def render(self) -> str:
        if self.plural is not None:
            return n_(self.msgid, self.plural, int(self.n or 0), **dict(self.params))
        return _(self.msgid, **dict(self.params))

    def to_json(self) -> dict:
        out: dict[str, Any] = {"m": self.msgid}
        if self.params:
            out["p"] = {k: to_json(v) for k, v in self.params}
        if self.plural is not None:
            out["pl"], out["n"] = self.plural, self.n
        return out


@dataclass(frozen=True)
class Join(_Shown):
    """Parts (text, `Msg`s) shown one after another with a separator between them."""

    sep: Any  # text, or a Msg (" or ")
    parts: tuple = ()

    def render(self) -> str:
        return render(self.sep).join(render(p) for p in self.parts)

    def __bool__(self) -> bool:
        return any(bool(p) for p in self.parts)

    def to_json(self) -> dict:
        return {"j": to_json(self.sep), "parts": [to_json(p) for p in self.parts]}


class Said(str):
    """English text (what programs, logs and the record read, and what string tests compare)
    that remembers how to word itself for each reader: `render` words it, `str` stays English."""

    msg: Msg | Join

    def __new__(cls, msg: Msg | Join) -> Said:
        obj = super().__new__(cls, en(msg))
        obj.msg = msg
        return obj

    def __reduce__(self):  # crosses process boundaries (sandboxed file checks) with its wording
        return (Said, (self.msg,))


Text = str | Msg | Join


def said(text: Any) -> Any:
    """A message as a `Said` (English text that words itself); plain text as it is."""
    return Said(text) if isinstance(text, (Msg, Join)) else text


def S_(msgid: str, /, **params: Any) -> Said:
    """`L_` that is also its English text (a `Said`): for strings code compares or stores."""
    return Said(Msg(msgid, _frozen(params)))


def _frozen(params: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items())


def L_(msgid: str, /, **params: Any) -> Msg:
    """`_` worded later: a `Msg`."""
    return Msg(msgid, _frozen(params))


def Ln_(singular: str, plural: str, n: int, /, **params: Any) -> Msg:
    """`n_` worded later: a `Msg`."""
    return Msg(singular, _frozen(params), plural, n)


def join(sep: Any, parts: Iterable[Any]) -> Join:
    return Join(sep, tuple(parts))


def and_join(items: Iterable[Any]) -> Any:
    """'a', 'a and b', 'a, b and c', worded for each reader."""
    parts = list(items)
    if len(parts) <= 1:
        return parts[0] if parts else ""
    return L_("{items} and {last}", items=join(", ", parts[:-1]), last=parts[-1])


def render(value: Any) -> str:
    """Anything shown to a person, as text for the current reader."""
    if isinstance(value, Said):
        return value.msg.render()
    if isinstance(value, (Msg, Join, *LATER)):
        return value.render()
    return "" if value is None else str(value)


def en(value: Any) -> str:
    """Worded in English with times in UTC, whoever is reading: for `data` payloads, the record
    and logs."""
    with reading_as(DEFAULT_LOCALE, DEFAULT_ZONE):
        return render(value)


def in_locale(locale: str | None, value: Any) -> str:
    with reading_as(locale or DEFAULT_LOCALE):
        return render(value)


def to_json(value: Any) -> Any:
    """A message (or plain value) as JSON, to be worded again with `from_json`."""
    if isinstance(value, Said):
        return value.msg.to_json()
    if isinstance(value, (Msg, Join)):
        return value.to_json()
    if isinstance(value, Money):
        return {"$": "money", "a": str(value.amount), "c": value.currency}
    if isinstance(value, When):
        at = value.at.isoformat() if isinstance(value.at, datetime) else str(value.at)
        return {"$": "when", "t": at, **({"u": True} if value.utc_beside else {})}
    if isinstance(value, Day):
        return {"$": "day", "d": value.day.isoformat() if isinstance(value.day, date) else str(value.day)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def from_json(value: Any) -> Any:
    """What `to_json` wrote, back as `Msg`, `Join`, `Money`, `When`, `Day` or plain values."""
    if isinstance(value, dict):
        if "m" in value:
            params = {k: from_json(v) for k, v in (value.get("p") or {}).items()}
            return Msg(value["m"], _frozen(params), value.get("pl"), value.get("n"))
        if "j" in value:
            return Join(from_json(value["j"]), tuple(from_json(p) for p in value.get("parts", [])))
        if value.get("$") == "money":
            return Money(Decimal(value["a"]), value["c"])
        if value.get("$") == "when":
            return When(value["t"], bool(value.get("u")))
        if value.get("$") == "day":
            return Day(value["d"])
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


# --- wording kept with stored data ---------------------------------------------------------------


def keep(data: dict, key: str, text: Any) -> dict:
    """Store `text` under `key` in English (what programs and the record read) and, when it is a
    message, how to word it again (`key_text`), so it is shown later in each reader's language."""
    data[key] = en(text)
    if isinstance(text, (Msg, Join, Said)):
        data[f"{key}_text"] = to_json(text)
    else:
        data.pop(f"{key}_text", None)
    return data


def stored(data: dict, key: str) -> Any:
    """What `keep` stored, as a message again (or the plain text)."""
    wording = data.get(f"{key}_text")
    return from_json(wording) if wording is not None else data.get(key)


def shown(data: dict, key: str) -> str:
    """What `keep` stored, worded for the current reader."""
    return render(stored(data, key))


def wording(text: Any) -> Any:
    """How to word `text` again (JSON) when it is a message; None for plain text (a person's own
    words, shown as written). For a table column beside the English text, as `keep` does in a dict."""
    return to_json(text) if isinstance(text, (Msg, Join, Said)) else None


def worded(text: str, how: Any) -> Any:
    """A stored English text as a message again when its `wording` was kept, else the text."""
    return from_json(how) if how is not None else text


def known_messages() -> frozenset[str]:
    """Every message id of the catalogue (read from a complete translation): text from outside
    the process (a file-checking worker) may only name these."""
    global _known
    if _known is None:
        catalog = getattr(translations(SUPPORTED[-1]), "_catalog", {})
        _known = frozenset(k if isinstance(k, str) else k[0] for k in catalog if k)
    return _known


_known: frozenset[str] | None = None
