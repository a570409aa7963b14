"""The proposals chart: a readable PNG of money and score per outcome."""

import io
from decimal import Decimal

from PIL import Image

from mediation.chart import proposals_chart
from mediation.feedback import default_feedback_presets
from mediation.fees import default_fee_presets
from mediation.proposals import CaseFacts, ScopeFlag, propose

POLICIES = default_feedback_presets()


def _proposals(comparison=True):
    facts = CaseFacts(
        amount=Decimal("88"),
        currency="USD",
        coverage=1.0,
        on_time=True,
        approvals=["sample 1", "sample 2"],
        scope_flags=[ScopeFlag("attribute", "models at a location", "new attributes")],
        silent_party="client",
        silent_days=90,
        disputing_party="client",
    )
    return propose(
        facts, default_fee_presets()["marketplace"], POLICIES["fair"], POLICIES["marketplace"] if comparison else None
    )


def _image(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(png)).convert("RGB")


def _colours(img: Image.Image) -> set:
    return {c for _, c in img.getcolors(maxcolors=img.size[0] * img.size[1])}


def test_chart_is_an_800_by_450_png_with_content():
    img = _image(proposals_chart(_proposals()))
    assert img.size == (800, 450)
    pixels = _colours(img)
    assert len(pixels) > 50  # not a blank canvas
    # The freelancer's net (orange) and the client's refund (blue) bars are drawn.
    assert (0xF5, 0x85, 0x18) in pixels and (0x4C, 0x78, 0xA8) in pixels
    # The marketplace refund lowers the score: its red bar is present.
    assert (0xE4, 0x57, 0x56) in pixels


def test_chart_without_comparison_and_custom_size():
    img = _image(proposals_chart(_proposals(comparison=False), width_px=640, height_px=360))
    assert img.size == (640, 360)
    assert (0xE4, 0x57, 0x56) not in _colours(img)


def test_chart_of_nothing_still_renders():
    assert _image(proposals_chart([])).size == (800, 450)
