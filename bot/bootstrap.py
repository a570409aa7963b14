"""The one place where things are built from config, with real or fake parts."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from mediation.clock import Clock
from mediation.config import Settings
from mediation.db import Store
from nlp.conversation import ConversationReader
from nlp.service import ScopeService

from .engine import Engine, Services
from .files import FileStore
from .handlers import build_registry
from .handlers.case import draft_chat
from .handlers.scope import scan_chat
from .ops import CountingScope, Metrics


def bootstrap(
    settings: Settings, *, clock: Clock | None = None, store: Store | None = None, services: Services | None = None
) -> Engine:
    store = store or Store.from_url(
        settings.database.url,
        echo=settings.database.echo,
        migrate=settings.database.auto_migrate,
        audit_key_file=settings.audit.key_file,
    )
    services = services or Services()
    if services.files is None:
        services.files = FileStore(
            settings.storage.files_dir,
            int(settings.storage.max_attachment_mb * 1e6),
            settings.limits.max_name_chars,
        )
    if services.scope is None:
        services.scope = ScopeService(settings.nlp.model_path, settings.nlp.backend, settings.nlp.onnx_path)
    metrics = Metrics()  # one registry per engine: no state shared through the library's globals
    if services.scope is not None and not isinstance(services.scope, CountingScope):
        services.scope = CountingScope(services.scope, metrics)
    if services.signals is None:
        scope = services.scope
        encoder = (lambda: scope.classifier().encoder) if settings.nlp.scan_chat else None
        services.signals = ConversationReader(encoder)
    engine = Engine(store, settings, clock or Clock(), build_registry(), services)
    engine.metrics = metrics
    engine.chat_hooks += [draft_chat, scan_chat]  # a case being opened step by step answers first
    return engine


class _Short(logging.Formatter):
    """One line per record, no traceback: for a person's terminal."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the fields a handled message
    carries (case id, platform, command, outcome, duration). Messages never hold tokens or the
    text people wrote: the log calls pass ids and outcomes, never bodies."""

    FIELDS = ("case_id", "platform", "command", "outcome", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in self.FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                out[key] = value
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def setup_logging(settings: Settings, quiet: bool = False) -> None:
    """Logs go to stderr (or a file), never stdout, which belongs to replies."""
    level = getattr(logging, settings.logging.level.upper(), logging.INFO)
    if settings.logging.file:
        Path(settings.logging.file).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(settings.logging.file)
    else:
        handler = logging.StreamHandler()
        if quiet:  # the console's stderr is the user's screen: only warnings, details in the file if set
            level = logging.WARNING
            handler.setFormatter(_Short())
    if settings.logging.format == "json":
        handler.setFormatter(JsonFormatter())
    elif handler.formatter is None:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "discord", "telegram", "alembic"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
