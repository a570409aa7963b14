"""Scope classification on briefs and chat messages as clients write them."""

import json

import numpy as np
import pytest

from nlp.asks import core_text, find_asks
from nlp.brief import parse_brief
from nlp.model import Encoder, ModelNotFound
from nlp.scope import IN_KINDS, OUT_KINDS, ScopeClassifier, compute
from tests.kit import SOAP_BRIEF

CANDLES = (
    "Product photos for my candle shop: 8 candles, one photo each, on a plain white "
    "background. Edited JPGs, within 10 days. $400, includes one round of retouching "
    "revisions. Usage: our website and Etsy listings only."
)
LOGO = (
    "Logo for a bike repair shop: 3 concepts, then refine the chosen one. Final files SVG and "
    "PNG. Includes 2 rounds of revisions. $300, 2 weeks. Business cards not included."
)


pytestmark = pytest.mark.model


def test_founding_case_is_out_of_scope_attribute(clf):
    res = clf.check(
        SOAP_BRIEF,
        "Hi, I got all 8, they are ok but honestly I wanted pictures with people "
        "in them. Like a model holding the soap, outside somewhere pretty. Can you "
        "redo them like that?",
    )
    assert res.out_of_scope and res.kind == "attribute"
    assert res.brief_match in parse_brief(SOAP_BRIEF).clauses
    assert 0.5 <= res.confidence <= 1


def test_more_units_in_words_is_quantity_with_a_checkable_reason(clf):
    res = clf.check(
        CANDLES,
        "Hello dear! We make new scents so I am need photos for twelve candles, not eight. Same background is ok yes?",
    )
    assert res.out_of_scope and res.kind == "quantity"
    assert "twelve candles" in res.reason and "8 candles" in res.reason
    assert "8 candles" in res.brief_match


def test_excluded_item_cites_the_exclusion(clf):
    res = clf.check(LOGO, "Love it! Small favour: could you also do our business cards? Should be quick.")
    assert res.out_of_scope and res.kind == "new_deliverable"
    assert "not included" in res.brief_match


def test_round_beyond_allowance_is_extra_revisions(clf):
    res = clf.check(LOGO, "Sorry, this is the third round of changes: can the wrench be a bit smaller?")
    assert res.out_of_scope and res.kind == "extra_revisions"
    assert "2 round" in res.reason


def test_shorter_deadline(clf):
    res = clf.check(CANDLES, "Could you send all the photos by tomorrow? We have a market this weekend.")
    assert res.out_of_scope and res.kind == "deadline"


def test_wider_licence_question_is_usage_rights(clf):
    res = clf.check(CANDLES, "We'd like to put the photos on a billboard and in a magazine ad. That's fine, right?")
    assert res.out_of_scope and res.kind == "usage_rights"


@pytest.mark.parametrize(
    "request_text,kind",
    [
        ("One photo came out greyish instead of the clean white background. Could you fix it?", "correction"),
        ("Does the turnaround start when the parcel reaches you, or from today?", "clarification"),
        ("One jar broke in the post, so please shoot just the seven that arrived.", "subset"),
    ],
)
def test_in_scope_kinds(clf, request_text, kind):
    res = clf.check(CANDLES, request_text)
    assert not res.out_of_scope
    assert res.kind in IN_KINDS
    assert res.kind == kind


def test_to_json_has_exactly_the_contract_fields(clf):
    out = clf.check(SOAP_BRIEF, "Can you add 4 more pictures?").to_json("x1")
    assert list(out) == ["id", "out_of_scope", "confidence", "kind", "brief_match", "reason"]
    assert out["id"] == "x1" and isinstance(out["out_of_scope"], bool)
    assert out["kind"] in OUT_KINDS + IN_KINDS
    json.dumps(out)


def test_check_many_matches_single_checks(clf):
    pairs = [
        (SOAP_BRIEF, "Can you make 12 pictures instead of 8?"),
        (LOGO, "Do you want our old logo as a reference?"),
        (CANDLES, "Please also photograph our 5 diffusers."),
    ]
    batch = clf.check_many(pairs)
    single = [clf.check(b, r) for b, r in pairs]
    assert [(r.out_of_scope, r.kind) for r in batch] == [(r.out_of_scope, r.kind) for r in single]
    assert [r.confidence for r in batch] == pytest.approx([r.confidence for r in single], abs=1e-3)
    assert clf.check_many([]) == []


def test_asks_are_reported_per_sentence(clf):
    res = clf.check(CANDLES, "Thanks so much! Could you do 12 candles instead of 8? Have a great day!")
    assert [a.text for a in res.asks] == ["Could you do 12 candles instead of 8?"]
    assert "qty_more" in res.asks[0].signals


@pytest.mark.parametrize("request_text", ["", "   \n\t ", None])
def test_empty_request_gives_a_clear_answer(clf, request_text):
    res = clf.check(SOAP_BRIEF, request_text)
    assert not res.out_of_scope and res.kind == "clarification"
    assert "empty" in res.reason


def test_enormous_request_is_truncated_with_a_note(clf):
    res = clf.check(SOAP_BRIEF, "Could you add more pictures please? " * 3000)
    assert "truncated" in res.reason
    assert res.kind in OUT_KINDS + IN_KINDS


def test_binary_and_emoji_input_never_crash(clf):
    res = clf.check(SOAP_BRIEF, b"\xff\xfe\x00\x81 can you add \xc3 pictures")
    assert "UTF-8" in res.reason
    res = clf.check(SOAP_BRIEF, "🙏🙏 can u do more pics 📸📸📸??")
    assert res.kind in OUT_KINDS + IN_KINDS


def test_other_language_gets_low_confidence_and_says_so(clf):
    res = clf.check(SOAP_BRIEF, "Hola, ¿podrías hacer también doce fotos más con modelos en la playa, por favor?")
    assert res.confidence <= 0.55
    assert "English" in res.reason


def test_brief_without_requirements(clf):
    res = clf.check("hello there", "Could you make me a website?")
    assert res.confidence <= 0.55
    assert "no recognisable requirements" in res.reason


def test_rules_alone_find_counts_and_exclusions():
    brief = parse_brief(LOGO)
    sig = compute(brief, "Can you send 5 concepts instead of 3?")
    assert sig.values.get("qty_more") == 1.0
    sig = compute(brief, "We only need 2 concepts now.")
    assert sig.values.get("qty_less") == 1.0 and not sig.values.get("qty_more")
    sig = compute(brief, "Could you design business cards too?")
    assert sig.values.get("excluded") == 1.0


def test_pleasantries_are_dropped_from_asks():
    msg = "Hi! Hope your week's going well. Could you add a booking page? Anyway, great work so far!"
    asks = find_asks(msg)
    assert [a.text for a in asks] == ["Could you add a booking page?"]
    assert asks[0].wants_work and not asks[0].asks_only
    assert core_text("Thanks so much!!") == "Thanks so much!!"
    q = find_asks("Should I send the photos now, or after the layout?")
    assert q[0].asks_only


def test_encoder_vectors_are_normalised_and_cached(clf):
    enc = clf.encoder
    v = enc.embed(["natural light product photo", "a completely different sentence"])
    assert v.shape == (2, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    again = enc.embed(["a completely different sentence"])
    assert np.allclose(again[0], v[1])
    assert enc.embed([]).shape == (0, 384)


def test_missing_model_folder_names_the_path(tmp_path):
    with pytest.raises(ModelNotFound, match=str(tmp_path / "nowhere")):
        Encoder(str(tmp_path / "nowhere"))


def test_missing_weights_is_a_clear_error(clf, tmp_path):
    with pytest.raises(FileNotFoundError, match="weights"):
        ScopeClassifier(clf.encoder, tmp_path / "none.npz")


def test_non_latin_script_is_flagged_low_confidence(clf):
    res = clf.check(SOAP_BRIEF, "你好，可以再做三个帖子吗？")
    assert res.confidence <= 0.55 and "English" in res.reason


def test_surrogate_escaped_bytes_are_replaced_with_a_note(clf):
    res = clf.check(SOAP_BRIEF, "caf\udce9 pictures too?")
    assert "UTF-8" in res.reason


def test_rules_compare_dates_retakes_and_client_kept_work():
    site = parse_brief(
        "Build a 5-page WordPress site. Client supplies all text and photos. Launch by 2025-09-30. $1,800."
    )
    assert compute(site, "Can the site be live by 2025-09-12 instead?").values.get("deadline_shorter")
    assert not compute(site, "Can the site be live by 2025-09-30?").values.get("deadline_shorter")
    assert compute(site, "Could you also write the text for the About page?").values.get("excluded")
    assert not compute(site, "I'll send the photos tomorrow, is that ok?").values.get("excluded")
    book = parse_brief("Narrate my novel for ACX. 2 rounds of retakes included. Complete within 6 weeks.")
    assert compute(book, "Sending my third retake list, just a few fixes.").values.get("rev_over")
    assert compute(book, "Second retake list attached, slower pace please.").values.get("rev_within")
    due = parse_brief("Rewrite my resume. $150, 5 business days.")
    sig = compute(due, "I only sent my CV this morning, but it closes tomorrow noon. Can you have it done by then?")
    assert sig.values.get("deadline_shorter")


def test_rules_ignore_ruled_out_formats_and_partial_counts():
    art = parse_brief("12 spot illustrations, delivered as TIFF at 600 dpi.")
    sig = compute(art, "Please send them as high-res files for the printer, not web jpgs.")
    assert not sig.values.get("fmt_new") and not sig.values.get("plat_new")
    sig = compute(art, "About ten of the illustrations are missing the shading, can you fix them?")
    assert not sig.values.get("qty_less")
    jingle = parse_brief("Compose a 30-second jingle for our radio ad. WAV.")
    assert compute(jingle, "Could it be sixty seconds long?").values.get("len_more")
    assert not compute(jingle, "Could you cut a 10-second teaser from it?").values.get("qty_less")
    app = parse_brief("Build an iOS app (iPhone only) for our gym.")
    assert compute(app, "Can the app also be on Google Play?").values.get("plat_new")


def test_absurd_numbers_neither_crash_nor_stall(clf):
    import time

    started = time.perf_counter()
    for brief, request in [
        ("8 photos, JPG", "I need " + "9" * 400 + " photos"),
        ("up to " + "9" * 430 + " revisions; 8 photos", "another round please"),
        ("1" * 6000, "ok?"),
        ("the " + "1" * 5000 + "th photo", "more photos?"),
    ]:
        result = clf.check(brief, request)
        assert result.kind and 0 <= result.confidence <= 1
    assert time.perf_counter() - started < 5


def test_the_brief_cache_is_safe_across_threads(clf):
    from concurrent.futures import ThreadPoolExecutor

    from nlp.scope import ScopeClassifier

    small = ScopeClassifier(clf.encoder)
    small._brief_cache = 4
    briefs = [f"{n} product photos, JPG, within {n} days." for n in range(2, 40)]
    with ThreadPoolExecutor(8) as pool:
        parsed = list(pool.map(small.brief, briefs * 4))
    assert all(p.requirements for p in parsed) and len(small._briefs) <= 4


TERSE_BRIEFS = [
    (
        "Brand mark: 3 logo concepts, SVG + PNG, 2 revision rounds, $300. Not included: brand book, stationery.",
        "Love the direction! Could you also put together the brand book for us?",
        "brand book",
    ),
    (
        "EN>ES, 1,800 words, product manual, DOCX, 5 days, €220. Excluded: DTP, screenshots, certification.",
        "Our distributor needs it certified too, can you add the certification?",
        "certification",
    ),
    (
        "Resume rewrite, 2 pages, ATS-friendly, PDF + DOCX, 1 revision. No cover letter.",
        "Could you write a short cover letter to go with it?",
        "cover letter",
    ),
    (
        "Podcast ep edit, 50 min, noise cleanup, MP3, 48h, $90. Does not include show notes or audiograms.",
        "While you're in there, can you write up the show notes?",
        "show notes",
    ),
]


@pytest.mark.parametrize("brief,request_text,item", TERSE_BRIEFS)
def test_terse_english_brief_with_exclusion_is_flagged_confidently(clf, brief, request_text, item):
    res = clf.check(brief, request_text)
    assert res.out_of_scope and res.kind == "new_deliverable"
    assert res.confidence >= 0.8
    assert "English" not in res.reason
    assert item in res.reason.lower() or item in (res.brief_match or "").lower()
    assert res.brief_match and any(w in res.brief_match.lower() for w in ("not", "exclu", "no "))


def test_terse_english_brief_in_scope_request_is_not_capped(clf):
    brief = "Brand mark: 3 logo concepts, SVG + PNG, 2 revision rounds, $300. Not included: brand book, stationery."
    res = clf.check(brief, "Could I get the final mark as a vector file as well as the PNG?")
    assert not res.out_of_scope
    assert "English" not in res.reason


@pytest.mark.parametrize(
    "brief,request_text",
    [
        (
            "Podcast editing: 4 episodes of about 40 minutes, noise and click removal, MP3 192 kbps, $240.",
            "There's a loud click at 12:30 in episode 3, can you fix it?",
        ),
        (
            "Edit 2 YouTube videos (10-12 min each), captions, colour grade, 1080p MP4, 2 rounds.",
            "The captions drift out of sync from 4:15 to 6:40 in video 2, could you sort that?",
        ),
        (
            "Data cleanup: 2,000 customer rows in Google Sheets, deduplicated, phone numbers in E.164.",
            "Rows 88 to 95 are still duplicates of each other, can you remove the copies?",
        ),
    ],
)
def test_timestamps_and_labels_are_not_counts(clf, brief, request_text):
    res = clf.check(brief, request_text)
    assert not res.out_of_scope
    assert res.kind != "quantity" and res.extra_units is None
    assert "Asks for" not in res.reason or "30" not in res.reason


NEWSLETTER = (
    "Monthly newsletter for a bakery: 1 Mailchimp template, subject line and preview text, "
    "hero image slot, footer with address and unsubscribe link. 2 rounds of edits, $250."
)


@pytest.mark.parametrize(
    "request_text,clause_word",
    [
        ("Can you also write that short teaser line people see in their inbox under the subject?", "preview text"),
        ("Please add the bit at the very bottom with our address and the opt-out link.", "footer"),
    ],
)
def test_paraphrased_asks_find_their_clause(clf, request_text, clause_word):
    res = clf.check(NEWSLETTER, request_text)
    assert clause_word in (res.brief_match or "").lower()


def test_matcher_ranks_the_paraphrased_clause_first(clf):
    clauses = [
        "Subject line and preview text.",
        "Footer with address and unsubscribe link.",
        "Hero image slot.",
        "2 rounds of edits.",
    ]
    ask = "the little sentence that shows next to the subject before anyone opens the mail"
    vecs = clf.encoder.embed(clauses + [ask])
    sims = vecs[:-1] @ vecs[-1]
    assert int(sims.argmax()) == 0


@pytest.mark.parametrize(
    "brief,request_text",
    [
        pytest.param(
            "Podcast editing, 4 episodes of ~40 min: noise removal, loudness to -16 LUFS, intro/outro music "
            "added, MP3. $240.",
            "Sorry to be a pain, could the volume be evened out so it's as loud as other shows on Spotify?",
            # the reader does not know that -16 LUFS is the loudness streaming services ask for
            marks=pytest.mark.xfail(strict=True, reason="known miss: loudness standard described by its effect"),
        ),
        (
            "Product listing photos: 12 items, white background, cut-out PNGs with transparency, 2000px, $180.",
            "Could I get versions with nothing behind the product so I can drop them on coloured banners?",
        ),
    ],
)
def test_paraphrased_in_brief_asks_are_in_scope(clf, brief, request_text):
    res = clf.check(brief, request_text)
    assert not res.out_of_scope


def test_joint_reader_sharing_the_tuned_encoder_reads_like_one_on_its_own_model(clf):
    """The shared model carries the matcher's last-layer change; the reader must undo it in its own
    copy of the top layers, or every probability drifts, and the reader with a model of its own (the
    ONNX backend's) must add it, or the asks' vectors drift."""
    from nlp.joint import JointReader
    from nlp.matching import DELTA

    shared = clf.joint
    alone = JointReader()
    assert shared.module is not alone.module and alone.model is not shared.model
    briefs, requests = [LOGO, CANDLES], ["Could you also design business cards?", "Can I get 12 photos instead?"]
    spans = [[(0, 10), (11, len(r))] for r in requests]
    mine, theirs = shared.read(requests, spans), alone.read(requests, spans)
    for a, b in zip(mine, theirs):
        assert np.allclose(a.states, b.states, atol=1e-5) and np.allclose(a.ask_vecs, b.ask_vecs, atol=1e-5)
    assert np.allclose(shared.probs(briefs, mine), alone.probs(briefs, theirs), atol=1e-5)
    assert DELTA.exists() and clf.encoder.tuned


def test_an_ask_that_is_the_whole_message_gets_the_encoders_own_vector(clf):
    """The asks' vectors come from the pass the reader makes anyway; for a one-sentence message the
    pooled tokens are the sentence's, so the vector is the one the encoder gives it alone (less
    the [CLS] and [SEP] tokens, which belong to no ask)."""
    text = "Could you make the little icon that shows in the browser tab?"
    (read,) = clf.joint.read([text], [[(0, len(text))]])
    other = "Could you also design business cards for the shop?"
    (whole, unrelated) = clf.encoder.embed([text, other])
    assert np.dot(read.ask_vecs[0], whole) > 0.99 > np.dot(read.ask_vecs[0], unrelated)


def test_lower_layers_alone_give_the_full_models_inner_states(clf):
    import torch

    from nlp.joint import SPLIT, lower_forward

    batch = clf.encoder.tokenizer(["the little icon in the browser tab", "ok"], padding=True, return_tensors="pt")
    with torch.inference_mode():
        inner = clf.encoder.model(**batch, output_hidden_states=True).hidden_states[SPLIT]
        mine = lower_forward(clf.encoder.model, batch, SPLIT)
    mask = batch["attention_mask"].bool()
    assert torch.allclose(inner[mask], mine[mask], atol=1e-5)


def test_the_cached_brief_side_gives_what_training_computes_in_one_go(clf):
    """Training runs brief and request through the top layers together; serving caches the brief's
    keys and values and runs only the request. Both must give the same probabilities, whatever
    the other briefs and requests padded into the same batch."""
    import torch

    from nlp.joint import MAX_BRIEF_TOKENS, pad

    J = clf.joint
    clf.reset_caches()
    briefs = [LOGO, CANDLES, LOGO]
    requests = ["Could you also design business cards?", "Can I get 12 photos instead?", "ok"]
    reads = J.read(requests, [[] for _ in requests])
    together = J.probs(briefs, reads)
    for i in range(3):
        (hb,) = J.states.compute([briefs[i]], MAX_BRIEF_TOKENS)
        with torch.inference_mode():
            logits = J.module(*pad([reads[i].states]), *pad([hb]))
        assert np.allclose(torch.softmax(logits, -1).numpy()[0], together[i], atol=1e-5)
        assert np.allclose(J.probs([briefs[i]], [reads[i]])[0], together[i], atol=1e-5)


def test_the_brief_is_read_once_for_many_messages(clf):
    clf.reset_caches()
    clf.check_many([(LOGO, "Could you also design business cards?"), (LOGO, "Can the logo be green?")])
    clf.check(LOGO, "Could the icon be smaller?")
    assert [b for b in clf.joint._sides if b.startswith("Logo for a bike")] == [LOGO]


def test_a_format_the_brief_names_is_not_another_format(clf):
    same = clf.check(SOAP_BRIEF, "Could you send the samples as JPG?")
    other = clf.check(SOAP_BRIEF, "Can I get them as PNG instead of JPG?")
    assert not same.out_of_scope and same.kind == "in_brief"
    assert other.out_of_scope and other.kind == "platform_or_format"
