"""Real files for tests: images, PDFs, Word documents, text, audio, zips, and hostile ones.

Every maker writes to the path given and returns it, so tests read like the delivery they build.
"""

from __future__ import annotations

import io
import struct
import wave
import zipfile
import zlib
from pathlib import Path

from PIL import Image, ImageDraw


def image(
    path: Path,
    size=(1080, 1080),
    fmt: str | None = None,
    mode: str = "RGB",
    dpi: int | None = None,
    seed: int = 0,
    exif_orientation: int | None = None,
) -> Path:
    """A picture with some structure (not a flat colour), saved in `fmt` (default: from suffix)."""
    path = Path(path)
    w, h = size
    img = Image.new("RGB", size, (200 - seed % 50, 180, 160 + seed % 60))
    draw = ImageDraw.Draw(img)
    for i in range(8):
        x, y = (seed * 37 + i * 131) % max(w, 1), (seed * 53 + i * 97) % max(h, 1)
        draw.ellipse([x, y, x + w // 4, y + h // 4], fill=(40 * i % 255, 90, 200 - 20 * i))
    if mode != "RGB":
        img = img.convert(mode)
    fmt = fmt or {
        ".jpg": "JPEG",
        ".jpeg": "JPEG",
        ".png": "PNG",
        ".gif": "GIF",
        ".webp": "WEBP",
        ".tif": "TIFF",
        ".tiff": "TIFF",
        ".bmp": "BMP",
    }.get(path.suffix.lower(), "PNG")
    kwargs = {}
    if dpi:
        kwargs["dpi"] = (dpi, dpi)
    if exif_orientation:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        kwargs["exif"] = exif.tobytes()
    if fmt == "JPEG":
        kwargs["quality"] = 85
    img.save(path, fmt, **kwargs)
    return path


def photos(folder: Path, n: int, size=(1080, 1080), suffix=".jpg", prefix="photo") -> list[Path]:
    """n distinct pictures in a folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [image(folder / f"{prefix}{i + 1}{suffix}", size=size, seed=i) for i in range(n)]


def jpeg_bytes(n: int, size=(1080, 1080)) -> bytes:
    """A real JPEG in memory (an upload), different for each n up to 30."""
    out = io.BytesIO()
    Image.new("RGB", size, (100 + 5 * n, 150, 170)).save(out, "JPEG", quality=80)
    return out.getvalue()


def _pdf_bytes(pages: list[str]) -> bytes:
    """A minimal valid PDF with one line of text per page (Helvetica), built by hand."""
    objs: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    font_id = 3
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for text in pages:
        esc = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({esc}) Tj ET".encode("latin-1")
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content_id = len(objs)
        objs.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (content_id, font_id)
        )
        kids.append(len(objs))
    objs[1] = b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] /Count %d >>" % len(kids)
    return _pdf_from_objects(objs)


def pdf(path: Path, pages: list[str] | int = 1, words_per_page: int = 10) -> Path:
    """A text PDF; `pages` is a list of page texts or a page count filled with words."""
    if isinstance(pages, int):
        pages = [" ".join(f"word{i}" for i in range(words_per_page)) for _ in range(pages)]
    Path(path).write_bytes(_pdf_bytes(pages))
    return Path(path)


def docx_file(path: Path, paragraphs: list[str] | None = None, words: int | None = None) -> Path:
    """A Word document with the given paragraphs, or `words` words of filler."""
    import docx

    doc = docx.Document()
    if words is not None:
        paragraphs = [" ".join("lorem" for _ in range(min(100, words - i))) for i in range(0, words, 100)]
    for p in paragraphs or ["Hello world"]:
        doc.add_paragraph(p)
    doc.save(str(path))
    return Path(path)


def text(path: Path, content: str | None = None, words: int = 50) -> Path:
    Path(path).write_text(content if content is not None else " ".join(["word"] * words), encoding="utf-8")
    return Path(path)


def wav(path: Path, seconds: float = 1.0, rate: int = 8000) -> Path:
    """Silent mono 16-bit WAV of the given length (standard library writer)."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(seconds * rate))
    return Path(path)


def mp3(path: Path, seconds: float = 2.0) -> Path:
    """Constant-bitrate MPEG-1 Layer III frames (128 kbps, 44.1 kHz) of silence-like payload.

    No encoder is needed: the duration an audio reader reports comes from the frame headers.
    """
    header = bytes([0xFF, 0xFB, 0x90, 0x64])  # MPEG-1 L3, 128 kbps, 44100 Hz, no padding, mono
    frame_len = 144 * 128000 // 44100  # 417 bytes
    frames = int(seconds * 44100 / 1152) + 1
    Path(path).write_bytes((header + b"\x00" * (frame_len - 4)) * frames)
    return Path(path)


def zip_of(path: Path, members: dict[str, bytes | Path], compression=zipfile.ZIP_DEFLATED) -> Path:
    """A zip holding the given name -> bytes (or file) members, names kept as given."""
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = compression
            zf.writestr(info, Path(data).read_bytes() if isinstance(data, Path) else data)
    return Path(path)


def zip_bomb(path: Path, unpacked_mb: int = 20) -> Path:
    """One member of zeros that inflates about 1000 to 1."""
    return zip_of(path, {"big.txt": b"\x00" * (unpacked_mb * 1024 * 1024)})


def png_bomb(path: Path, width: int = 100_000, height: int = 100_000) -> Path:
    """A tiny PNG whose header claims a huge canvas (10 billion pixels by default)."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return Path(path)


def truncated(path: Path, source: Path, keep: float = 0.5) -> Path:
    """The first part of another file, as an interrupted upload leaves it."""
    data = Path(source).read_bytes()
    Path(path).write_bytes(data[: int(len(data) * keep)])
    return Path(path)


def garbage(path: Path, prefix: bytes = b"", size: int = 4096, seed: int = 1) -> Path:
    """Random bytes, optionally behind a real magic number, so sniffing passes but parsing fails."""
    import random

    rnd = random.Random(seed)
    Path(path).write_bytes(prefix + bytes(rnd.getrandbits(8) for _ in range(size)))
    return Path(path)


def sparse(path: Path, size: int) -> Path:
    """A file of `size` bytes that costs no disk (a hole), to test size caps."""
    with open(path, "wb") as fh:
        fh.write(b"\xff\xd8\xff\xe0")
        fh.truncate(size)
    return Path(path)


def mp4(path: Path, seconds: float = 5.0, size: tuple[int, int] | None = (1920, 1080), audio: bool = False) -> Path:
    """A minimal MP4 container (ftyp + moov) stating a duration and, if `size`, a video track.

    It holds no frames: readers take the duration from 'mvhd'/'mdhd' and the frame size from
    'tkhd', which is all an inspection reads.
    """

    def box(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", 8 + len(body)) + kind + body

    scale = 1000
    dur = int(seconds * scale)
    mvhd = box(
        b"mvhd",
        struct.pack(">B3xIIII", 0, 0, 0, scale, dur)
        + b"\x00\x01\x00\x00"
        + b"\x01\x00"
        + b"\x00" * 10
        + b"\x00" * 36
        + b"\x00" * 24
        + struct.pack(">I", 3),
    )

    def trak(handler: bytes, wh: tuple[int, int] | None, track_id: int) -> bytes:
        w, h = wh or (0, 0)
        tkhd = box(
            b"tkhd",
            struct.pack(">B3sIIII4xI", 0, b"\x00\x00\x07", 0, 0, track_id, 0, dur)
            + b"\x00" * 8
            + b"\x00" * 8
            + b"\x00" * 36
            + struct.pack(">II", w << 16, h << 16),
        )
        mdhd = box(b"mdhd", struct.pack(">B3xIIII", 0, 0, 0, scale, dur) + b"\x55\xc4\x00\x00")
        hdlr = box(b"hdlr", b"\x00" * 4 + b"\x00" * 4 + handler + b"\x00" * 12 + b"track\x00")
        return box(b"trak", tkhd + box(b"mdia", mdhd + hdlr))

    traks = b""
    if size:
        traks += trak(b"vide", size, 1)
    if audio:
        traks += trak(b"soun", None, 2)
    brand = b"isom" if size else b"M4A "
    ftyp = box(b"ftyp", brand + b"\x00\x00\x02\x00" + b"isomiso2mp41")
    Path(path).write_bytes(ftyp + box(b"moov", mvhd + traks) + box(b"mdat", b""))
    return Path(path)


def _pdf_from_objects(objs: list[bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def costly_pdf(path: Path, unpacked_mb: float = 2.0, pages: int = 1) -> Path:
    """A few KB of PDF whose text takes seconds to minutes of CPU to read: each page's content
    stream inflates to `unpacked_mb` of tiny text-showing operators, parsed one by one."""
    ops = b"BT /F1 12 Tf (a) Tj ET\n"
    stream = zlib.compress(ops * int(unpacked_mb * 1024 * 1024 / len(ops)), 9)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    kids = []
    for _ in range(pages):
        objs.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>"
        )
        kids.append(len(objs))
    objs[1] = b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] /Count %d >>" % len(kids)
    Path(path).write_bytes(_pdf_from_objects(objs))
    return Path(path)


def png_memory_bomb(path: Path, width: int = 8000, height: int = 8000) -> Path:
    """A real PNG of zeros: a few hundred KB on disk, width x height x 3 bytes once decoded (under
    the pixel cap, so only a memory limit stops it)."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    comp = zlib.compressobj(9)
    row = b"\x00" * (1 + 3 * width)
    idat = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return Path(path)
