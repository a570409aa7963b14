"""Brief parsing on briefs as clients write them."""
from nlp.brief import parse_brief, split_clauses

SOAP = ("Looking for a photographer for 8 product pictures of my handmade soaps for our Instagram "
        "feed. Flat lay or plain surface, natural light, square 1080x1080 JPG. You send 2 samples "
        "first for my approval, then the remaining 6. Budget $88, delivery within 1 week.")
CANDLES = ("Need product photos for our online candle shop: 8 candles, one photo each, shot in your "
           "studio on a plain white background. Deliver edited JPGs, 3000px on the long side, within "
           "10 days of receiving the products. Price $400, includes one round of retouching "
           "revisions. Usage: our website and Etsy listings only.")
BOOKS = ("Monthly bookkeeping for my landscaping business in QuickBooks Online: categorize "
         "transactions for 1 business checking account and 1 credit card, reconcile both monthly, "
         "and send a P&L and balance sheet by the 10th of each month. Up to 150 transactions/month. "
         "$250/month. Payroll and tax filing not included.")


def kinds(brief, kind):
    return [r for r in brief.requirements if r.kind == kind]


def test_founding_brief():
    b = parse_brief(SOAP)
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
    b = parse_brief(SOAP)
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
    tx = [r for r in kinds(b, "deliverable") if r.item == "transactions"][0]
    assert tx.quantity == 150 and tx.quantity_max
    assert kinds(b, "price")[0].per == "month"
    assert kinds(b, "deadline")[0].deadline_date == "--10"
    assert "quickbooks" in b.platforms


def test_words_per_item_and_working_days():
    b = parse_brief("Need 4 blog posts, 1,000 words each, SEO-friendly. Delivered as Word documents. "
                    "1 revision per post. Translate it within 7 working days. $400 total.")
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
    b = parse_brief("Low-poly game asset: one fantasy treasure chest, under 3,000 tris, hand-painted "
                    "2048x2048 textures. Deliver FBX for Unity. $300, 10 days.")
    assert "fbx" in b.formats and "unity" in b.platforms
    assert b.deadline_days == 10
    assert kinds(b, "price")[0].amount == "300"


def test_dpi_and_licence():
    b = parse_brief("12 full-page color spreads plus a front cover, 300 dpi CMYK. Flat fee $3,600 "
                    "includes print rights for the first edition (up to 5,000 copies).")
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
