"""Keeping delivered files: copied into a content-addressed folder, so evidence cannot drift."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import shutil
from pathlib import Path

from mediation.cases import StoredFile
from mediation.errors import MediationError


class FileStore:
    def __init__(self, root: str | Path, max_bytes: int, max_name_chars: int = 200):
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.max_name_chars = max_name_chars

    def keep(self, path: str, name: str | None = None) -> StoredFile:
        src = Path(path).expanduser()
        shown = name or src.name
        if len(shown) > self.max_name_chars:
            raise MediationError(
                "too_long", f"A file name is {len(shown)} characters; keep names under {self.max_name_chars}."
            )
        try:
            found = src.is_file()
            size = src.stat().st_size if found else 0
        except (OSError, ValueError) as exc:
            raise MediationError("bad_file", f"Cannot read {shown}: {getattr(exc, 'strerror', None) or exc}") from None
        if not found:
            raise MediationError("bad_file", f"File not found: {shown}")
        if size > self.max_bytes:
            raise MediationError(
                "file_too_large", f"{shown} is {size / 1e6:.1f} MB; the limit is {self.max_bytes / 1e6:.1f} MB."
            )
        digest = hashlib.sha256()
        try:
            with src.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
        except OSError as exc:
            raise MediationError("bad_file", f"Cannot read {shown}: {exc.strerror or exc}") from None
        sha = digest.hexdigest()
        dest = self.root / sha[:2] / sha
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_suffix(".part")
            shutil.copyfile(src, tmp)
            os.replace(tmp, dest)
        mime = mimetypes.guess_type(shown)[0] or "application/octet-stream"
        return StoredFile(name=shown, size=size, mime=mime, sha256=sha, stored_path=str(dest))
