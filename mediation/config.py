"""Typed settings: `config.toml` validated into pydantic models at start-up.

Every setting has a default here, and `config.toml` at the repository root documents the same
defaults. Secrets never live in the file: they come from the environment only.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .feedback import FeedbackConfig
from .fees import FeesConfig

ENV_DATABASE_URL = "MEDIATOR_DATABASE_URL"
ENV_TELEGRAM_TOKEN = "TELEGRAM_BOT_TOKEN"
ENV_DISCORD_TOKEN = "DISCORD_BOT_TOKEN"
ENV_TELEGRAM_SECRET = "TELEGRAM_WEBHOOK_SECRET"


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file and the bad key."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class DatabaseConfig(Section):
    url: str = "sqlite:///var/mediator.db"
    auto_migrate: bool = True
    echo: bool = False


class AuditConfig(Section):
    # file holding the audit key (hex); empty: next to the SQLite database, or var/audit.key.
    # MEDIATOR_AUDIT_KEY in the environment wins over the file.
    key_file: str = ""


class StorageConfig(Section):
    files_dir: str = "var/files"
    max_attachment_mb: float = Field(default=25.0, gt=0)


class InspectionConfig(Section):
    """Limits when reading delivered files: nothing a sender makes can exhaust memory or disk."""

    max_file_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    max_zip_members: int = Field(default=500, gt=0)
    max_zip_total_bytes: int = Field(default=500 * 1024 * 1024, gt=0)
    max_zip_ratio: float = Field(default=100.0, gt=1)
    max_image_pixels: int = Field(default=80_000_000, gt=0)
    # each file is read in a worker process (mediation.sandbox) under these limits; a file over
    # one is reported "could not be checked (too costly)" and left to a person
    cpu_seconds: float = Field(default=5.0, gt=0, le=3600)
    wall_seconds: float = Field(default=10.0, gt=0, le=3600)
    memory_mb: int = Field(default=512, ge=128, le=65536)
    workers: int = Field(default=2, ge=1, le=64)

    @model_validator(mode="after")
    def _wall_covers_cpu(self) -> InspectionConfig:
        if self.wall_seconds < self.cpu_seconds:
            raise ValueError(
                f"wall_seconds ({self.wall_seconds:g}) must be at least cpu_seconds ({self.cpu_seconds:g}): "
                "a file cannot use more CPU time than the time it is given"
            )
        return self


class LimitsConfig(Section):
    max_message_chars: int = Field(default=4000, ge=100)
    max_title_chars: int = Field(default=120, ge=10)
    max_amount: str = "1000000"
    max_refusals_per_hour: int = Field(default=10, ge=1)
    max_name_chars: int = Field(default=200, ge=20)


class NlpConfig(Section):
    model_path: str = ""
    backend: str = "torch"
    onnx_path: str = ""
    scan_chat: bool = True
    flag_threshold: float = Field(default=0.6, ge=0.5, le=1.0)

    @field_validator("backend")
    @classmethod
    def _backend(cls, v: str) -> str:
        if v not in {"torch", "onnx"}:
            raise ValueError("must be 'torch' or 'onnx'")
        return v


class ConsoleConfig(Section):
    default_user: str = "you"
    chat_id: str = "console"


class TelegramConfig(Section):
    api_base_url: str = "https://api.telegram.org/bot"
    file_base_url: str = "https://api.telegram.org/file/bot"
    webhook_url: str = ""
    listen: str = "127.0.0.1:8443"
    poll_timeout: float = Field(default=30, gt=0)
    concurrent_updates: int = Field(default=8, ge=1)
    album_wait_seconds: float = Field(default=1.0, ge=0)
    send_retries: int = Field(default=3, ge=0)
    max_retry_wait_seconds: float = Field(default=120, gt=0)


class DiscordConfig(Section):
    api_base_url: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg"
    moderator_role_ids: list[int] = Field(default_factory=list)
    mod_channel_id: int = 0
    guild_ids: list[int] = Field(default_factory=list)
    # the privileged message-content intent (switch it on in the Developer Portal first): plain
    # messages in case channels are scanned; without it, the "Check against brief" message menu
    message_content: bool = False
    # each case in a private thread of its own, opened by /case new (parties and listed moderators
    # added); false: the channel itself holds the case (one open case per channel)
    case_threads: bool = True
    # several processes share the gateway: 0 = one connection, no sharding; else the total number
    # of shards, and the shards this process runs (empty: all of them)
    shard_count: int = Field(default=0, ge=0)
    shard_ids: list[int] = Field(default_factory=list)

    @model_validator(mode="after")
    def _shards(self) -> DiscordConfig:
        if self.shard_ids and not self.shard_count:
            raise ValueError("shard_ids needs shard_count")
        bad = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
        if bad:
            raise ValueError(f"shard_ids {bad} are outside 0..{self.shard_count - 1}")
        return self


class NegotiationConfig(Section):
    # blind offers settle at the midpoint when they cross or come within this share of the amount
    offer_gap: float = Field(default=0.05, ge=0, lt=1)
    offer_rounds: int = Field(default=3, ge=1, le=20)
    # when a moderator may see the blind offers: "after_decision" or "always"
    moderator_sees_offers: str = "after_decision"
    # days after a moderator's decision in which a party may appeal once, to a different moderator
    appeal_days: float = Field(default=7, ge=0)

    @field_validator("moderator_sees_offers")
    @classmethod
    def _sees(cls, v: str) -> str:
        if v not in {"after_decision", "always"}:
            raise ValueError("must be 'after_decision' or 'always'")
        return v


class DeadlinesConfig(Section):
    """Days each stage may take; a reminder goes out `remind_before_days` before each deadline."""

    brief_agreement_days: float = Field(default=7, gt=0)
    review_days: float = Field(default=14, gt=0)
    dispute_answer_days: float = Field(default=5, gt=0)
    offer_round_days: float = Field(default=3, gt=0)
    moderator_decision_days: float = Field(default=7, gt=0)
    remind_before_days: float = Field(default=1, ge=0)
    # how often the running bot checks for due deadlines, in seconds
    scheduler_interval_s: float = Field(default=60, gt=0)


class OutboxConfig(Section):
    """How notices that could not go out at once are retried, each on its own schedule."""

    backoff_base_s: float = Field(default=30, gt=0)
    backoff_max_s: float = Field(default=3600, gt=0)
    give_up_after_hours: float = Field(default=72, gt=0)
    send_timeout_s: float = Field(default=60, gt=0)
    batch: int = Field(default=200, ge=1)


class OpsConfig(Section):
    # host:port of the health and metrics endpoint served by `mediator run`; empty: off
    listen: str = ""

    @field_validator("listen")
    @classmethod
    def _listen(cls, v: str) -> str:
        if v and not v.rpartition(":")[2].isdigit():
            raise ValueError("must be host:port (e.g. 127.0.0.1:9464), or empty for off")
        return v


class LoggingConfig(Section):
    level: str = "INFO"
    file: str = ""
    format: str = "text"

    @field_validator("format")
    @classmethod
    def _format(cls, v: str) -> str:
        if v not in {"text", "json"}:
            raise ValueError("must be 'text' or 'json'")
        return v


class Settings(Section):
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    inspection: InspectionConfig = Field(default_factory=InspectionConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    # moderators by platform: user ids (console: user names)
    moderators: dict[str, list[str]] = Field(
        default_factory=lambda: {"console": ["mod"], "telegram": [], "discord": []}
    )
    nlp: NlpConfig = Field(default_factory=NlpConfig)
    console: ConsoleConfig = Field(default_factory=ConsoleConfig)
    telegram: TelegramConfig = Field(default_factory=TelegramConfig)
    discord: DiscordConfig = Field(default_factory=DiscordConfig)
    negotiation: NegotiationConfig = Field(default_factory=NegotiationConfig)
    deadlines: DeadlinesConfig = Field(default_factory=DeadlinesConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    outbox: OutboxConfig = Field(default_factory=OutboxConfig)
    ops: OpsConfig = Field(default_factory=OpsConfig)
    fees: FeesConfig = Field(default_factory=FeesConfig)
    feedback: FeedbackConfig = Field(default_factory=FeedbackConfig)


def _explain(err: ValidationError, source: str) -> str:
    lines = [f"{source}: invalid configuration"]
    for e in err.errors():
        loc = [str(p) for p in e["loc"]]
        key = f"[{loc[0]}] {'.'.join(loc[1:])}" if len(loc) > 1 else loc[0] if loc else "?"
        msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
        lines.append(f"  {key}: {msg}")
    return "\n".join(lines)


def load_settings(
    path: str | Path | None = None, *, db_url: str | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Read the config file (default `./config.toml` if present), then apply the environment.

    `db_url` (the `--db` flag) wins over `MEDIATOR_DATABASE_URL`, which wins over the file.
    """
    environ: Mapping[str, str] = os.environ if env is None else env
    data: dict = {}
    source = "defaults"
    if path is None and Path("config.toml").is_file():
        path = "config.toml"
    if path is not None:
        p = Path(path)
        source = str(p)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{p}: config file not found") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, source)) from None
    url = db_url or environ.get(ENV_DATABASE_URL)
    if url:
        settings.database.url = url
    return settings
