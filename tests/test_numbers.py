"""Numbers as clients write them: digits, words, dozens and thousands."""

import pytest

from nlp.numbers import find_numbers, find_ordinal, parse_number, words_to_number


@pytest.mark.parametrize(
    "text,value",
    [
        ("twelve", 12),
        ("two hundred fifty", 250),
        ("two hundred and fifty", 250),
        ("twenty-one", 21),
        ("a dozen", 12),
        ("one thousand two hundred", 1200),
        ("eight", 8),
    ],
)
def test_words_to_number(text, value):
    assert words_to_number(text) == value


@pytest.mark.parametrize(
    "text,value",
    [
        ("1,000", 1000),
        ("2k", 2000),
        ("0.10", 0.1),
        ("45", 45),
        ("fifty", 50),
        ("third", 3),
    ],
)
def test_parse_number(text, value):
    assert parse_number(text) == pytest.approx(value)


def test_parse_number_rejects_non_numbers():
    assert parse_number("soap") is None
    assert parse_number("") is None
    assert words_to_number("twelve candles") is None


def test_find_numbers_mixed_text():
    found = find_numbers("photos for twelve candles, not eight, about 1,000 words and 2k views")
    assert [n.value for n in found] == [12, 8, 1000, 2000]
    assert found[0].text == "twelve"


def test_find_numbers_skips_dimensions():
    values = [n.value for n in find_numbers("square 1080x1080 JPG at 8.5x11 in, 300 dpi")]
    assert 1080 not in values and 8 not in values
    assert values == [300]


def test_find_numbers_two_hundred_fifty_in_a_sentence():
    found = find_numbers("Two hundred fifty is all we need.")
    assert [n.value for n in found] == [250]


def test_find_ordinal():
    assert find_ordinal("this is the third round, after the 2nd pass") == [3, 2]


@pytest.mark.parametrize(
    "text,what",
    [
        ("a pop right at 14:05 in the second track", "time"),
        ("the hum starts at 0:41:10 and never stops", "timestamp"),
        ("we open at 9am", "time"),
        ("the v3.2 build won't start", "version"),
        ("it needs to run on Android 14", "version"),
        ("can it be $250 instead?", "price"),
        ("that's 60 euros more", "price"),
        ("keep each file under 8 MB", "size"),
        ("export at 300 dpi", "size"),
        ("shot at 24 fps", "size"),
        ("send it by 3/14", "date"),
        ("the post for 4 July", "date"),
        ("chapter 7 reads oddly", "label"),
        ("lines 40 to 52 are doubled", "label"),
    ],
)
def test_times_versions_prices_sizes_and_labels_are_not_counts(text, what):
    from nlp.numbers import not_a_count

    kinds = [not_a_count(text, n) for n in find_numbers(text)]
    assert all(k is not None for k in kinds)
    assert what in kinds or (what == "version" and not kinds)


@pytest.mark.parametrize("text", ["can we have 14 photos?", "I'd like twenty more rows", "make it 1.5 minutes"])
def test_quantities_stay_counts(text):
    from nlp.numbers import not_a_count

    assert [not_a_count(text, n) for n in find_numbers(text)] == [None]
