"""Brief parsing on briefs as clients write them."""

import pytest

from nlp.brief import parse_brief, split_clauses
from tests.kit import SOAP_BRIEF

CANDLES = (
    "Need product photos for our online candle shop: 8 candles, one photo each, shot in your "
    "studio on a plain white background. Deliver edited JPGs, 3000px on the long side, within "
    "10 days of receiving the products. Price $400, includes one round of retouching "
    "revisions. Usage: our website and Etsy listings only."
)
BOOKS = (
    "Monthly bookkeeping for my landscaping business in QuickBooks Online: categorize "
    "transactions for 1 business checking account and 1 credit card, reconcile both monthly, "
    "and send a P&L and balance sheet by the 10th of each month. Up to 150 transactions/month. "
    "$250/month. Payroll and tax filing not included."
)


def kinds(brief, kind):
    return [r for r in brief.requirements if r.kind == kind]


def test_founding_brief():
    b = parse_brief(SOAP_BRIEF)
    assert len(b.clauses) == 4
    pics = [r for r in kinds(b, "deliverable") if r.item == "product pictures"]
    assert len(pics) == 1 and pics[0].quantity == 8
    assert "instagram" in pics[0].platforms
    assert [r.formats for r in kinds(b, "format")] == [["jpg"]]
    dims = kinds(b, "dimensions")[0]
    assert (dims.width, dims.height, dims.aspect) == (1080, 1080, "1:1")
    quality = [r.item for r in kinds(b, "quality")]
    assert "natural light" in quality and "flat lay or plain surface" in quality
    samples = [r for r in kinds(b, "deliverable") if r.item == "samples"]
    assert samples and samples[0].quantity == 2
    price = kinds(b, "price")[0]
    assert (price.amount, price.currency) == ("88", "USD")
    assert kinds(b, "deadline")[0].deadline_days == 7
    assert b.deadline_days == 7


def test_ids_are_in_order_and_one_clause_gives_several():
    b = parse_brief(SOAP_BRIEF)
    assert [r.id for r in b.requirements] == list(range(1, len(b.requirements) + 1))
    clause = "Flat lay or plain surface, natural light, square 1080x1080 JPG."
    assert {r.kind for r in b.requirements if r.text == clause} >= {"format", "dimensions", "quality"}


def test_candles_brief_usage_revisions_long_side():
    b = parse_brief(CANDLES)
    assert [(r.item, r.quantity) for r in kinds(b, "deliverable")] == [("candles", 8)]
    assert kinds(b, "dimensions")[0].long_side == 3000
    assert b.revisions == 1
    assert set(kinds(b, "usage")[0].usage) == {"website", "etsy"}
    assert kinds(b, "deadline")[0].deadline_days == 10


def test_exclusions_and_up_to_quantities():
    b = parse_brief(BOOKS)
    assert kinds(b, "exclusion")[0].excluded == ["payroll", "tax filing"]
    tx = next(r for r in kinds(b, "deliverable") if r.item == "transactions")
    assert tx.quantity == 150 and tx.quantity_max
    assert kinds(b, "price")[0].per == "month"
    assert kinds(b, "deadline")[0].deadline_date == "--10"
    assert "quickbooks" in b.platforms


def test_words_per_item_and_working_days():
    b = parse_brief(
        "Need 4 blog posts, 1,000 words each, SEO-friendly. Delivered as Word documents. "
        "1 revision per post. Translate it within 7 working days. $400 total."
    )
    length = kinds(b, "length")[0]
    assert (length.length_value, length.length_unit, length.length_per_item) == (1000, "words", True)
    dl = kinds(b, "deadline")[0]
    assert dl.deadline_days == 7 and dl.working_days
    assert "docx" in b.formats
    assert b.revisions == 1


def test_number_words_and_no_revisions():
    b = parse_brief("Design twelve icons as SVG files. No revisions. Due by March 3rd, 2027. €150.")
    icons = kinds(b, "deliverable")[0]
    assert (icons.item, icons.quantity) == ("icons", 12)
    assert b.revisions == 0
    assert kinds(b, "deadline")[0].deadline_date == "2027-03-03"
    price = kinds(b, "price")[0]
    assert (price.amount, price.currency) == ("150", "EUR")


def test_platform_and_format_of_app_and_asset():
    b = parse_brief(
        "Low-poly game asset: one fantasy treasure chest, under 3,000 tris, hand-painted "
        "2048x2048 textures. Deliver FBX for Unity. $300, 10 days."
    )
    assert "fbx" in b.formats and "unity" in b.platforms
    assert b.deadline_days == 10
    assert kinds(b, "price")[0].amount == "300"


def test_dpi_and_licence():
    b = parse_brief(
        "12 full-page color spreads plus a front cover, 300 dpi CMYK. Flat fee $3,600 "
        "includes print rights for the first edition (up to 5,000 copies)."
    )
    assert kinds(b, "dimensions")[0].dpi == 300
    assert "print" in kinds(b, "usage")[0].usage
    assert kinds(b, "price")[0].amount == "3600"


def test_numbered_items_split_into_clauses():
    clauses = split_clauses("Fix 3 bugs: (1) crash on login, (2) push not arriving, (3) slow images. $900.")
    assert len(clauses) >= 4


def test_bad_input_never_raises():
    assert parse_brief("").requirements == []
    assert parse_brief("   \n ").clauses == []
    b = parse_brief("lorem ipsum dolor")
    assert [r.kind for r in b.requirements] == ["other"]
    assert parse_brief(b"\xff\xfe soap \x00").text
    assert parse_brief("🎉🎉🎉").requirements == []


@pytest.mark.parametrize(
    "text, item",
    [
        ("A logo as PNG for my podcast, square 3000x3000 px.", "logo"),
        ("Edit a 60-second explainer video for our app from supplied footage.", "explainer video"),
        ("Record a voiceover for our training course.", "voiceover"),
        ("Translate our 3,000-word employee handbook into Spanish.", "employee handbook"),
    ],
)
def test_single_item_without_a_number_is_one_deliverable(text, item):
    d = kinds(parse_brief(text), "deliverable")
    assert [(r.item, r.quantity) for r in d] == [(item, 1)]


def test_the_freelancer_and_counted_items_are_not_single_items():
    d = kinds(parse_brief("Looking for a photographer for 8 product pictures."), "deliverable")
    assert [(r.item, r.quantity) for r in d] == [("product pictures", 8)]
    assert kinds(parse_brief("Our budget is $500."), "deliverable") == []


def test_duration_written_as_a_modifier_is_per_item_but_total_words_are_not():
    video = kinds(parse_brief("Compose a 30-second jingle for our radio ad."), "length")[0]
    assert video.length_value == 30 and video.length_per_item
    words = kinds(parse_brief("Translate our 3,000-word handbook."), "length")[0]
    assert words.length_value == 3000 and not words.length_per_item


def test_iso_dates_are_deadlines_but_event_dates_are_not():
    assert kinds(parse_brief("Launch by 2025-09-30."), "deadline")[0].deadline_date == "2025-09-30"
    assert kinds(parse_brief("Deadline: 2026-01-05."), "deadline")[0].deadline_date == "2026-01-05"
    assert kinds(parse_brief("Party on 2025-07-12, 4 hours of coverage."), "deadline") == []


@pytest.mark.parametrize(
    "text, n",
    [
        ("2 rounds of retakes included.", 2),
        ("Includes one round of pick-ups for script changes.", 1),
        ("Two free retakes.", 2),
        ("3 revision rounds per song.", 3),
    ],
)
def test_retakes_and_pick_ups_are_revision_allowances(text, n):
    assert parse_brief(text).revisions == n


def test_hours_per_week_are_counted():
    d = kinds(parse_brief("Virtual assistant, 10 hours per week, Mon-Fri 9am-1pm: inbox management."), "deliverable")
    assert [(r.item, r.quantity) for r in d] == [("hours", 10)]


def test_bare_no_excludes_items_but_not_revisions_or_dates():
    assert kinds(parse_brief("No redesign, no user testing."), "exclusion")[0].excluded == ["redesign", "user testing"]
    assert kinds(parse_brief("Theme code only, no app installs."), "exclusion")[0].excluded == ["app installs"]
    assert kinds(parse_brief("No revisions."), "exclusion") == []
    assert kinds(parse_brief("Deliver no later than the 5th."), "exclusion") == []


def test_work_the_client_keeps_is_an_exclusion_marked_by_client():
    ex = kinds(parse_brief("Client supplies all text and photos."), "exclusion")[0]
    assert ex.excluded == ["text", "photos"] and ex.by_client
    ex = kinds(parse_brief("Posting is done by the client."), "exclusion")[0]
    assert ex.excluded == ["posting"] and ex.by_client
    ex = kinds(parse_brief("We provide the product and the script, you shoot."), "exclusion")[0]
    assert ex.excluded == ["product", "script"]


@pytest.mark.parametrize(
    "brief,items",
    [
        ("Logo, 3 concepts, SVG, 2 rounds, $300. Not included: brand book, stationery.", {"brand book", "stationery"}),
        ("Manual EN>DE, 2,000 words, DOCX. Excluded: DTP, text in images, certification.", {"dtp", "certification"}),
        ("Resume rewrite, 2 pages, PDF. No cover letter.", {"cover letter"}),
        ("The package does not include hosting or domain registration.", {"hosting", "domain registration"}),
        ("Site, 5 pages. Excludes: copywriting; stock photos.", {"copywriting", "stock photos"}),
        ("Shop photos, 20 items. Props are extra. Video excluded.", {"props", "video"}),
    ],
)
def test_exclusions_in_every_usual_form(brief, items):
    b = parse_brief(brief)
    excluded = {x for r in b.requirements if r.kind == "exclusion" for x in r.excluded}
    assert items <= excluded


def test_a_list_of_exclusions_promises_nothing():
    b = parse_brief("iOS app, 6 weeks, $4,000. Not included: Android version, 2 admin dashboards, PDF exports.")
    excl = next(r for r in b.requirements if r.kind == "exclusion")
    assert not [r for r in b.requirements if r.text == excl.text and r.kind != "exclusion"]
    assert "android" not in b.platforms
