"""Amounts, currencies and fee splits: exact to the minor unit, money in == money out."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from mediation.currency import MoneyError, format_money, is_quantized, minor_units, parse_amount, quantize, unit
from mediation.fees import FeeSchedule, FeesConfig, default_fee_presets, split

D = Decimal


@pytest.mark.parametrize(
    "text,currency,expected",
    [
        ("88", "USD", D("88.00")),
        ("88.5", "usd", D("88.50")),
        ("$88.00", "USD", D("88.00")),
        ("1,250.50 EUR", "EUR", D("1250.50")),
        ("EUR 12", "EUR", D("12.00")),
        ("1200", "JPY", D("1200")),
        ("1.234", "KWD", D("1.234")),
        ("88.000", "USD", D("88.00")),
        (88, "USD", D("88.00")),
        (D("0.5"), "GBP", D("0.50")),
        ("1,23", "USD", D("1.23")),  # a single comma before two digits can only be a decimal comma
    ],
)
def test_parse_amount_accepts(text, currency, expected):
    value = parse_amount(text, currency)
    assert value == expected
    assert value.as_tuple().exponent == -minor_units(currency)


@pytest.mark.parametrize(
    "text,currency,needle",
    [
        ("-5", "USD", "negative"),
        ("-$5", "USD", "negative"),
        ("0", "USD", "more than zero"),
        ("NaN", "USD", "not an amount"),
        ("inf", "USD", "not an amount"),
        (D("NaN"), "USD", "finite"),
        ("1e3", "USD", "not an amount"),
        ("12abc", "USD", "not an amount"),
        ("", "USD", "no amount"),
        ("2000000", "USD", "above the limit"),
        ("88.005", "USD", "at most 2 decimals"),
        ("100.5", "JPY", "no decimals"),
        ("1.2345", "KWD", "at most 3 decimals"),
        ("1,2,3", "USD", "not an amount"),
        (1.5, "USD", "must be a number"),
        (True, "USD", "must be a number"),
    ],
)
def test_parse_amount_rejects_with_a_reason(text, currency, needle):
    with pytest.raises(MoneyError) as err:
        parse_amount(text, currency)
    assert err.value.code == "bad_amount"
    assert needle in str(err.value)


def test_zero_and_limit_are_configurable():
    assert parse_amount("0", "USD", allow_zero=True) == D("0.00")
    assert parse_amount("2000000", "USD", max_amount=None) == D("2000000.00")
    with pytest.raises(MoneyError, match=r"above the limit of \$100\.00"):
        parse_amount("100.01", "USD", max_amount=100)


@pytest.mark.parametrize("code", ["XYZ", "", "dollars", "US"])
def test_unknown_currency(code):
    with pytest.raises(MoneyError) as err:
        parse_amount("5", code)
    assert err.value.code == "unknown_currency"
    assert isinstance(err.value, ValueError)


def test_quantize_and_format():
    assert quantize(D("1.005"), "USD") == D("1.01")
    assert quantize(D("2.5"), "JPY") == D("3")
    assert quantize(D("0.0005"), "KWD") == D("0.001")
    assert format_money(D("88"), "USD") == "$88.00"
    # English as CLDR writes it (mediation/currency.py): the symbol before, a code spaced from the digits
    assert format_money(D("88"), "EUR") == "€88.00"
    assert format_money(D("1234.5"), "GBP") == "£1,234.50"
    assert format_money(D("1200"), "JPY") == "¥1,200"
    assert format_money(D("-4.4"), "USD") == "-$4.40"
    assert format_money(D("1.5"), "KWD") == "KWD\u00a01.500"


# --- fee splits ------------------------------------------------------------------------------


def test_marketplace_story_split():
    """$88 under the marketplace preset: 10% out of the freelancer, 5% on top for the client."""
    s = split(D("88"), "USD", D("0"), FeesConfig().schedule())
    assert (s.freelancer_net, s.freelancer_fee, s.client_fee) == (D("79.20"), D("8.80"), D("4.40"))
    assert (s.client_paid_total, s.platform_total) == (D("92.40"), D("13.20"))
    full = split(D("88"), "USD", D("88"), FeesConfig().schedule())
    # Pro rata: no freelancer fee on a full refund, but the client's fee is not refundable.
    assert (full.freelancer_net, full.freelancer_fee) == (D("0.00"), D("0.00"))
    assert (full.client_net_cost, full.client_fee_refund) == (D("4.40"), D("0.00"))


def test_high_preset_small_order_surcharge():
    high = FeesConfig().schedule("marketplace_high")
    small = split(D("40"), "USD", D("0"), high)
    assert small.client_fee == D("2.20") + D("2.50")
    assert small.freelancer_net == D("32.00")
    assert split(D("50"), "USD", D("0"), high).client_fee == D("2.75")


def test_fee_not_refunded_pro_rata_costs_the_freelancer_on_a_refund():
    s = FeeSchedule(freelancer_rate=D("0.1"), freelancer_fee_refunded_pro_rata=False)
    out = split(D("88"), "USD", D("88"), s)
    assert out.freelancer_net == D("-8.80")
    assert out.client_net_cost == out.freelancer_net + out.platform_total


def test_split_by_contract_terms():
    s = FeeSchedule(freelancer_rate=D("0.1"), fees_paid_by="split")
    half = split(D("88"), "USD", D("0"), s)
    assert (half.freelancer_fee, half.client_fee) == (D("4.40"), D("4.40"))
    quarter = split(D("88"), "USD", D("0"), s, client_share=D("0.25"))
    assert (quarter.freelancer_fee, quarter.client_fee) == (D("6.60"), D("2.20"))
    client = split(D("88"), "USD", D("44"), s.model_copy(update={"fees_paid_by": "client"}))
    assert client.freelancer_net == D("44.00")
    assert client.client_fee_refund == D("4.40")  # the fee on the refunded half comes back


@pytest.mark.parametrize(
    "amount,refund,needle",
    [
        ("0", "0", "more than zero"),
        ("-1", "0", "more than zero"),
        ("10", "11", "more than the contract"),
        ("10", "-1", "negative"),
    ],
)
def test_split_rejects_bad_input(amount, refund, needle):
    with pytest.raises(MoneyError, match=needle):
        split(D(amount), "USD", D(refund), FeeSchedule())


def test_fees_config_unknown_preset_is_named():
    with pytest.raises(ValidationError, match="unknown fee preset 'cheap'"):
        FeesConfig(preset="cheap")


def test_fees_config_adds_presets_from_toml_without_losing_builtins():
    import tomllib

    data = tomllib.loads("""
preset = "studio"
[presets.studio]
freelancer_rate = 0.08
client_rate = "0.03"
fees_paid_by = "split"
client_share = 0.5
""")
    cfg = FeesConfig.model_validate(data)
    assert cfg.schedule().freelancer_rate == D("0.08")
    assert cfg.schedule().name == "studio"
    assert set(default_fee_presets()) <= set(cfg.presets)
    with pytest.raises(ValidationError):
        FeesConfig.model_validate({"presets": {"bad": {"freelancer_rate": 1.5}}})
    with pytest.raises(ValidationError):
        FeesConfig.model_validate({"presets": {"bad": {"freelancer_rte": 0.1}}})


# --- properties ------------------------------------------------------------------------------

CURRENCIES = st.sampled_from(["USD", "JPY", "KWD", "EUR", "BHD", "KRW"])
RATES = st.decimals(min_value=0, max_value=D("0.35"), places=4)
FIXED = st.decimals(min_value=0, max_value=D("20"), places=3)


@st.composite
def schedules(draw):
    if draw(st.booleans()):
        return draw(st.sampled_from(list(default_fee_presets().values())))
    return FeeSchedule(
        freelancer_rate=draw(RATES),
        freelancer_fee_refunded_pro_rata=draw(st.booleans()),
        client_rate=draw(RATES),
        client_fixed=draw(FIXED),
        client_small_order_threshold=draw(st.none() | FIXED),
        client_small_order_surcharge=draw(FIXED),
        client_fee_refundable=draw(st.booleans()),
        fees_paid_by=draw(st.sampled_from(["freelancer", "client", "split"])),
        client_share=draw(st.decimals(min_value=0, max_value=1, places=3)),
    )


@st.composite
def contracts(draw):
    code = draw(CURRENCIES)
    minor = draw(st.integers(min_value=1, max_value=10**9))
    refund_minor = draw(st.integers(min_value=0, max_value=minor))
    u = unit(code)
    return code, minor * u, refund_minor * u


@settings(max_examples=400, deadline=None)
@given(contracts(), schedules(), st.none() | st.decimals(min_value=0, max_value=1, places=2))
def test_money_in_equals_money_out(contract, schedule, share):
    code, amount, refund = contract
    s = split(amount, code, refund, schedule, client_share=share)
    values = [
        s.amount,
        s.client_refund,
        s.freelancer_gross,
        s.service_fee,
        s.freelancer_fee,
        s.freelancer_net,
        s.client_fee,
        s.client_paid_total,
        s.client_fee_refund,
        s.client_net_cost,
        s.platform_total,
    ]
    assert all(is_quantized(v, code) for v in values)
    assert s.freelancer_gross + s.client_refund == amount
    # Everything the client paid goes back to the client, to the freelancer or to the platform.
    assert s.client_paid_total == (s.client_refund + s.client_fee_refund + s.freelancer_net + s.platform_total)
    assert s.client_net_cost == s.freelancer_net + s.platform_total
    assert s.platform_total == s.service_fee + (s.client_fee - (s.service_fee - s.freelancer_fee))
    assert min(s.service_fee, s.freelancer_fee, s.client_fee, s.client_fee_refund) >= 0
    # Rounding happens once per fee: within half a minor unit of the exact rate.
    base = s.freelancer_gross if schedule.freelancer_fee_refunded_pro_rata else amount
    assert abs(s.service_fee - base * schedule.freelancer_rate) <= unit(code) / 2
    if schedule.fees_paid_by == "freelancer":
        assert s.freelancer_fee == s.service_fee
    if schedule.freelancer_fee_refunded_pro_rata:
        assert s.freelancer_net >= 0


@settings(max_examples=200, deadline=None)
@given(contracts(), schedules())
def test_a_larger_refund_never_pays_the_freelancer_more(contract, schedule):
    code, amount, refund = contract
    more = min(amount, refund + unit(code))
    a = split(amount, code, refund, schedule)
    b = split(amount, code, more, schedule)
    assert b.freelancer_net <= a.freelancer_net
    assert b.client_net_cost <= a.client_net_cost


@settings(max_examples=200, deadline=None)
@given(CURRENCIES, st.integers(min_value=1, max_value=10**8), st.integers(min_value=0, max_value=4))
def test_parse_format_roundtrip(code, minor, extra_places):
    value = minor * unit(code)
    assert parse_amount(str(value), code, max_amount=None) == value
    text = format_money(value, code)
    assert parse_amount(text, code, max_amount=None) == value
    too_precise = value + D(1).scaleb(-(minor_units(code) + 1 + extra_places))
    with pytest.raises(MoneyError, match="decimals"):
        parse_amount(str(too_precise), code, max_amount=None)
