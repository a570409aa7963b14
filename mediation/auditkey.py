"""The audit key: the secret that seals the audit chain (HMAC-SHA256).

Where it comes from, first match wins:
1. `MEDIATOR_AUDIT_KEY` in the environment (at least 32 characters, e.g. `openssl rand -hex 32`);
2. the file `[audit] key_file` of config.toml;
3. by default, a file next to the SQLite database (`var/mediator.db` -> `var/mediator.db.audit-key`),
   or `var/audit.key` for PostgreSQL.
A missing key file is generated on first start (32 random bytes, hex, mode 0600). An in-memory
SQLite database gets a key that lives as long as the process, like the database itself.
The key is never logged or shown; only the file's path is.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

ENV_AUDIT_KEY = "MEDIATOR_AUDIT_KEY"
MIN_ENV_CHARS = 32
log = logging.getLogger("mediator.audit")


class AuditKeyError(Exception):
    """The key cannot be read, or does not fit the database."""


@dataclass
class AuditKey:
    secret: bytes
    source: str  # "environment", "memory", or the file's path
    generated: bool = False  # made just now: no chain can have been sealed with it yet

    def __repr__(self) -> str:  # never the secret, even in a traceback
        return f"AuditKey(source={self.source!r}, generated={self.generated})"


def default_path(db_url: str) -> Path | None:
    """Where the key file lives when config names none; None for an in-memory database."""
    u = make_url(db_url)
    if u.get_backend_name() == "sqlite":
        if not u.database or u.database == ":memory:":
            return None
        db = Path(u.database)
        return db.with_name(db.name + ".audit-key")
    return Path("var") / "audit.key"


def load(db_url: str, key_file: str = "", env: Mapping[str, str] | None = None) -> AuditKey:
    source: Mapping[str, str] = os.environ if env is None else env
    value = source.get(ENV_AUDIT_KEY, "")
    if value:
        if len(value) < MIN_ENV_CHARS:
            raise AuditKeyError(f"{ENV_AUDIT_KEY} is too short: use at least {MIN_ENV_CHARS} characters")
        return AuditKey(value.encode("utf-8"), "environment")
    path = Path(key_file) if key_file else default_path(db_url)
    if path is None:
        return AuditKey(secrets.token_bytes(32), "memory", generated=True)
    try:
        return AuditKey(_read(path), str(path))
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return AuditKey(_read(path), str(path))
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secret.hex() + "\n")
    log.info("generated a new audit key in %s (keep it with the database's backups)", path)
    return AuditKey(secret, str(path), generated=True)


def _read(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("the audit key file %s is readable by others; chmod 600 it", path)
    text = path.read_text(encoding="ascii").strip()
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        raise AuditKeyError(f"the audit key file {path} does not hold a hex key") from None
    if len(secret) < 16:
        raise AuditKeyError(f"the audit key file {path} holds too short a key")
    return secret


def forget_generated(key: AuditKey) -> None:
    """Remove a key file made just now (it fits no existing chain)."""
    if key.generated and key.source not in ("memory", "environment"):
        Path(key.source).unlink(missing_ok=True)
