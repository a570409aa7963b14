"""Keeping delivered files: copied into a content-addressed folder, so evidence cannot drift.

A file is copied first and the copy is hashed, so the SHA-256 recorded is always the hash of the
bytes kept, even if the sender's file changes while it is being delivered. Copies are staged while
the command runs and kept (moved under their hash) only when it is about to commit: a refused
command (a wrong case state, a bad argument, a second file missing) leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mediation.cases import StoredFile
from mediation.errors import MediationError
from mediation.i18n import L_

_BLOCK = 1 << 20


@dataclass
class Staged:
    """A copy waiting for its command to commit."""

    stored: StoredFile
    tmp: Path


class FileStore:
    def __init__(self, root: str | Path, max_bytes: int, max_name_chars: int = 200):
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.max_name_chars = max_name_chars

    def stage(self, path: str, name: str | None = None) -> Staged:
        """Copy a file into the staging folder and hash the copy; `keep` or `discard` it after."""
        src = Path(path).expanduser()
        shown = name or src.name
        if len(shown) > self.max_name_chars:
            raise MediationError(
                "too_long",
                L_(
                    "A file name is {count} characters; keep names under {limit}.",
                    count=len(shown),
                    limit=self.max_name_chars,
                ),
            )
        try:
            found = src.is_file()
            size = src.stat().st_size if found else 0
        except (OSError, ValueError) as exc:
            raise MediationError(
                "bad_file",
                L_("Cannot read {name}: {error}", name=shown, error=str(getattr(exc, "strerror", None) or exc)),
            ) from None
        if not found:
            raise MediationError("bad_file", L_("File not found: {name}", name=shown))
        if size > self.max_bytes:
            raise MediationError(
                "file_too_large",
                L_(
                    "{name} is {size} MB; the limit is {limit} MB.",
                    name=shown,
                    size=f"{size / 1e6:.1f}",
                    limit=f"{self.max_bytes / 1e6:.1f}",
                ),
            )
        staging = self.root / ".staging"
        staging.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=staging, suffix=".part")
        tmp = Path(tmp_name)
        try:
            size = 0
            with src.open("rb") as fh, os.fdopen(fd, "wb") as out:
                for block in iter(lambda: fh.read(_BLOCK), b""):
                    size += len(block)
                    if size > self.max_bytes:  # checked while copying: a growing file cannot slip past
                        raise MediationError(
                            "file_too_large",
                            L_(
                                "{name} is over {limit} MB, the limit.", name=shown, limit=f"{self.max_bytes / 1e6:.1f}"
                            ),
                        )
                    out.write(block)
            digest = hashlib.sha256()
            with tmp.open("rb") as fh:  # the hash of the copy, the bytes that are kept
                for block in iter(lambda: fh.read(_BLOCK), b""):
                    digest.update(block)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise MediationError(
                "bad_file", L_("Cannot read {name}: {error}", name=shown, error=str(exc.strerror or exc))
            ) from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        sha = digest.hexdigest()
        mime = mimetypes.guess_type(shown)[0] or "application/octet-stream"
        dest = self.root / sha[:2] / sha
        return Staged(StoredFile(name=shown, size=size, mime=mime, sha256=sha, stored_path=str(dest)), tmp)

    def keep_staged(self, staged: Staged) -> None:
        """Move a staged copy under its hash (the same bytes kept once: a second copy is dropped)."""
        dest = Path(staged.stored.stored_path)
        if dest.exists():
            staged.tmp.unlink(missing_ok=True)
            return
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.tmp, dest)

    def discard(self, staged: Staged) -> None:
        staged.tmp.unlink(missing_ok=True)

    def keep(self, path: str, name: str | None = None) -> StoredFile:
        """Stage and keep at once, for callers outside a command's transaction."""
        staged = self.stage(path, name)
        self.keep_staged(staged)
        return staged.stored
