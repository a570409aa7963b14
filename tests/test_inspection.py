"""File facts come from content: real files, lying names, broken and hostile input."""

from __future__ import annotations

import hashlib
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediation.inspection import Limits, inspect_bytes, inspect_file, inspect_paths, sniff, unsafe_member_name
from tests.kit import filemakers as fm


@pytest.mark.parametrize(
    "suffix,kind",
    [(".jpg", "jpeg"), (".png", "png"), (".gif", "gif"), (".webp", "webp"), (".tif", "tiff"), (".bmp", "bmp")],
)
def test_image_formats_and_sizes(tmp_path, suffix, kind):
    path = fm.image(tmp_path / f"pic{suffix}", size=(640, 480))
    f = inspect_file(path)
    assert (f.type, f.width, f.height) == (kind, 640, 480)
    assert f.category == "image" and f.aspect == "4:3" and f.readable
    assert f.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert f.problems == []


def test_image_mode_dpi_and_alpha(tmp_path):
    cmyk = inspect_file(fm.image(tmp_path / "c.jpg", mode="CMYK", dpi=300))
    assert (cmyk.mode, cmyk.dpi, cmyk.alpha) == ("CMYK", 300, False)
    rgba = inspect_file(fm.image(tmp_path / "t.png", mode="RGBA"))
    assert rgba.mode == "RGBA" and rgba.alpha is True


def test_exif_rotation_reports_displayed_size(tmp_path):
    f = inspect_file(fm.image(tmp_path / "r.jpg", size=(800, 600), exif_orientation=6))
    assert (f.width, f.height) == (600, 800)
    assert any("orientation" in p for p in f.problems)


def test_name_lies_about_type(tmp_path):
    png_as_jpg = inspect_file(fm.image(tmp_path / "photo.jpg", fmt="PNG"))
    assert png_as_jpg.type == "png" and png_as_jpg.mime == "image/png"
    assert "named .jpg but the content is PNG, not JPEG" in png_as_jpg.problems
    text_as_png = inspect_file(fm.text(tmp_path / "photo.png", "just some words here"))
    assert text_as_png.type == "txt" and text_as_png.words == 4
    assert any(p.startswith("named .png but the content is plain text") for p in text_as_png.problems)


def test_pdf_pages_and_words(tmp_path):
    f = inspect_file(fm.pdf(tmp_path / "r.pdf", ["one two three", "four five"]))
    assert (f.type, f.pages, f.words) == ("pdf", 2, 5)
    assert f.category == "document"


def test_docx_words(tmp_path):
    f = inspect_file(fm.docx_file(tmp_path / "a.docx", ["Hello brave new world", "Second line"]))
    assert (f.type, f.words) == ("docx", 6)
    assert f.mime.endswith("wordprocessingml.document")


def test_docx_renamed_to_zip_is_still_a_word_document(tmp_path):
    path = fm.docx_file(tmp_path / "a.zip", words=120)
    f = inspect_file(path)
    assert f.type == "docx" and f.words == 120
    assert any("named .zip" in p for p in f.problems)


def test_text_words(tmp_path):
    f = inspect_file(fm.text(tmp_path / "a.txt", "It's a well-known fact — really.\n\n42 words?"))
    assert f.type == "txt" and f.words == 7  # the lone dash is not a word


def test_csv_needs_columns(tmp_path):
    good = inspect_file(fm.text(tmp_path / "a.csv", "name,price\nsoap,8\nbar,9\n"))
    prose = inspect_file(fm.text(tmp_path / "b.csv", "this is not a table at all"))
    assert good.type == "csv" and good.category == "data"
    assert prose.type == "txt"


def test_audio_durations(tmp_path):
    w = inspect_file(fm.wav(tmp_path / "a.wav", seconds=2.5))
    m = inspect_file(fm.mp3(tmp_path / "a.mp3", seconds=3.0))
    assert w.type == "wav" and w.duration_s == pytest.approx(2.5, abs=0.01)
    assert m.type == "mp3" and m.duration_s == pytest.approx(3.0, abs=0.1)
    assert w.category == m.category == "audio"


def test_unreadable_video_says_so(tmp_path):
    path = tmp_path / "v.webm"
    path.write_bytes(b"\x1a\x45\xdf\xa3" + b"\x00" * 20 + b"webm" + b"\x00" * 100)
    f = inspect_file(path)
    assert f.type == "webm" and f.duration_s is None
    assert any("cannot be checked" in p for p in f.problems)


def test_truncated_jpeg_is_corrupt(tmp_path):
    good = fm.image(tmp_path / "g.jpg")
    f = inspect_file(fm.truncated(tmp_path / "t.jpg", good, 0.5))
    assert f.type == "jpeg" and not f.readable
    assert any(p.startswith("corrupt") for p in f.problems)


def test_garbage_behind_magic_bytes(tmp_path):
    for name, magic in [
        ("x.jpg", b"\xff\xd8\xff\xe0"),
        ("x.png", b"\x89PNG\r\n\x1a\n"),
        ("x.pdf", b"%PDF-1.4\n"),
        ("x.zip", b"PK\x03\x04"),
        ("x.mp3", b"ID3\x03\x00"),
    ]:
        f = inspect_file(fm.garbage(tmp_path / name, magic))
        assert not f.readable or f.problems, name
        assert f.sha256


def test_decompression_bomb_refused_quickly(tmp_path):
    f = inspect_file(fm.png_bomb(tmp_path / "bomb.png"))
    assert f.type == "png" and not f.readable
    assert any(p.startswith("refused") for p in f.problems)


def test_image_pixel_cap_is_configurable(tmp_path):
    path = fm.image(tmp_path / "p.png", size=(400, 300))
    f = inspect_file(path, Limits(max_image_pixels=100_000))
    assert (f.width, f.height) == (400, 300) and not f.readable
    assert any("over the" in p for p in f.problems)


def test_size_cap(tmp_path):
    f = inspect_file(fm.sparse(tmp_path / "huge.jpg", 60 * 1024 * 1024))
    assert f.type == "too_large" and f.sha256 is None and not f.readable
    assert "looks like JPEG" in f.problems[0]
    small = inspect_file(fm.image(tmp_path / "a.png"), Limits(max_file_bytes=100))
    assert small.type == "too_large"


def test_empty_missing_unknown_and_folders(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)) * 8)
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    sub = tmp_path / "sub"
    sub.mkdir()
    fm.image(sub / "a.jpg")
    facts = inspect_paths([tmp_path, tmp_path / "nope.jpg"])
    by_name = {f.name: f for f in facts}
    assert set(by_name) == {"empty.txt", "blob.bin", "a.jpg", "nope.jpg"}  # litter skipped
    assert by_name["empty.txt"].type == "empty"
    assert by_name["blob.bin"].type == "unknown"
    assert by_name["nope.jpg"].type == "missing"
    assert by_name["a.jpg"].readable


def test_executable_is_not_a_deliverable(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"MZ\x90\x00" + b"\x00" * 200)
    f = inspect_file(path)
    assert f.type == "exe" and not f.readable


def test_zip_members_are_inspected_in_memory(tmp_path):
    a = fm.image(tmp_path / "a.jpg")
    z = fm.zip_of(
        tmp_path / "d.zip",
        {
            "photos/a.jpg": a,
            "photos/b.png": fm.image(tmp_path / "b.png"),
            "__MACOSX/photos/._a.jpg": b"junk",
            "notes.txt": b"hello there",
        },
    )
    f = inspect_file(z)
    assert f.type == "zip"
    names = sorted(m.name for m in f.members)
    assert names == ["notes.txt", "photos/a.jpg", "photos/b.png"]
    assert [leaf.type for leaf in f.leaves()].count("jpeg") == 1
    assert any("skipped 1 system file" in p for p in f.problems)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jpg", "b.png", "d.zip"]  # nothing extracted


def test_zip_path_traversal_refused(tmp_path):
    z = fm.zip_of(
        tmp_path / "t.zip",
        {"../../evil.sh": b"rm -rf /", "/etc/passwd": b"x", "C:/boot.ini": b"x", "ok.txt": b"fine words"},
    )
    f = inspect_file(z)
    assert [m.name for m in f.members] == ["ok.txt"]
    assert any("path traversal" in p and "3 file name" in p for p in f.problems)
    assert not (tmp_path.parent / "evil.sh").exists()


@pytest.mark.parametrize("name", ["../x", "a/../../x", "/abs", "C:\\x", "..\\x"])
def test_unsafe_names(name):
    assert unsafe_member_name(name)


def test_safe_names():
    assert not unsafe_member_name("photos/a..b.jpg")
    assert not unsafe_member_name("a/b/c.jpg")


def test_zip_bomb_refused_by_ratio(tmp_path):
    f = inspect_file(fm.zip_bomb(tmp_path / "bomb.zip", unpacked_mb=20))
    assert f.members == [] and not f.readable
    assert any("zip bomb" in p for p in f.problems)


def test_zip_member_and_total_caps(tmp_path):
    z = fm.zip_of(tmp_path / "many.zip", {f"f{i}.txt": b"word " * 10 for i in range(12)})
    f = inspect_file(z, Limits(max_zip_members=10))
    assert f.members == [] and "12 files in the archive" in f.problems[0]
    f = inspect_file(z, Limits(max_zip_total_bytes=100))
    assert f.members == [] and "unpacks to" in f.problems[0]


def test_nested_zip_depth_limited(tmp_path):
    inner = fm.zip_of(tmp_path / "inner.zip", {"a.txt": b"hello"})
    middle = fm.zip_of(tmp_path / "middle.zip", {"inner.zip": inner})
    outer = fm.zip_of(tmp_path / "outer.zip", {"middle.zip": middle})
    f = inspect_file(outer)
    mid = f.members[0]
    assert mid.type == "zip" and mid.members[0].type == "zip"
    assert mid.members[0].members == [] and "not opened" in mid.members[0].problems[0]
    two = inspect_file(middle)
    assert two.leaves()[0].name == "a.txt"


def test_corrupt_zip_member_does_not_stop_the_rest(tmp_path):
    z = fm.zip_of(tmp_path / "m.zip", {"a.jpg": fm.image(tmp_path / "a.jpg"), "b.txt": b"word " * 30})
    data = bytearray(z.read_bytes())
    with zipfile.ZipFile(z) as zf:
        info = zf.getinfo("a.jpg")
    start = info.header_offset + 30 + len(info.filename) + 40
    data[start : start + 200] = b"\x00" * 200  # damage the compressed picture
    z.write_bytes(bytes(data))
    f = inspect_file(z)
    by = {m.name: m for m in f.members}
    assert by["b.txt"].words == 30
    assert not by["a.jpg"].readable


def test_sniff_table():
    assert sniff(b"\xff\xd8\xff\xe1") == "jpeg"
    assert sniff(b"RIFF\x00\x00\x00\x00WAVEfmt ") == "wav"
    assert sniff(b"\x00\x00\x00\x18ftypheic") == "heic"
    assert sniff(b"\x00\x00\x00\x18ftypisom") == "mp4"
    assert sniff(b"") == "empty"
    assert sniff(b"hello") == "unknown"


def test_inspect_bytes_matches_file(tmp_path):
    path = fm.image(tmp_path / "a.png")
    assert inspect_bytes("a.png", path.read_bytes()).short() == {k: v for k, v in inspect_file(path).short().items()}


def test_name_override_for_stored_files(tmp_path):
    stored = fm.image(tmp_path / "0f3a9c", fmt="JPEG")
    f = inspect_file(stored, name="soap.jpg")
    assert f.name == "soap.jpg" and f.type == "jpeg" and f.problems == []


def test_limits_from_mapping():
    lim = Limits.from_mapping({"max_zip_members": "20", "max_zip_ratio": 50, "other": 1})
    assert lim.max_zip_members == 20 and lim.max_zip_ratio == 50.0
    with pytest.raises(ValueError):
        Limits.from_mapping({"max_file_bytes": "lots"})


MAGICS = [
    b"",
    b"\xff\xd8\xff\xe0",
    b"\x89PNG\r\n\x1a\n",
    b"GIF89a",
    b"RIFF\x00\x00\x00\x00WEBP",
    b"RIFF\x00\x00\x00\x00WAVE",
    b"II*\x00",
    b"%PDF-1.7\n",
    b"PK\x03\x04",
    b"ID3\x04\x00",
    b"\x00\x00\x00\x18ftypisom",
    b"OggS",
    b"fLaC",
    b"{\\rtf1",
    b"\xef\xbb\xbf",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    magic=st.sampled_from(MAGICS),
    body=st.binary(max_size=2048),
    name=st.sampled_from(["a.jpg", "a.png", "a.pdf", "a.zip", "a.mp3", "a.docx", "a", "a.txt"]),
)
def test_any_bytes_give_facts_never_an_exception(magic, body, name):
    f = inspect_bytes(name, magic + body, Limits())
    assert f.sha256 and f.type and f.size == len(magic + body)
    assert all(isinstance(p, str) and p for p in f.problems)
    f.short()
