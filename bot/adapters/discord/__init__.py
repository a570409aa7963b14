"""Discord: `adapter` (the gateway, interactions and messages), `commands` (slash commands, the message
menu, the case form) and `render` (embeds and buttons)."""

from .adapter import DiscordAdapter, _ShardedClient, build, configure_endpoints  # noqa: F401 (tests)
from .commands import CHECK_MENU, CaseForm, line, slash_commands
from .render import (
    CONTENT_MAX,
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    FIELD_VALUE_MAX,
    FIELDS_MAX,
    CommandButton,
    message_payloads,
)

__all__ = [
    "CHECK_MENU",
    "CONTENT_MAX",
    "DESCRIPTION_MAX",
    "EMBED_TOTAL_MAX",
    "FIELDS_MAX",
    "FIELD_VALUE_MAX",
    "CaseForm",
    "CommandButton",
    "DiscordAdapter",
    "build",
    "configure_endpoints",
    "line",
    "message_payloads",
    "slash_commands",
]
