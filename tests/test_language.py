"""Language identification on the short, list-like text briefs and chat messages are made of."""

import pytest

from nlp.language import detect_language, is_english

TERSE = [
    "Wedding teaser, 90 sec, 4K MP4, music licensed by us, 2 rounds, $450. Not included: drone, raw footage.",
    "Menu translation IT>EN, 600 words, DOCX, 2 days. Excluded: layout, printing.",
    "Shopify store setup, 15 products, 1 theme tweak, 10 days, $700. No custom app.",
    "Pitch deck, 12 slides, Google Slides + PDF, 1 rev. Copy supplied by client.",
    "Bookkeeping Q1: 3 bank accts, ~400 txns, QBO, recon + P&L. Tax filing excl.",
    "Pls send PNGs w/ transparent bg asap",
]


@pytest.mark.parametrize("text", TERSE)
def test_terse_list_like_english_is_english(text):
    assert detect_language(text) == "en"
    assert is_english(text, "Could we get that too?") is True


@pytest.mark.parametrize(
    "code,text",
    [
        ("de", "Könnten Sie bitte auch eine Version für den Druck erstellen?"),
        ("fr", "Pourriez-vous aussi préparer les cartes de visite pour vendredi ?"),
        ("es", "¿Me puedes mandar también los archivos originales en alta resolución?"),
        ("ja", "名刺のデザインもお願いできますか？"),
    ],
)
def test_other_languages_are_named(code, text):
    assert detect_language(text) == code
    assert is_english("Logo: 3 concepts, SVG + PNG, 2 rounds, $300.", text) is False


def test_too_little_text_gives_no_answer():
    assert detect_language("ok") is None
    assert detect_language("$300, 2x, 10:30") is None
    assert is_english("", "?") is None
