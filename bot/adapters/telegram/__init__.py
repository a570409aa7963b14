"""Telegram: `adapter` (life cycle, polling or webhook), `inbound` (updates in), `outbound` (replies
out) and `limits`."""

from .adapter import TelegramAdapter, build, command_menu
from .limits import CALLBACK_DATA_LIMIT, CAPTION_LIMIT, MESSAGE_LIMIT, PRIVACY_NOTE

__all__ = [
    "CALLBACK_DATA_LIMIT",
    "CAPTION_LIMIT",
    "MESSAGE_LIMIT",
    "PRIVACY_NOTE",
    "TelegramAdapter",
    "build",
    "command_menu",
]
