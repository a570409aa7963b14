"""Currencies and amounts: exact decimals in each currency's minor units.

Money is `Decimal`, never float, and every amount the product shows or stores is quantized to
the currency's ISO 4217 minor units (cents for USD, none for JPY, fils for KWD), so a split can
always be checked to the last unit.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from mediation.errors import MediationError

# ISO 4217 minor units for the currencies people commonly contract in.
MINOR_UNITS: dict[str, int] = {
    "AED": 2,
    "ARS": 2,
    "AUD": 2,
    "BDT": 2,
    "BGN": 2,
    "BHD": 3,
    "BRL": 2,
    "CAD": 2,
    "CHF": 2,
    "CLP": 0,
    "CNY": 2,
    "COP": 2,
    "CZK": 2,
    "DKK": 2,
    "EGP": 2,
    "EUR": 2,
    "GBP": 2,
    "GEL": 2,
    "GHS": 2,
    "HKD": 2,
    "HUF": 2,
    "IDR": 2,
    "ILS": 2,
    "INR": 2,
    "IQD": 3,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KES": 2,
    "KRW": 0,
    "KWD": 3,
    "KZT": 2,
    "LKR": 2,
    "LYD": 3,
    "MAD": 2,
    "MXN": 2,
    "MYR": 2,
    "NGN": 2,
    "NOK": 2,
    "NZD": 2,
    "OMR": 3,
    "PEN": 2,
    "PHP": 2,
    "PKR": 2,
    "PLN": 2,
    "QAR": 2,
    "RON": 2,
    "RSD": 2,
    "SAR": 2,
    "SEK": 2,
    "SGD": 2,
    "THB": 2,
    "TND": 3,
    "TRY": 2,
    "TWD": 2,
    "UAH": 2,
    "UGX": 0,
    "USD": 2,
    "UYU": 2,
    "VND": 0,
    "XAF": 0,
    "XOF": 0,
    "ZAR": 2,
}

# Only symbols nobody confuses are used as prefixes; every other currency is shown by its code.
SYMBOLS: dict[str, str] = {"USD": "$", "GBP": "£"}

DEFAULT_MAX_AMOUNT = Decimal("1000000")
# beyond any contract, and within what exact decimal arithmetic holds (28 significant digits) with room
# for the minor units: larger "amounts" are typing accidents or attacks, refused before any arithmetic
ABSURD_AMOUNT = Decimal(10) ** 15

_NUMBER = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$|^\d+(\.\d*)?$|^\.\d+$")


class MoneyError(MediationError, ValueError):
    """An amount or currency a person typed that cannot be used; `code` is
    `bad_amount` or `unknown_currency`."""

    def __init__(self, code: str, message: str):
        super().__init__(code, message)


def currency_code(currency: str) -> str:
    """The upper-case ISO code, or a MoneyError that lists what is known."""
    code = (currency or "").strip().upper()
    if code not in MINOR_UNITS:
        raise MoneyError(
            "unknown_currency",
            f"unknown currency {currency!r}: use an ISO 4217 code such as USD, EUR, GBP or JPY",
        )
    return code


def minor_units(currency: str) -> int:
    return MINOR_UNITS[currency_code(currency)]


def unit(currency: str) -> Decimal:
    """The smallest amount of the currency: 0.01 USD, 1 JPY, 0.001 KWD."""
    return Decimal(1).scaleb(-minor_units(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half up to the currency's minor units (the rounding people expect on a bill)."""
    return Decimal(amount).quantize(unit(currency), rounding=ROUND_HALF_UP)


def is_quantized(amount: Decimal, currency: str) -> bool:
    return Decimal(amount) == quantize(amount, currency)


def _strip_currency(text: str, code: str) -> str:
    text = text.strip()
    upper = text.upper()
    if upper.endswith(code):
        text = text[: -len(code)].strip()
    elif upper.startswith(code):
        text = text[len(code) :].strip()
    symbol = SYMBOLS.get(code)
    if symbol and text.startswith(symbol):
        text = text[len(symbol) :].strip()
    elif symbol and text.startswith("-" + symbol):
        text = "-" + text[len(symbol) + 1 :].strip()
    return text


def parse_amount(
    text: str | int | Decimal,
    currency: str,
    *,
    allow_zero: bool = False,
    max_amount: Decimal | str | int | None = DEFAULT_MAX_AMOUNT,
) -> Decimal:
    """Read an amount a person typed ("88", "88.00", "$88", "1,250.50 EUR") into an exact Decimal.

    Rejects with a MoneyError that names the problem: not a number, negative, zero (unless
    allowed), above `max_amount`, or more decimals than the currency has (88.005 USD is not a
    price anyone can pay).
    """
    code = currency_code(currency)
    if isinstance(text, bool) or not isinstance(text, (str, int, Decimal)):
        raise MoneyError("bad_amount", f"amount must be a number, got {text!r}")
    if isinstance(text, Decimal):
        value = text
        shown = str(text)
    elif isinstance(text, int):
        value = Decimal(text)
        shown = str(text)
    else:
        shown = text.strip()
        raw = _strip_currency(shown, code)
        negative = raw.startswith("-")
        digits = raw[1:].strip() if negative or raw.startswith("+") else raw
        if not digits:
            raise MoneyError("bad_amount", f"no amount given in {shown!r}")
        if not _NUMBER.match(digits):
            raise MoneyError("bad_amount", f"{shown!r} is not an amount: write digits such as 88 or 88.50")
        try:
            value = Decimal(digits.replace(",", ""))
        except InvalidOperation:
            raise MoneyError("bad_amount", f"{shown!r} is not an amount") from None
        if negative:
            value = -value
    if not value.is_finite():
        raise MoneyError("bad_amount", f"{shown!r} is not a finite amount")
    if abs(value) >= ABSURD_AMOUNT or len(value.as_tuple().digits) > 24:
        raise MoneyError("bad_amount", f"{shown[:40]!r} is not a plausible amount")
    if value < 0:
        raise MoneyError("bad_amount", f"amount cannot be negative ({shown})")
    if value == 0 and not allow_zero:
        raise MoneyError("bad_amount", "amount must be more than zero")
    if max_amount is not None and value > Decimal(max_amount):
        raise MoneyError(
            "bad_amount", f"amount {shown} is above the limit of {format_money(Decimal(max_amount), code)}"
        )
    places = minor_units(code)
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        allowed = "no decimals" if places == 0 else f"at most {places} decimals"
        raise MoneyError("bad_amount", f"{code} amounts have {allowed}; got {shown}")
    return quantize(value, code)


def format_money(amount: Decimal, currency: str) -> str:
    """`$88.00`, `£5.50`, `88.00 EUR`, `1,200 JPY`: exact, grouped, in minor units."""
    code = currency_code(currency)
    value = quantize(amount, code)
    sign = "-" if value < 0 else ""
    places = MINOR_UNITS[code]
    body = f"{abs(value):,.{places}f}"
    symbol = SYMBOLS.get(code)
    if symbol:
        return f"{sign}{symbol}{body}"
    return f"{sign}{body} {code}"
