"""Money read and written by the reader's locale (Babel/CLDR): what people type in English, Spanish and
Russian, what is refused rather than guessed, and what each locale shows."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediation.currency import MoneyError, format_money, minor_units, named_currency, parse_amount, unit
from mediation.i18n import reading_as

D = Decimal
NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    "locale,text,currency,expected",
    [
        # the three from the issue, for every reader
        *[(loc, "300,50", "EUR", D("300.50")) for loc in ("en", "es", "ru")],
        *[(loc, "1.000,00 €", "EUR", D("1000.00")) for loc in ("en", "es", "ru")],
        *[(loc, "₽1 500", "RUB", D("1500.00")) for loc in ("en", "es", "ru")],
        # either mark order when both are there; symbols and codes before or after, any case
        ("en", "€1.000,00", "EUR", D("1000.00")),
        ("ru", "1,000.00", "USD", D("1000.00")),
        ("es", "1 500 ₽", "RUB", D("1500.00")),
        ("en", "1 500,50", "EUR", D("1500.50")),
        ("en", "eur 12,5", "EUR", D("12.50")),
        ("es", "12,5 EUR", "EUR", D("12.50")),
        ("en", "US$88", "USD", D("88.00")),
        ("en", "£5.50", "GBP", D("5.50")),
        ("en", "￥1,200", "JPY", D("1200")),
        ("en", "$300", "CAD", D("300.00")),  # the dollar where the currency is written $ (Canada)
        # every kind of space groups; so does an apostrophe
        ("ru", f"1{NBSP}500,50", "RUB", D("1500.50")),
        ("ru", f"1{NNBSP}500", "RUB", D("1500.00")),
        ("en", "1'000", "CHF", D("1000.00")),
        # a single mark that cannot group is the decimal mark, whoever reads
        ("en", "300,5", "USD", D("300.50")),
        ("es", "300.50", "USD", D("300.50")),
        ("ru", "1234.500", "KWD", D("1234.500")),
        ("en", "0,500", "KWD", D("0.500")),
        # a single mark before three digits: the locale decides
        ("en", "1,000", "USD", D("1000.00")),
        ("en", "1.000", "KWD", D("1.000")),
        ("es", "1.000", "USD", D("1000.00")),
        ("es", "1,000", "KWD", D("1.000")),
        ("ru", "1,000", "KWD", D("1.000")),
        # the mark repeated groups
        ("en", "1.000.000", "USD", D("1000000.00")),
        ("es", "1,000,000", "USD", D("1000000.00")),
        # programs' values are never read by locale
        ("es", D("1.500"), "KWD", D("1.500")),
        ("ru", 1500, "RUB", D("1500.00")),
    ],
)
def test_parsing_by_locale(locale, text, currency, expected):
    with reading_as(locale):
        value = parse_amount(text, currency, max_amount=None)
    assert value == expected
    assert value.as_tuple().exponent == -minor_units(currency)


@pytest.mark.parametrize(
    "locale,text,currency,needle",
    [
        ("ru", "1.000", "RUB", "could mean 1 or 1000"),  # '.' is neither Russian mark: one, or a thousand?
        ("ru", "2.500", "USD", "could mean 2,5 or 2500"),
        ("en", "1,2,3", "USD", "not an amount"),
        ("en", "1,00,000", "USD", "not an amount"),  # groups are threes
        ("en", "1 00", "USD", "not an amount"),
        ("en", "1.000.000,5,5", "USD", "not an amount"),
        ("en", "1,000.000,5", "USD", "not an amount"),
        ("en", "1 000.000,50", "USD", "not an amount"),
        ("es", "12abc", "EUR", "not an amount"),
        ("es", "NaN", "EUR", "not an amount"),
        ("es", "1e3", "EUR", "not an amount"),
        ("en", "12 euros", "EUR", "not an amount"),
        ("en", "€", "EUR", "no amount"),
        ("en", "-5 €", "EUR", "negative"),
        ("es", "88,005", "USD", "at most 2 decimals"),
        ("en", "100,5", "JPY", "no decimals"),
        ("ru", "1,2345", "KWD", "at most 3 decimals"),
        # a symbol or code of another currency is refused, naming it
        ("en", "1.000,00 €", "USD", "in EUR, not USD"),
        ("ru", "₽1 500", "EUR", "in RUB, not EUR"),
        ("es", "$300", "EUR", "in USD, not EUR"),  # $ alone means US dollars
        ("en", "300 GBP", "EUR", "in GBP, not EUR"),
    ],
)
def test_refusals_name_the_problem(locale, text, currency, needle):
    with reading_as(locale), pytest.raises(MoneyError) as err:
        parse_amount(text, currency)
    assert err.value.code == "bad_amount"
    assert needle in str(err.value)


def test_an_unknown_locale_reads_as_english():
    with reading_as("xx_YY"):
        assert parse_amount("1,000", "USD") == D("1000.00")
        assert format_money(D("88"), "USD") == "$88.00"


@pytest.mark.parametrize(
    "locale,amount,currency,shown",
    [
        ("en", "88", "USD", "$88.00"),
        ("en", "88", "EUR", "€88.00"),
        ("en", "1200", "JPY", "¥1,200"),
        ("en", "1.5", "KWD", f"KWD{NBSP}1.500"),  # a code is spaced from the digits (CLDR currency spacing)
        ("en", "-4.4", "USD", "-$4.40"),
        ("es", "88", "USD", f"88,00{NBSP}US$"),
        ("es", "1000", "EUR", f"1.000,00{NBSP}€"),
        ("es", "1200", "JPY", f"1.200{NBSP}JPY"),
        ("es", "1.5", "KWD", f"1,500{NBSP}KWD"),
        ("ru", "88", "USD", f"88,00{NBSP}$"),
        ("ru", "1500", "RUB", f"1{NBSP}500,00{NBSP}₽"),
        ("ru", "1200", "JPY", f"1{NBSP}200{NBSP}¥"),
        ("ru", "1.5", "KWD", f"1,500{NBSP}KWD"),
    ],
)
def test_formatting_by_locale_and_currency(locale, amount, currency, shown):
    with reading_as(locale):
        assert format_money(D(amount), currency) == shown


def test_minor_units_come_from_the_currency():
    assert [minor_units(c) for c in ("USD", "EUR", "JPY", "KRW", "KWD", "BHD")] == [2, 2, 0, 0, 3, 3]
    assert unit("JPY") == D(1) and unit("KWD") == D("0.001")
    with reading_as("es"):
        assert format_money(D("1234"), "JPY") == f"1.234{NBSP}JPY"  # no decimals shown for a yen
        assert format_money(D("2"), "BHD").startswith("2,000")  # three for a dinar


def test_named_currency_reads_codes_and_unambiguous_symbols():
    assert named_currency("1.000,00 €") == "EUR"
    assert named_currency("EUR 300") == "EUR"
    assert named_currency("₽1 500") == "RUB"
    assert named_currency("300 gbp") == "GBP"
    assert named_currency("$300") is None  # many currencies write $
    assert named_currency("300") is None
    assert named_currency("lots") is None


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["en", "es", "ru", "de", "fr"]),
    st.sampled_from(["USD", "EUR", "RUB", "JPY", "KWD", "GBP"]),
    st.integers(min_value=1, max_value=10**9),
)
def test_what_a_locale_shows_it_reads_back(locale, code, minor):
    value = minor * unit(code)
    with reading_as(locale):
        assert parse_amount(format_money(value, code), code, max_amount=None) == value


# -- in a conversation ---------------------------------------------------------------------------


async def test_a_case_opens_with_a_decimal_comma_and_a_euro_sign(settings, clock):
    from tests.kit.engine import make_chat

    chat = make_chat(settings, clock)  # no model: opening a case does not classify anything
    try:
        created = (await chat.say("maya", "/case new Logo amount=300,50 currency=EUR role=freelancer")).expect(
            "case_created"
        )
        assert "Logo (€300.50)" in chat.turns[-1][0].text
        status = (await chat.say("maya", f"/case status {created['case_id']}")).expect("case_status")
        assert (status["amount"], status["currency"]) == ("300.50", "EUR")  # stored exact, as before

        wrong = (await chat.say("cole", "/case new Logo amount=$300 currency=EUR role=client", chat="c2")).expect(
            "error"
        )
        assert wrong["code"] == "bad_amount" and "in USD, not EUR" in chat.turns[-1][0].text

        # step by step: an amount with a symbol answers the currency question too
        await chat.say("ana", "/case new", chat="c3")
        await chat.say("ana", "Logo", chat="c3")
        asked = (await chat.say("ana", "1.000,00 €", chat="c3")).expect("case_draft")
        assert asked["step"] == "role" and asked["answers"]["currency"] == "EUR"
        done = (await chat.say("ana", "/case new role=client", chat="c3")).expect("case_created")
        status = (await chat.say("ana", f"/case status {done['case_id']}", chat="c3")).expect("case_status")
        assert (status["amount"], status["currency"]) == ("1000.00", "EUR")

        # ad hoc, no case: the amount's symbol gives the currency
        preview = (await chat.say("ana", "/feedback preview outcome=full_refund amount=88,50€", chat="c4")).expect(
            "feedback_preview"
        )
        assert (preview["amount"], preview["currency"]) == ("88.50", "EUR")
    finally:
        chat.close()


@pytest.mark.model  # the process loads the model at start-up
def test_the_console_takes_a_decimal_comma(tmp_path):
    from tests.kit.console import ConsoleDriver

    c = ConsoleDriver(tmp_path, f"sqlite:///{tmp_path}/m.db")
    created = c.line("@maya /case new Logo amount=300,50 currency=EUR role=freelancer").expect("case_created")
    status = c.line(f"@maya /case status {created['case_id']}").expect("case_status")
    assert (status["amount"], status["currency"]) == ("300.50", "EUR")
    refused = c.line("@maya /case new Logo amount=1.000,00₽ currency=EUR role=freelancer").expect("error")
    assert refused["code"] == "bad_amount"
    assert c.close() == ""
