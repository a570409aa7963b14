"""Currencies and amounts: exact decimals in each currency's minor units, read and written by locale.

Money is `Decimal`, never float, and every amount the product shows or stores is quantized to the
currency's minor units as CLDR gives them through Babel (cents for USD, none for JPY, fils for KWD),
so a split can always be checked to the last unit. Amounts are shown in the reader's locale
(`mediation.i18n.current_locale`): `$88.00` in English, `88,00 US$` in Spanish, `88,00 $` in Russian.

Reading what a person typed (`parse_amount`) follows the reader's locale first and other conventions
only where they cannot be misread:

- Spaces of any kind (also no-break and narrow no-break) and apostrophes only ever group digits.
- With both `.` and `,`, the last one is the decimal mark and the other groups: `1.000,00` and
  `1,000.00` are both a thousand.
- A mark that occurs more than once groups: `1.000.000`, `1,000,000`.
- A single mark is the decimal mark when the locale says so (`1.5` in English, `1,5` in Spanish) or
  when it cannot be grouping (not exactly three digits after it, more than three or a leading zero
  before it: `300,50` and `300.50` are read the same everywhere). Otherwise it is the locale's
  grouping mark (`1,000` is a thousand in English, `1.000` a thousand in Spanish). Left over is a
  mark the locale uses for neither, followed by exactly three digits (`1.000` for a Russian reader):
  that could be one or a thousand, and is refused rather than guessed.
- Groups are three digits after the first (one to three).

A currency may be written before or after the number, as its ISO code (any case) or as a symbol:
the currency's own symbol in the reader's locale, in English, or in a locale where it is legal
tender (`€`, `₽`, `£`, `￥`, `US$`; `$` for CAD in Canada). `$` means US dollars unless the currency
in hand is itself a dollar or peso written `$` where it is used. A code or symbol of another
currency is refused, naming it.

A refusal is a `MoneyError` with a stable `code` (`bad_amount`, `unknown_currency`) and a message from
the catalogue (`mediation.i18n.S_`): English text for programs and logs that words itself in each
reader's language, amounts in it shown in their locale.

`babel.numbers.parse_decimal(strict=True)` is not used on its own: it checks grouping only when the
locale's grouping mark is present and passes a `.` through as a decimal point in locales that do not
use it (`1.000` would be 1 for a Russian reader), so the rule above is applied here, with the
locale's marks from Babel.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.languages import get_official_languages
from babel.numbers import (
    format_currency,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    get_territory_currencies,
)

from mediation.errors import MediationError
from mediation.i18n import S_, Ln_, Money, Text, babel_locale, said

DEFAULT_MAX_AMOUNT = Decimal("1000000")
# beyond any contract, and within what exact decimal arithmetic holds (28 significant digits) with room
# for the minor units: larger "amounts" are typing accidents or attacks, refused before any arithmetic
ABSURD_AMOUNT = Decimal(10) ** 15

# a currency replaced within this many years (BGN by EUR in 2026) is still known: cases outlive it
RECENT_YEARS = 10

_SPACES = re.compile(r"[\s\u00a0\u2007\u2009\u202f]+")
_BIDI = re.compile(r"[\u200e\u200f\u061c]")
_MARKS = ".,"
_GROUPERS = " '"
_MINUS = "-\u2212"


class MoneyError(MediationError, ValueError):
    """An amount or currency a person typed that cannot be used; `code` is
    `bad_amount` or `unknown_currency`. The message is English text that words itself for each
    reader (`mediation.i18n.S_`): `str()` and pydantic read it in the current reader's language."""

    def __init__(self, code: str, message: Text):
        super().__init__(code, said(message))


@lru_cache(maxsize=1)
def known_currencies() -> frozenset[str]:
    """ISO 4217 codes legal tender in some territory now or within `RECENT_YEARS` (CLDR, via Babel)."""
    today = date.today()
    since = date(today.year - RECENT_YEARS, 1, 1)
    codes: set[str] = set()
    for territory in get_global("territory_currencies"):
        codes.update(get_territory_currencies(territory, start_date=since, end_date=today, tender=True))
    return frozenset(codes)


def currency_code(currency: str) -> str:
    """The upper-case ISO code, or a MoneyError that lists what is known."""
    code = (currency or "").strip().upper()
    if code not in known_currencies():
        raise MoneyError(
            "unknown_currency",
            S_(
                "unknown currency {currency}: use an ISO 4217 code such as USD, EUR, GBP or JPY",
                currency=repr(currency),
            ),
        )
    return code


def minor_units(currency: str) -> int:
    """Decimals of the currency (CLDR): 2 for USD, 0 for JPY, 3 for KWD."""
    return int(get_currency_precision(currency_code(currency)))


def unit(currency: str) -> Decimal:
    """The smallest amount of the currency: 0.01 USD, 1 JPY, 0.001 KWD."""
    return Decimal(1).scaleb(-minor_units(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half up to the currency's minor units (the rounding people expect on a bill)."""
    return Decimal(amount).quantize(unit(currency), rounding=ROUND_HALF_UP)


def is_quantized(amount: Decimal, currency: str) -> bool:
    return Decimal(amount) == quantize(amount, currency)


# --- showing -------------------------------------------------------------------------------------


def format_money(amount: Decimal, currency: str) -> str:
    """The amount for the reader's locale: `$88.00`, `€88.00`, `¥1,200`, `KWD 1.500` in English,
    `88,00 €` in Spanish, `1 500,00 ₽` in Russian; exact, grouped, in the currency's minor units."""
    code = currency_code(currency)
    loc = babel_locale()
    text = format_currency(quantize(amount, code), code, locale=loc)
    return _spaced(text, get_currency_symbol(code, loc))


def _spaced(text: str, symbol: str) -> str:
    """CLDR's currency spacing, which Babel leaves out: a symbol that ends (or starts) with a letter
    next to a digit gets a no-break space (`KWD 1.500`, not `KWD1.500`); `$`, `€`, `US$` do not."""
    at = text.find(symbol) if symbol else -1
    if at < 0:
        return text
    end = at + len(symbol)
    if end < len(text) and text[end].isdigit() and not unicodedata.category(symbol[-1]).startswith("S"):
        text = text[:end] + "\u00a0" + text[end:]
    if at > 0 and text[at - 1].isdigit() and not unicodedata.category(symbol[0]).startswith("S"):
        text = text[:at] + "\u00a0" + text[at:]
    return text


# --- reading -------------------------------------------------------------------------------------


def _clean(token: str) -> str:
    return _BIDI.sub("", unicodedata.normalize("NFKC", token)).strip().casefold()


@lru_cache(maxsize=1)
def _home_locales() -> dict[str, tuple[str, ...]]:
    """Each known currency's locales where it is legal tender now (official language × territory)."""
    today = date.today()
    out: dict[str, list[str]] = {}
    for territory in get_global("territory_currencies"):
        for code in get_territory_currencies(territory, start_date=today, tender=True):
            for lang in get_official_languages(territory, de_facto=True):
                try:
                    out.setdefault(code, []).append(str(Locale.parse(f"{lang}_{territory}")))
                except (ValueError, UnknownLocaleError):
                    continue
    return {code: tuple(dict.fromkeys(ids)) for code, ids in out.items()}


@lru_cache(maxsize=512)
def _symbols_of(code: str, locale: str) -> frozenset[str]:
    """The ways `code` is written: its code, and its symbol in English, the reader's locale and its home."""
    names = {code.casefold()}
    for loc in ("en", locale, *_home_locales().get(code, ())):
        names.add(_clean(get_currency_symbol(code, loc)))
    return frozenset(n for n in names if n)


@lru_cache(maxsize=16)
def _symbol_index(locale: str) -> dict[str, str]:
    """Symbol → the one currency it names: English symbols first (so `$` is USD and `¥` JPY), then the
    reader's locale, then each currency's home symbols; a symbol two currencies share in one pass and
    that no earlier pass settled names none."""
    index: dict[str, str] = {}
    known = known_currencies()
    passes = [
        [(code, get_currency_symbol(code, "en")) for code in known],
        [(code, get_currency_symbol(code, locale)) for code in known],
        [(code, get_currency_symbol(code, loc)) for code, locs in _home_locales().items() for loc in locs],
    ]
    for pairs in passes:
        seen: dict[str, set[str]] = {}
        for code, symbol in pairs:
            s = _clean(symbol)
            if s and s != code.casefold():
                seen.setdefault(s, set()).add(code)
        for s, codes in seen.items():
            if s not in index and len(codes) == 1:
                index[s] = next(iter(codes))
    return index


def _currency_named(token: str, code: str | None, locale: str) -> str | None:
    """The currency a code or symbol names: `code` when it is one of its own ways of being written,
    else another known currency it names unambiguously, else None."""
    t = _clean(token)
    if code and t in _symbols_of(code, locale):
        return code
    if t.upper() in known_currencies():
        return t.upper()
    return _symbol_index(locale).get(t)


def _split(text: str) -> tuple[str, str, str]:
    """(before, number, after): the number runs from the first digit (or a mark right before one) to
    the last digit, with a trailing mark ("5.")."""
    first = re.search(r"[.,]?\d", text)
    if first is None:
        return text, "", ""
    last = max(i for i, ch in enumerate(text) if ch.isdigit()) + 1
    if last < len(text) and text[last] in _MARKS:
        last += 1
    return text[: first.start()], text[first.start() : last], text[last:]


def named_currency(text: str) -> str | None:
    """The currency an amount as typed names by a code or an unambiguous symbol ("1.000,00 €" → EUR,
    "EUR 300" → EUR), or None: none named, or only `$`, which many currencies use."""
    before, number, after = _split(_SPACES.sub(" ", str(text)).strip())
    if not number:
        return None
    loc = str(babel_locale())
    named = None
    for token in (before.strip().strip(_MINUS + "+").strip(), after.strip()):
        if token and _clean(token) != "$":
            named = _currency_named(token, None, loc) or named
    return named


def _bad(shown: str) -> MoneyError:
    return MoneyError(
        "bad_amount", S_("{amount} is not an amount: write digits such as 88 or 88.50", amount=repr(shown))
    )


def _grouped(part: str, mark: str) -> str | None:
    """The digits of an integer part grouped by `mark` in threes (first group 1-3 digits, no leading
    zero), or None when it is not grouped so."""
    groups = part.split(mark)
    if len(groups) < 2 or not 1 <= len(groups[0]) <= 3 or groups[0].startswith("0"):
        return None
    if any(len(g) != 3 for g in groups[1:]):
        return None
    return "".join(groups)


def _read_number(number: str, shown: str, loc: Locale) -> Decimal:
    """The number's value by the rule in the module's docstring."""
    if any(not (ch.isdigit() or ch in _MARKS or ch in _GROUPERS) for ch in number) or not number.isascii():
        raise _bad(shown)
    decimal_mark = get_decimal_symbol(loc)
    group_mark = get_group_symbol(loc)
    group_mark = " " if _SPACES.fullmatch(group_mark) else "'" if group_mark in "'’" else group_mark
    marks = [ch for ch in number if ch in _MARKS]
    groupers = {ch for ch in number if ch in _GROUPERS}
    kinds = set(marks)
    decimal: str | None  # the decimal mark of this number, if any
    if len(kinds) == 2:
        decimal = marks[-1]
        if marks.count(decimal) != 1 or groupers:
            raise _bad(shown)
        grouping = marks[0]
    elif len(kinds) == 1 and len(marks) > 1:
        decimal, grouping = None, marks[0]
        if groupers:
            raise _bad(shown)
    elif len(kinds) == 1:
        (mark,) = kinds
        whole, frac = number.split(mark)
        could_group = len(frac) == 3 and _grouped(whole.replace(" ", "").replace("'", "") + mark + frac, mark)
        if groupers or mark == decimal_mark or not could_group:
            decimal, grouping = mark, None
        elif mark == group_mark:
            decimal, grouping = None, mark
        else:
            small = Decimal(f"{whole}.{frac}").normalize()
            small_text = f"{small:f}".replace(".", decimal_mark)
            plain = (whole + frac).lstrip("0") or "0"
            raise MoneyError(
                "bad_amount",
                S_(
                    "{amount} could mean {small} or {plain}: write it as {plain} or as {decimal}",
                    amount=repr(shown),
                    small=small_text,
                    plain=plain,
                    decimal=f"{whole}{decimal_mark}{frac}",
                ),
            )
    else:
        decimal, grouping = None, None
    whole, _, frac = number.partition(decimal) if decimal else (number, "", "")
    if len(groupers) > 1:
        raise _bad(shown)
    sep = grouping or (next(iter(groupers)) if groupers else None)
    if sep:
        digits = _grouped(whole, sep)
        if digits is None:
            raise _bad(shown)
        whole = digits
    if not (whole + frac).isdigit() or (not whole.isdigit() and whole):
        raise _bad(shown)
    try:
        return Decimal(f"{whole or '0'}.{frac or '0'}")
    except InvalidOperation:
        raise _bad(shown) from None


def _read_text(shown: str, code: str) -> Decimal:
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", shown).replace("’", "'")).strip()
    before, number, after = _split(text)
    before, after = before.strip(), after.strip()
    negative = False
    for _ in range(2):  # a sign on either side of a symbol before the number: "-$5", "$-5", "- 5"
        if before[:1] in _MINUS + "+" and before:
            negative, before = negative or before[0] in _MINUS, before[1:].strip()
        if before[-1:] in _MINUS + "+" and before:
            negative, before = negative or before[-1] in _MINUS, before[:-1].strip()
    loc = babel_locale()
    named = [_currency_named(token, code, str(loc)) for token in (before, after) if token]
    if None in named:
        raise _bad(shown)
    if not number:
        raise MoneyError("bad_amount", S_("no amount given in {text}", text=repr(shown)))
    for other in named:
        if other != code:
            raise MoneyError(
                "bad_amount",
                S_(
                    "{amount} is an amount in {other}, not {currency}: give the amount in {currency}",
                    amount=repr(shown),
                    other=other,
                    currency=code,
                ),
            )
    value = _read_number(number, shown, loc)
    return -value if negative else value


def parse_amount(
    text: str | int | Decimal,
    currency: str,
    *,
    allow_zero: bool = False,
    max_amount: Decimal | str | int | None = DEFAULT_MAX_AMOUNT,
) -> Decimal:
    """Read an amount a person typed ("88", "$88", "300,50", "1.000,00 €", "₽1 500", "1,250.50 EUR")
    into an exact Decimal, in the reader's locale (see the module's docstring for the rule). An int or
    Decimal is taken as it is: values the program already holds are never read by locale.

    Rejects with a MoneyError (`bad_amount`) that names the problem: not a number, ambiguous, another
    currency, negative, zero (unless allowed), above `max_amount`, or more decimals than the currency
    has (88.005 USD is not a price anyone can pay).
    """
    code = currency_code(currency)
    if isinstance(text, bool) or not isinstance(text, (str, int, Decimal)):
        raise MoneyError("bad_amount", S_("amount must be a number, got {value}", value=repr(text)))
    if isinstance(text, Decimal):
        value = text
        shown = str(text)
    elif isinstance(text, int):
        value = Decimal(text)
        shown = str(text)
    else:
        shown = text.strip()
        value = _read_text(shown, code)
    if not value.is_finite():
        raise MoneyError("bad_amount", S_("{amount} is not a finite amount", amount=repr(shown)))
    if abs(value) >= ABSURD_AMOUNT or len(value.as_tuple().digits) > 24:
        raise MoneyError("bad_amount", S_("{amount} is not a plausible amount", amount=repr(shown[:40])))
    if value < 0:
        raise MoneyError("bad_amount", S_("amount cannot be negative ({amount})", amount=shown))
    if value == 0 and not allow_zero:
        raise MoneyError("bad_amount", S_("amount must be more than zero"))
    if max_amount is not None and value > Decimal(max_amount):
        raise MoneyError(
            "bad_amount",
            S_("amount {amount} is above the limit of {limit}", amount=shown, limit=Money(Decimal(max_amount), code)),
        )
    places = minor_units(code)
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        if places == 0:
            raise MoneyError(
                "bad_amount", S_("{currency} amounts have no decimals; got {amount}", currency=code, amount=shown)
            )
        raise MoneyError(
            "bad_amount",
            Ln_(
                "{currency} amounts have at most {n} decimal; got {amount}",
                "{currency} amounts have at most {n} decimals; got {amount}",
                places,
                currency=code,
                amount=shown,
            ),
        )
    return quantize(value, code)
