"""What a delivered file really is, read from its bytes, never from its name.

A freelancer and a client argue about what was sent, so every fact here comes from the content:
the type is sniffed from magic bytes and confirmed by the library that parses it (Pillow for
images, pypdf for PDFs, python-docx for Word files, mutagen for audio and video, zipfile for
archives), and every file carries its SHA-256 so the evidence can be checked later.

Hostile or broken input never raises: each file gets `problems` (plain sentences for people)
and the rest of the delivery is still inspected. The guards:

- files larger than `Limits.max_file_bytes` are sniffed from their first bytes only and not
  hashed or parsed (the note says so);
- images larger than `Limits.max_image_pixels` are refused before decoding (checked from the
  header, so the guard holds even if another thread changes the warning filters), and Pillow's
  decompression-bomb warning is raised as an error; JPEGs are decoded at 1/8 scale, which
  still reads every byte (so truncation shows) with 1/64 of the pixel memory;
- zip archives are read in memory, never extracted: member count, total declared size and
  compression ratio are checked before anything is read, names that would escape a folder
  (`../`, absolute paths, drive letters) are refused, and nested archives are opened one
  level deep only.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import stat
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from PIL import Image, UnidentifiedImageError

from mediation.i18n import S_, Ln_, Said, Text

MB = 1024 * 1024
_HEAD = 4096
_MAX_PDF_TEXT_PAGES = 300
_MAX_ARCHIVE_DEPTH = 2
_MAX_TEXT_BYTES = 20 * MB

if Image.MAX_IMAGE_PIXELS is None:  # someone switched Pillow's bomb guard off; it stays on here
    Image.MAX_IMAGE_PIXELS = 1024 * 1024 * 1024 // 4 // 3


@dataclass(frozen=True)
class Limits:
    """Caps that keep one hostile upload from eating the machine."""

    max_file_bytes: int = 50 * MB
    max_zip_members: int = 500
    max_zip_total_bytes: int = 500 * MB
    max_zip_ratio: float = 100.0
    max_image_pixels: int = 80_000_000

    @classmethod
    def from_mapping(cls, data: dict | None) -> Limits:
        """Build from a config table, ignoring keys that are not limits."""
        if not data:
            return cls()
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        try:
            return cls(**{k: type(getattr(cls(), k))(v) for k, v in known.items()})
        except (TypeError, ValueError) as exc:
            raise ValueError(f"bad inspection limit: {exc}") from None


@dataclass
class FileFacts:
    """Facts about one delivered file, as read from its content."""

    name: str
    size: int
    sha256: str | None
    type: str
    mime: str | None = None
    width: int | None = None
    height: int | None = None
    mode: str | None = None
    alpha: bool | None = None
    dpi: int | None = None
    frames: int | None = None
    pages: int | None = None
    words: int | None = None
    duration_s: float | None = None
    language: str | None = None  # ISO 639-1 of the text, when there is enough of it to tell
    members: list[FileFacts] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    path: str | None = None

    @property
    def category(self) -> str:
        """What kind of deliverable this file can count as: image, document, audio, ..."""
        return CATEGORY.get(self.type, "other")

    @property
    def readable(self) -> bool:
        """False when the file could not be parsed as what it claims to be."""
        return self.type not in {"unknown", "empty", "missing", "too_large"} and not any(
            p.startswith(_UNREADABLE) for p in self.problems
        )

    @property
    def unchecked(self) -> bool:
        """True when reading the file went over a CPU, time or memory limit: nothing is known."""
        return any(p.startswith("could not be checked") for p in self.problems)

    @property
    def aspect(self) -> str | None:
        """Reduced width:height such as '1:1' or '16:9'."""
        if not self.width or not self.height:
            return None
        from math import gcd

        g = gcd(self.width, self.height)
        return f"{self.width // g}:{self.height // g}"

    def leaves(self) -> list[FileFacts]:
        """This file, or for an archive the files inside it (recursively)."""
        if self.type == "zip" and self.members:
            out: list[FileFacts] = []
            for m in self.members:
                out.extend(m.leaves())
            return out
        return [self]

    def short(self) -> dict:
        """The facts worth showing in a reply or a case file, without empty fields."""
        data = {
            "name": self.name,
            "type": self.type,
            "size": self.size,
            "sha256": self.sha256,
            "width": self.width,
            "height": self.height,
            "mode": self.mode,
            "dpi": self.dpi,
            "pages": self.pages,
            "words": self.words,
            "duration_s": self.duration_s,
            "language": self.language,
            "alpha": self.alpha or None,
        }
        data = {k: v for k, v in data.items() if v is not None}
        if self.problems:
            data["problems"] = list(self.problems)
        if self.members:
            data["members"] = [m.short() for m in self.members]
        return data


def problem_text(problem: str) -> Text:
    """A file's problem for a reader: problems are English text (`Said`) that words itself."""
    return problem


# Problems that mean "the content could not be read"; a file with one of these proves nothing.
_UNREADABLE = (
    "could not be checked",  # too costly to read (see mediation.sandbox)
    "cannot read",
    "corrupt",
    "refused",
    "too large",
    "unsupported",
    "empty file",
    "not found",
    "cannot open",
)

CATEGORY = {
    **{t: "image" for t in ("jpeg", "png", "gif", "webp", "tiff", "bmp", "heic", "avif", "svg", "ico", "psd", "eps")},
    **{t: "document" for t in ("pdf", "docx", "odt", "rtf", "txt", "html", "doc", "epub")},
    **{t: "data" for t in ("csv", "xlsx", "ods", "json")},
    **{t: "presentation" for t in ("pptx", "odp")},
    **{t: "audio" for t in ("mp3", "wav", "flac", "ogg", "opus", "m4a", "aac", "aiff")},
    **{t: "video" for t in ("mp4", "mov", "webm", "mkv", "avi")},
    **{t: "archive" for t in ("zip", "rar", "7z", "gz", "tar")},
}

MIME = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "tiff": "image/tiff",
    "bmp": "image/bmp",
    "heic": "image/heic",
    "avif": "image/avif",
    "svg": "image/svg+xml",
    "eps": "application/postscript",
    "ico": "image/vnd.microsoft.icon",
    "psd": "image/vnd.adobe.photoshop",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "doc": "application/x-ole-storage",
    "epub": "application/epub+zip",
    "rtf": "application/rtf",
    "txt": "text/plain",
    "csv": "text/csv",
    "json": "application/json",
    "html": "text/html",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "opus": "audio/opus",
    "m4a": "audio/mp4",
    "aac": "audio/aac",
    "aiff": "audio/aiff",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
    "mkv": "video/x-matroska",
    "avi": "video/x-msvideo",
    "zip": "application/zip",
    "rar": "application/vnd.rar",
    "7z": "application/x-7z-compressed",
    "gz": "application/gzip",
    "tar": "application/x-tar",
    "exe": "application/vnd.microsoft.portable-executable",
    "elf": "application/x-executable",
}

# What a file name ending promises, to say so when the content disagrees.
_SUFFIX_TYPE = {
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "jpe": "jpeg",
    "jfif": "jpeg",
    "png": "png",
    "gif": "gif",
    "webp": "webp",
    "tif": "tiff",
    "tiff": "tiff",
    "bmp": "bmp",
    "heic": "heic",
    "heif": "heic",
    "avif": "avif",
    "svg": "svg",
    "eps": "eps",
    "ai": "pdf",
    "ico": "ico",
    "psd": "psd",
    "pdf": "pdf",
    "docx": "docx",
    "xlsx": "xlsx",
    "pptx": "pptx",
    "odt": "odt",
    "ods": "ods",
    "odp": "odp",
    "epub": "epub",
    "doc": "doc",
    "xls": "doc",
    "ppt": "doc",
    "rtf": "rtf",
    "txt": "txt",
    "md": "txt",
    "text": "txt",
    "csv": "csv",
    "tsv": "csv",
    "json": "json",
    "html": "html",
    "htm": "html",
    "mp3": "mp3",
    "wav": "wav",
    "flac": "flac",
    "ogg": "ogg",
    "oga": "ogg",
    "opus": "opus",
    "m4a": "m4a",
    "aac": "aac",
    "aif": "aiff",
    "aiff": "aiff",
    "mp4": "mp4",
    "m4v": "mp4",
    "mov": "mov",
    "webm": "webm",
    "mkv": "mkv",
    "avi": "avi",
    "zip": "zip",
    "rar": "rar",
    "7z": "7z",
    "gz": "gz",
    "tgz": "gz",
    "tar": "tar",
}
# Pairs that are the same thing under two names, so no "lying name" note is due.
_SAME = {
    ("m4a", "mp4"),
    ("mp4", "m4a"),
    ("mov", "mp4"),
    ("mp4", "mov"),
    ("webm", "mkv"),
    ("mkv", "webm"),
    ("ogg", "opus"),
    ("opus", "ogg"),
    ("txt", "csv"),
    ("txt", "json"),
    ("txt", "html"),
}

LABEL = {
    "jpeg": "JPEG",
    "png": "PNG",
    "gif": "GIF",
    "webp": "WebP",
    "tiff": "TIFF",
    "bmp": "BMP",
    "heic": "HEIC",
    "avif": "AVIF",
    "svg": "SVG",
    "pdf": "PDF",
    "docx": "Word (.docx)",
    "txt": S_("plain text"),  # English that words itself where it is shown
    "csv": "CSV",
    "mp3": "MP3",
    "wav": "WAV",
    "mp4": "MP4",
    "zip": "zip",
}

# Operating-system litter that is never part of a delivery.
_JUNK = {".ds_store", "thumbs.db", "desktop.ini", "icon\r"}

_PIL_TYPE = {
    "JPEG": "jpeg",
    "MPO": "jpeg",
    "PNG": "png",
    "GIF": "gif",
    "WEBP": "webp",
    "TIFF": "tiff",
    "BMP": "bmp",
    "DIB": "bmp",
    "ICO": "ico",
    "PSD": "psd",
    "AVIF": "avif",
    "HEIF": "heic",
}


def label(type_: str) -> str:
    """How a type is named to people: 'jpeg' -> 'JPEG'."""
    return LABEL.get(type_, type_.upper() if len(type_) <= 4 else type_)


def sniff(head: bytes) -> str:
    """The file type from its first bytes; 'unknown' when nothing matches.

    Zip-based formats (docx, xlsx, ...) come back as 'zip' and are refined from the member
    names; text is recognised separately because it has no magic number.
    """
    h = head
    if not h:
        return "empty"
    if h.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if h.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if h[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if h[:4] == b"RIFF" and len(h) >= 12:
        return {b"WEBP": "webp", b"WAVE": "wav", b"AVI ": "avi"}.get(h[8:12], "unknown")
    if h[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if h[:2] == b"BM" and len(h) >= 14 and h[6:10] == b"\x00\x00\x00\x00":
        return "bmp"
    if h[:4] == b"\x00\x00\x01\x00" and len(h) > 6 and h[4] > 0:
        return "ico"
    if h[:4] == b"8BPS":
        return "psd"
    if b"%PDF-" in h[:1024]:
        return "pdf"
    if h[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if h[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "doc"
    if h[:4] == b"%!PS" or h[:4] == b"\xc5\xd0\xd3\xc6":
        return "eps"
    if h[:5] == b"{\\rtf":
        return "rtf"
    if h[:4] == b"fLaC":
        return "flac"
    if h[:4] == b"OggS":
        return "opus" if b"OpusHead" in h[:128] else "ogg"
    if h[:4] == b"FORM" and h[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if h[4:8] == b"ftyp":
        brand = h[8:12]
        if brand in (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1"):
            return "heic"
        if brand in (b"avif", b"avis"):
            return "avif"
        if brand in (b"M4A ", b"M4B ", b"M4P "):
            return "m4a"
        if brand == b"qt  ":
            return "mov"
        return "mp4"
    if h[:4] == b"\x1a\x45\xdf\xa3":
        return "webm" if b"webm" in h[:64] else "mkv"
    if h[:3] == b"ID3":
        return "mp3"
    if len(h) >= 2 and h[0] == 0xFF and (h[1] & 0xF6) == 0xF0:
        return "aac"
    if (
        len(h) >= 4
        and h[0] == 0xFF
        and (h[1] & 0xE0) == 0xE0
        and (h[1] & 0x06) != 0
        and (h[2] & 0xF0) != 0xF0
        and (h[2] & 0x0C) != 0x0C
    ):
        return "mp3"
    if h[:6] == b"Rar!\x1a\x07":
        return "rar"
    if h[:6] == b"7z\xbc\xaf\x27\x1c":
        return "7z"
    if h[:2] == b"\x1f\x8b":
        return "gz"
    if len(h) > 262 and h[257:262] == b"ustar":
        return "tar"
    if h[:2] == b"MZ":
        return "exe"
    if h[:4] == b"\x7fELF":
        return "elf"
    return "unknown"


def inspect_file(path: str | os.PathLike, limits: Limits | None = None, *, name: str | None = None) -> FileFacts:
    """Facts about one file on disk; never raises for bad content.

    `name` is the name the sender gave, for files kept under their hash.
    """
    limits = limits or Limits()
    p = Path(path)
    name = name or p.name
    try:
        st = p.stat()
    except OSError:
        return FileFacts(
            name=name,
            size=0,
            sha256=None,
            type="missing",
            path=str(p),
            problems=[S_("not found: the file does not exist or cannot be opened")],
        )
    if not stat.S_ISREG(st.st_mode):
        return FileFacts(
            name=name,
            size=0,
            sha256=None,
            type="unknown",
            path=str(p),
            problems=[S_("unsupported: not a regular file")],
        )
    try:
        with p.open("rb") as fh:
            if st.st_size > limits.max_file_bytes:
                head = fh.read(_HEAD)
                kind = sniff(head)
                return FileFacts(
                    name=name,
                    size=st.st_size,
                    sha256=None,
                    type="too_large",
                    mime=MIME.get(kind),
                    path=str(p),
                    problems=[
                        S_(
                            "too large to check: {size} is over the {cap} cap (looks like {kind}); not hashed or opened",
                            size=_mb(st.st_size),
                            cap=_mb(limits.max_file_bytes),
                            kind=label(kind),
                        )
                    ],
                )
            data = fh.read(st.st_size + 1)  # not max_file_bytes: that would reserve 50 MB
    except OSError as exc:
        return FileFacts(
            name=name,
            size=st.st_size,
            sha256=None,
            type="unknown",
            path=str(p),
            problems=[S_("cannot open the file: {reason}", reason=str(exc.strerror or exc))],
        )
    facts = inspect_bytes(name, data, limits)
    facts.path = str(p)
    return facts


def inspect_bytes(name: str, data: bytes, limits: Limits | None = None, *, _depth: int = 0) -> FileFacts:
    """Facts about one file held in memory (an upload or an archive member)."""
    limits = limits or Limits()
    facts = FileFacts(name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest(), type="unknown")
    if len(data) > limits.max_file_bytes:
        facts.type = "too_large"
        facts.problems.append(
            S_("too large to check: {size} is over the {cap} cap", size=_mb(len(data)), cap=_mb(limits.max_file_bytes))
        )
        return facts
    if not data:
        facts.type = "empty"
        facts.problems.append(S_("empty file: 0 bytes"))
        return facts
    kind = sniff(data[:_HEAD])
    if kind == "unknown":
        kind = _sniff_text(data[:_HEAD], name)
    facts.type = kind
    try:
        _READERS.get(kind, _read_other)(facts, data, limits, _depth)
    except MemoryError:  # over the worker's memory limit: the caller says so (see mediation.sandbox)
        raise
    except Exception as exc:  # a parser choking on hostile bytes must not stop the delivery
        facts.problems.append(S_("cannot read this {kind} file: {reason}", kind=label(facts.type), reason=_reason(exc)))
    facts.mime = MIME.get(facts.type)
    _note_name_mismatch(facts)
    return facts


def inspect_paths(paths: Iterable[str | os.PathLike], limits: Limits | None = None) -> list[FileFacts]:
    """Facts for every file given, walking folders in name order (system litter skipped)."""
    limits = limits or Limits()
    return [inspect_file(p, limits) for p in expand_paths(paths)]


def expand_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Files named directly, plus the files inside named folders; symlinked folders not followed."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for root, dirs, files in os.walk(p, followlinks=False):
                dirs[:] = sorted(d for d in dirs if d != "__MACOSX")
                out.extend(Path(root) / f for f in sorted(files) if f.lower() not in _JUNK)
        else:
            out.append(p)
    return out


# ---------------------------------------------------------------- readers, one per kind


def _read_image(facts: FileFacts, data: bytes, limits: Limits, depth: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Corrupt EXIF data" and the like
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            facts.problems.append(
                S_(
                    "refused: the image claims more pixels than can be decoded safely (decompression bomb?): {reason}",
                    reason=_reason(exc),
                )
            )
            return
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            if not isinstance(exc, UnidentifiedImageError):
                facts.problems.append(
                    S_("corrupt: not a readable {kind} image ({reason})", kind=label(facts.type), reason=_reason(exc))
                )
                return
            if facts.type in ("heic", "avif"):
                facts.problems.append(
                    S_(
                        "{kind} image: no decoder installed, so pixel size and content cannot be checked",
                        kind=label(facts.type),
                    )
                )
            else:
                facts.problems.append(S_("corrupt: not a readable {kind} image", kind=label(facts.type)))
            return
        with img:
            facts.type = _PIL_TYPE.get(img.format or "", facts.type)
            w, h = img.size
            facts.mode = img.mode
            facts.alpha = "A" in img.mode or "transparency" in img.info
            facts.frames = getattr(img, "n_frames", 1)
            dpi = img.info.get("dpi")
            if dpi and dpi[0]:
                facts.dpi = round(float(dpi[0]))
            if w * h > limits.max_image_pixels:
                facts.width, facts.height = w, h
                facts.problems.append(
                    S_(
                        "refused: {size} is {pixels} million pixels, over the {cap} million cap; not decoded",
                        size=f"{w}x{h}",
                        pixels=f"{w * h / 1e6:.0f}",
                        cap=f"{limits.max_image_pixels / 1e6:.0f}",
                    )
                )
                return
            if img.format == "JPEG":
                img.draft(img.mode, (max(1, w // 8), max(1, h // 8)))  # full scan, 1/8 the work
            try:
                img.load()
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                facts.width, facts.height = w, h
                facts.problems.append(
                    S_("corrupt: the image data is damaged or cut short ({reason})", reason=_reason(exc))
                )
                return
            orientation = _exif_orientation(img)
        if orientation in (5, 6, 7, 8):
            w, h = h, w
            facts.problems.append(
                S_(
                    "stored sideways and shown rotated (EXIF orientation {orientation}): size given as displayed, {size}",
                    orientation=orientation,
                    size=f"{w}x{h}",
                )
            )
        facts.width, facts.height = w, h


def _exif_orientation(img: Image.Image) -> int | None:
    try:
        return img.getexif().get(0x0112)
    except Exception:
        return None


def _read_pdf(facts: FileFacts, data: bytes, limits: Limits, depth: int) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = bool(reader.decrypt(""))
            except Exception:
                ok = False
            if not ok:
                facts.problems.append(S_("password-protected PDF: pages and text cannot be read"))
                return
        pages = reader.pages
        facts.pages = len(pages)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        facts.problems.append(S_("corrupt: not a readable PDF ({reason})", reason=_reason(exc)))
        return
    words, unread = 0, 0
    for i, page in enumerate(pages):
        if i >= _MAX_PDF_TEXT_PAGES:
            facts.problems.append(S_("words counted on the first {pages} pages only", pages=_MAX_PDF_TEXT_PAGES))
            break
        try:
            words += count_words(page.extract_text() or "")
        except MemoryError:
            raise
        except Exception:
            unread += 1
    if unread:
        facts.problems.append(
            Said(Ln_("text of {n} page could not be read", "text of {n} pages could not be read", unread))
        )
    facts.words = words
    if facts.pages and not words:
        facts.problems.append(S_("no text layer (scanned or image-only PDF): words cannot be counted"))


def _read_zip_family(facts: FileFacts, data: bytes, limits: Limits, depth: int) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        facts.problems.append(S_("corrupt: not a readable zip archive ({reason})", reason=_reason(exc)))
        return
    with zf:
        names = set(zf.namelist())
        office = _office_type(zf, names)
        if office:
            facts.type = office
            problem = _zip_guard(zf, limits)
            if problem:
                facts.problems.append(S_("refused: {problem}", problem=problem))
                return
            if office == "docx":
                _read_docx(facts, data, zf)
            elif office == "pptx":
                facts.pages = sum(1 for n in names if re.fullmatch(r"ppt/slides/slide\d+\.xml", n))
            return
        _read_archive(facts, zf, limits, depth)


def _office_type(zf: zipfile.ZipFile, names: set[str]) -> str | None:
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    if "mimetype" in names:
        try:
            mt = zf.read("mimetype")[:100].decode("ascii", "replace").strip()
        except Exception:
            return None
        return {
            "application/vnd.oasis.opendocument.text": "odt",
            "application/vnd.oasis.opendocument.spreadsheet": "ods",
            "application/vnd.oasis.opendocument.presentation": "odp",
            "application/epub+zip": "epub",
        }.get(mt)
    return None


def _read_docx(facts: FileFacts, data: bytes, zf: zipfile.ZipFile) -> None:
    import docx
    from docx.oxml.ns import qn

    try:
        document = docx.Document(io.BytesIO(data))
    except MemoryError:
        raise
    except Exception as exc:
        facts.problems.append(S_("corrupt: not a readable Word document ({reason})", reason=_reason(exc)))
        return
    t_tag, p_tag = qn("w:t"), qn("w:p")
    words = 0
    sample: list[str] = []
    for para in document.element.body.iter(p_tag):  # paragraphs, tables and text boxes alike
        line = "".join(t.text or "" for t in para.iter(t_tag))
        words += count_words(line)
        if sum(map(len, sample)) < _LANGUAGE_SAMPLE:
            sample.append(line)
    facts.words = words
    facts.language = _language(" ".join(sample))
    facts.pages = _docx_pages(zf)


def _docx_pages(zf: zipfile.ZipFile) -> int | None:
    """Page count as last saved by the editor (docProps/app.xml); Word files have no pages."""
    try:
        info = zf.getinfo("docProps/app.xml")
        if info.file_size > MB:
            return None
        root = ElementTree.fromstring(zf.read(info))
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, OSError):
        return None
    for el in root:
        if el.tag.endswith("}Pages") and (el.text or "").strip().isdecimal():
            return int((el.text or "").strip())
    return None


def _zip_guard(zf: zipfile.ZipFile, limits: Limits) -> Said | None:
    """Why an archive must not be opened, or None; uses declared sizes only, reads nothing."""
    infos = zf.infolist()
    if len(infos) > limits.max_zip_members:
        return S_("{count} files in the archive, over the {cap} cap", count=len(infos), cap=limits.max_zip_members)
    total = sum(i.file_size for i in infos)
    if total > limits.max_zip_total_bytes:
        return S_(
            "unpacks to {size}, over the {cap} cap (zip bomb?)", size=_mb(total), cap=_mb(limits.max_zip_total_bytes)
        )
    packed = sum(i.compress_size for i in infos)
    for i in infos:
        if i.file_size > 1024 * 1024 and i.file_size > limits.max_zip_ratio * max(i.compress_size, 1):
            return S_(
                "'{name}' is compressed {ratio} to 1, over the {cap} to 1 cap (zip bomb?)",
                name=i.filename,
                ratio=f"{i.file_size / max(i.compress_size, 1):.0f}",
                cap=f"{limits.max_zip_ratio:.0f}",
            )
    if total > MB and total > limits.max_zip_ratio * max(packed, 1):
        return S_("compressed {ratio} to 1 overall (zip bomb?)", ratio=f"{total / max(packed, 1):.0f}")
    return None


def unsafe_member_name(name: str) -> bool:
    """True for names that would land outside the folder they are unpacked into."""
    n = name.replace("\\", "/")
    if n.startswith("/") or re.match(r"^[A-Za-z]:", n) or "\x00" in n:
        return True
    return ".." in PurePosixPath(n).parts


def _read_archive(facts: FileFacts, zf: zipfile.ZipFile, limits: Limits, depth: int) -> None:
    problem = _zip_guard(zf, limits)
    if problem:
        facts.problems.append(S_("refused: {problem}", problem=problem))
        return
    if depth >= _MAX_ARCHIVE_DEPTH:
        facts.problems.append(S_("archive inside an archive inside an archive: not opened"))
        return
    skipped, unsafe = 0, []
    for info in zf.infolist():
        if info.is_dir():
            continue
        base = PurePosixPath(info.filename.replace("\\", "/")).name
        if info.filename.startswith("__MACOSX/") or base.lower() in _JUNK:
            skipped += 1
            continue
        if unsafe_member_name(info.filename):
            unsafe.append(info.filename)
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            facts.problems.append(S_("'{name}' is a symbolic link: not followed", name=info.filename))
            continue
        if info.flag_bits & 0x1:
            member = FileFacts(
                name=info.filename,
                size=info.file_size,
                sha256=None,
                type="unknown",
                problems=[S_("cannot read: the file is password-protected")],
            )
            facts.members.append(member)
            continue
        if info.file_size > limits.max_file_bytes:
            facts.members.append(
                FileFacts(
                    name=info.filename,
                    size=info.file_size,
                    sha256=None,
                    type="too_large",
                    problems=[
                        S_(
                            "too large to check: {size} is over the {cap} cap",
                            size=_mb(info.file_size),
                            cap=_mb(limits.max_file_bytes),
                        )
                    ],
                )
            )
            continue
        try:
            with zf.open(info) as fh:
                blob = fh.read(info.file_size + 1)  # zipfile stops at the declared size
        except MemoryError:
            raise
        except Exception as exc:  # bad CRC, broken deflate stream, unknown method, ...
            facts.members.append(
                FileFacts(
                    name=info.filename,
                    size=info.file_size,
                    sha256=None,
                    type="unknown",
                    problems=[S_("cannot read from the archive: {reason}", reason=_reason(exc))],
                )
            )
            continue
        facts.members.append(inspect_bytes(info.filename, blob, limits, _depth=depth + 1))
    if unsafe:
        shown = ", ".join(f"'{n}'" for n in unsafe[:3]) + (" ..." if len(unsafe) > 3 else "")
        facts.problems.append(
            Said(
                Ln_(
                    "refused {n} file name that points outside the archive (path traversal): {names}",
                    "refused {n} file names that point outside the archive (path traversal): {names}",
                    len(unsafe),
                    names=shown,
                )
            )
        )
    if skipped:
        facts.problems.append(
            Said(
                Ln_(
                    "skipped {n} system file (__MACOSX, .DS_Store, ...)",
                    "skipped {n} system files (__MACOSX, .DS_Store, ...)",
                    skipped,
                )
            )
        )
    if not facts.members and not unsafe:
        facts.problems.append(S_("the archive holds no files"))


def _read_audio_video(facts: FileFacts, data: bytes, limits: Limits, depth: int) -> None:
    import mutagen

    try:
        media = mutagen.File(io.BytesIO(data))
    except MemoryError:
        raise
    except Exception as exc:
        facts.problems.append(
            S_("corrupt: not a readable {kind} file ({reason})", kind=label(facts.type), reason=_reason(exc))
        )
        return
    if media is None or getattr(media, "info", None) is None:
        facts.problems.append(
            S_(
                "duration cannot be checked: {kind} is not a format the audio reader understands",
                kind=label(facts.type),
            )
        )
        return
    length = getattr(media.info, "length", None)
    if length is None or length <= 0:
        facts.problems.append(S_("duration cannot be checked: the file does not state it"))
        return
    facts.duration_s = round(float(length), 3)
    if facts.type in ("mp4", "mov", "m4a"):
        size = _mp4_video_size(data)
        if size:
            facts.width, facts.height = size
            if facts.type == "m4a":
                facts.type = "mp4"
        elif facts.type in ("mp4", "mov") and _mp4_tracks(data) and "vide" not in _mp4_tracks(data):
            facts.type = "m4a"  # audio only: an .m4a whatever its name


def _boxes(data: bytes, start: int, end: int):
    """(type, payload start, payload end) of the ISO-BMFF boxes between start and end."""
    pos = start
    while pos + 8 <= end:
        size = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        head = 8
        if size == 1 and pos + 16 <= end:
            size, head = int.from_bytes(data[pos + 8 : pos + 16], "big"), 16
        elif size == 0:
            size = end - pos
        if size < head or pos + size > end:
            return
        yield kind, pos + head, pos + size
        pos += size


def _mp4_tracks(data: bytes) -> dict[str, tuple[int, int] | None]:
    """Handler type ('vide', 'soun', ...) of each track -> its display size from 'tkhd'."""
    tracks: dict[str, tuple[int, int] | None] = {}
    for kind, a, b in _boxes(data, 0, len(data)):
        if kind != b"moov":
            continue
        for tkind, ta, tb in _boxes(data, a, b):
            if tkind != b"trak":
                continue
            size, handler = None, None
            for bkind, ba, bb in _boxes(data, ta, tb):
                if bkind == b"tkhd" and bb - ba >= 84:
                    off = ba + (92 if data[ba] == 1 else 80)
                    if off + 8 <= bb:
                        w = int.from_bytes(data[off : off + 4], "big") >> 16
                        h = int.from_bytes(data[off + 4 : off + 8], "big") >> 16
                        size = (w, h) if w and h else None
                elif bkind == b"mdia":
                    for mkind, ma, mb in _boxes(data, ba, bb):
                        if mkind == b"hdlr" and mb - ma >= 12:
                            handler = data[ma + 8 : ma + 12].decode("latin-1")
            if handler:
                tracks.setdefault(handler, size)
    return tracks


def _mp4_video_size(data: bytes) -> tuple[int, int] | None:
    return _mp4_tracks(data).get("vide")


def _read_media_unsupported(facts: FileFacts, data: bytes, limits: Limits, depth: int) -> None:
    facts.problems.append(
        S_("duration cannot be checked: no reader for {kind} files is installed", kind=label(facts.type))
    )


_LANGUAGE_SAMPLE = 3000


def _language(text: str) -> str | None:
    from nlp.language import detect_language

    try:
        return detect_language(text)
    except Exception:  # the language is a nicety; the file is still read
        return None


def _read_text(facts: FileFacts, data: bytes, limits: Limits, depth: int) -> None:
    text = _decode(data[:_MAX_TEXT_BYTES])
    if text is None:
        facts.type = "unknown"
        facts.problems.append(S_("unsupported: binary content of an unknown type"))
        return
    if facts.type == "html":
        text = re.sub(r"(?is)<(script|style)\b.*?</\1>|<[^>]+>", " ", text)
    facts.words = count_words(text)
    facts.language = _language(text[:_LANGUAGE_SAMPLE])
    if len(data) > _MAX_TEXT_BYTES:
        facts.problems.append(S_("words counted on the first {size} only", size=_mb(_MAX_TEXT_BYTES)))


def _read_svg(facts: FileFacts, data: bytes, limits: Limits, depth: int) -> None:
    text = _decode(data[:_HEAD]) or ""
    m = re.search(r"<svg\b[^>]*>", text, re.I | re.S)
    if m:
        w = re.search(r'\bwidth\s*=\s*["\']\s*([\d.]+)\s*(px)?\s*["\']', m.group(0))
        h = re.search(r'\bheight\s*=\s*["\']\s*([\d.]+)\s*(px)?\s*["\']', m.group(0))
        if w and h:
            facts.width, facts.height = int(float(w.group(1))), int(float(h.group(1)))
    facts.problems.append(S_("vector image (SVG): it has no fixed pixel size"))


def _read_other(facts: FileFacts, data: bytes, limits: Limits, depth: int) -> None:
    if facts.type in ("exe", "elf"):
        facts.problems.append(S_("unsupported: an executable program, not a deliverable"))
    elif facts.type in ("rar", "7z", "gz", "tar"):
        facts.problems.append(S_("unsupported: {kind} archives are not opened; send a zip", kind=facts.type))
    elif facts.type == "eps":
        facts.problems.append(S_("PostScript/EPS vector file: recognised, size not checked"))
    elif facts.type in ("doc", "rtf"):
        facts.problems.append(
            S_("{kind} file: recognised, but words and pages cannot be counted", kind=label(facts.type))
        )
    elif facts.type in ("xlsx", "ods", "pptx", "odp", "odt", "epub"):
        pass
    else:
        facts.type = "unknown"
        facts.problems.append(S_("unsupported: the content is not a file type that can be checked"))


_READERS = {
    **{t: _read_image for t in ("jpeg", "png", "gif", "webp", "tiff", "bmp", "ico", "psd", "heic", "avif")},
    "pdf": _read_pdf,
    "zip": _read_zip_family,
    **{t: _read_audio_video for t in ("mp3", "wav", "flac", "ogg", "opus", "m4a", "aac", "aiff", "mp4", "mov")},
    **{t: _read_media_unsupported for t in ("webm", "mkv", "avi")},
    **{t: _read_text for t in ("txt", "csv", "json", "html")},
    "svg": _read_svg,
}


# ---------------------------------------------------------------- counting and naming


def count_words(text: str) -> int:
    """Whitespace-separated tokens holding at least one letter or digit, as word processors count."""
    return sum(1 for tok in text.split() if any(c.isalnum() for c in tok))


def _decode(data: bytes) -> str | None:
    """Text if these bytes are text (UTF-8/16 or Windows-1252), else None."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in data[:_HEAD]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 4:  # a character cut by a read cap
            return data[: exc.start].decode("utf-8-sig", "ignore")
    text = data.decode("cp1252", "replace")
    controls = sum(1 for c in text[:_HEAD] if ord(c) < 32 and c not in "\r\n\t\f")
    return None if controls > len(text[:_HEAD]) * 0.05 else text


def _sniff_text(head: bytes, name: str) -> str:
    text = _decode(head)
    if text is None:
        return "unknown"
    start = text.lstrip()[:512].lower()
    if start.startswith(("<svg", "<?xml")) and "<svg" in start:
        return "svg"
    if start.startswith(("<!doctype html", "<html")):
        return "html"
    suffix = _suffix(name)
    if suffix in ("csv", "tsv") and _looks_tabular(text):
        return "csv"
    if suffix == "json" and start[:1] in ("{", "["):
        return "json"
    return "txt"


def _looks_tabular(text: str) -> bool:
    lines = [ln for ln in text.splitlines() if ln.strip()][:20]
    if len(lines) < 2:
        return len(lines) == 1 and any(d in lines[0] for d in ",;\t")
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|")
    except csv.Error:
        return False
    widths = {len(row) for row in csv.reader(lines, dialect)}
    return len(widths) == 1 and widths.pop() > 1


def _suffix(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).suffix.lower().lstrip(".")


def _note_name_mismatch(facts: FileFacts) -> None:
    suffix = _suffix(facts.name)
    claimed, real = _SUFFIX_TYPE.get(suffix), facts.type
    if not claimed or real in ("empty", "too_large") or claimed == real or (claimed, real) in _SAME:
        return
    if real == "unknown":
        facts.problems.append(S_("named .{suffix} but the content is not {kind}", suffix=suffix, kind=label(claimed)))
    else:
        facts.problems.append(
            S_(
                "named .{suffix} but the content is {real}, not {kind}",
                suffix=suffix,
                real=label(real),
                kind=label(claimed),
            )
        )


def _mb(n: int | float) -> str:
    if n >= MB:
        return f"{n / MB:.1f} MB".replace(".0 MB", " MB")
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
