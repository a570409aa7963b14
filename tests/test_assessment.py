"""Verdicts from real files: the founding story, and each kind of requirement met and missed."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from mediation.assessment import (
    HUMAN,
    MET,
    NOT_MET,
    PARTLY,
    WEIGHTS,
    Assessment,
    add_working_days,
    assess,
    assess_async,
    bench_assess,
    deliverable_category,
    parse_deadline_date,
)
from mediation.inspection import inspect_paths
from nlp.brief import Requirement, parse_brief
from tests.kit import SOAP_BRIEF
from tests.kit import filemakers as fm

AGREED = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)


def by_kind(result: Assessment, kind: str, n: int = 0):
    return [c for c in result.checks if c.kind == kind][n]


def by_label(result: Assessment, text: str):
    return next(c for c in result.checks if text in c.label)


def story(tmp_path, n=8, size=(1080, 1080), approvals=("2 samples",), delivered_days=5, **kw):
    files = inspect_paths(fm.photos(tmp_path / "delivery", n, size=size, **kw))
    return assess(
        parse_brief(SOAP_BRIEF),
        files,
        delivered_at=AGREED + timedelta(days=delivered_days),
        agreed_at=AGREED,
        approvals=approvals,
    )


# ---------------------------------------------------------------- the founding story


def test_founding_story_is_met(tmp_path):
    result = story(tmp_path)
    deliverable = by_kind(result, "deliverable")
    assert deliverable.verdict == MET
    assert "8 of 8" in deliverable.evidence and "8 JPEG 1080x1080" in deliverable.evidence
    assert by_kind(result, "dimensions").verdict == MET
    assert by_kind(result, "format").verdict == MET
    samples = by_label(result, "samples")
    assert samples.verdict == MET and "approved 2 of 2 samples" in samples.evidence
    assert result.on_time is True and by_kind(result, "deadline").verdict == MET
    light = by_label(result, "natural light")
    assert light.verdict == HUMAN and "a person must judge" in light.evidence
    assert "approved" in light.evidence  # the approved samples are the evidence of acceptance
    assert by_kind(result, "price").verdict == MET and by_kind(result, "price").weight == 0
    assert result.coverage == 1.0
    text = result.to_text()
    assert "✓ 8 product pictures" in text and "? natural light" in text
    assert "natural light" in text.split("For a person to judge:")[1]


def test_founding_story_data_shape(tmp_path):
    data = story(tmp_path).to_data()
    json.dumps(data)
    assert data["type"] == "assessment" and data["on_time"] is True and data["coverage"] == 1.0
    for row in data["requirements"]:
        assert {"id", "text", "kind", "verdict", "evidence"} <= set(row)
        assert row["verdict"] in (MET, PARTLY, NOT_MET, HUMAN)
    assert len(data["files"]) == 8 and all(len(f["sha256"]) == 64 for f in data["files"])
    price = next(r for r in data["requirements"] if r["kind"] == "price")
    assert price["counted"] is False


def test_story_wrong_sizes_are_named(tmp_path):
    folder = tmp_path / "d"
    fm.photos(folder, 6)
    fm.photos(folder, 2, size=(800, 800), prefix="small")
    result = assess(SOAP_BRIEF, inspect_paths([folder]), AGREED + timedelta(days=2), AGREED)
    dims = by_kind(result, "dimensions")
    assert dims.verdict == PARTLY and "6 of 8 images are 1080x1080" in dims.evidence
    assert "2 of 8 are 800x800" in dims.evidence
    assert by_kind(result, "deliverable").verdict == MET
    assert 0.85 < result.coverage < 1.0


def test_story_missing_pictures_weigh_more_than_colour_mode(tmp_path):
    few = story(tmp_path / "a", n=4)
    assert by_kind(few, "deliverable").verdict == PARTLY
    assert "4 of 8" in by_kind(few, "deliverable").evidence
    cmyk_brief = SOAP_BRIEF.replace("JPG.", "JPG, RGB.")
    folder = tmp_path / "b"
    fm.photos(folder, 7)
    fm.image(folder / "cmyk.jpg", mode="CMYK")
    colour = assess(cmyk_brief, inspect_paths([folder]), AGREED + timedelta(days=1), AGREED, approvals=["2 samples"])
    rgb = by_label(colour, "RGB")
    assert rgb.verdict == PARTLY and "mode CMYK" in rgb.evidence
    assert colour.coverage > few.coverage
    assert WEIGHTS["deliverable"] > WEIGHTS["colour"]


def test_story_late_and_without_approvals(tmp_path):
    result = story(tmp_path, approvals=(), delivered_days=9)
    assert result.on_time is False
    assert by_kind(result, "deadline").verdict == NOT_MET and "late" in by_kind(result, "deadline").evidence
    samples = by_label(result, "samples")
    assert samples.verdict == HUMAN and "no sample approval" in samples.evidence


def test_story_png_pretending_to_be_jpg(tmp_path):
    folder = tmp_path / "d"
    fm.photos(folder, 7)
    fm.image(folder / "photo8.jpg", fmt="PNG")
    result = assess(SOAP_BRIEF, inspect_paths([folder]), AGREED, AGREED)
    fmt = by_kind(result, "format")
    assert fmt.verdict == PARTLY and "7 of 8" in fmt.evidence and "photo8.jpg" in fmt.evidence
    assert any("named .jpg but the content is PNG" in n for n in result.notes)


def test_story_with_broken_files_still_assessed(tmp_path):
    folder = tmp_path / "d"
    good = fm.photos(folder, 6)
    fm.truncated(folder / "cut.jpg", good[0])
    fm.png_bomb(folder / "bomb.png")
    fm.zip_bomb(folder / "extra.zip", unpacked_mb=5)
    (folder / "empty.jpg").write_bytes(b"")
    result = assess(SOAP_BRIEF, inspect_paths([folder]), AGREED, AGREED)
    deliverable = by_kind(result, "deliverable")
    assert deliverable.verdict == PARTLY and "6 of 8" in deliverable.evidence
    assert "could not be read" in deliverable.evidence
    notes = " | ".join(result.notes)
    assert "cut.jpg: corrupt" in notes and "bomb.png: refused" in notes
    assert "zip bomb" in notes and "empty.jpg: empty file" in notes


def test_story_inside_a_zip(tmp_path):
    pics = fm.photos(tmp_path / "src", 8)
    z = fm.zip_of(tmp_path / "delivery.zip", {f"soaps/{p.name}": p for p in pics})
    result = assess(SOAP_BRIEF, inspect_paths([z]), AGREED, AGREED, approvals=["2 samples"])
    assert by_kind(result, "deliverable").verdict == MET
    assert result.coverage == 1.0


def test_empty_delivery(tmp_path):
    result = assess(SOAP_BRIEF, [], AGREED, AGREED)
    assert by_kind(result, "deliverable").verdict == NOT_MET
    assert by_kind(result, "format").verdict == NOT_MET
    assert result.coverage == 0.0
    assert "empty delivery" in result.notes[0]


# ---------------------------------------------------------------- other kinds of work


def test_blog_posts_words_and_working_days(tmp_path):
    brief = (
        "Write 3 blog posts of 1000 words each as Word documents. Two rounds of revisions "
        "included. Delivery within 5 business days."
    )
    for i, words in enumerate((1000, 1200, 600)):
        fm.docx_file(tmp_path / f"post{i}.docx", words=words)
    agreed = datetime(2024, 3, 1, 9, tzinfo=UTC)  # a Friday
    result = assess(brief, inspect_paths([tmp_path]), datetime(2024, 3, 8, 18, tzinfo=UTC), agreed)
    length = by_kind(result, "length")
    assert length.verdict == PARTLY and "2 of 3" in length.evidence and "600 words" in length.evidence
    assert by_kind(result, "deliverable").verdict == MET
    assert by_kind(result, "format").verdict == MET
    assert by_kind(result, "revisions").verdict == MET and by_kind(result, "revisions").weight == 0
    assert by_kind(result, "deadline").verdict == MET  # 5 working days from Friday = next Friday
    assert result.on_time is True


def test_pdf_report_word_count(tmp_path):
    fm.pdf(tmp_path / "report.pdf", pages=4, words_per_page=100)
    result = assess("A 2000-word report in PDF.", inspect_paths([tmp_path]))
    length = by_kind(result, "length")
    assert length.verdict == PARTLY and "400 words" in length.evidence
    assert by_kind(result, "format").verdict == MET
    assert result.on_time is None


def test_video_length_and_frame_size(tmp_path):
    brief = "A 60-second explainer video as MP4, 1920x1080."
    fm.mp4(tmp_path / "ok.mp4", seconds=62, size=(1920, 1080))
    result = assess(brief, inspect_paths([tmp_path]))
    assert by_kind(result, "length").verdict == MET
    assert by_kind(result, "dimensions").verdict == MET
    assert by_kind(result, "format").verdict == MET
    long = tmp_path / "long"
    long.mkdir()
    fm.mp4(long / "v.mp4", seconds=180, size=(1280, 720))
    result = assess(brief, inspect_paths([long]))
    assert by_kind(result, "length").verdict == NOT_MET and "3:00 min" in by_kind(result, "length").evidence
    assert by_kind(result, "dimensions").verdict == NOT_MET and "1280x720" in by_kind(result, "dimensions").evidence


def test_voiceover_max_length_and_content_exclusion(tmp_path):
    brief = "Record a voiceover of up to 90 seconds as WAV. Photos without people."
    fm.wav(tmp_path / "vo.wav", seconds=75)
    result = assess(brief, inspect_paths([tmp_path]))
    assert by_kind(result, "length").verdict == MET
    assert by_kind(result, "format").verdict == MET
    exclusion = by_kind(result, "exclusion")
    assert exclusion.verdict == HUMAN and "people" in exclusion.evidence


def test_logo_transparency_each_format_and_scope_exclusion(tmp_path):
    brief = "A logo as PNG with a transparent background and as PDF. Printing is not included. Deadline: by March 15."
    fm.image(tmp_path / "logo.png", size=(500, 500), mode="RGB")
    result = assess(brief, inspect_paths([tmp_path]), datetime(2024, 3, 16, 9), AGREED)
    fmt = by_kind(result, "format")
    assert fmt.verdict == PARTLY and "no PDF" in fmt.evidence
    transparent = by_label(result, "transparent")
    assert transparent.verdict == NOT_MET and "mode RGB" in transparent.evidence
    exclusion = by_kind(result, "exclusion")
    assert exclusion.verdict == MET and exclusion.weight == 0
    deadline = by_kind(result, "deadline")
    # times are shown in the reader's locale and zone (English and UTC here)
    assert deadline.verdict == NOT_MET and "Mar 15, 2024" in deadline.evidence
    fm.image(tmp_path / "logo.png", size=(500, 500), mode="RGBA")
    fm.pdf(tmp_path / "logo.pdf", ["Soap Co"])
    result = assess(brief, inspect_paths([tmp_path]), datetime(2024, 3, 14, 9), AGREED)
    assert by_kind(result, "format").verdict == MET
    assert by_label(result, "transparent").verdict == MET
    assert result.on_time is True


def test_print_flyer_dpi_on_pdf_needs_a_person(tmp_path):
    fm.pdf(tmp_path / "flyer.pdf", ["Big sale"])
    result = assess("Print flyer, CMYK, 300 dpi, PDF. Usage: print and website.", inspect_paths([tmp_path]))
    assert by_kind(result, "dimensions").verdict == HUMAN
    assert by_label(result, "CMYK").verdict == HUMAN
    assert by_kind(result, "usage").verdict == MET and by_kind(result, "usage").weight == 0
    assert by_kind(result, "format").verdict == MET


def test_long_side_file_size_and_either_format(tmp_path):
    brief = "10 product photos, at least 2000 px on the long side, under 5 MB each, JPG or PNG."
    fm.photos(tmp_path, 5, size=(2400, 1600))
    fm.photos(tmp_path, 3, size=(1600, 1200), suffix=".png", prefix="png")
    result = assess(brief, inspect_paths([tmp_path]))
    dims = by_kind(result, "dimensions")
    assert dims.verdict == PARTLY and "5 of 8" in dims.evidence and "1600 px on the long side" in dims.evidence
    assert by_kind(result, "format").verdict == MET
    deliverable = by_kind(result, "deliverable")
    assert deliverable.verdict == PARTLY and deliverable.score == pytest.approx(0.8)


def test_two_deliverables_share_files_without_double_counting(tmp_path):
    brief = "8 product photos and 3 lifestyle photos, JPG."
    fm.photos(tmp_path, 9)
    result = assess(brief, inspect_paths([tmp_path]))
    first, second = [c for c in result.checks if c.kind == "deliverable"]
    assert first.verdict == MET and second.verdict == PARTLY and "1 of 3" in second.evidence


def test_deliverable_categories():
    def req(item, formats=()):
        return Requirement(
            id=1, kind="deliverable", text=item, item=item, quantity=1, quantity_max=False, formats=list(formats)
        )

    assert deliverable_category(req("product pictures")) == "image"
    assert deliverable_category(req("blog posts")) == "document"
    assert deliverable_category(req("instagram reels")) == "video"
    assert deliverable_category(req("voiceover tracks")) == "audio"
    assert deliverable_category(req("things", ["mp3"])) == "audio"
    assert deliverable_category(req("widgets")) == "any"


def test_hand_built_requirements_missing_fields(tmp_path):
    """Requirements built without the optional fields still assess (getattr defaults)."""
    from nlp.brief import Brief

    fm.photos(tmp_path, 2)
    reqs = [
        Requirement(id=1, kind="deliverable", text="2 photos", item="photos", quantity=2),
        Requirement(id=2, kind="quality", text="friendly tone", item="friendly tone"),
        Requirement(id=3, kind="other", text="Please keep the labels readable."),
        Requirement(id=4, kind="other", text="Thanks a lot!"),
    ]
    result = assess(Brief(text="", clauses=[], requirements=reqs), inspect_paths([tmp_path]))
    assert [c.verdict for c in result.checks] == [MET, HUMAN, HUMAN]  # the thanks is no requirement
    assert [c.id for c in result.checks] == [1, 2, 3]
    assert result.coverage == 1.0


def test_only_judgement_calls_give_no_coverage(tmp_path):
    result = assess("Friendly tone, natural light.", inspect_paths(fm.photos(tmp_path, 1)))
    assert all(c.verdict == HUMAN for c in result.checks)
    assert result.coverage is None and "nothing checkable" in result.to_text()


def test_deadline_without_dates_is_left_to_a_person(tmp_path):
    result = assess(SOAP_BRIEF, inspect_paths(fm.photos(tmp_path, 8)))
    deadline = by_kind(result, "deadline")
    assert deadline.verdict == HUMAN and "not given" in deadline.evidence
    assert result.on_time is None
    naive = assess(
        SOAP_BRIEF, inspect_paths(fm.photos(tmp_path, 8)), datetime(2024, 3, 2), AGREED
    )  # naive taken as UTC, compared with an aware time
    assert naive.on_time is True


def test_working_days_and_dates():
    friday = datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert add_working_days(friday, 1).date().isoformat() == "2024-03-04"
    assert add_working_days(friday, 5).date().isoformat() == "2024-03-08"
    saturday = datetime(2024, 3, 2, 10, tzinfo=UTC)
    assert add_working_days(saturday, 1).date().isoformat() == "2024-03-04"
    assert parse_deadline_date("03-15", friday).isoformat() == "2024-03-15"
    assert parse_deadline_date("01-10", friday).isoformat() == "2025-01-10"
    assert parse_deadline_date("--20", friday).isoformat() == "2024-03-20"
    assert parse_deadline_date("2024-02-30", friday) is None


def test_verdicts_leave_out_uncounted_terms(tmp_path):
    result = story(tmp_path)
    kinds = {k for _, k, _ in result.verdicts()}
    assert "price" not in kinds and "deliverable" in kinds and "quality" in kinds


# ---------------------------------------------------------------- off the event loop


async def test_assess_async_runs_in_a_thread_and_reports_progress(tmp_path):
    fm.photos(tmp_path, 8)
    seen: list[str] = []
    loop_thread = threading.get_ident()
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    t = asyncio.create_task(ticker())
    result = await assess_async(
        SOAP_BRIEF,
        [tmp_path],
        delivered_at=AGREED + timedelta(days=3),
        agreed_at=AGREED,
        approvals=["2 samples"],
        progress=seen.append,
    )
    t.cancel()
    assert seen == ["checking 8 files…"]
    assert result.coverage == 1.0 and result.on_time is True
    assert threading.get_ident() == loop_thread and ticks > 0


async def test_assess_async_few_fast_files_no_progress(tmp_path):
    fm.photos(tmp_path, 2)
    calls: list[str] = []

    async def progress(msg):
        calls.append(msg)

    result = await assess_async("2 photos, JPG.", [tmp_path], progress=progress)
    assert calls == [] and by_kind(result, "deliverable").verdict == MET


async def test_assess_async_slow_work_reports_progress(tmp_path, monkeypatch):
    import mediation.assessment.run as mod

    fm.photos(tmp_path, 1)
    monkeypatch.setattr(mod, "PROGRESS_AFTER_S", 0.05)
    real = mod.inspect_files

    def slow_one(items, limits=None, sandbox=None):
        import time

        time.sleep(0.3)
        return real(items, limits, sandbox)

    monkeypatch.setattr(mod, "inspect_files", slow_one)
    calls: list[str] = []
    await assess_async("1 photo", [tmp_path], progress=calls.append)
    assert calls == ["checking 1 file…"]


def test_bench_small():
    numbers = bench_assess(n=5)
    assert numbers["files"] == 5 and numbers["coverage"] == 1.0
    assert numbers["inspect_s"] > 0 and numbers["python_peak_mb"] > 0


def test_clause_formats_pick_the_files_measured(tmp_path):
    """A 60-second MP4 is judged on the video alone, not on the voice-over file beside it."""
    fm.mp4(tmp_path / "v.mp4", seconds=58)
    fm.wav(tmp_path / "vo.wav", seconds=58)
    result = assess(
        "A 60-second explainer video as MP4, 1920x1080. Delivery by 2024-04-02.",
        inspect_paths([tmp_path]),
        datetime(2024, 4, 3, 9),
        AGREED,
    )
    length = by_kind(result, "length")
    assert length.verdict == MET and length.evidence.startswith("v.mp4: 58 s")
    deadline = by_kind(result, "deadline")  # an ISO date the brief parser leaves as "other"
    assert deadline.verdict == NOT_MET and result.on_time is False


def test_extra_files_beyond_the_count_are_not_held_against(tmp_path):
    fm.photos(tmp_path, 8)
    fm.image(tmp_path / "bonus.png", size=(600, 400))
    result = assess(SOAP_BRIEF, inspect_paths([tmp_path]), AGREED, AGREED, approvals=["2 samples"])
    fmt, dims = by_kind(result, "format"), by_kind(result, "dimensions")
    assert fmt.verdict == MET and "bonus.png" in fmt.evidence
    assert dims.verdict == MET and "600x400" in dims.evidence
    assert "1 more than agreed" in by_kind(result, "deliverable").evidence


async def test_assess_async_keeps_the_senders_names(tmp_path):
    stored = fm.image(tmp_path / "9f86d081884c7d65", fmt="JPEG")  # kept under its hash
    result = await assess_async("1 photo, JPG.", [(stored, "soap.jpg")])
    assert result.files[0].name == "soap.jpg" and result.files[0].problems == []
    assert by_kind(result, "format").verdict == MET


def test_deadlines_no_calendar_can_hold_are_said_plainly():
    from datetime import datetime

    now = datetime(2026, 3, 2, tzinfo=UTC)
    for brief in [
        "8 photos, JPG, delivery within 5000000 days.",
        "8 photos within 3000000 working days.",
        "8 photos within " + "9" * 400 + " days.",
    ]:
        checks = [c for c in assess(brief, [], now, now).checks if c.kind == "deadline"]
        assert checks and "can be checked" in checks[0].evidence and checks[0].verdict == "needs_human"
